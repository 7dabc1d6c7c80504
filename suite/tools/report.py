"""The ledger as tables: cases x recorded environments, each cell the era seen there; what
changes between two releases of a package; a self-contained HTML page of the eras."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd

from suite.core import provenance as prov
from suite.core.compare import DEFAULT_ULP, compare
from suite.core.ledger import Ledger


def version_key(label: str) -> tuple:
    """Natural order for environment labels: torch-2.9 before torch-2.10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", label))


def ledger_frame(ledger: Ledger, backend: str) -> pd.DataFrame:
    """One backend's cases (rows) x environments (columns); cells are era names."""
    lf = ledger.files[backend]
    cells = {case_id: {env: era.name for era in eras for env in era.environments}
             for case_id, eras in lf.cases.items()}
    frame = pd.DataFrame.from_dict(cells, orient="index").reindex(
        columns=sorted(lf.environments, key=version_key)).fillna("")
    frame.index.name = "case"
    return frame.sort_index()


def overview(ledger: Ledger) -> pd.DataFrame:
    """Per backend: cases, environments, and cases recorded with more than one era."""
    rows = []
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        rows.append({"backend": backend, "cases": len(lf.cases),
                     "environments": len(lf.environments),
                     "cases with several eras": sum(len(e) > 1 for e in lf.cases.values())})
    return pd.DataFrame(rows).set_index("backend")


def known_divergences() -> pd.DataFrame:
    """Every known divergence row: where a guarantee does not hold, what holds instead, why."""
    from suite.checks.divergences import KNOWN

    return pd.DataFrame([{"guarantee": r.guarantee, "backends": ", ".join(r.backends),
                          "condition": r.condition, "instead": r.expect, "why": r.note,
                          "source": r.source} for r in KNOWN.rows])


def ledger_tables(ledger: Ledger, *, changed_only: bool = False) -> str:
    """Markdown: the overview, known divergences, uncovered calls, then one cases x
    environments table per backend."""
    from suite.tools.coverage import coverage_table

    parts = ["# rngsuite ledger", "", overview(ledger).to_markdown(), "",
             "## Stream changes between neighbouring recorded releases", "",
             changes_markdown(ledger),
             "## Known divergences", "", known_divergences().to_markdown(index=False), "",
             "## Sampling calls of the installed libraries", "", coverage_table(), ""]
    for backend in sorted(ledger.files):
        frame = ledger_frame(ledger, backend)
        if changed_only:
            frame = frame[[len(ledger.files[backend].cases[c]) > 1 for c in frame.index]]
        parts += [f"## {backend}", ""]
        parts += [frame.to_markdown() if len(frame) else "(no case with several eras)", ""]
    return "\n".join(parts)


# ------------------------------------------------------------------------------ upgrades
@dataclass(frozen=True)
class Spec:
    """``torch==2.4``: a package and a version prefix (2.4 matches 2.4.1 and 2.4.1+cpu)."""

    package: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "Spec":
        package, sep, version = text.partition("==")
        if not sep or not package or not version:
            raise LookupError(f"{text!r}: write a release as PACKAGE==VERSION, e.g. torch==2.4")
        return cls(package.strip(), version.strip())

    def matches(self, version: str) -> bool:
        return version == self.version or version.startswith(self.version + ".") \
            or version.startswith(self.version + "+")


