"""Branch coverage: per sampling call of the installed libraries, the algorithm branches listed
in ``suite/data/branches.toml`` (read by :mod:`rngsuite.core.branches`) against the catalog cases
that reach them.

A branch is *reached* when a case of the call, on one of the library's backends, passes
arguments that take it -- and, for a branch chosen by the random values themselves (``long``), a
deep case draws at least a million values of it (``[[deep]]`` rows with ``{n}``). A sampling call
the installed library has and the file neither splits into branches nor names as one path is
*not described*: a new sampler, or one nobody has read yet.

Use::

    python -m rngsuite report     # the table, in the report
    python -c 'from rngsuite.tools.branches import branch_table; print(branch_table())'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from rngsuite.core.branches import LONG, Branch, Branches, load_branches
from rngsuite.core.catalog import Call, Case, DeepCase, load_catalog, load_deep
from rngsuite.tools.coverage import LIBRARIES, Library, available


@dataclass(frozen=True)
class Reach:
    branch: Branch
    by: str | None  # the catalog or deep case that reaches it


@dataclass
class BranchCoverage:
    reaches: list[Reach] = field(default_factory=list)
    #: library -> sampling calls of the installed release the branches file does not describe.
    undescribed: dict[str, list[str]] = field(default_factory=dict)
    #: library -> how many sampling calls the installed release has, and how many are one path.
    calls: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def unreached(self) -> list[Reach]:
        return [r for r in self.reaches if r.by is None]


def _steps(library: Library, cases: Iterable[Case | DeepCase],
           ) -> dict[str, list[tuple[Call, str, bool]]]:
    """Library call name -> (call, case id, drawn long) for every case on the library's
    backends."""
    out: dict[str, list[tuple[Call, str, bool]]] = {}
    for case in cases:
        if not library.owns(case.backend):
            continue
        # A bare deep stream has no steps; a long draw's steps are its chunks' call.
        long = isinstance(case, DeepCase) and case.length >= LONG
        for step in case.steps:
            name = library.name_of(step.name)
            if name is not None:
                out.setdefault(name, []).append((step, case.id, long))
    return out


def branch_coverage(cases: Iterable[Case] | None = None,
                    deep_cases: Iterable[DeepCase] | None = None, *,
                    branches: Branches | None = None) -> BranchCoverage:
    """Every branch of the installed libraries' sampling calls, and the case reaching it."""
    everything: list[Case | DeepCase] = list(load_catalog() if cases is None else cases)
    everything += list(load_deep() if deep_cases is None else deep_cases)
    branches = load_branches() if branches is None else branches
    result = BranchCoverage()
    for library in LIBRARIES:
        public = available(library)
        if public is None:
            continue
        steps = _steps(library, everything)
        described = branches.described(library.name)
        result.undescribed[library.name] = [c for c in public if c not in described]
        single = set(branches.single.get(library.name, {}))
        result.calls[library.name] = (len(public), len(single & set(public)))
        for branch in branches.of(library.name):
            if branch.call not in public:
                continue  # not in the installed release (binomialvariate before Python 3.12)
            by = next((cid for step, cid, long in steps.get(branch.call, [])
                       if (long or not branch.long) and branch.takes(step)), None)
            result.reaches.append(Reach(branch, by))
    return result


def branch_table(coverage: BranchCoverage | None = None) -> str:
    """Markdown: per library, its calls, branches listed, reached, and what is not."""
    coverage = branch_coverage() if coverage is None else coverage
    lines = ["| library | sampling calls | one path | branches | reached | not reached | "
             "calls not described |", "|:--|--:|--:|--:|--:|:--|:--|"]
    by_library: dict[str, list[Reach]] = {}
    for r in coverage.reaches:
        by_library.setdefault(r.branch.library, []).append(r)
    for library, (calls, single) in coverage.calls.items():
        reaches = by_library.get(library, [])
        missing = [r for r in reaches if r.by is None]
        listed = ", ".join(f"`{r.branch.call}: {r.branch.name}`" for r in missing) or "–"
        undescribed = ", ".join(f"`{c}`" for c in coverage.undescribed.get(library, [])) or "–"
        lines.append(f"| {library} | {calls} | {single} | {len(reaches)} | "
                     f"{len(reaches) - len(missing)} | {listed} | {undescribed} |")
    total, missing = len(coverage.reaches), len(coverage.unreached)
    undescribed = sum(len(v) for v in coverage.undescribed.values())
    lines += ["", f"{total - missing} of {total} branches reached; {missing} not reached; "
                  f"{undescribed} sampling calls not described."]
    return "\n".join(lines)


__all__ = ["BranchCoverage", "Reach", "branch_coverage", "branch_table"]
