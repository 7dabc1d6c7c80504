"""The record flow, one for every command that records -- ``python -m rngsuite record``,
``verify --record`` (under pytest, and from each xdist worker), ``deep record``, ``merge``: add
each verdict's values to the ledger in memory, count the outcomes, keep every conflict's
message, then write under the ledger's lock and say what was done in one line."""

from __future__ import annotations

from collections import Counter

from rngsuite.checks.verdict import Verdict
from rngsuite.core.ledger import Ledger
from rngsuite.core.store import Recorded


def record(verdict: Verdict, ledger: Ledger) -> Recorded:
    """Add the verdict's environment and values to the ledger (in memory)."""
    return ledger.record(verdict.store, verdict.case.id, verdict.label, verdict.env,
                         verdict.values)


def conflict_message(verdict: Verdict, era: str) -> str:
    """Why a recording was refused: this environment already holds other values."""
    return (f"{verdict.case.id}: this environment ({verdict.label}) is already recorded in era "
            f"{era} with other values: the stream is not deterministic here, or the backend "
            f"misses a provenance field\n{verdict.message()}")


class Recorder:
    """Records verdicts into one ledger, counting outcomes (new-case, new-era, joined,
    unchanged, conflict) and keeping each conflict's message."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.outcomes: Counter[str] = Counter()
        self.conflicts: list[str] = []
        self.files_written = 0

    def add(self, verdict: Verdict) -> Recorded:
        result = record(verdict, self.ledger)
        self.count(result)
        if result.outcome == "conflict":
            self.conflicts.append(conflict_message(verdict, result.era))
        return result

    def count(self, result: Recorded) -> None:
        self.outcomes[result.outcome] += 1

    def save(self) -> int:
        """Write what was recorded; returns how many files changed."""
        written = self.ledger.save()
        self.files_written += written
        return written

    def summary(self) -> str:
        """One line: how many cases, into which ledger, with what outcomes, how many files."""
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "nothing"
        return (f"recorded {sum(self.outcomes.values())} cases into {self.ledger.root}: {done}; "
                f"{self.files_written} files written")
