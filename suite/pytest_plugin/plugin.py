"""The pytest plugin of rngsuite: its options, profiles, hooks and fixtures, in one module that
``suite/conftest.py`` loads, so ``pytest suite`` and ``python -m rngsuite verify`` run the same
checks.

* options: ``--ledger``, ``--record``, ``--device``, ``--case``, ``--ulp``;
* Hypothesis profiles ``dev``, ``ci`` and ``nightly`` (chosen by ``--hypothesis-profile``, else
  ``RNGSUITE_HYPOTHESIS_PROFILE``, else ``ci`` under ``CI`` and ``dev`` otherwise);
* ``pytest_configure`` reads the catalog and the ledger once into a
  :class:`~rngsuite.pytest_plugin.session.Run` (the ``rngsuite`` fixture); bad input ends the run
  with one line and exit 2;
* each conformance test's inputs are the fixtures of :mod:`rngsuite.pytest_plugin.inputs`;
* at the end, in record mode, the ledger is written, and :mod:`rngsuite.pytest_plugin.summary`
  prints the report.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, register_random, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from rngsuite.core import provenance as prov
from rngsuite.core.catalog import load_catalog, select
from rngsuite.core.compare import DEFAULT_ULP
from rngsuite.core.ledger import Ledger
from rngsuite.core.settings import (DEFAULT_LEDGER, EXIT_BAD_INPUT, EXIT_INTERNAL, BadInput,
                                    missing_devices, resolve_devices)
from rngsuite.pytest_plugin import fresh_process, inputs, summary
from rngsuite.pytest_plugin.inputs import *  # noqa: F401,F403  (the input fixtures, by name)
from rngsuite.pytest_plugin.session import RUN, Run

# -- Hypothesis ------------------------------------------------------------------------------
# dev: quick, local. ci: derandomized, no example database (what CI runs; Hypothesis would load
# its own built-in "ci" profile under CI=true, and registering ours replaces it). nightly:
# thousands of random examples, failures kept in an example database between runs.
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=2000, deadline=None,
                          database=DirectoryBasedExampleDatabase(".hypothesis/rngsuite-nightly"),
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE_VARIABLE = "RNGSUITE_HYPOTHESIS_PROFILE"

#: What ``suite/conftest.py`` hands to pytest: the hooks, the session fixture, the inputs.
__all__ = ["pytest_addoption", "pytest_configure", "pytest_report_header",
           "pytest_generate_tests", "pytest_collection_finish", "pytest_sessionfinish",
           "pytest_terminal_summary", "pytest_unconfigure",
           "rngsuite", *inputs.INPUTS]
#: Set to ``nightly`` to run the deep streams' nightly tier without the nightly profile, or to
#: ``no-long`` to leave out the long draws of sampler branches.
DEEP_VARIABLE = "RNGSUITE_DEEP"


class TorchGlobal:
    """torch's default CPU generator as Hypothesis's register_random wants it.

    Hypothesis seeds and restores Python's and NumPy's global generators around each example
    but not torch's (HypothesisWorks/hypothesis entropy.py); registering torch makes an
    unseeded torch draw inside an example replayable too. The properties seed explicitly anyway.
    """

    def seed(self, n: int) -> None:
        import torch

        # The CPU generator alone: torch.manual_seed would also queue a lazy seed for every
        # accelerator, formatting a stack trace for each (torch/cuda/__init__.py _lazy_call),
        # about 5 ms an example; the properties draw on the CPU through their own seeds.
        torch.default_generator.manual_seed(n)

    def getstate(self) -> Any:
        import torch

        return torch.get_rng_state()

    def setstate(self, state: Any) -> None:
        import torch

        torch.set_rng_state(state)


# Hypothesis keeps only a weak reference: this module holds the strong one.
TORCH_GLOBAL = TorchGlobal()
if importlib.util.find_spec("torch") is not None:
    register_random(TORCH_GLOBAL)


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
    group.addoption("--compiled", action="store_true",
                    help="also the compiled tier: torch.compile backends (compiling takes "
                         "seconds a call; the nightly profile runs it too)")
    group.addoption("--ulp", type=int, default=DEFAULT_ULP, metavar="N",
                    help="differences up to N ULP are classed 'within N ULP' (default %(default)s)")


def _profile(config: pytest.Config) -> str:
    """The Hypothesis profile: --hypothesis-profile wins; then the variable; then ci under CI,
    dev otherwise."""
    chosen = getattr(config.option, "hypothesis_profile", None)
    if chosen is not None:
        return chosen
    return os.environ.get(PROFILE_VARIABLE, "ci" if os.environ.get("CI") else "dev")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fresh_process: restores checkpoints in a second Python "
                                       "process, started as soon as such a test is collected")
    if not hasattr(config.option, "ledger"):
        return
    # Set-up (importing torch, reading the ledger, collecting) makes millions of objects that
    # live as long as the run, and the garbage collector's full passes kept walking them
    # (about 0.5 s of set-up, 0.7 s more during the checks): collect nothing until the
    # collection ends, then freeze what is there (pytest_collection_finish).
    gc.disable()
    profile = _profile(config)
    if getattr(config.option, "hypothesis_profile", None) is None:
        try:
            settings.load_profile(profile)
        except Exception:
            pytest.exit(f"{PROFILE_VARIABLE}={profile!r}: no such Hypothesis profile "
                        "(dev, ci, nightly)", returncode=EXIT_BAD_INPUT)
    try:
        devices = resolve_devices(config.option.device)
        cases = load_catalog(devices=devices)
        chosen = select(cases, config.option.case)
        if config.option.case and not chosen:
            raise BadInput(f"unknown case: no catalog case matches "
                           f"{', '.join(config.option.case)} (python -m rngsuite list shows them)")
        ledger = Ledger.load(Path(config.option.ledger))
    except BadInput as exc:
        pytest.exit(str(exc), returncode=EXIT_BAD_INPUT)
    if problem := prov.capability_problem() or missing_devices(devices):
        pytest.exit(problem, returncode=EXIT_INTERNAL)
    deep_tier = os.environ.get(DEEP_VARIABLE, "").lower()
    nightly = profile == "nightly" or deep_tier == "nightly"
    config.stash[RUN] = Run(ledger=ledger, devices=devices, catalog=cases, cases=chosen,
                            record=config.option.record, ulp=config.option.ulp,
                            deep_globs=list(config.option.case), nightly=nightly,
                            tiers={"compiled"} if config.option.compiled or nightly else set(),
                            long=deep_tier != "no-long")
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(summary.XdistReport(config), "rngsuite-xdist-report")


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN, None)
    if run is None:
        return []
    env = prov.environment("cpu")
    return [f"rngsuite: numpy {env['numpy']}, torch {env['torch']}, python {env['python']}, "
            f"{env['system']} {env['machine']} ({env['isa']}, torch CPU capability "
            f"{env['torch_cpu_capability']})",
            f"rngsuite: devices {', '.join(run.devices)}; ledger {run.ledger.root}"
            f"{'; RECORD mode' if run.record_mode else ''}; {len(run.cases)} cases"]


@pytest.fixture(scope="session")
def rngsuite(request: pytest.FixtureRequest) -> Run:
    """The session: its ledger, devices, selected cases, backends, and ``check``/``settle``,
    which judge a case (or a verdict) and fail or record by the run's mode."""
    return request.config.stash[RUN]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    inputs.parametrize(metafunc)


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None:
        return
    # The resume tests' child process imports torch (seconds) while the first tests run. Not
    # under xdist: every worker collects every test, and a child per worker would compete
    # with the workers for the cores; there it starts at its first use.
    config = session.config
    # (Under QEMU user mode there is no child process: fresh_process.shared skips its tests.)
    wanted = any(item.get_closest_marker("fresh_process") for item in session.items) \
        and not prov.emulated()
    if wanted and not hasattr(config, "workerinput") and not config.option.collectonly:
        fresh_process.shared(tuple(run.devices))
    # What is alive now -- torch, the ledger, the catalog, the collected tests -- lives until
    # the run ends: frozen, the garbage collector's passes no longer walk it.
    gc.freeze()
    gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    # Where the collection never finished (bad input, an interrupted run).
    gc.enable()
    if "triton" in sys.modules:
        # What the collection froze goes back to the collector, so that the interpreter's
        # last collections free it: Triton's nanobind extension reports every object still
        # alive at shutdown as a leak (CUDA builds of torch load it with torch._dynamo).
        gc.unfreeze()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None:
        return
    if run.record_mode:
        # Under xdist every worker saves its own recordings (the ledger's lock makes that safe).
        run.recorder.save()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["rngsuite"] = summary.worker_output(run)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        summary.write(terminalreporter, run)
