"""The pytest side of rngsuite: options, the run header, case parametrization, the report.

``suite/conftest.py`` loads this module, so ``pytest suite`` and ``python -m suite verify`` run
the same checks. Session state lives in one :class:`Run` object in the config stash.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, register_random, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from suite.checks import engine
from suite.checks.engine import absent_calls
from suite.core import provenance as prov
from suite.backends import Backend, registry
from suite.core.catalog import Case, CatalogError, load_catalog, select
from suite.core.compare import DEFAULT_ULP
from suite.core.ledger import Ledger, LedgerError
from suite.core.settings import DEFAULT_LEDGER, EXIT_BAD_INPUT, BadInput, resolve_devices


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


class _TorchGlobal:
    """torch's default CPU generator as Hypothesis's register_random wants it.

    Hypothesis seeds and restores Python's and NumPy's global generators around each example
    but not torch's (HypothesisWorks/hypothesis entropy.py); registering torch makes an
    unseeded torch draw inside an example replayable too. The properties seed explicitly anyway.
    """

    def seed(self, n: int) -> None:
        import torch

        torch.manual_seed(n)

    def getstate(self) -> Any:
        import torch

        return torch.get_rng_state()

    def setstate(self, state: Any) -> None:
        import torch

        torch.set_rng_state(state)


# Hypothesis keeps only a weak reference: this module holds the strong one.
_TORCH_GLOBAL = _TorchGlobal()
if importlib.util.find_spec("torch") is not None:
    register_random(_TORCH_GLOBAL)


class Run:
    """One session's ledger, backends, cases and verdicts."""

    def __init__(self, *, ledger: Ledger, devices: list[str], catalog: list[Case],
                 cases: list[Case], record: bool, ulp: int) -> None:
        self.ledger, self.devices, self.cases = ledger, devices, cases
        # With --case, the properties run on the selected cases' backends only.
        self.focus = {c.backend for c in cases} if len(cases) < len(catalog) else None
        self.catalog = {c.id: c for c in catalog}
        self.record_mode, self.ulp = record, ulp
        self.backends: dict[str, Backend] = registry(devices)
        self.verdicts: list[engine.Verdict] = []
        self.recorded: Counter[str] = Counter()
        self.files_written = 0
        #: Under pytest-xdist the controller runs no test: the workers' verdict counts, per
        #: (backend, status), arrive here when each worker finishes (see _XdistReport).
        self.remote: Counter[tuple[str, str]] = Counter()

    def property_backends(self) -> list[Backend]:
        """The backends properties.toml describes (each has a probe call), available or not."""
        from suite.checks.divergences import rows_for

        return [b for b in self.backends.values() if rows_for("probe", b.name, b.device)]

    def drawn_before(self, backend: Backend, case: Case) -> list[str]:
        """Releases of the backend's library, up to the installed one, that drew this case."""
        from suite.tools.report import version_key

        installed = prov.environment(backend.device).get(backend.library)
        mine = installed and prov.release(installed)
        # Releases, not builds: 2.13.0+cpu and 2.13.0+cu130 are the same release.
        found = {split[0] for era in self.ledger.eras(case.backend, case.id)
                 for label in era.environments
                 if (split := prov.split_label(label, backend.library)) and mine
                 and (theirs := prov.release(split[0])) and theirs <= mine}
        return sorted(found, key=version_key)

    def check(self, case: Case) -> engine.Verdict:
        """Judge one case; in record mode also add it to the ledger."""
        backend = self.backends[case.backend]
        absent = absent_calls(backend, case)
        if absent:
            # Only reached when an older (or this) release drew the case: a call went away.
            drawn = self.drawn_before(backend, case)
            which = ", ".join(drawn) if len(drawn) <= 3 else \
                f"{drawn[0]} to {drawn[-1]} ({len(drawn)} releases)"
            pytest.fail(f"{case.id}: {absent}, yet {backend.library} {which} drew it (see the "
                        f"ledger): removed or renamed in this release?", pytrace=False)
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
    # --hypothesis-profile wins; then the variable; then ci under CI, dev otherwise.
    if getattr(config.option, "hypothesis_profile", None) is None:
        default = "ci" if os.environ.get("CI") else "dev"
        profile = os.environ.get(PROFILE_VARIABLE, default)
        try:
            settings.load_profile(profile)
        except Exception:
            pytest.exit(f"{PROFILE_VARIABLE}={profile!r}: no such Hypothesis profile "
                        "(dev, ci, nightly)", returncode=EXIT_BAD_INPUT)
    try:
        devices = resolve_devices(config.option.device)
        cases = load_catalog(devices=devices)
    except BadInput as exc:
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
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistReport(config), "rngsuite-xdist-report")


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


