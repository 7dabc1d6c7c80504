"""One pytest session of rngsuite: its ledger, devices, cases, backends and verdicts, held in a
:class:`Run` that the ``rngsuite`` fixture hands to the conformance modules."""

from __future__ import annotations

from collections import Counter

import pytest

from rngsuite.backends import Backend, registry
from rngsuite.checks import engine
from rngsuite.checks.recording import Recorder, conflict_message
from rngsuite.checks.verdict import Verdict
from rngsuite.core.catalog import Case
from rngsuite.core.ledger import Ledger


class Run:
    """One session's ledger, backends, cases and verdicts."""

    def __init__(self, *, ledger: Ledger, devices: list[str], catalog: list[Case],
                 cases: list[Case], record: bool, ulp: int, deep_globs: list[str],
                 nightly: bool, tiers: set[str] = frozenset(), long: bool = True) -> None:
        self.ledger, self.devices, self.cases = ledger, devices, cases
        #: With --case, the properties run on the selected cases' backends only.
        self.focus = {c.backend for c in cases} if len(cases) < len(catalog) else None
        self.catalog = {c.id: c for c in catalog}
        self.record_mode, self.ulp = record, ulp
        #: --case globs, which select deep cases as they select catalog cases.
        self.deep_globs = deep_globs
        #: Whether the nightly tier (deep cases over 10**7 values) runs.
        self.nightly = nightly
        #: Whether the long draws of sampler branches run (``RNGSUITE_DEEP=no-long`` leaves
        #: them out: to measure what they cost, and what they catch that nothing else does).
        self.long = long
        #: The tiers this run takes on (``--compiled``): a backend of another tier is one skip.
        self.tiers = set(tiers)
        self.backends: dict[str, Backend] = registry(devices)
        self.recorder = Recorder(ledger)
        self.verdicts: list[Verdict] = []
        #: (backend, label, status, case id) of each verdict under a label its ledger file
        #: lacks (a long draw's backend is its case's: its evidence is told with the backend's).
        self.unseen: list[tuple[str, str, str, str]] = []
        #: Under pytest-xdist the controller runs no test: the workers' verdict counts, per
        #: (store, status), arrive here when each worker finishes (rngsuite.pytest_plugin.summary).
        self.remote: Counter[tuple[str, str]] = Counter()
        #: Cases the installed release refuses to draw (a dtype or regime newer than it) that no
        #: older release drew: not judged, listed in the summary.
        self.refused: list[str] = []

    def off_tier(self, backend: Backend) -> str | None:
        """Why a backend's checks do not run in this run (its tier is off), or None. Cases
        that ``--case`` names run whatever their tier."""
        if backend.tier is None or backend.tier in self.tiers or (
                self.focus is not None and backend.name in self.focus):
            return None
        return (f"{backend.name}: the {backend.tier} tier (python -m rngsuite verify "
                f"--{backend.tier}, or --profile nightly)")

    def check(self, cases: list[Case]) -> None:
        """Judge catalog cases -- one call's on one backend -- in one go (and record them in
        record mode): the test fails once, naming every case that did not conform, the first
        ones in full. A call the installed release lacks is reached here only when an older
        release drew it (the ``golden_cases`` input skips a call newer than the release): it
        went away, and that fails too."""
        problems = []
        for case in cases:
            backend = self.backends[case.backend]
            absent = engine.absent_calls(backend, case)
            if absent:
                drawn = engine.drawn_before(self.ledger, backend, case)
                which = ", ".join(drawn) if len(drawn) <= 3 else \
                    f"{drawn[0]} to {drawn[-1]} ({len(drawn)} releases)"
                text = (f"{case.id}: {absent}, yet {backend.library} {which} drew it (see the "
                        "ledger): removed or renamed in this release?")
                problems.append((text, text))
                continue
            try:
                verdict = engine.check(case, backend, self.ledger, ulp=self.ulp)
            except engine.Refused as exc:
                reason = str(exc)
                drawn = engine.drawn_before(self.ledger, backend, case)
                if not drawn:
                    # A regime newer than this release (torch.uint16 before 2.3): not a failure.
                    self.refused.append(f"{case.id}: {reason}")
                    continue
                text = (f"{case.id}: the installed release refuses it ({reason}), yet "
                        f"{backend.library} {', '.join(drawn[-3:])} drew it (see the ledger): "
                        f"a regime removed in this release?\n  reproduce: "
                        f"{backend.snippet(case)}")
                problems.append((text.splitlines()[0], text))
                continue
            problem = self.judged(verdict)
            if problem:
                problems.append((verdict.summary(), problem))
        if problems:
            pytest.fail(_failures(problems, len(cases)), pytrace=False)

    def settle(self, verdict: Verdict) -> Verdict:
        """A verdict's consequence: in record mode it is recorded (a conflict fails), else a
        verdict that is not ok fails with its message."""
        problem = self.judged(verdict)
        if problem:
            pytest.fail(problem, pytrace=False)
        return verdict

    def judged(self, verdict: Verdict) -> str | None:
        """Count the verdict, record it in record mode; what is wrong with it, or None."""
        self.verdicts.append(verdict)
        if verdict.label not in verdict.recorded:
            # A label the ledger never held (a release or condition unseen): the run's end says
            # how deep the evidence for its verdicts is (rngsuite.tools.evidence).
            self.unseen.append((verdict.case.backend, verdict.label, verdict.status,
                                verdict.case.id))
        if self.record_mode:
            result = self.recorder.add(verdict)
            return conflict_message(verdict, result.era) if result.outcome == "conflict" \
                else None
        return None if verdict.ok else verdict.message()


#: A failing group shows this many cases in full, then one line for each other case.
SHOWN_IN_FULL = 3


def _failures(problems: list[tuple[str, str]], of: int) -> str:
    """The first failures in full, then one line each for the rest."""
    lines = [f"{len(problems)} of {of} cases failed"] if of > 1 else []
    lines += [full for _, full in problems[:SHOWN_IN_FULL]]
    rest = [summary for summary, _ in problems[SHOWN_IN_FULL:]]
    if rest:
        lines.append(f"and {len(rest)} more (python -m rngsuite verify --case 'ID' shows each "
                     "in full):\n" + "\n".join(f"  {line}" for line in rest))
    return "\n".join(lines)


RUN = pytest.StashKey[Run]()
