"""The pytest side of rngsuite: options, the run header, case parametrization, the report.

``suite/conftest.py`` loads this module, so ``pytest suite`` and ``python -m suite verify`` run
the same checks. Session state lives in one :class:`Run` object in the config stash.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from suite import engine
from suite import provenance as prov
from suite.backends import Backend, registry
from suite.catalog import Case, CatalogError, load_catalog, select
from suite.compare import DEFAULT_ULP
from suite.ledger import Ledger, LedgerError

DEFAULT_LEDGER = Path(__file__).resolve().parent.parent / "golden"
EXIT_BAD_INPUT = 2


def resolve_devices(spec: str) -> list[str]:
    """``cpu``, ``cuda``, ``cuda:1``, ``mps``, comma lists, or ``all`` (cpu + what is present)."""
    if spec == "all":
        devices = ["cpu"]
        try:
            import torch
        except ImportError:
            return devices
        if torch.cuda.is_available():
            devices.append("cuda")
        if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
            devices.append("mps")
        return devices
    devices = [d.strip() for d in spec.split(",") if d.strip()]
    for d in devices:
        if d.split(":")[0] not in ("cpu", "cuda", "mps"):
            raise CatalogError(f"--device {spec!r}: {d!r} is not cpu, cuda[:N], mps or all")
    return devices


class Run:
    """One session's ledger, backends, cases and verdicts."""

    def __init__(self, *, ledger: Ledger, devices: list[str], catalog: list[Case],
                 cases: list[Case], record: bool, ulp: int) -> None:
        self.ledger, self.devices, self.cases = ledger, devices, cases
        self.catalog = {c.id: c for c in catalog}
        self.record_mode, self.ulp = record, ulp
        self.backends: dict[str, Backend] = registry(devices)
        self.verdicts: list[engine.Verdict] = []
        self.recorded: Counter[str] = Counter()
        self.files_written = 0

    def check(self, case: Case) -> engine.Verdict:
        """Judge one case; in record mode also add it to the ledger."""
        verdict = engine.check(case, self.backends[case.backend], self.ledger, ulp=self.ulp)
        self.verdicts.append(verdict)
        if self.record_mode:
            outcome = engine.record(verdict, self.ledger)
            self.recorded[outcome.outcome] += 1
            if outcome.outcome == "conflict":
                pytest.fail(f"{case.id}: this environment ({verdict.label}) is already recorded "
                            f"in era {outcome.era} with other values: the stream is not "
                            f"deterministic here, or the backend misses a provenance field\n"
                            + verdict.message(self.ledger), pytrace=False)
        elif not verdict.ok:
            pytest.fail(verdict.message(self.ledger), pytrace=False)
        return verdict


RUN = pytest.StashKey[Run]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rngsuite", "rngsuite conformance")
    group.addoption("--ledger", default=str(DEFAULT_LEDGER), metavar="DIR",
                    help="golden ledger directory (default: %(default)s)")
    group.addoption("--record", action="store_true",
                    help="add this environment to the ledger instead of failing on new values")
    group.addoption("--device", default="cpu", metavar="DEVICES",
                    help="cpu (default), cuda, cuda:N, mps, a comma list, or all")
    group.addoption("--case", action="append", default=[], metavar="GLOB",
                    help="only cases whose id matches this glob (repeatable)")
    group.addoption("--ulp", type=int, default=DEFAULT_ULP, metavar="N",
                    help="differences up to N ULP are classed 'within N ULP' (default %(default)s)")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config.option, "ledger"):
        return
    try:
        devices = resolve_devices(config.option.device)
        cases = load_catalog(devices=devices)
    except CatalogError as exc:
        pytest.exit(str(exc), returncode=EXIT_BAD_INPUT)
    chosen = select(cases, config.option.case)
    if config.option.case and not chosen:
        pytest.exit(f"unknown case: no catalog case matches {', '.join(config.option.case)} "
                    "(python -m suite list shows them)", returncode=EXIT_BAD_INPUT)
    try:
        ledger = Ledger.load(Path(config.option.ledger))
    except LedgerError as exc:
        pytest.exit(str(exc), returncode=EXIT_BAD_INPUT)
    config.stash[RUN] = Run(ledger=ledger, devices=devices, catalog=cases, cases=chosen,
                            record=config.option.record, ulp=config.option.ulp)


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN, None)
    if run is None:
        return []
    env = prov.environment("cpu")
    lines = [f"rngsuite: numpy {env['numpy']}, torch {env['torch']}, python {env['python']}, "
             f"{env['system']} {env['machine']} ({env['isa']}, torch CPU capability "
             f"{env['torch_cpu_capability']})",
             f"rngsuite: devices {', '.join(run.devices)}; ledger {run.ledger.root}"
             f"{'; RECORD mode' if run.record_mode else ''}; {len(run.cases)} cases"]
    return lines


@pytest.fixture(scope="session")
def rngsuite(request: pytest.FixtureRequest) -> Run:
    """The session's ledger, backends and verdicts."""
    return request.config.stash[RUN]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "golden_case" not in metafunc.fixturenames:
        return
    run = metafunc.config.stash[RUN]
    params, skipped = [], {}
    for case in run.cases:
        reason = run.backends[case.backend].unavailable()
        if reason is None:
            params.append(pytest.param(case, id=case.id))
        else:
            skipped.setdefault(case.backend, reason)
    # An unavailable backend or device is one skip with one clear line, not a skip per case.
    for backend, reason in skipped.items():
        params.append(pytest.param(None, id=backend,
                                   marks=pytest.mark.skip(reason=f"{backend}: {reason}")))
    metafunc.parametrize("golden_case", params)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is not None and run.record_mode:
        run.files_written = run.ledger.save()


def summary(run: Run) -> "Any":
    """Verdict counts per backend, as a pandas DataFrame."""
    import pandas as pd

    rows = Counter((v.case.backend, v.status) for v in run.verdicts)
    backends = sorted({b for b, _ in rows})
    statuses = ["conforms", "matches", "changed", "unrecorded"]
    table = pd.DataFrame([[rows[(b, s)] for s in statuses] for b in backends],
                         index=pd.Index(backends, name="backend"), columns=statuses)
    table["cases"] = table.sum(axis=1)
    return table


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or not run.verdicts:
        return
    tr = terminalreporter
    tr.section("rngsuite report")
    tr.write_line(summary(run).to_markdown())
    tr.write_line("")
    tr.write_line("conforms: bit-identical to this environment's recorded era; matches: a new "
                  "environment giving a recorded era's values; changed: matches no era; "
                  "unrecorded: no golden yet.")
    if run.record_mode:
        done = ", ".join(f"{n} {k}" for k, n in sorted(run.recorded.items()))
        tr.write_line(f"recorded into {run.ledger.root}: {done}; {run.files_written} files written")