def _property_params(run: Run, name: str) -> list[tuple[str, Any, list[Backend]]]:
    """(id, value, backends involved) for each fixture the properties are parametrized by."""
    from suite.core.catalog import parse_call
    from suite.checks.divergences import Condition, PROPERTIES, match_backend, rows_for
    from suite.pytest_plugin.assertions import versions

    backends = run.property_backends()
    focused = [b for b in backends if run.focus is None or b.name in run.focus]
    if name == "equivalent":
        out = []
        for row in PROPERTIES.get("equivalent", []):
            for device in run.devices:
                names = [n.replace("{device}", device) for n in row["backends"]]
                pair = [run.backends.get(n) for n in names]
                if all(pair) and any(b in focused for b in pair) \
                        and (device == "cpu" or any("{device}" in n for n in row["backends"])):
                    out.append((" == ".join(names), (*pair, row), pair))
        return list({i: (i, v, b) for i, v, b in out}.values())
    backends = focused
    if name == "backend":
        return [(b.name, b, [b]) for b in backends]
    if name == "object_backend":
        return [(b.name, b, [b]) for b in backends if b.owner is None and b.max_streams > 1]
    if name == "spawner":
        return [(f"{b.name}:{how}", (b, how), [b]) for b in backends for how in b.spawn_kinds]
    if name == "forkable":
        # An unavailable backend is not asked (fork() would import torch); it is skipped.
        return [(b.name, b, [b]) for b in backends if b.unavailable() or b.fork() is not None]
    if name == "layout_backend":
        return [(b.name, b, [b]) for b in backends if rows_for("layout", b.name, b.device)]
    if name == "cached_gaussian":
        return [(b.name, (b, parse_call(r["call"])), [b]) for b in backends
                for r in rows_for("cached_gaussian", b.name, b.device)]
    if name == "divergence_witness":
        from suite.checks.divergences import KNOWN

        out = []
        for row in KNOWN.rows:
            for b in backends:
                if not match_backend(row.backends, b.name, b.device):
                    continue
                # An unavailable backend is not asked which calls it has; it is skipped.
                calls = [c for c in row.witness.get("calls", [None]) if c is None
                         or b.unavailable() or b.supports(parse_call(c.format(n=1)))]
                ident = f"{row.guarantee}#{row.index + 1}:{b.name}"
                if not row.applies_here(versions(), calls[0]):
                    # A divergence of other releases (its `when` names versions): not here.
                    out.append((ident, None, [b]))
                    continue
                out.append((ident, (b, row, calls[0]), [b]))
        return out
    if name == "seed_fact":
        out = []
        for i, row in enumerate(PROPERTIES.get("seed_fact", [])):
            when = Condition(row["when"], f"properties.toml [[seed_fact]] #{i + 1}") \
                if row.get("when") else None
            if when is not None and not when(versions()):
                continue  # a fact about other releases than the one installed
            for b in backends:
                if match_backend(row["backends"], b.name, b.device):
                    out += [(f"{b.name}:seed={seed}", (b, row, seed), [b]) for seed in row["seeds"]]
        return out
    raise KeyError(name)


