"""The ledger read for people: cases x recorded environments; what changes between two releases
of a package; every stream change between neighbouring recorded releases, and every stream that
differs by a condition (a CPU capability) within one release -- each with how much changed,
said plainly ("387 of 1,000 values differ, max 614 ULP"). ``findings_markdown`` makes the
findings page (``docs/findings.md``) from the ledger alone; the HTML page is
:mod:`rngsuite.tools.ledger_page`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import functools
import math
import re

import numpy as np
import pandas as pd
from packaging.specifiers import SpecifierSet

from rngsuite.checks import conditions
from rngsuite.core import provenance as prov
from rngsuite.core.catalog import parse_case, parse_deep_id
from rngsuite.core.compare import DEFAULT_ULP, compare
from rngsuite.core.ledger import Ledger
from rngsuite.core.provenance import natural_key
from rngsuite.core.store import Era, EraFile
from rngsuite.reference import models

#: The libraries whose releases label environments, in the order the findings list them.
PACKAGES = ("numpy", "torch", "pandas", "python")


# ------------------------------------------------------------------------------ differences
@dataclass(frozen=True)
class Difference:
    """How one era's values differ from another's, over all of a case's draws."""

    kind: str  # values | dtype | shape | draws | digest (a long draw: where it parts)
    n_diff: int = 0
    size: int = 0
    max_ulp: float | None = None
    detail: str = ""  # for dtype, shape and draw-count changes: what changed

    def cls(self, ulp: int = DEFAULT_ULP) -> str:
        """The class of the change: within N ULP (arithmetic noise), different, or a type
        change."""
        if self.kind != "values":
            return {"dtype": "dtype changed", "shape": "shape changed",
                    "draws": "draw count changed", "digest": "different"}[self.kind]
        return f"within {ulp} ULP" if self.max_ulp is not None and self.max_ulp <= ulp \
            else "different"

    def text(self) -> str:
        """The size of the change, said plainly: "387 of 1,000 values differ, max 614 ULP"."""
        if self.kind != "values":
            return self.detail
        out = f"{self.n_diff:,} of {self.size:,} values differ"
        return out + (f", max {ulp_text(self.max_ulp)} ULP" if self.max_ulp is not None else "")


def ulp_text(x: float) -> str:
    """A ULP distance for tables: ``1,024``; a NaN's changed bits are no distance: ``NaN``."""
    return f"{int(x):,}" if math.isfinite(x) else "NaN"


def _ulp_rank(text: str) -> float:
    return math.inf if text == "NaN" else float(text.replace(",", "")) if text != "–" else -1.0


def era_difference(ledger: Ledger, a: Era, b: Era, *, ulp: int = DEFAULT_ULP) -> Difference:
    """How era ``b``'s draws differ from era ``a``'s, all draws together."""
    if len(a.values) != len(b.values):
        return Difference("draws", detail=f"{len(a.values)} draws -> {len(b.values)}")
    n_diff = size = 0
    max_ulp = None
    for x, y in zip(a.values, b.values):
        result = compare(ledger.full(x), ledger.full(y), ulp=ulp)
        if result.kind in ("dtype", "shape"):
            return Difference(result.kind, detail=f"{result.kind} {result.expected_type} -> "
                                                  f"{result.actual_type}")
        size += result.size or int(ledger.full(x).size)
        n_diff += result.n_diff
        if result.max_ulp is not None:
            max_ulp = max(max_ulp or 0.0, result.max_ulp)
    return Difference("values", n_diff, size, max_ulp)


def combine(differences: Iterable[Difference], *, ulp: int = DEFAULT_ULP) -> dict[str, Any]:
    """Several cases' differences as one row: values that differ of how many, the largest ULP,
    and the worst class."""
    items = list(differences)
    rank = ["within", "different", "shape", "dtype", "draw"]
    worst = max((d.cls(ulp) for d in items), key=lambda c: rank.index(c.split()[0]))
    values = [d for d in items if d.kind == "values"]
    ulps = [d.max_ulp for d in values if d.max_ulp is not None]
    differ = (f"{sum(d.n_diff for d in values):,} of {sum(d.size for d in values):,}"
              if values else "; ".join(sorted({d.detail for d in items})))
    return {"values that differ": differ, "max ULP": ulp_text(max(ulps)) if ulps else "–",
            "class": worst}


# ------------------------------------------------------------------------------ tables
def ledger_frame(ledger: Ledger, backend: str) -> pd.DataFrame:
    """One backend's cases (rows) x environments (columns); cells are era names."""
    lf = ledger.files[backend]
    cells = {case_id: {env: era.name for era in eras for env in era.environments}
             for case_id, eras in lf.cases.items()}
    frame = pd.DataFrame.from_dict(cells, orient="index").reindex(
        columns=sorted(lf.environments, key=natural_key)).fillna("")
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
    rows.append({"backend": "deep streams", "cases": len(ledger.deep.cases),
                 "environments": len(ledger.deep.environments),
                 "cases with several eras": sum(len(e) > 1 for e in ledger.deep.cases.values())})
    return pd.DataFrame(rows).set_index("backend")


