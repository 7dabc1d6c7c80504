"""The ledger as a page to look at (``python -m rngsuite report --html docs/ledger.html``).

For every backend, each case recorded with more than one set of values (*era*) is a row; the
columns are the recorded releases of the backend's library, oldest first; a cell is one band
per other condition (torch's CPU kernels: AVX512, AVX2, DEFAULT). A band's colour is the set
of values that release drew under that condition. Colours are given in the order they first
appear along the releases, so the oldest release is always the first colour and a change is one
step of colour (marked by a bar at the release that has it), and a stream that depends on the
condition shows bands of different colours in one cell. Each row ends with what changed, said
plainly: the release, the class, and how many values differ by how many ULP.

The page is self-contained (no script, no fetch) and is checked in a headless browser by
``tests/test_ledger_page.py``.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from rngsuite.core import provenance as prov
from rngsuite.core.compare import DEFAULT_ULP
from rngsuite.core.ledger import Ledger
from rngsuite.core.provenance import natural_key
from rngsuite.core.store import EraFile
from rngsuite.tools.report import (axis_package, call_name, changes, condition_differences,
                                   distinguishing, era_difference, recorded_frame,
                                   uniform_column)

#: Colours for the eras of one case, in order of first appearance: distinct, light enough for
#: black text, and the first two far apart (most cases have two).
PALETTE = ("#8ecae6", "#ffb703", "#90be6d", "#f28482", "#cdb4db", "#f9c74f", "#4d908e",
           "#bc6c25")

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px 32px;color:#1b1b1b;
max-width:1500px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 6px}
p.lead{margin:0 0 10px;max-width:980px;color:#333}
table{border-collapse:collapse;margin:8px 0 20px}
th,td{padding:3px 7px;text-align:left;vertical-align:middle}
table.plain th{border-bottom:2px solid #bbb;font-weight:600;white-space:nowrap}
table.plain td{border-bottom:1px solid #e3e3e3}
table.runs th.release{font-weight:600;font-size:12px;text-align:center;white-space:nowrap;
padding:3px 2px;min-width:38px}
table.runs td.case{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;min-width:260px;
max-width:430px;overflow-wrap:anywhere;padding-right:12px}
table.runs td.cell{padding:2px 1px}
table.runs td.step{border-left:3px solid #1b1b1b}
table.runs tr.call td,table.plain tr.step td{padding-top:10px;font-weight:600;border-bottom:1px solid #ccc}
table.runs td.cond{font-size:11px;color:#555;white-space:nowrap;padding:0 6px}
table.runs td.note{font-size:12px;color:#333;padding-left:12px;white-space:nowrap}
td.cell b{display:flex;flex-direction:column;height:22px;border-radius:3px;overflow:hidden}
td.cell i{flex:1}i.none{background:#f4f4f4}
span.swatch{display:inline-block;width:14px;height:14px;border-radius:2px;vertical-align:-2px;
margin:0 3px}
.num{text-align:right;font-variant-numeric:tabular-nums}
"""


def _release(version: str) -> str:
    return version.split("+")[0]


def _grid(lf: EraFile, package: str) -> tuple[list[str], list[str], dict[tuple, list[str]]]:
    """The backend's releases (oldest first), its other conditions, and the labels recorded
    for each (release, condition)."""
    cells: dict[tuple, list[str]] = {}
    for label in lf.environments:
        split = prov.split_label(label, package)
        if split is not None:
            cells.setdefault((_release(split[0]), split[1]), []).append(label)
    releases = sorted({r for r, _ in cells}, key=natural_key)
    conditions = sorted({c for _, c in cells}, key=_condition_order)
    return releases, conditions, cells


def _condition_order(condition: str) -> tuple:
    # The CPU kernels from the widest to the generic ones, then anything else by name.
    first = condition.split("/")[0]
    order = {"AVX512": 0, "AVX2": 1, "DEFAULT": 2}
    return (order.get(first, 3), natural_key(condition))


#: Past this many conditions, a case takes one row per set of conditions that drew alike
#: instead of one band per condition in a cell: 16 bands in a 22-pixel cell were 1.4 pixels
#: each, unreadable.
MANY = 4


