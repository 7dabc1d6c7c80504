"""Where every conformance test's inputs come from: one documented fixture per input.

Each input is declared once, below, by :func:`input_fixture`: its name, what it is (the
docstring, which ``pytest --fixtures suite`` prints), and the values it takes in this run --
computed from the catalog, ``suite/data/properties.toml``, the known divergences, the devices
and ``--case``. A test asks for an input by naming it (``def test_x(backend): ...``) and runs
once per value; a value that cannot run here (its backend is unavailable, its call is newer than
the installed release) is a skip with one line saying why. SciPy's ``xp`` fixture is the model:
the conformance modules never reach into the session to find their inputs.

The property inputs come from ``properties.toml`` (:data:`PROPERTIES`, :func:`rows_for`): call
templates, probes, equivalent entry points and seed facts, as data.
"""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import pytest

from rngsuite.backends import Backend
from rngsuite.checks import deep, engine
from rngsuite.checks.divergences import KNOWN, Condition, match_backend
from rngsuite.core.branches import load_branches
from rngsuite.core.catalog import (count_text, load_catalog, load_deep, parse_call, parse_steps,
                                   select)
from rngsuite.core.provenance import installed_versions
from rngsuite.core.regimes import load_regimes
from rngsuite.core.settings import DATA
from rngsuite.pytest_plugin.session import RUN, Run

PROPERTIES_PATH = DATA / "properties.toml"


def load_properties(path=PROPERTIES_PATH) -> dict[str, list[dict]]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


#: The property inputs, as data (``suite/data/properties.toml``).
PROPERTIES = load_properties()


def rows_for(section: str, backend: str, device: str = "cpu") -> list[dict]:
    """The rows of a properties.toml section that name this backend."""
    return [r for r in PROPERTIES.get(section, []) if match_backend(r["backends"], backend, device)]


def property_backends(run: Run) -> list[Backend]:
    """The backends properties.toml describes (each has a probe call), available or not."""
    return [b for b in run.backends.values() if rows_for("probe", b.name, b.device)]


# ------------------------------------------------------------------------------ the machinery
@dataclass
class Param:
    """One value an input takes: its test id, and why it cannot run here (a skip), if so."""

    value: Any
    id: str
    involves: list[Backend] = field(default_factory=list)
    skip: str | None = None

    def pytest_param(self) -> Any:
        # The input's own reason first: asking a backend whether it is available can cost
        # (the compiled tier builds a probe), and an input skipped anyway need not ask.
        reasons = [self.skip] if self.skip else [
            f"{b.name}: {r}" for b in self.involves if (r := b.unavailable())]
        return pytest.param(self.value, id=self.id,
                            marks=[pytest.mark.skip(reason=reasons[0])] if reasons else [])


#: Every input: its name -> the function giving its values in a run.
INPUTS: dict[str, Callable[[Run], Iterable[Param]]] = {}


def input_fixture(values: Callable[[Run], Iterable[Param]] | None = None, *,
                  scope: str = "module") -> Any:
    """Declare an input: ``values(run)`` gives its values; the fixture of the same name (and
    docstring) hands each value to the tests that name it.

    Module scope by default: Hypothesis refuses function-scoped fixtures in ``@given`` tests
    (they are not reset between examples); these are plain values, so nothing needs resetting.
    Inputs no ``@given`` test takes are function-scoped, which keeps the tests in file order."""
    if values is None:
        return lambda fn: input_fixture(fn, scope=scope)
    INPUTS[values.__name__] = values

    def fixture(request: pytest.FixtureRequest) -> Any:
        return request.param

    fixture.__name__, fixture.__doc__ = values.__name__, values.__doc__
    return pytest.fixture(fixture, scope=scope, name=values.__name__)


def parametrize(metafunc: pytest.Metafunc) -> None:
    """Give each input a test names its values in this run (``pytest_generate_tests``)."""
    run = metafunc.config.stash[RUN]
    for name, values in INPUTS.items():
        if name in metafunc.fixturenames:
            params = [p.pytest_param() for p in values(run)]
            metafunc.parametrize(name, params, indirect=True)


