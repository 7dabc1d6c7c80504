"""One pytest session of rngsuite: its ledger, devices, cases, backends and verdicts, held in a
:class:`Run` that the ``rngsuite`` fixture hands to the conformance modules."""

from __future__ import annotations

from collections import Counter

import pytest

from suite.backends import Backend, registry
from suite.checks import engine
from suite.checks.recording import Recorder, conflict_message
from suite.checks.verdict import Verdict
from suite.core.catalog import Case
from suite.core.ledger import Ledger


class Run:
    """One session's ledger, backends, cases and verdicts."""

    def __init__(self, *, ledger: Ledger, devices: list[str], catalog: list[Case],
                 cases: list[Case], record: bool, ulp: int, deep_globs: list[str],
                 nightly: bool) -> None:
        self.ledger, self.devices, self.cases = ledger, devices, cases
        #: With --case, the properties run on the selected cases' backends only.
        self.focus = {c.backend for c in cases} if len(cases) < len(catalog) else None
        self.catalog = {c.id: c for c in catalog}
        self.record_mode, self.ulp = record, ulp
        #: --case globs, which select deep cases as they select catalog cases.
        self.deep_globs = deep_globs
        #: Whether the nightly tier (deep cases over 10**7 values) runs.
        self.nightly = nightly
        self.backends: dict[str, Backend] = registry(devices)
        self.recorder = Recorder(ledger)
        self.verdicts: list[Verdict] = []
        #: Under pytest-xdist the controller runs no test: the workers' verdict counts, per
        #: (store, status), arrive here when each worker finishes (suite.pytest_plugin.summary).
        self.remote: Counter[tuple[str, str]] = Counter()

    def check(self, case: Case) -> Verdict:
        """Judge one catalog case (and record it in record mode)."""
        backend = self.backends[case.backend]
        absent = engine.absent_calls(backend, case)
        if absent:
            # Only reached when an older (or this) release drew the case: a call went away.
            drawn = engine.drawn_before(self.ledger, backend, case)
            which = ", ".join(drawn) if len(drawn) <= 3 else \
                f"{drawn[0]} to {drawn[-1]} ({len(drawn)} releases)"
            pytest.fail(f"{case.id}: {absent}, yet {backend.library} {which} drew it (see the "
                        f"ledger): removed or renamed in this release?", pytrace=False)
        return self.settle(engine.check(case, backend, self.ledger, ulp=self.ulp))

    def settle(self, verdict: Verdict) -> Verdict:
        """A verdict's consequence: in record mode it is recorded (a conflict fails), else a
        verdict that is not ok fails with its message."""
        self.verdicts.append(verdict)
        if self.record_mode:
            result = self.recorder.add(verdict)
            if result.outcome == "conflict":
                pytest.fail(conflict_message(verdict, result.era), pytrace=False)
        elif not verdict.ok:
            pytest.fail(verdict.message(), pytrace=False)
        return verdict


RUN = pytest.StashKey[Run]()