def _row(ledger: Ledger, lf: EraFile, case_id: str, releases: list[str], conditions: list[str],
         cells: dict[tuple, list[str]], package: str, ulp: int, names: dict[str, str]) -> str:
    eras = lf.cases[case_id]
    era_of = {env: era for era in eras for env in era.environments}
    colour: dict[str, int] = {}  # era name -> colour index, in order of first appearance
    grid: list[list[list[Any]]] = []
    for release in releases:
        column = []
        for condition in conditions:
            found = [era_of[label] for label in cells.get((release, condition), [])
                     if label in era_of]
            unique = list({e.name: e for e in found}.values())
            for era in unique:
                colour.setdefault(era.name, len(colour) % len(PALETTE))
            column.append(unique)
        grid.append(column)
    # The backend is the table's heading: the row shows the rest of the id.
    shown = case_id[len(lf.header["backend"]) + 1:]
    many = len(conditions) > MANY
    if many:
        # Conditions whose eras run alike along the releases share a row; those that never
        # drew this case have none.
        alike: dict[tuple, list[int]] = {}
        for k in range(len(conditions)):
            run = tuple(tuple(e.name for e in column[k]) for column in grid)
            if any(run):
                alike.setdefault(run, []).append(k)
        rowsets = list(alike.values())
    else:
        rowsets = [list(range(len(conditions)))]
    span = f" rowspan={len(rowsets)}" if many else ""
    case_cell = (f"<td class=case{span} title='{html.escape(case_id, quote=True)}'>"
                 f"{html.escape(shown)}</td>")
    # One row of cells per condition when there are many, else one row of stacked bands.
    lines: list[list[str]] = [[] for _ in rowsets]
    steps = []
    previous = previous_column = None  # the last release's eras, by condition
    for release, column in zip(releases, grid):
        names_now = [tuple(e.name for e in eras_here) for eras_here in column]
        step = previous is not None and any(n and p and n != p
                                            for n, p in zip(names_now, previous))
        groups = [[(conditions[k], column[k]) for k in (ks[:1] if many else ks)]
                  for ks in rowsets]
        for line, group in zip(lines, groups):
            bands, said = [], []
            for condition, eras_here in group:
                if not eras_here:
                    bands.append("<i class=none></i>")
                    said.append(f"{names[condition]} not recorded")
                for era in eras_here:
                    bands.append(f"<i class=c{colour[era.name]}></i>")
                    said.append(f"{names[condition]} era {era.name}")
            title = html.escape(f"{package} {release}: {', '.join(said)}", quote=True)
            line.append(f"<td class='cell{' step' if step else ''}' title='{title}'><b>"
                        f"{''.join(bands)}</b></td>")
        if step:
            steps.append((release, column, previous_column))
        if any(names_now):
            previous, previous_column = names_now, column
    notes = []
    for release, column, before in steps:
        for eras_now, eras_before in zip(column, before):
            if eras_now and eras_before and eras_now[0] is not eras_before[0]:
                diff = era_difference(ledger, eras_before[0], eras_now[0], ulp=ulp)
                notes.append(f"{package} {release}: {diff.cls(ulp)}, {diff.text()}")
                break
    last = next((c for c in reversed(grid) if any(c)), [])
    split = [(names[condition], eras_here[0])
             for condition, eras_here in zip(conditions, last) if eras_here]
    if len({era.name for _, era in split}) > 1:
        (where, first), (other_where, other) = split[0], next(
            (c, e) for c, e in split if e is not split[0][1])
        diff = era_difference(ledger, first, other, ulp=ulp)
        notes.append(f"{other_where} vs {where}: {diff.cls(ulp)}, {diff.text()}")
    note = f"<td class=note{span}>{html.escape('; '.join(notes))}</td>"
    if not many:
        return "<tr>" + case_cell + "".join(lines[0]) + note + "</tr>"
    rows = []
    for k, (ks, line) in enumerate(zip(rowsets, lines)):
        said = [names[conditions[j]] for j in ks]
        shown = ", ".join(said[:2]) + (f" and {len(said) - 2} more" if len(said) > 2 else "")
        label = (f"<td class=cond title='{html.escape(', '.join(said), quote=True)}'>"
                 f"{html.escape(shown)}</td>")
        rows.append("<tr>" + (case_cell if k == 0 else "") + label + "".join(line)
                    + (note if k == 0 else "") + "</tr>")
    return "".join(rows)


def _backend_table(ledger: Ledger, backend: str, ulp: int) -> str:
    lf = ledger.files[backend]
    package = axis_package(lf)
    several = sorted(c for c, eras in lf.cases.items() if len(eras) > 1)
    if package is None or not several:
        return ""
    releases, conditions, cells = _grid(lf, package)
    names = distinguishing(conditions)
    many = len(conditions) > MANY
    head = "".join(f"<th class=release>{html.escape(r)}</th>" for r in releases)
    bands = ("; one row per set of conditions that drew alike (hover for them all)" if many else
             f"; each cell's bands, top to bottom: "
             f"{' / '.join(html.escape(names[c]) for c in conditions)}"
             if len(conditions) > 1 else "")
    rows = [f"<h2>{html.escape(backend)}</h2>",
            f"<p class=lead>{len(several)} of {len(lf.cases)} cases recorded with more than one "
            f"set of values; columns: the recorded {package} releases{bands}.</p>",
            f"<table class=runs><tr><th>case</th>{'<th>condition</th>' if many else ''}{head}"
            "<th>what changed</th></tr>"]
    by_call: dict[str, list[str]] = {}
    for case_id in several:
        by_call.setdefault(call_name(backend, case_id), []).append(case_id)
    for call, ids in sorted(by_call.items()):
        rows.append(f"<tr class=call><td colspan={len(releases) + 2 + many}>{html.escape(call)} "
                    f"&middot; {len(ids)} case{'s' if len(ids) > 1 else ''}</td></tr>")
        rows += [_row(ledger, lf, case_id, releases, conditions, cells, package, ulp, names)
                 for case_id in ids]
    rows.append("</table>")
    return "\n".join(rows)