def known_divergences() -> pd.DataFrame:
    """Every known divergence row: where a guarantee does not hold, what holds instead, why."""
    from rngsuite.checks.divergences import KNOWN

    return pd.DataFrame([{"guarantee": r.guarantee, "backends": ", ".join(r.backends),
                          "condition": r.condition, "instead": r.expect, "why": r.note,
                          "source": r.source} for r in KNOWN.rows])


def ledger_tables(ledger: Ledger, *, changed_only: bool = False,
                  library: bool = True) -> str:
    """Markdown: the overview, stream changes, known divergences, uncovered calls and regimes,
    then one cases x environments table per backend (``library=False``, a user's own ledger:
    without the library's divergences, calls and regimes)."""
    from rngsuite.tools.branches import branch_table
    from rngsuite.tools.coverage import coverage_table
    from rngsuite.tools.regimes import regime_table

    parts = ["# rngsuite ledger", "", overview(ledger).to_markdown(), "",
             "## Stream changes between neighbouring recorded releases", "",
             changes_markdown(ledger),
             "## x86-64 → aarch64", "", machines_markdown(ledger)]
    if library:
        parts += [
            "## Known divergences", "", known_divergences().to_markdown(index=False), "",
            "## Sampling calls of the installed libraries", "", coverage_table(), "",
            "## Regimes of the installed libraries", "",
            "Per call, the dtypes, sizes, shapes, layouts, inputs, integer spans, parameters "
            "and seed kinds the installed release accepts (found by trying them), against the "
            "catalog cases that cover them (`suite/data/regimes.toml`).", "",
            regime_table(), "",
            "## Sampler branches of the installed libraries", "",
            "Per library, the algorithm branches of its sampling calls "
            "(`suite/data/branches.toml`, each read from the library's source) against the catalog cases that reach them; a "
            "branch chosen by the random values themselves needs a long draw (10**6 values).", "",
            branch_table(), ""]
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
        package, version = package.strip(), version.strip()
        if not sep or not package or not version:
            raise LookupError(f"{text!r}: write a release as PACKAGE==VERSION, e.g. torch==2.4")
        if not re.fullmatch(r"\d+(\.\d+)*(\+[A-Za-z0-9.]+)?", version):
            raise LookupError(f"{text!r}: {version!r} is not a release number (e.g. 2.4 or "
                              "2.4.1)")
        return cls(package, version)

    def key(self) -> tuple:
        """Order of releases: 2.4 before 2.13."""
        return natural_key(self.version.split("+")[0])

    def matches(self, version: str) -> bool:
        return version == self.version or version.startswith(self.version + ".") \
            or version.startswith(self.version + "+")


