"""How deep the evidence is where a run meets what the ledger never recorded.

"matches" on a release or a CPU condition the ledger has not seen says only that the cases
drawn gave a recorded era's values: the depth of that evidence is the releases and conditions
compared with, how many cases matched, and which sampler branches those cases reach. A run
prints it per backend (:func:`evidence_lines`), so that an unseen release that matches is read
as evidence of a given depth, not as conformance.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any, Iterable

from rngsuite.core.provenance import natural_key, release, split_label


def _library(store: str) -> str:
    """``numpy.Generator(PCG64)`` -> ``numpy``; ``torch:cpu`` -> ``torch``; ``deep`` stays."""
    return re.match(r"[a-z]*", store).group() or store


def _span(versions: Iterable[str]) -> str:
    found = sorted({v for v in versions if release(v) is not None}, key=release)
    if not found:
        return "none"
    return found[0] if len(found) == 1 else f"{found[0]}–{found[-1]} ({len(found)} releases)"


def evidence_lines(unseen: Iterable[tuple[str, str, str, str]], ledger: Any, *,
                   reached: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """One paragraph per backend whose label this run was never recorded under.

    ``unseen``: (store, label, status, case id) of each verdict whose label the store lacks;
    ``reached``: library -> (branches its matching cases reach, branches it has)."""
    by_store: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for store, label, status, case_id in unseen:
        by_store[store].append((label, status, case_id))
    lines: list[str] = []
    for store in sorted(by_store):
        rows = by_store[store]
        library = _library(store)
        recorded = ledger.file(store)
        labels = sorted(recorded.environments if recorded else {}, key=natural_key)
        mine = sorted({label for label, _, _ in rows}, key=natural_key)
        here = [split_label(label, library) for label in mine]
        theirs = [s for label in labels if (s := split_label(label, library))]
        releases = {v.split("+")[0] for v, _ in theirs}
        conditions = sorted({c for _, c in theirs}, key=natural_key)
        what = []
        for found, label in zip(here, mine):
            if found is None:
                what.append(f"{label} (never recorded)")
                continue
            version, condition = found
            if version.split("+")[0] in releases:
                what.append(f"{library} {version} is recorded, but not at {condition}")
            else:
                what.append(f"{library} {version} was never recorded")
        tally = Counter(status for _, status, _ in rows)
        judged = sum(tally.values())
        line = (f"{store}: {'; '.join(what)}. Compared with {library} "
                f"{_span(v for v, _ in theirs)} at {len(conditions)} condition"
                f"{'s' if len(conditions) != 1 else ''} ({', '.join(conditions[:3])}"
                f"{', …' if len(conditions) > 3 else ''}): {tally['matches']} of {judged} cases "
                f"match a recorded era, {tally['changed']} changed, {tally['unrecorded']} "
                "never recorded")
        if reached and library in reached:
            hit, total = reached[library]
            line += f"; the matching cases reach {hit} of {total} {library} sampler branches"
        lines.append(line + ".")
    if lines:
        lines.append("Read \"matches\" here as evidence of this depth, not as conformance: a "
                     "stream none of these cases draws, or a branch none reaches, may differ.")
    return lines


def branches_reached(cases: Iterable[Any], deep_cases: Iterable[Any]) -> dict[str, tuple[int,
                                                                                          int]]:
    """library -> (branches the given cases reach, branches the library has)."""
    from rngsuite.tools.branches import branch_coverage

    coverage = branch_coverage(list(cases), list(deep_cases))
    out: dict[str, list[int]] = {}
    for reach in coverage.reaches:
        hit_total = out.setdefault(_library(reach.branch.library), [0, 0])
        hit_total[1] += 1
        hit_total[0] += reach.by is not None
    return {k: (v[0], v[1]) for k, v in out.items()}
