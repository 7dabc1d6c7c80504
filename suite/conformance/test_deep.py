"""Deep streams against their recorded digests: long draws, and windows far into a stream
reached by jump-ahead (``suite/checks/deep.py``; goldens in ``golden/deep/digests.json``).

Cases of up to 10**7 values run in every run; longer ones (10**8, 10**9) only in the nightly
tier: ``--profile nightly`` (``--hypothesis-profile nightly``) or ``RNGSUITE_DEEP=nightly``.
``--case`` narrows them like the catalog's cases; under ``--record`` they are recorded.
"""

from __future__ import annotations

import importlib.util

import pytest

from suite.checks import deep


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "deep_case" not in metafunc.fixturenames:
        return
    from suite.pytest_plugin.plugin import RUN

    run = metafunc.config.stash[RUN]
    nightly = deep.nightly_enabled(metafunc.config)
    params = []
    # Like the catalog's cases: --case narrows them, and only the selected devices' backends
    # run (torch:cpu cases stay out of a --device cuda run).
    for case in deep.select(deep.DEEP_CASES, metafunc.config.option.case):
        backend = run.backends.get(case.backend)
        if backend is None:
            continue
        reason = backend.unavailable()
        if reason is None and importlib.util.find_spec("xxhash") is None:
            reason = "xxhash is not installed (the deep digest is XXH3-128: pip install xxhash)"
        if reason is None and case.nightly and not nightly:
            reason = (f"nightly tier ({deep._num(case.length)} values): --profile nightly or "
                      f"{deep.NIGHTLY_VARIABLE}=nightly")
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    if not params:
        params = [pytest.param(None, id="deep", marks=pytest.mark.skip(
            reason="no deep case matches --case on the selected devices"))]
    metafunc.parametrize("deep_case", params)


class _Deep:
    """The session's deep goldens, and the verdicts waiting to be recorded."""

    def __init__(self, root) -> None:
        self.root = root
        self.file = deep.read(deep.deep_path(root))
        self.pending: list[deep.DeepVerdict] = []


@pytest.fixture(scope="module")
def deep_goldens(rngsuite):
    """The deep goldens beside the ledger; in record mode, written when the module ends."""
    from suite.core.ledger import LedgerError

    try:
        goldens = _Deep(rngsuite.ledger.root)
    except LedgerError as exc:
        pytest.exit(str(exc), returncode=2)
    yield goldens
    if goldens.pending:
        deep.save(goldens.root, goldens.pending)


def test_deep_stream(deep_case, deep_goldens, rngsuite):
    """A long draw, or a window deep in a seeded stream, has the digest recorded for this
    environment (or, in an environment not yet recorded, some recorded era's digest)."""
    verdict = deep.check(deep_case, deep_goldens.file, rngsuite.backends)
    if rngsuite.record_mode:
        outcome, era = deep._record_into(deep_goldens.file, verdict)
        if outcome in ("new-case", "new-era", "joined"):
            deep_goldens.pending.append(verdict)
        elif outcome == "conflict":
            pytest.fail(f"{deep_case.id}: this environment ({verdict.label}) is already "
                        f"recorded in era {era} with another digest: the stream is not "
                        "deterministic here, or the backend misses a provenance field\n"
                        + verdict.message(deep_goldens.file), pytrace=False)
    elif not verdict.ok:
        pytest.fail(verdict.message(deep_goldens.file), pytrace=False)
