"""rngsuite's pytest plugin for a user's own streams: the ``rng_golden`` fixture.

Installed with rngsuite (an entry point), it is inert until a test asks for ``rng_golden`` or
the run passes ``--rngsuite-record``: it adds two options and an ini key, prints nothing and
imports nothing beyond pytest, so installing rngsuite changes no other project's test run
(``tests/test_user_plugin.py`` shows it)::

    def test_first_batch(rng_golden):
        rng_golden.check(first_batch(seed=17), seed=17)

A checked value -- an array, a tensor, a number, or a dict/list/tuple of them (a batch, a
``state_dict``) -- is judged against the project's own ledger (``[tool.rngsuite] ledger`` in
its ``pyproject.toml``, or the ``rngsuite_ledger`` ini key; ``rng_golden/`` by default) exactly
as ``rngsuite verify`` judges the library's cases: eras, provenance, the 3 a.m. message. A
stream never recorded, or changed, fails the test; ``--rngsuite-record`` records it instead (a
new era when it changed) and says so at the end. ``rngsuite report|doctor|merge --ledger
rng_golden`` read the same ledger.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

#: The project's ledger when neither pyproject.toml nor the ini names one.
DEFAULT_USER_LEDGER = "rng_golden"

_STATE = pytest.StashKey["_Streams"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rngsuite", "rngsuite: checks of your own seeded streams")
    group.addoption("--rngsuite-record", action="store_true", default=False,
                    help="record the values rng_golden checks into the project's ledger (new "
                         "streams, and a new era for each changed one) instead of failing")
    group.addoption("--rngsuite-ulp", type=int, default=None, metavar="N",
                    help="within how many ULP a changed float counts as 'within N ULP' in "
                         "messages (default 8; any difference still fails)")
    parser.addini("rngsuite_ledger", "the folder of the project's rngsuite ledger (default: "
                  "[tool.rngsuite] ledger in pyproject.toml, else rng_golden/)", default=None)


class _Streams:
    """The session's user ledger, read on first use; what was recorded, written at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.ledger = None
        self.recorder = None
        self.notes: list[str] = []

    @property
    def root(self) -> Path:
        from rngsuite.tools.project import ledger_dir, within

        ini = self.config.getini("rngsuite_ledger")
        if ini:
            return within(self.config.rootpath, ini, "rngsuite_ledger (ini)")
        return ledger_dir(self.config.rootpath) or Path(self.config.rootpath,
                                                        DEFAULT_USER_LEDGER)

    def open(self):
        if self.ledger is None:
            from rngsuite.checks.recording import Recorder
            from rngsuite.core.ledger import Ledger

            self.ledger = Ledger.load(self.root, missing_ok=True)
            self.recorder = Recorder(self.ledger)
        return self.ledger


class RngGolden:
    """The ``rng_golden`` fixture's object: :meth:`check` one value per call."""

    def __init__(self, state: _Streams, request: pytest.FixtureRequest) -> None:
        self._state = state
        self._nodeid = request.node.nodeid
        self._store = self._nodeid.split("::", 1)[0]
        self._names: set[str] = set()
        #: This test's recordings, added to the session's when the test ends (:meth:`_commit`):
        #: a test that checks a name twice records nothing.
        self._pending: list[Any] = []
        self._refused = False

    def check(self, value: Any, *, name: str | None = None, seed: Any = None) -> None:
        """Judge ``value`` against the project's ledger; fail the test with the 3 a.m.
        message when it was never recorded or changed (record it with --rngsuite-record).
        ``name`` tells apart several values of one test; ``seed`` is said in messages."""
        from rngsuite.checks import streams
        from rngsuite.core.settings import BadInput

        stream_id = self._nodeid if name is None else f"{self._nodeid}[{name}]"
        if stream_id in self._names:
            self._refused, self._pending = True, []
            pytest.fail(f"rng_golden.check: {stream_id!r} is checked twice in one test; give "
                        "each value its own name= (nothing of this test was recorded)",
                        pytrace=False)
        self._names.add(stream_id)
        quoted = shlex.quote(self._nodeid)
        stream = streams.Stream(
            stream_id, self._store, () if seed is None else (seed,),
            reproduce=f"python -m pytest {quoted}",
            record_command=f"python -m pytest {quoted} --rngsuite-record")
        config = self._state.config
        ulp = config.getoption("rngsuite_ulp")
        try:
            ledger = self._state.open()
            verdict = streams.check(stream, value, ledger,
                                    **({} if ulp is None else {"ulp": ulp}))
        except BadInput as exc:  # a damaged ledger file, or a value that cannot be stored
            pytest.fail(f"rng_golden: {exc}", pytrace=False)
        if config.getoption("rngsuite_record"):
            if verdict.status != "conforms":
                self._pending.append(verdict)
            return
        if not verdict.ok:
            # The message ends with the record advice: the pytest command with its option.
            pytest.fail(verdict.message(), pytrace=False)

    def _commit(self) -> None:
        """The test's recordings, into the session's recorder (written at its end)."""
        recorder = self._state.recorder
        for verdict in [] if self._refused else self._pending:
            result = recorder.add(verdict)
            if result.outcome == "conflict":
                pytest.fail(recorder.conflicts[-1], pytrace=False)
            self._state.notes.append(f"{verdict.case.id}: {result.outcome}"
                                     + (f" (era {result.era})" if result.era else ""))


@pytest.fixture
def rng_golden(request: pytest.FixtureRequest):
    """Checks a value your code drew -- arrays, tensors, numbers, dicts/lists of them --
    against the project's rngsuite ledger: ``rng_golden.check(value, seed=17)``."""
    state = request.config.stash.get(_STATE, None)
    if state is None:
        state = request.config.stash[_STATE] = _Streams(request.config)
    golden = RngGolden(state, request)
    yield golden
    golden._commit()


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None and state.recorder is not None and state.notes:
        from rngsuite.core.settings import BadInput

        try:
            state.recorder.save()
        except BadInput as exc:  # a read-only ledger, a full disk: one line, and a failed run
            state.notes.append(f"NOT WRITTEN: {exc}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or state.recorder is None or not state.notes:
        return
    terminalreporter.section("rngsuite: recorded")
    for note in state.notes:
        terminalreporter.write_line(note)
    terminalreporter.write_line(state.recorder.summary())