def _focused(run: Run) -> list[Backend]:
    return [b for b in property_backends(run) if run.focus is None or b.name in run.focus]


# ------------------------------------------------------------------------------ the inputs
@input_fixture
def backend(run: Run) -> Iterator[Param]:
    """Each backend ``properties.toml`` describes (it has a ``[[probe]]``), on each device under
    test; with ``--case``, only the selected cases' backends. The properties of every guarantee
    run over it through the backend protocol (``rngsuite.backends.base.Backend``)."""
    for b in _focused(run):
        yield Param(b, b.name, [b])


@input_fixture
def object_backend(run: Run) -> Iterator[Param]:
    """Each backend whose streams are independent objects, several open at once (a
    ``RandomState``, a ``torch.Generator``...), not one global stream."""
    for b in _focused(run):
        if b.owner is None and b.max_streams > 1:
            yield Param(b, b.name, [b])


@input_fixture
def spawner(run: Run) -> Iterator[Param]:
    """``(backend, how)``: each way a backend derives child streams (``SeedSequence.spawn``,
    ``Generator.spawn``, ``jumped``)."""
    for b in _focused(run):
        for how in b.spawn_kinds:
            yield Param((b, how), f"{b.name}:{how}", [b])


@input_fixture
def forkable(run: Run) -> Iterator[Param]:
    """Each backend with a context that restores its global state on exit
    (``torch.random.fork_rng``)."""
    for b in _focused(run):
        # An unavailable backend is not asked (fork() would import torch); it is skipped.
        if b.unavailable() or b.fork() is not None:
            yield Param(b, b.name, [b])


@input_fixture
def threaded_backend(run: Run) -> Iterator[Param]:
    """Each backend whose library can draw with several threads (torch's intra-op threads,
    OpenMP, BLAS); Python's ``random`` cannot."""
    for b in _focused(run):
        if b.threaded:
            yield Param(b, b.name, [b])


@input_fixture
def layout_backend(run: Run) -> Iterator[Param]:
    """Each backend with in-place samplers to draw into contiguous and non-contiguous outputs
    (``properties.toml [[layout]]``)."""
    for b in _focused(run):
        if rows_for("layout", b.name, b.device):
            yield Param(b, b.name, [b])


@input_fixture
def cached_gaussian(run: Run) -> Iterator[Param]:
    """``(backend, call)``: a call that leaves half a Gaussian pair cached in the stream's state
    (``properties.toml [[cached_gaussian]]``)."""
    for b in _focused(run):
        for row in rows_for("cached_gaussian", b.name, b.device):
            yield Param((b, parse_call(row["call"])), b.name, [b])


@input_fixture
def equivalent(run: Run) -> Iterator[Param]:
    """``(first, second, row)``: two entry points documented to draw the same stream for the
    same seed (``properties.toml [[equivalent]]``, with the reason and the source)."""
    focused, seen = _focused(run), set()
    for row in PROPERTIES.get("equivalent", []):
        for device in run.devices:
            names = [n.replace("{device}", device) for n in row["backends"]]
            pair = [run.backends.get(n) for n in names]
            ident = " == ".join(names)
            if all(pair) and any(b in focused for b in pair) and ident not in seen \
                    and (device == "cpu" or any("{device}" in n for n in row["backends"])):
                seen.add(ident)
                yield Param((*pair, row), ident, pair)


@input_fixture
def seed_fact(run: Run) -> Iterator[Param]:
    """``(backend, row, seed)``: an odd or out-of-range seed and the documented error or
    behaviour it gets (``properties.toml [[seed_fact]]``), for the installed releases."""
    for i, row in enumerate(PROPERTIES.get("seed_fact", [])):
        when = Condition(row["when"], f"properties.toml [[seed_fact]] #{i + 1}") \
            if row.get("when") else None
        if when is not None and not when(installed_versions()):
            continue  # a fact about other releases than the one installed
        for b in _focused(run):
            if match_backend(row["backends"], b.name, b.device):
                for seed in row["seeds"]:
                    yield Param((b, row, seed), f"{b.name}:seed={seed}", [b])