def releases_by_conditions(environments, package: str) -> dict[str, list[tuple[str, str]]]:
    """Environment labels grouped by their other conditions (CPU capability, machine...): for
    each, the (version, label) pairs of ``package``, oldest release first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for label in environments:
        if split := prov.split_label(label, package):
            groups.setdefault(split[1], []).append((split[0], label))
    for versions in groups.values():
        versions.sort(key=lambda v: version_key(v[0]))
    return groups


def _era_change(ledger: Ledger, a, b, *, ulp: int):
    """How era b's values differ from era a's: the comparison of the first differing draw."""
    return next((compare(ledger.full(x), ledger.full(y), ulp=ulp)
                 for x, y in zip(a.draws, b.draws)
                 if x.sha256 != y.sha256 or x.shape != y.shape), None)


def upgrade(ledger: Ledger, old: Spec, new: Spec, *, ulp: int = DEFAULT_ULP) -> pd.DataFrame:
    """Every case whose era differs between the two releases, in the same other conditions
    (CPU capability, machine...), with how far apart the values are and the first recorded
    release that has the new values."""
    if old.package != new.package:
        raise LookupError(f"--from {old.package} and --to {new.package} name different packages")
    rows, seen = [], {"from": False, "to": False}
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        for rest, versions in releases_by_conditions(lf.environments, old.package).items():
            olds = [lab for ver, lab in versions if old.matches(ver)]
            news = [lab for ver, lab in versions if new.matches(ver)]
            seen["from"] |= bool(olds)
            seen["to"] |= bool(news)
            if not olds or not news:
                continue
            before, after = olds[-1], news[-1]
            for case_id, eras in lf.cases.items():
                era_of = {env: era for era in eras for env in era.environments}
                a, b = era_of.get(before), era_of.get(after)
                if a is None or b is None or a is b:
                    continue
                # The first recorded release after the old one that has the new era.
                start = [lab for _, lab in versions].index(before)
                first = next((ver for ver, lab in versions[start + 1:] if era_of.get(lab) is b),
                             "?")
                result = _era_change(ledger, a, b, ulp=ulp)
                rows.append({"case": case_id, "conditions": rest, "from era": a.name,
                             "to era": b.name, "change": result.label if result else "different",
                             "max ULP": result.max_ulp if result else None,
                             "first release": f"{old.package} {first}"})
    for side, spec in (("from", old), ("to", new)):
        if not seen[side]:
            raise LookupError(f"no recorded environment has {spec.package}=={spec.version}")
    return pd.DataFrame(rows, columns=["case", "conditions", "from era", "to era", "change",
                                       "max ULP", "first release"])


def _call_name(backend: str, case_id: str) -> str:
    """``torch:cpu:randn(1000)@17`` -> ``randn``; several steps join with ``;``."""
    body = case_id[len(backend) + 1:].rsplit("@", 1)[0]
    names = dict.fromkeys(step.split("(", 1)[0].split(".")[-1] for step in body.split(";"))
    return ";".join(names)


def _bit_stream(lf, package: str, before: str, after: str, cache: dict) -> str:
    """Whether the backend's bit stream kept its values between two environments, judged by
    the cases that draw the words themselves (``reference.BIT_STREAM_CALLS``): "unchanged"
    (so the transform changed), "changed", or "not recorded"."""
    from suite.reference import BIT_STREAM_CALLS

    key = (lf.backend, before, after)
    if key not in cache:
        calls = BIT_STREAM_CALLS.get(package, ())
        verdicts = set()
        for case_id, eras in lf.cases.items():
            if _call_name(lf.backend, case_id) not in calls:
                continue
            era_of = {env: era for era in eras for env in era.environments}
            a, b = era_of.get(before), era_of.get(after)
            if a is not None and b is not None:
                verdicts.add(a is b)
        cache[key] = ("not recorded" if not verdicts else
                      "unchanged: the transform changed" if verdicts == {True}
                      else "changed")
    return cache[key]


def changes(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> pd.DataFrame:
    """Every stream change between neighbouring recorded releases of a package, in the same
    other conditions, attributed to the first release that has it: one row per (package,
    release, backend, call), with the cases, the conditions and how far the values moved."""
    rows, cache = [], {}
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        for package in ("numpy", "torch", "pandas", "python"):
            for rest, versions in releases_by_conditions(lf.environments, package).items():
                for case_id, eras in lf.cases.items():
                    era_of = {env: era for era in eras for env in era.environments}
                    for (v0, l0), (v1, l1) in zip(versions, versions[1:]):
                        a, b = era_of.get(l0), era_of.get(l1)
                        if a is None or b is None or a is b:
                            continue
                        result = _era_change(ledger, a, b, ulp=ulp)
                        stream = _bit_stream(lf, package, l0, l1, cache)
                        rows.append({"package": package, "release": v1.split("+")[0],
                                     "previous": v0.split("+")[0], "backend": backend,
                                     "call": _call_name(backend, case_id), "case": case_id,
                                     "conditions": rest,
                                     "change": result.label if result else "different",
                                     "max ULP": result.max_ulp if result else None,
                                     "bit stream": stream})
    frame = pd.DataFrame(rows, columns=["package", "release", "previous", "backend", "call",
                                        "case", "conditions", "change", "max ULP",
                                        "bit stream"])
    if not len(frame):
        return frame.drop(columns=["case"]).assign(cases=[])
    summary = frame.groupby(["package", "previous", "release", "backend", "call"], sort=False)
    out = summary.agg(cases=("case", "nunique"),
                      conditions=("conditions", lambda c: ", ".join(sorted(set(c)))),
                      change=("change", lambda c: ", ".join(sorted(set(c)))),
                      max_ulp=("max ULP", "max"),
                      bit_stream=("bit stream", lambda c: ", ".join(sorted(set(c))))
                      ).reset_index()
    out = out.rename(columns={"max_ulp": "max ULP", "bit_stream": "bit stream"})
    order = out["release"].map(version_key)
    return out.assign(_o=order).sort_values(["package", "_o", "backend", "call"]).drop(
        columns="_o").reset_index(drop=True)


def changes_markdown(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> str:
    """The changes table with a one-line tally: what an upgrade across the ledger changes."""
    frame = changes(ledger, ulp=ulp)
    if not len(frame):
        return "No stream changed between neighbouring recorded releases.\n"
    steps = frame.groupby(["package", "release"]).ngroups
    tally = (f"{int(frame['cases'].sum())} changed cases in {len(frame)} (backend, call) pairs, "
             f"across {steps} release steps: "
             + "; ".join(f"{pkg} {rel}: {', '.join(dict.fromkeys(g['call']))}"
                         for (pkg, rel), g in frame.groupby(["package", "release"], sort=False)))
    frame["max ULP"] = [("–" if pd.isna(u) else f"{int(u):,}") for u in frame["max ULP"]]
    return tally + "\n\n" + frame.to_markdown(index=False) + "\n"


def upgrade_markdown(ledger: Ledger, old: Spec, new: Spec, *, ulp: int = DEFAULT_ULP) -> str:
    frame = upgrade(ledger, old, new, ulp=ulp)
    title = (f"# Upgrading {old.package} {old.version} -> {new.version}: "
             f"{frame['case'].nunique()} cases change")
    return "\n".join([title, "", frame.to_markdown(index=False) if len(frame) else
                      "No recorded stream changes.", ""])


# ------------------------------------------------------------------------------ HTML
_PALETTE = ("#cfe8ff", "#ffd8a8", "#c3f0c8", "#f8c4d8", "#e4d4ff", "#fff3a3", "#c9f2f0",
            "#f2d0c4")


def _changes_html(ledger: Ledger) -> str:
    frame = changes(ledger)
    if not len(frame):
        return "<p>No stream changed between neighbouring recorded releases.</p>"
    frame["max ULP"] = [("–" if pd.isna(u) else f"{int(u):,}") for u in frame["max ULP"]]
    return frame.to_html(index=False)


def ledger_html(ledger: Ledger, *, changed_only: bool = True) -> str:
    """A self-contained page: per backend, cases x environments, one colour per era."""
    out = ["<!doctype html><meta charset='utf-8'><title>rngsuite ledger</title>",
           "<style>body{font:13px system-ui,sans-serif;margin:1em}table{border-collapse:"
           "collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:2px 6px}"
           "th{writing-mode:vertical-rl;font-weight:normal;white-space:nowrap}"
           "td.case{font-family:monospace;white-space:nowrap}td.era{text-align:center}</style>",
           "<h1>rngsuite ledger</h1>",
           f"<p>{'Cases recorded with more than one era' if changed_only else 'Every case'}"
           ", by environment; each colour is one era (A, B, C, ...) of that case.</p>",
           overview(ledger).to_html(),
           "<h2>Stream changes between neighbouring recorded releases</h2>",
           _changes_html(ledger)]
    for backend in sorted(ledger.files):
        frame = ledger_frame(ledger, backend)
        if changed_only:
            frame = frame[[len(ledger.files[backend].cases[c]) > 1 for c in frame.index]]
        out.append(f"<h2>{html.escape(backend)}</h2>")
        if not len(frame):
            out.append("<p>No case with several eras.</p>")
            continue
        out.append("<table><tr><th></th>" + "".join(f"<th>{html.escape(c)}</th>"
                                                   for c in frame.columns) + "</tr>")
        for case_id, row in frame.iterrows():
            cells = []
            for era in row:
                colour = _PALETTE[(ord(era[0]) - 65) % len(_PALETTE)] if era else "#fff"
                cells.append(f"<td class=era style='background:{colour}'>{era}</td>")
            out.append(f"<tr><td class=case>{html.escape(case_id)}</td>{''.join(cells)}</tr>")
        out.append("</table>")
    return "\n".join(out) + "\n"