def releases_by_conditions(environments: Iterable[str],
                           package: str) -> dict[str, list[tuple[str, str]]]:
    """Environment labels grouped by their other conditions (CPU capability, machine...): for
    each, the (version, label) pairs of ``package``, oldest release first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for label in environments:
        if split := prov.split_label(label, package):
            groups.setdefault(split[1], []).append((split[0], label))
    for versions in groups.values():
        versions.sort(key=lambda v: natural_key(v[0]))
    return groups


def deep_difference(a: Any, b: Any) -> str:
    """Where two digests of a long draw part: the first block of values whose CRC differs."""
    parting = a.parting(b)
    if parting is None:
        return f"digest differs ({a.length} values)"
    return f"first differs in {parting[1]}"


def upgrade(ledger: Ledger, old: Spec, new: Spec, *, ulp: int = DEFAULT_ULP) -> pd.DataFrame:
    """Every case whose era differs between the two releases, in the same other conditions
    (CPU capability, machine...), with how far apart the values are and the first recorded
    release that has the new values."""
    if old.package != new.package:
        raise LookupError(f"--from {old.package} and --to {new.package} name different packages")
    rows, seen = [], {"from": False, "to": False}
    # Which release is older decides where a change came in, whichever way the report goes: a
    # downgrade undoes the changes of the releases between (reported as such, not as an upgrade).
    low, high = (old, new) if old.key() <= new.key() else (new, old)
    # The deep store too: a long draw is where a change in a rare branch shows (numpy#31238).
    for lf in [ledger.files[b] for b in sorted(ledger.files)] + [ledger.deep]:
        for rest, versions in releases_by_conditions(lf.environments, old.package).items():
            olds = [(ver, lab) for ver, lab in versions if old.matches(ver)]
            news = [(ver, lab) for ver, lab in versions if new.matches(ver)]
            seen["from"] |= bool(olds)
            seen["to"] |= bool(news)
            if not olds or not news:
                continue
            (v_before, before), (v_after, after) = _same_build(olds, news)
            builds = "" if _build(v_before) == _build(v_after) else \
                f" (builds {v_before} -> {v_after})"
            lo_label = before if low is old else after
            hi_label = after if low is old else before
            labels = [lab for _, lab in versions]
            for case_id, eras in lf.cases.items():
                era_of = {env: era for era in eras for env in era.environments}
                a, b = era_of.get(before), era_of.get(after)
                if a is None or b is None or a is b:
                    continue
                # The first recorded release after the older one that has the newer one's era.
                start, stop = labels.index(lo_label), labels.index(hi_label)
                newer = era_of[hi_label]
                first = next((ver for ver, lab in versions[start + 1:stop + 1]
                              if era_of.get(lab) is newer), "?")
                if lf is ledger.deep:
                    change, text = "different", deep_difference(a.values, b.values)
                else:
                    diff = era_difference(ledger, a, b, ulp=ulp)
                    change, text = diff.cls(ulp), diff.text()
                backend = lf.header.get("backend") or parse_deep_id(case_id).backend
                rows.append({"case": case_id, "call": call_name(backend, case_id),
                             "conditions": rest + builds, "from era": a.name,
                             "to era": b.name, "change": change, "values that differ": text,
                             "first release": f"{old.package} {first.split('+')[0]}"})
    for side, spec in (("from", old), ("to", new)):
        if not seen[side]:
            raise LookupError(f"no recorded environment has {spec.package}=={spec.version}")
    return pd.DataFrame(rows, columns=["case", "call", "conditions", "from era", "to era",
                                       "change", "values that differ", "first release"])


def _build(version: str) -> str:
    """A release's build family: ``2.7.1+cu126`` -> ``cuda``, ``+cpu`` -> ``cpu``, none ->
    ``""``."""
    local = version.partition("+")[2]
    return "cuda" if local.startswith("cu") and local != "cpu" else local


def _same_build(olds: list[tuple[str, str]], news: list[tuple[str, str]]
                ) -> tuple[tuple[str, str], tuple[str, str]]:
    """The newest (version, label) of each side, of one build family where both sides have one
    (a +cpu wheel compared with a +cu126 one would mix two builds into one upgrade)."""
    for old_v, old_l in reversed(olds):
        for new_v, new_l in reversed(news):
            if _build(old_v) == _build(new_v):
                return (old_v, old_l), (new_v, new_l)
    return olds[-1], news[-1]


def upgrade_markdown(ledger: Ledger, old: Spec, new: Spec, *, ulp: int = DEFAULT_ULP) -> str:
    """The upgrade (or downgrade) report: a summary per call first, then every case."""
    frame = upgrade(ledger, old, new, ulp=ulp)
    way = "Upgrading" if old.key() <= new.key() else "Downgrading"
    title = (f"# {way} {old.package} {old.version} -> {new.version}: "
             f"{frame['case'].nunique()} cases change")
    if not len(frame):
        return "\n".join([title, "", "No recorded stream changes.", ""])
    lead = ("" if way == "Upgrading" else
            f"A downgrade: each change below is one that {old.package} {old.version} brought "
            f"in (*first release*) and going back to {new.version} undoes.\n\n")
    summary = (frame.groupby("call", sort=True)
               .agg(cases=("case", "nunique"),
                    change=("change", lambda c: ", ".join(sorted(set(c)))),
                    conditions=("conditions", "nunique"),
                    **{"first release": ("first release",
                                         lambda r: ", ".join(sorted(set(r), key=natural_key)))})
               .reset_index().rename(columns={"conditions": "conditions seen"}))
    return "\n".join([title, "", lead + "## Per call", "", summary.to_markdown(index=False), "",
                      "## Every case", "", frame.drop(columns=["call"]).to_markdown(index=False),
                      ""])


def only_releases(ledger: Ledger, package: str, specs: Iterable[Spec]) -> Ledger:
    """The ledger seen through the given releases of ``package`` only: the environments of
    those releases, and the eras they drew (named as recorded) -- what ``report --from/--to
    --html/--findings`` draws its page from."""
    from dataclasses import replace

    specs = list(specs)

    def keep(label: str) -> bool:
        split = prov.split_label(label, package)
        return split is not None and any(s.matches(split[0]) for s in specs)

    def narrowed(lf: EraFile) -> EraFile:
        envs = {k: v for k, v in lf.environments.items() if keep(k)}
        cases = {}
        for case_id, eras in lf.cases.items():
            kept = [replace(e, environments=[x for x in e.environments if x in envs])
                    for e in eras]
            kept = [e for e in kept if e.environments]
            if kept:
                cases[case_id] = kept
        return replace(lf, environments=envs, cases=cases)

    files = {b: narrowed(lf) for b, lf in ledger.files.items()}
    return Ledger(ledger.root, {b: lf for b, lf in files.items() if lf.environments},
                  narrowed(ledger.deep))


# ------------------------------------------------------------------------------ changes
def call_body(backend: str, case_id: str) -> str:
    """``torch:cpu:randn(1000)@17`` -> ``randn(1000)``: the calls, without backend and seed."""
    # (A user's test-file store names its cases `file::test`: the second colon goes too.)
    return case_id[len(backend) + 1:].lstrip(":").rsplit("@", 1)[0]


def call_name(backend: str, case_id: str) -> str:
    """``torch:cpu:randn(1000)@17`` -> ``randn``; several steps join with ``;``."""
    body = call_body(backend, case_id)
    names = dict.fromkeys(step.split("(", 1)[0].split(".")[-1] for step in body.split(";"))
    return ";".join(names)


def _unconditioned(label: str, lf: EraFile) -> str:
    """``numpy-2.4.6/Linux/x86_64/openblas-...`` -> ``numpy-2.4.6/Linux/x86_64``: the label
    without the condition fields a case's label may end in, where the ledger has it."""
    parts = label.split("/")
    for n in range(len(parts) - 1, 0, -1):
        if "/".join(parts[:n]) in lf.environments and \
                all(p.rpartition("-")[0] not in PACKAGES for p in parts[n:]):
            return "/".join(parts[:n])
    return label