def short_conditions(text: str) -> str:
    """``AVX2/Linux/x86_64, AVX512/Linux/x86_64`` -> ``AVX512, AVX2 (Linux/x86_64)``."""
    parts = [c.split("/", 1) for c in text.split(", ")]
    rests = {p[1] if len(p) > 1 else "" for p in parts}
    if len(parts) < 2 or len(rests) != 1 or not rests.pop():
        return text
    firsts = sorted((p[0] for p in parts), key=lambda c: _condition_order(c))
    return f"{', '.join(firsts)} ({parts[0][1]})"


def _changes_table(frame: pd.DataFrame) -> str:
    """The changes between releases, one heading row per release step."""
    numeric = ("cases", "max ULP")
    frame, said = uniform_column(frame, "bit stream")
    columns = ["backend", "call", "cases", "conditions", "values that differ", "max ULP",
               "class"] + (["bit stream"] if "bit stream" in frame else [])
    head = "".join(f"<th{' class=num' if c in numeric else ''}>{c}</th>" for c in columns)
    out = [f"<table class=plain><tr>{head}</tr>"]
    for (package, previous, release), rows in frame.groupby(["package", "previous", "release"],
                                                             sort=False):
        out.append(f"<tr class=step><td colspan={len(columns)}>{html.escape(package)} "
                   f"{html.escape(previous)} &rarr; {html.escape(release)} &middot; "
                   f"{int(rows['cases'].sum())} cases in {len(rows)} calls</td></tr>")
        for _, row in rows.iterrows():
            cells = {**row, "conditions": short_conditions(row["conditions"])}
            out.append("<tr>" + "".join(
                f"<td{' class=num' if c in numeric else ''}>{html.escape(str(cells[c]))}</td>"
                for c in columns) + "</tr>")
    out.append("</table>")
    return (f"<p class=lead>{html.escape(said.strip())}</p>" if said else "") + "".join(out)


def _plain(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th{' class=num' if c in numeric else ''}>{html.escape(str(c))}</th>"
                   for c in frame.columns)
    body = "".join("<tr>" + "".join(
        f"<td{' class=num' if c in numeric else ''}>{html.escape(str(v))}</td>"
        for c, v in row.items()) + "</tr>" for _, row in frame.iterrows())
    return f"<table class=plain><tr>{head}</tr>{body}</table>"


def _palette_css() -> str:
    return "".join(f"i.c{i}{{background:{c}}}" for i, c in enumerate(PALETTE))


def ledger_html(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> str:
    """A self-contained page: what is recorded, every change between releases and by
    condition, and per backend each case's values along the releases as runs of colour."""
    found = changes(ledger, ulp=ulp)
    by_condition = condition_differences(ledger, ulp=ulp)
    swatches = "".join(f"<span class=swatch style='background:{c}'></span>" for c in PALETTE[:3])
    out = ["<!doctype html><html lang=en><meta charset='utf-8'>",
           "<title>rngsuite: how the recorded streams changed</title>",
           f"<style>{_STYLE}{_palette_css()}</style>",
           "<h1>How the recorded streams changed</h1>",
           "<p class=lead>Generated from rngsuite's ledger (<code>python -m rngsuite report --html "
           "docs/ledger.html</code>). Each row below is a case recorded with more than one set "
           "of values; columns are the recorded releases, oldest first. A colour is one set of "
           f"values, in the order they appear {swatches}: the first colour is what the oldest "
           "recorded release drew, so a change is one step of colour, marked by a bar. A cell "
           "holds one band per condition (torch: the AVX512, AVX2 and DEFAULT CPU kernels): "
           "bands of different colours in one cell are a stream that depends on the CPU. Hover "
           "a band for its release, condition and era.</p>",
           "<h2>What is recorded</h2>", _plain(recorded_frame(ledger), ("releases",)),
           "<h2>Changes between neighbouring recorded releases</h2>",
           _changes_table(found) if len(found) else
           "<p>No stream changed between neighbouring recorded releases.</p>",
           "<h2>Streams that differ by condition within one release</h2>",
           _plain(by_condition, ("cases", "max ULP")) if len(by_condition) else
           "<p>None recorded.</p>"]
    for backend in sorted(ledger.files):
        out.append(_backend_table(ledger, backend, ulp))
    return "\n".join(part for part in out if part) + "\n"