@input_fixture
def seed_refusals(run: Run) -> Iterator[Param]:
    """``(backend, refusals)``: the seeds a backend refuses and the documented error of each
    (``suite/data/regimes.toml [[refusal]]``), checked together: one test per backend."""
    refusals = load_regimes().refusals
    for b in _focused(run):
        mine = [r for r in refusals if r.applies_to(b.name)]
        if mine:
            yield Param((b, mine), b.name, [b])


@input_fixture
def parameter_refusals(run: Run) -> Iterator[Param]:
    """``(backend, refusals)``: the calls with parameters a backend documents as refused and
    the error of each (``suite/data/branches.toml [[refused]]``), calls the installed release
    has; one test per backend."""
    refused = load_branches().refused
    for b in _focused(run):
        mine = [r for r in refused if r.applies_to(b.name)
                and all(b.supports(step) for step in parse_steps(r.call))]
        if mine:
            yield Param((b, mine), b.name, [b])


@input_fixture
def divergence_witness(run: Run) -> Iterator[Param]:
    """``(backend, row, call)``: each known divergence (``suite/data/divergences.toml``) on each
    backend it names, with its witness example's call; a row about other releases is skipped."""
    every = [b for b in run.backends.values() if run.focus is None or b.name in run.focus]
    for row in KNOWN.rows:
        for b in every:
            if not match_backend(row.backends, b.name, b.device):
                continue
            ident = f"{row.guarantee}#{row.index + 1}:{b.name}"
            if off := run.off_tier(b):
                # Before asking the backend anything: the compiled tier's availability is a
                # compilation (seconds), which a run without the tier must not pay.
                yield Param(None, ident, [b], skip=off)
                continue
            # An unavailable backend is not asked which calls it has; it is skipped.
            calls = [c for c in row.witness.get("calls", [None]) if c is None
                     or b.unavailable() or b.supports(parse_call(c.format(n=1)))]
            if not row.applies_here(installed_versions(), calls[0]):
                # A divergence of other releases (its `when` names versions): not here.
                yield Param(None, ident, [b], skip=f"{ident}: does not apply to the installed "
                                                   "releases")
            else:
                yield Param((b, row, calls[0]), ident, [b])


@input_fixture
def vmap_backend(run: Run) -> Iterator[Param]:
    """Each backend whose calls run inside ``torch.func.vmap`` (the default generator of each
    torch device under test): how a batch draws under each ``randomness=``."""
    probe = parse_call("vmap_rand(1,1,randomness='same')")
    for b in _focused(run):
        if b.unavailable() is None and b.supports(probe):
            yield Param(b, b.name, [b])


@input_fixture
def compiled_backend(run: Run) -> Iterator[Param]:
    """``(backend, calls)``: each ``torch.compile`` backend (the compiled tier) on each device
    under test, with the single calls its catalog rows draw -- the calls it compiles anyway,
    so that a property costs draws, not new compilations. One skip where the tier is off."""
    for b in run.backends.values():
        if b.tier != "compiled" or (run.focus is not None and b.name not in run.focus):
            continue
        # With --case, the selected cases' calls only (each new call is a compilation).
        cases = run.cases if run.focus is not None else run.catalog.values()
        calls = list(dict.fromkeys(str(case.steps[0]) for case in cases
                                   if case.backend == b.name and len(case.steps) == 1))
        if not calls:  # e.g. --case names a two-call case: its first call
            calls = list(dict.fromkeys(str(case.steps[0]) for case in cases
                                       if case.backend == b.name))
        # Properties about torch's generator draw only calls that draw from it.
        calls = [c for c in calls if parse_call(c).name not in b.foreign] or calls
        yield Param((b, [parse_call(c) for c in calls]), b.name, [b], skip=run.off_tier(b))