def _bit_stream(lf: EraFile, package: str, before: str, after: str, cache: dict) -> str:
    """Whether the backend's bit stream kept its values between two environments, judged by
    the cases that draw the words themselves (``reference.BIT_STREAM_CALLS``): "unchanged"
    (so the transform changed), "changed", or "not recorded"."""
    from rngsuite.reference import BIT_STREAM_CALLS

    backend = lf.header["backend"]
    # The raw-word cases carry no condition of conditions.toml: compare them in the
    # environments named without those fields.
    before, after = _unconditioned(before, lf), _unconditioned(after, lf)
    key = (backend, before, after)
    if key not in cache:
        pattern = BIT_STREAM_CALLS.get(package)
        verdicts = set()
        for case_id, eras in lf.cases.items():
            body = call_body(backend, case_id)
            if pattern is None or ";" in body or not pattern.fullmatch(body):
                continue
            era_of = {env: era for era in eras for env in era.environments}
            a, b = era_of.get(before), era_of.get(after)
            if a is not None and b is not None:
                verdicts.add(a is b)
        cache[key] = ("not recorded" if not verdicts else
                      "unchanged: the transform changed" if verdicts == {True}
                      else "changed")
    return cache[key]


def change_rows(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> list[dict[str, Any]]:
    """Every (case, conditions) whose era differs between neighbouring recorded releases of a
    package, attributed to the first release that has it, with the difference."""
    rows, cache = [], {}
    # The deep store too: its long draws are where changes in rare branches show.
    for store, lf in [(b, ledger.files[b]) for b in sorted(ledger.files)] + [("", ledger.deep)]:
        for package in PACKAGES:
            for rest, versions in releases_by_conditions(lf.environments, package).items():
                for case_id, eras in lf.cases.items():
                    if len(eras) < 2:
                        continue
                    backend = store or parse_deep_id(case_id).backend
                    era_of = {env: era for era in eras for env in era.environments}
                    # Neighbours among the releases that recorded this case: a case added later
                    # (recorded on fewer releases) is compared across the gap.
                    drew = [(v, lab) for v, lab in versions if lab in era_of]
                    for (v0, l0), (v1, l1) in zip(drew, drew[1:]):
                        a, b = era_of[l0], era_of[l1]
                        if a is b:
                            continue
                        long = lf is ledger.deep
                        rows.append({"package": package, "release": v1.split("+")[0],
                                     "previous": v0.split("+")[0], "backend": backend,
                                     "call": call_name(backend, case_id)
                                     + (" (long draw)" if long else ""), "case": case_id,
                                     "conditions": rest, "from": a, "to": b,
                                     "difference": Difference("digest", detail=deep_difference(
                                         a.values, b.values)) if long else
                                     era_difference(ledger, a, b, ulp=ulp),
                                     # A long draw's bit stream: its backend's raw words.
                                     "bit stream": _bit_stream(bits, package, l0, l1, cache)
                                     if (bits := ledger.files.get(backend) if long else lf)
                                     else "not recorded"})
    return rows


def changes(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> pd.DataFrame:
    """Every stream change between neighbouring recorded releases of a package, in the same
    other conditions, attributed to the first release that has it: one row per (package,
    release, backend, call), with the cases, the conditions and how much the values moved."""
    groups: dict[tuple, list[dict]] = {}
    for row in change_rows(ledger, ulp=ulp):
        key = (row["package"], row["previous"], row["release"], row["backend"], row["call"])
        groups.setdefault(key, []).append(row)
    out = []
    for (package, previous, release, backend, call), rows in groups.items():
        out.append({"package": package, "previous": previous, "release": release,
                    "backend": backend, "call": call,
                    "cases": len({r["case"] for r in rows}),
                    "conditions": ", ".join(sorted({r["conditions"] for r in rows})),
                    **combine((r["difference"] for r in rows), ulp=ulp),
                    "bit stream": ", ".join(sorted({r["bit stream"] for r in rows}))})
    columns = ["package", "previous", "release", "backend", "call", "cases", "conditions",
               "values that differ", "max ULP", "class", "bit stream"]
    frame = pd.DataFrame(out, columns=columns)
    if not len(frame):
        return frame
    order = frame["release"].map(natural_key)
    return frame.assign(_o=order).sort_values(["package", "_o", "backend", "call"]).drop(
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
    frame, said = uniform_column(frame, "bit stream")
    return tally + ("\n\n" + said.strip() if said else "") + "\n\n" + \
        frame.to_markdown(index=False) + "\n"


def uniform_column(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, str]:
    """A column that says the same in every row says nothing per row: drop it and say it once
    (the frame without it, and the sentence); else the frame as it is and no sentence."""
    values = set(frame[column]) if column in frame else set()
    if len(values) != 1 or len(frame) < 2:
        return frame, ""
    return frame.drop(columns=[column]), f" *{column}*, in every row: {values.pop()}."


# ------------------------------------------------------------------------------ conditions
def axis_package(lf: EraFile) -> str | None:
    """The library whose releases a backend's labels lead with (``torch`` for torch:cpu)."""
    first = next(iter(sorted(lf.environments)), "")
    package = first.split("/")[0].rpartition("-")[0]
    return package if package in PACKAGES else None


def distinguishing(conditions: Iterable[str]) -> dict[str, str]:
    """Each condition label named by the fields that tell it from the others: of
    ``DEFAULT/Linux/x86_64/GenuineIntel`` and ``DEFAULT/Linux/x86_64/AuthenticAMD``, the
    vendors -- never "DEFAULT vs DEFAULT" or "Linux vs Linux". Fields all share are left out;
    a label left with nothing is shown whole."""
    conditions = list(dict.fromkeys(conditions))
    parts = {c: c.split("/") for c in conditions}
    common = set.intersection(*(set(p) for p in parts.values())) if len(conditions) > 1 \
        else set()
    out = {}
    for c, fields in parts.items():
        kept = [f for f in fields if f not in common]
        out[c] = "/".join(kept) if kept else c
    if len(set(out.values())) < len(out):  # two labels would read the same: show them whole
        return {c: c for c in conditions}
    return out


def condition_rows(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> list[dict[str, Any]]:
    """Every (case, release) whose values differ between conditions of one release -- torch's
    CPU capabilities, say: which conditions draw which values, and how far apart they are."""
    rows = []
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        package = axis_package(lf)
        if package is None:
            continue
        by_release: dict[str, list[tuple[str, str]]] = {}
        for label in lf.environments:
            version, rest = prov.split_label(label, package)
            by_release.setdefault(version, []).append((rest, label))
        for case_id, eras in lf.cases.items():
            if len(eras) < 2:
                continue
            era_of = {env: era for era in eras for env in era.environments}
            for version, labels in by_release.items():
                groups: dict[str, list[str]] = {}
                for rest, label in sorted(labels):
                    if label in era_of:
                        groups.setdefault(era_of[label].name, []).append(rest)
                if len(groups) < 2:
                    continue
                named = {e.name: e for e in eras}
                first, *others = sorted(groups, key=lambda name: sorted(groups[name]))
                short = distinguishing(g for name in groups for g in groups[name])
                split = " ≠ ".join(" = ".join(short[g] for g in groups[name])
                                   for name in [first, *others])
                rows.append({"backend": backend, "package": package, "release": version,
                             "call": call_name(backend, case_id), "case": case_id,
                             "conditions": split,
                             "difference": combine([era_difference(ledger, named[first],
                                                                   named[o], ulp=ulp)
                                                    for o in others], ulp=ulp)})
    return rows


def condition_differences(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> pd.DataFrame:
    """One row per (backend, call, way the conditions split): the releases that draw other
    values under different conditions, and how much."""
    groups: dict[tuple, list[dict]] = {}
    for row in condition_rows(ledger, ulp=ulp):
        groups.setdefault((row["backend"], row["call"], row["conditions"]), []).append(row)
    out = []
    for (backend, call, split), rows in groups.items():
        releases = sorted({r["release"].split("+")[0] for r in rows}, key=natural_key)
        worst = max(rows, key=lambda r: _ulp_rank(r["difference"]["max ULP"]))
        out.append({"backend": backend, "call": call, "conditions": split,
                    "releases": _span(releases), "cases": len({r["case"] for r in rows}),
                    "max ULP": worst["difference"]["max ULP"],
                    "class": worst["difference"]["class"]})
    frame = pd.DataFrame(out, columns=["backend", "call", "conditions", "releases", "cases",
                                       "max ULP", "class"])
    return frame.sort_values(["backend", "call", "conditions"]).reset_index(drop=True)


def _span(releases: list[str]) -> str:
    return releases[0] if len(releases) == 1 else \
        f"{releases[0]} to {releases[-1]} ({len(releases)} releases)"


# ------------------------------------------------------------------------------ machines
#: The machine names a label may end in (platform.machine()), and what the report calls them.
ARCHES = {"x86_64": "x86-64", "AMD64": "x86-64", "aarch64": "aarch64", "arm64": "aarch64"}


def _arch_split(label: str, package: str) -> tuple[str, str, str] | None:
    """``torch-2.7.1+cpu/SVE256/Linux/aarch64`` -> (``2.7.1``, ``aarch64``, ``SVE256``): the
    release, the architecture and the other conditions (the OS and companions left out)."""
    split = prov.split_label(label, package)
    if split is None:
        return None
    parts = split[1].split("/")
    arch = next((ARCHES[p] for p in parts if p in ARCHES), None)
    if arch is None:
        return None
    rest = [p for p in parts if p not in ARCHES and p not in ("Linux", "Darwin", "Windows")
            and p.rpartition("-")[0] not in PACKAGES]
    return split[0].split("+")[0], arch, "/".join(rest) or "-"


def machine_rows(ledger: Ledger, *, ulp: int = DEFAULT_ULP, source: str = "x86-64",
                 target: str = "aarch64") -> list[dict[str, Any]]:
    """Every (case, release, target condition) recorded on both machines: whether the target
    draws what the source draws in that release, and how far apart when it does not."""
    rows = []
    bits: dict = {}
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        package = axis_package(lf)
        if package is None:
            continue
        where = {label: got for label in lf.environments
                 if (got := _arch_split(label, package)) is not None}
        if not any(arch == target for _, arch, _ in where.values()):
            continue
        for case_id, eras in lf.cases.items():
            era_of = {env: era for era in eras for env in era.environments if env in where}
            case = None
            for label, (release, arch, condition) in where.items():
                if arch != target or label not in era_of:
                    continue
                mine = era_of[label]
                theirs = [(where[o][2], era_of[o], o) for o in era_of
                          if where[o][:2] == (release, source)]
                if not theirs:
                    continue
                same = [c for c, era, _ in theirs if era is mine]
                # Compared with, where none agrees: the first x86 condition (AVX2 < AVX512 <
                # DEFAULT by name), the same one for every case.
                ref = min(theirs, key=lambda t: (t[0], t[2]))
                row = {"backend": backend, "package": package, "release": release,
                       "call": call_name(backend, case_id), "case": case_id,
                       "condition": condition, "same as": sorted(same), "difference": None,
                       # A condition of conditions.toml in the label (MKL on x86-64, none on
                       # aarch64): the machines run other code, not the same code differently.
                       "conditioned": bool(conditions.extra_fields(
                           case := case or parse_case(case_id), lf.environments[label],
                           device=lf.environments[label].get("device") or "cpu")),
                       "bit stream": _bit_stream(lf, package, ref[2], label, bits)}
                if not same:
                    row["difference"] = era_difference(ledger, ref[1], mine, ulp=ulp)
                rows.append(row)
    return rows


def machine_differences(ledger: Ledger, *, ulp: int = DEFAULT_ULP, source: str = "x86-64",
                        target: str = "aarch64") -> tuple[pd.DataFrame, str]:
    """x86-64 -> aarch64: one row per (backend, call, aarch64 condition) with a case that
    draws other values on aarch64 than on x86-64 in the same release; and a one-line tally."""
    rows = machine_rows(ledger, ulp=ulp, source=source, target=target)
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["backend"], row["call"], row["condition"]), []).append(row)
    out = []
    for (backend, call, condition), group in groups.items():
        differ = [r for r in group if r["difference"] is not None]
        if not differ:
            continue
        releases = sorted({r["release"] for r in differ}, key=natural_key)
        worst = combine([r["difference"] for r in differ], ulp=ulp)
        out.append({"backend": backend, "call": call, f"{target} condition": condition,
                    "releases": _span(releases),
                    "cases that differ": f"{len({r['case'] for r in differ})} of "
                                         f"{len({r['case'] for r in group})}",
                    "max ULP": worst["max ULP"], "class": worst["class"],
                    "bit stream": "; ".join(sorted({r["bit stream"] for r in differ}))})
    frame = pd.DataFrame(out, columns=["backend", "call", f"{target} condition", "releases",
                                       "cases that differ", "max ULP", "class", "bit stream"])
    compared = {(r["backend"], r["case"], r["release"], r["condition"]) for r in rows}
    differing = {(r["backend"], r["case"], r["release"], r["condition"]) for r in rows
                 if r["difference"] is not None}
    recorded = sorted({f"{r['package']} {r['release']}" for r in rows}, key=natural_key)
    tally = (f"{len(compared) - len(differing):,} of {len(compared):,} (case, release, "
             f"{target} condition) recordings draw what {source} draws in the same release; "
             f"{len(differing):,} differ. Releases recorded on both: "
             f"{', '.join(recorded) if recorded else 'none'}.")
    return frame.sort_values(["backend", "call"]).reset_index(drop=True), tally


def model_rows(ledger: Ledger, *, machine: str = "aarch64") -> pd.DataFrame:
    """Whether each reference model that names its catalog cases (``Model.cases``) gives the
    values recorded on ``machine``: per model and CPU capability, the releases, how many
    recordings were compared and how many the model gives bit for bit."""
    tally: dict[tuple[str, str], dict[str, Any]] = {}
    for model in models():
        if model.cases is None:
            continue
        pattern = re.compile(model.cases)
        for backend, lf in ledger.files.items():
            if not backend.startswith(model.library) or "compile" in backend \
                    or not backend.endswith(f":{model.device}"):
                continue
            for case_id, eras in lf.cases.items():
                seed = case_id.rpartition("@")[2]
                match = pattern.fullmatch(call_body(backend, case_id))
                if match is None or not seed.isdigit():
                    continue
                want = None
                for era in eras:
                    for label in era.environments:
                        got = _arch_split(label, model.library)
                        if got is None or got[1] != machine or \
                                prov.release(got[0]) not in SpecifierSet(model.versions):
                            continue
                        if want is None:
                            want = np.asarray(model.model(int(seed), int(match["n"]))).ravel()
                        values = ledger.full(era.values[0]).ravel()
                        same = values.shape == want.shape and np.array_equal(
                            values.astype(want.dtype), want)
                        row = tally.setdefault((model.name, got[2].split("/")[0]), {
                            "releases": set(), "compared": 0, "agree": 0,
                            "modelled": ", ".join(model.capabilities) or "all"})
                        row["releases"].add(got[0])
                        row["compared"] += 1
                        row["agree"] += int(same)
    out = [{"model": name, f"{machine} kernels": capability,
            "capabilities it models": row["modelled"],
            "releases": _span(sorted(row["releases"], key=natural_key)),
            "recordings compared": row["compared"],
            "holds": "yes" if row["agree"] == row["compared"] else
                     f"no ({row['compared'] - row['agree']} differ)"}
           for (name, capability), row in sorted(tally.items())]
    return pd.DataFrame(out, columns=["model", f"{machine} kernels", "capabilities it models",
                                      "releases", "recordings compared", "holds"])


def machines_markdown(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> str:
    """The report's and findings page's "x86-64 -> aarch64" section."""
    frame, tally = machine_differences(ledger, ulp=ulp)
    frame, said = uniform_column(frame, "bit stream")
    tally += ("\n\n" + said.strip() if said else "")
    return "\n".join([
        "Each aarch64 recording (under QEMU, `python -m rngsuite emulate`, docs/emulation.md) "
        "against the x86-64 recordings of the same release: *aarch64 condition* is torch's "
        "kernels there (DEFAULT: NEON; SVE256) and any condition a case's label carries "
        "(no-MKL). *bit stream* says whether the cases that draw the raw words agree between "
        "the two machines: if they do, only the transform differs.", "", tally, "",
        frame.to_markdown(index=False) if len(frame) else "No stream differs.", "",
        "The reference models (`suite/reference/`), computed here, against the aarch64 "
        "recordings of the catalog cases they draw: where a model holds, the emulated values "
        "are what the modelled algorithm computes (docs/emulation.md).", "",
        held.to_markdown(index=False) if len(held := model_rows(ledger)) else
        "No aarch64 recording of a modelled case.", ""])


# ------------------------------------------------------------------------------ findings
def recorded_frame(ledger: Ledger) -> pd.DataFrame:
    """Which releases of each library the ledger has recorded (each label's leading library),
    under which other conditions (the label's other parts, companion libraries left out)."""
    found: dict[str, tuple[set, set]] = {}
    for lf in [*ledger.files.values(), ledger.deep]:
        for label in lf.environments:
            package = label.split("/")[0].rpartition("-")[0]
            split = prov.split_label(label, package) if package in PACKAGES else None
            if split is None:
                continue
            versions, conditions = found.setdefault(package, (set(), set()))
            versions.add(split[0].split("+")[0])
            conditions.add("/".join(part for part in split[1].split("/")
                                    if part.rpartition("-")[0] not in PACKAGES))
    rows = [{"library": package, "releases": len(found[package][0]),
             "recorded releases": ", ".join(sorted(found[package][0], key=natural_key)),
             "conditions": ", ".join(sorted(found[package][1], key=natural_key))}
            for package in PACKAGES if package in found]
    return pd.DataFrame(rows)


#: Label parts a condition row adds to some cases only (conditions.toml: the CPU's vendor,
#: torch's MKL and BLAS, NumPy's BLAS kernels): a case without them is not missing them.
_CASE_CONDITIONS = re.compile(r"^(GenuineIntel|AuthenticAMD|emulated|MKL|no-MKL|mkl|"
                              r"openblas-.*|implementer-.*)$")


def condition_coverage(ledger: Ledger) -> pd.DataFrame:
    """Per backend, for the newest release of its library the ledger holds: each condition it
    was recorded at (CPU kernels, compiler, OS, machine), how many of its cases were recorded
    there, and which were not (the first three ids) -- what ``record --missing`` on such a
    machine would fill."""
    rows = []
    for store, lf in sorted(ledger.files.items()):
        package = next((p for p in PACKAGES if store.startswith(p)), None)
        if package is None:
            continue
        by_case: dict[str, set[tuple[str, str]]] = {}
        for case_id, eras in lf.cases.items():
            for era in eras:
                for label in era.environments:
                    split = prov.split_label(label, package)
                    if split is None:
                        continue
                    core = "/".join(p for p in split[1].split("/")
                                    if not _CASE_CONDITIONS.match(p)
                                    and p.rpartition("-")[0] not in PACKAGES)
                    by_case.setdefault(case_id, set()).add((split[0].split("+")[0], core))
        releases = {r for found in by_case.values() for r, _ in found}
        if not releases:
            continue
        newest = max(releases, key=prov.release)
        cores = sorted({c for found in by_case.values() for r, c in found if r == newest},
                       key=natural_key)
        # Only the cases the newest release drew somewhere: a case it cannot draw is no gap.
        drawn = [cid for cid, found in by_case.items() if any(r == newest for r, _ in found)]
        for core in cores:
            lacking = sorted(cid for cid in drawn if (newest, core) not in by_case[cid])
            rows.append({"backend": store, "release": f"{package} {newest}",
                         "condition": core, "cases recorded": len(drawn) - len(lacking),
                         "not recorded": (f"{len(lacking)}: " + ", ".join(
                             f"`{c}`" for c in lacking[:3]) + (", …" if len(lacking) > 3
                                                                 else "")) if lacking else "–"})
    return pd.DataFrame(rows)


def reported_breaks(ledger: Ledger) -> pd.DataFrame:
    """Per upstream report (``[[reported]]`` in divergences.toml): the torch releases whose
    recordings of its cases agree with eager's (at the same CPU capability) and those that
    differ, from the ledger alone."""
    from rngsuite.checks.divergences import load_reported

    def by_release(store: str, case_id: str) -> dict[tuple[str, str], tuple]:
        out = {}
        for era in ledger.eras(store, case_id):
            values = tuple(d.sha256 for d in era.values)
            for label in era.environments:
                split = prov.split_label(label, "torch")
                if split:
                    version, rest = split
                    out[(version.split("+")[0], rest.split("/")[0])] = values
        return out

    rows = []
    for row in load_reported():
        same: set[str] = set()
        differ: set[str] = set()
        for case in row.cases:
            compiled = by_release(row.backend, f"{row.backend}:{case}")
            eager = by_release(row.eager, f"{row.eager}:{case}")
            for key, values in compiled.items():
                if key in eager:
                    (same if eager[key] == values else differ).add(f"{key[0]} {key[1]}")
        same -= differ
        order = functools.partial(sorted, key=natural_key)
        verdict = ("reproduced" if differ else "not reproduced" if same else "not recorded")
        rows.append({"report": row.report, "claim": row.claim, "backend": row.backend,
                     "cases": ", ".join(row.cases), "verdict": verdict,
                     "agree with eager": ", ".join(order(same)) or "–",
                     "differ from eager": ", ".join(order(differ)) or "–"})
    return pd.DataFrame(rows)


def findings_markdown(ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> str:
    """The findings page: what is recorded, every stream change between neighbouring recorded
    releases, every stream that differs by condition within a release, and the known
    divergences -- generated from the ledger, never edited by hand."""
    conditions = condition_differences(ledger, ulp=ulp)
    parts = [
        "# rngsuite findings", "",
        "Generated from the ledger (`golden/`) by `python -m rngsuite report --findings "
        "docs/findings.md`; do not edit by hand. The same ledger as a picture, one colour per "
        "set of values: [ledger.html](ledger.html) (`python -m rngsuite report --html "
        "docs/ledger.html`).", "",
        "How much changed is counted over every draw of every case: *values that differ* of "
        f"all recorded values, and the largest distance in ULP (floats). *within {ulp} ULP* is "
        "arithmetic noise (another kernel or libm); *different* is another stream. *bit stream* "
        "says whether the cases that draw the raw words (NumPy's `random_raw`, torch's `rand`) "
        "kept their values across the same step: if they did, only the transform changed.", "",
        "## What is recorded", "", recorded_frame(ledger).to_markdown(index=False), "",
        "## Conditions recorded per case", "",
        "For the newest recorded release of each backend's library: each condition it was "
        "recorded at, and the cases recorded there or not (a condition a case's stream does not "
        "depend on -- the CPU's vendor, a BLAS -- is not counted against it). `python -m "
        "rngsuite record --missing` on a machine with a condition draws exactly the cases its "
        "labels lack; `python -m rngsuite matrix --check` lists the releases and conditions "
        "missing from the matrix.", "",
        condition_coverage(ledger).to_markdown(index=False), "",
        "## Stream changes between neighbouring recorded releases", "",
        "Each change is attributed to the first recorded release that has it; `python -m rngsuite "
        "bisect CASE --package P` names the exact release where only neighbours are recorded.",
        "", changes_markdown(ledger, ulp=ulp),
        "## Streams that differ by condition within one release", "",
        "The same release drawing other values under another condition (torch's CPU kernels: "
        "`ATEN_CPU_CAPABILITY` = AVX512, AVX2, or the generic DEFAULT, called NO_AVX before "
        "2.9). `a = b ≠ c`: conditions a and b draw the same values, c others.", "",
        conditions.to_markdown(index=False) if len(conditions) else "None recorded.", "",
        "## x86-64 → aarch64", "", machines_markdown(ledger, ulp=ulp),
        "## Known divergences", "",
        "Where a guarantee people assume does not hold (`suite/data/divergences.toml`); each row's "
        "witness example is run by every verify.", "",
        known_divergences().to_markdown(index=False), "",
        "## Breaks reported upstream, checked against the ledger", "",
        "Each report's cases (`[[reported]]` in `suite/data/divergences.toml`): the reported "
        "backend's recorded values against eager's, per torch release and CPU capability. "
        "*not reproduced*: every recorded release agrees with eager; *reproduced* ones are "
        "known divergences above, with witnesses.", "",
        reported_breaks(ledger).to_markdown(index=False), ""]
    return "\n".join(parts)