PROPERTY_FIXTURES = ("backend", "object_backend", "spawner", "forkable",
                     "cached_gaussian", "equivalent", "seed_fact", "divergence_witness",
                     "layout_backend")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.stash[RUN]
    for name in PROPERTY_FIXTURES:
        if name in metafunc.fixturenames:
            params = []
            for ident, value, involved in _property_params(run, name):
                reasons = [f"{b.name}: {r}" for b in involved if (r := b.unavailable())]
                if value is None:
                    reasons.append(f"{ident}: does not apply to the installed releases")
                marks = [pytest.mark.skip(reason=reasons[0])] if reasons else []
                params.append(pytest.param(value, id=ident, marks=marks))
            metafunc.parametrize(name, params)
    if "golden_case" not in metafunc.fixturenames:
        return
    params, skipped = [], {}
    for case in run.cases:
        backend = run.backends[case.backend]
        reason = backend.unavailable()
        if reason is not None:
            skipped.setdefault(case.backend, reason)
            continue
        absent = absent_calls(backend, case)
        # Newer than the installed release: skip. Drawn by an older one: the test fails.
        marks = [pytest.mark.skip(reason=absent)] \
            if absent and not run.drawn_before(backend, case) else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    # An unavailable backend or device is one skip with one clear line, not a skip per case.
    for backend, reason in skipped.items():
        params.append(pytest.param(None, id=backend,
                                   marks=pytest.mark.skip(reason=f"{backend}: {reason}")))
    metafunc.parametrize("golden_case", params)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is not None and run.record_mode:
        # Under xdist every worker saves its own recordings (the ledger's lock makes that safe).
        run.files_written += run.ledger.save()
    workeroutput = getattr(session.config, "workeroutput", None)
    if run is not None and workeroutput is not None:
        # An xdist worker: send what the report needs to the controller, as plain data.
        from suite.checks.divergences import KNOWN

        workeroutput["rngsuite"] = {
            "verdicts": [[b, s, n] for (b, s), n in
                         Counter((v.case.backend, v.status) for v in run.verdicts).items()],
            "recorded": dict(run.recorded), "files_written": run.files_written,
            "divergences": [[r.index, r.matched, r.differed] for r in KNOWN.rows],
            "ran": [[g, b, n] for (g, b), n in KNOWN.ran.items()]}


class _XdistReport:
    """On the xdist controller: adds each worker's verdicts, recordings and known-divergence
    tallies to the controller's own, so the terminal summary reports the whole run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        from suite.checks.divergences import KNOWN

        data = getattr(node, "workeroutput", {}).get("rngsuite")
        run = self.config.stash.get(RUN, None)
        if data is None or run is None:
            return
        for backend, status, n in data["verdicts"]:
            run.remote[(backend, status)] += n
        run.recorded.update(data["recorded"])
        run.files_written += data["files_written"]
        rows = {r.index: r for r in KNOWN.rows}
        for index, matched, differed in data["divergences"]:
            rows[index].matched += matched
            rows[index].differed += differed
        for guarantee, backend, n in data["ran"]:
            KNOWN.ran[(guarantee, backend)] += n


def summary(run: Run) -> "Any":
    """Verdict counts per backend, as a pandas DataFrame."""
    import pandas as pd

    rows = Counter((v.case.backend, v.status) for v in run.verdicts) + run.remote
    backends = sorted({b for b, _ in rows})
    statuses = ["conforms", "matches", "changed", "unrecorded"]
    table = pd.DataFrame([[rows[(b, s)] for s in statuses] for b in backends],
                         index=pd.Index(backends, name="backend"), columns=statuses)
    table["cases"] = table.sum(axis=1)
    return table


def divergence_table() -> "Any":
    """The known divergences with what this run saw of each, as a DataFrame."""
    import pandas as pd

    from suite.checks.divergences import KNOWN

    from suite.pytest_plugin.assertions import versions

    stale = {r.index for r in KNOWN.stale(versions())}
    rows = [{"guarantee": r.guarantee, "backends": ", ".join(r.backends),
             "condition": r.condition, "instead": r.expect,
             "seen": f"{r.matched} matched, {r.differed} differed"
                     + (" (STALE: matched nothing)" if r.index in stale else ""),
             "source": r.source} for r in KNOWN.rows]
    return pd.DataFrame(rows)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None:
        return
    tr = terminalreporter
    from suite.checks.divergences import KNOWN

    if KNOWN.ran:
        tr.section("rngsuite known divergences")
        tr.write_line(divergence_table().to_markdown(index=False))
        from suite.pytest_plugin.assertions import versions

        for row in KNOWN.stale(versions()):
            tr.write_line(f"stale known divergence: {row.guarantee} on {', '.join(row.backends)} "
                          f"({row.condition}) matched no example; is it fixed? {row.source}")
    if not run.verdicts and not run.remote:
        return
    from suite.tools.coverage import coverage_table

    tr.section("rngsuite coverage of the installed libraries' sampling calls")
    tr.write_line(coverage_table())
    tr.section("rngsuite report")
    tr.write_line(summary(run).to_markdown())
    tr.write_line("")
    tr.write_line("conforms: bit-identical to this environment's recorded era; matches: a new "
                  "environment giving a recorded era's values; changed: matches no era; "
                  "unrecorded: no golden yet.")
    if run.record_mode:
        done = ", ".join(f"{n} {k}" for k, n in sorted(run.recorded.items()))
        tr.write_line(f"recorded into {run.ledger.root}: {done}; {run.files_written} files written")
