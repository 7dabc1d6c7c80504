"""How deep the evidence is where a run meets what the ledger never recorded.

"matches" on a release or a CPU condition the ledger has not seen says only that the cases
drawn gave a recorded era's values: the depth of that evidence is the releases and conditions
compared with, how many cases matched, and which sampler branches those cases reach. A run
prints it per backend (:func:`evidence_lines`), so that an unseen release that matches is read
as evidence of a given depth, not as conformance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable

from rngsuite.core.ledger import library_of
from rngsuite.core.provenance import natural_key, release, split_label


def _span(versions: Iterable[str]) -> str:
    found = sorted({v for v in versions if release(v) is not None}, key=release)
    if not found:
        return "none"
    return found[0] if len(found) == 1 else f"{found[0]}–{found[-1]} ({len(found)} releases)"


def evidence_lines(unseen: Iterable[tuple[str, str, str, str]], ledger: Any, *,
                   reached: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """One paragraph per backend whose label this run was never recorded under.

    ``unseen``: (backend, label, status, case id) of each verdict whose label its ledger file
    lacks -- a long draw's backend is its case's; ``reached``: backend -> (branches its
    matching cases reach, branches its libraries' calls have)."""
    by_store: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for backend, label, status, case_id in unseen:
        by_store[backend].append((label, status, case_id))
    lines: list[str] = []
    for store in sorted(by_store):
        rows = by_store[store]
        library = library_of(store)
        recorded = ledger.file(store)
        labels = sorted(recorded.environments if recorded else {}, key=natural_key)
        mine = sorted({label for label, _, _ in rows}, key=natural_key)
        theirs = [s for label in labels if (s := split_label(label, library))]
        releases = {v.split("+")[0] for v, _ in theirs}
        conditions = sorted({c for _, c in theirs}, key=natural_key)
        what: list[str] = []
        for label in mine:
            found = split_label(label, library)
            if label in labels:  # the backend's file holds it: only its long draws lack it
                said = f"{label}'s long draws were never recorded"
            elif found is None:
                said = f"{label} was never recorded"
            elif found[0].split("+")[0] in releases:
                said = f"{library} {found[0]} is recorded, but not at {found[1]}"
            else:
                said = f"{library} {found[0]} was never recorded"
            if said not in what:
                what.append(said)
        tally = Counter(status for _, status, _ in rows)
        judged = sum(tally.values())
        line = (f"{store}: {'; '.join(what)}. Compared with {library} "
                f"{_span(v for v, _ in theirs)} at {len(conditions)} condition"
                f"{'s' if len(conditions) != 1 else ''} ({', '.join(conditions[:3])}"
                f"{', …' if len(conditions) > 3 else ''}): {tally['matches']} of {judged} cases "
                f"and long draws match a recorded era, {tally['changed']} changed, "
                f"{tally['unrecorded']} never recorded")
        if reached and store in reached:
            hit, total = reached[store]
            line += f"; the matching ones reach {hit} of {total} sampler branches of its calls"
        lines.append(line + ".")
    if lines:
        lines.append("Read \"matches\" here as evidence of this depth, not as conformance: a "
                     "stream none of these cases draws, or a branch none reaches, may differ.")
    return lines


def branches_reached(cases: Iterable[Any], deep_cases: Iterable[Any],
                     backends: Iterable[str]) -> dict[str, tuple[int, int]]:
    """backend -> (branches the given cases reach, branches of its libraries' calls): a
    backend's libraries are those that own it (``numpy.RandomState``: NumPy's legacy calls)."""
    from rngsuite.tools.branches import branch_coverage
    from rngsuite.tools.coverage import LIBRARIES

    coverage = branch_coverage(list(cases), list(deep_cases))
    out = {}
    for backend in backends:
        names = {lib.name for lib in LIBRARIES if lib.owns(backend)}
        mine = [r for r in coverage.reaches if r.branch.library in names]
        if mine:
            out[backend] = (sum(r.by is not None for r in mine), len(mine))
    return out