@input_fixture(scope="function")
def golden_cases(run: Run) -> Iterator[Param]:
    """The selected catalog cases (``suite/data/catalog.toml``, ``--case``) of one call on one
    backend (``torch:cpu:randn``), checked against the ledger together: one test per call, not
    per case, so that a check costs about what its draws cost. A call the installed release does
    not have yet is one skip (one that an older release drew fails: it went away); an
    unavailable backend or device is one skip, not one per case."""
    groups: dict[str, list] = {}
    skipped: dict[str, str] = {}
    for case in run.cases:
        backend = run.backends[case.backend]
        reason = run.off_tier(backend) or backend.unavailable()
        if reason is not None:
            skipped.setdefault(case.backend, reason)
            continue
        # Cases with the same calls: a release has all of them or none.
        calls = ";".join(dict.fromkeys(step.name for step in case.steps))
        groups.setdefault(f"{case.backend}:{calls}", []).append(case)
    for ident, cases in groups.items():
        b = run.backends[cases[0].backend]
        absent = engine.absent_calls(b, cases[0])
        newer = absent and not any(engine.drawn_before(run.ledger, b, c) for c in cases)
        yield Param(cases, ident, skip=absent if newer else None)
    for name, reason in skipped.items():
        yield Param(None, name, skip=reason if reason.startswith(name) else f"{name}: {reason}")


@input_fixture(scope="function")
def deep_case(run: Run) -> Iterator[Param]:
    """Each deep case (``[[deep]]`` in the catalog) on the devices under test, narrowed by
    ``--case``; cases over 10**7 values only in the nightly tier (``--profile nightly`` or
    ``RNGSUITE_DEEP=nightly``); the long draws of sampler branches unless
    ``RNGSUITE_DEEP=no-long``."""
    found = False
    for case in select(load_deep(), run.deep_globs):
        b = run.backends.get(case.backend)
        if b is None:
            continue  # a backend of a device not under test (torch:cpu in a cuda run)
        found = True
        skip = None
        if b.unavailable() is None and importlib.util.find_spec("xxhash") is None:
            skip = "xxhash is not installed (the deep digest is XXH3-128: pip install xxhash)"
        elif b.unavailable() is None and (why := deep.absent(case, b)):
            skip = why  # binomialvariate before Python 3.12: the call is newer than the release
        elif case.sampler and not run.long:
            skip = "long draws left out (RNGSUITE_DEEP=no-long)"
        elif case.nightly and not run.nightly:
            skip = (f"nightly tier ({count_text(case.length)} values): --profile nightly or "
                    "RNGSUITE_DEEP=nightly")
        yield Param(case, case.id, [b], skip=skip)
    if not found:
        yield Param(None, "deep", skip="no deep case matches --case on the selected devices")


@input_fixture
def device(run: Run) -> Iterator[Param]:
    """Each device under test (``--device``)."""
    for d in run.devices:
        yield Param(d, d)


@input_fixture
def cuda_device(run: Run) -> Iterator[Param]:
    """Each CUDA device under test (``--device cuda``); one skip when there is none."""
    cuda = [d for d in run.devices if d.split(":")[0] == "cuda"]
    for d in cuda:
        yield Param(d, d)
    if not cuda:
        yield Param(None, "cuda", skip="no CUDA device under test (--device cuda)")


@input_fixture(scope="function")
def cuda_golden(run: Run) -> Iterator[Param]:
    """``(case, label, era, geometry)``: each golden a GPU recorded for a call the Philox model
    of torch's CUDA kernels covers, with that GPU's launch geometry (checked on any CPU)."""
    from rngsuite.checks import cuda_goldens

    rows = cuda_goldens.recorded(run.ledger, load_catalog(devices=["cuda"]))
    for row in rows:
        yield Param(row, f"{row[0].id}[{row[1]}]")
    if not rows:
        yield Param(None, "cuda", skip=f"no CUDA golden of a modelled call in {run.ledger.root} "
                                       "yet (the nightly GPU runner records them)")


#: The input fixtures, for the plugin to hand to pytest.
__all__ = [*INPUTS]
