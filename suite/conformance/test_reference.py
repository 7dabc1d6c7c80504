"""Reference models: every model in ``suite/reference`` reproduces the installed library, and
every published known-answer vector reproduces through its model. A disagreement fails; only a
release or CPU capability the model does not describe is skipped, with the reason."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from packaging.specifiers import SpecifierSet

from rngsuite.pytest_plugin import strategies as hh
from rngsuite.core import provenance as prov
from rngsuite import reference
from rngsuite.reference import torch_cuda

MODELS = reference.models()
KNOWN_ANSWERS = reference.known_answers()


def _outside(model: reference.Model, devices: list[str], tiers: set[str]) -> str | None:
    """Why the installed release, device or CPU kernels are not what the model describes (or
    its tier is off), or None."""
    if model.tier is not None and model.tier not in tiers:
        return f"the {model.tier} tier (python -m rngsuite verify --{model.tier})"
    env = prov.environment("cpu")
    installed = env.get(model.library)
    if installed is None:
        return f"{model.library} is not installed"
    if model.device != "cpu":
        if not any(d.split(":")[0] == model.device for d in devices):
            return f"models torch:{model.device}; devices under test: {', '.join(devices)} " \
                   f"(--device {model.device})"
        import torch

        if not torch.cuda.is_available():
            return "no CUDA device (torch.cuda.is_available() is False)"
    if model.versions and prov.release(installed) not in SpecifierSet(model.versions):
        return f"models {model.library}{model.versions}; installed {installed}"
    # As labels name it, under its current name ("NO AVX" up to torch 2.8 is "DEFAULT" now).
    capability = str(env.get("torch_cpu_capability") or "").replace(" ", "_")
    capability = prov.CONDITION_ALIASES.get(capability, capability).lower()
    if model.capabilities and capability not in model.capabilities:
        return f"models CPU capabilities {', '.join(model.capabilities)}; running {capability}"
    return None


def _sizes(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Small sizes mostly, the block edges the algorithms have, and the largest allowed."""
    edges = [n for n in (0, 1, 2, 15, 16, 17, 623, 624, 625, 1000, hi) if lo <= n <= hi]
    return st.one_of(st.integers(lo, min(hi, 64)), st.sampled_from(edges), st.integers(lo, hi))


def _seeds(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([s for s in hh.EDGE_SEEDS if lo <= s <= hi] or [lo]),
                     st.integers(lo, hi))


def _agree(expected: np.ndarray, got: np.ndarray, *, ulp: int, what: str,
           tolerance: float = 0.0) -> None:
    expected, got = np.asarray(expected), np.asarray(got)
    assert expected.shape == got.shape, f"{what}: shape {got.shape}, model {expected.shape}"
    assert expected.dtype == got.dtype, f"{what}: dtype {got.dtype}, model {expected.dtype}"
    if tolerance:
        differ = np.flatnonzero(~reference.within(expected, got, tolerance).reshape(-1))
        assert differ.size == 0, (
            f"{what}: {differ.size} of {expected.size} values outside the tolerance; first at "
            f"{differ[0]}: model {expected.reshape(-1)[differ[0]]!r}, library "
            f"{got.reshape(-1)[differ[0]]!r}")
    elif ulp == 0 or expected.dtype.kind not in "fc":
        differ = np.flatnonzero(expected.reshape(-1) != got.reshape(-1))
        assert differ.size == 0, (
            f"{what}: {differ.size} of {expected.size} values differ from the model; first at "
            f"{differ[0]}: model {expected.reshape(-1)[differ[0]]!r}, library "
            f"{got.reshape(-1)[differ[0]]!r}")
    else:
        np.testing.assert_array_max_ulp(expected, got, maxulp=ulp)


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
@given(data=st.data())
def test_model_reproduces_the_library(model, rngsuite, data):
    """The model, from its algorithm alone, gives the installed library's values for any seed,
    size and parameters (bit-exact, or within the ULP the model states)."""
    if reason := _outside(model, rngsuite.devices, rngsuite.tiers):
        pytest.skip(reason)
    seed = data.draw(_seeds(*model.seed_range), label="seed")
    n = data.draw(_sizes(*model.n_range), label="n")
    params = {k: data.draw(st.sampled_from(v), label=k) for k, v in sorted(model.params.items())}
    call = f"{model.name}(seed={seed}, n={n}{''.join(f', {k}={v!r}' for k, v in params.items())})"
    _agree(model.model(seed, n, **params), model.live(seed, n, **params), ulp=model.ulp,
           tolerance=model.tolerance, what=f"{call} [{model.exactness}; {model.source}]")


@pytest.mark.parametrize("answer", KNOWN_ANSWERS, ids=[k.name for k in KNOWN_ANSWERS])
def test_known_answer(answer):
    """A published vector (a standard's, a paper's, a library's own test data) comes out of
    the model exactly."""
    got = answer.compute()
    expected = answer.expected
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        same = np.array_equal(np.asarray(got), np.asarray(expected))
    else:
        same = got == expected
    assert same, f"{answer.name}: model gives {got!r}, published {expected!r} ({answer.source})"


def test_models_are_named_once_and_say_what_they_model():
    """Every model has a unique name, a release range, a source and an exactness statement;
    a transform names a bit-stream model that exists."""
    names = [m.name for m in MODELS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for m in MODELS:
        assert m.versions and m.source and m.exactness, m.name
        assert m.words is None or m.words in names, f"{m.name}: unknown bit stream {m.words}"


def test_recorded_cuda_goldens_are_what_the_model_predicts(cuda_golden, rngsuite):
    """Every golden recorded on a GPU is what the Philox model predicts for that GPU's launch
    geometry and torch release: bit-exact for rand, randint and bernoulli, randn within its
    stated tolerance. Runs on the CPU, from the ledger alone."""
    case, label, era, geometry = cuda_golden
    ledger = rngsuite.ledger
    recorded_env = ledger.provenance(case.backend, label)
    predicted = torch_cuda.predict(case, geometry, torch_version=str(recorded_env.get("torch")))
    for step, model, draw in zip(case.steps, predicted, era.values):
        got = ledger.full(draw)
        exact, near = torch_cuda.agreement(model, got)
        share = near if step.name in ("randn", "normal_") else exact
        assert share == 1.0, (
            f"{case.id} recorded on {label}: {step}: the model for {geometry} predicts "
            f"{exact:.4%} of the values bit for bit, {near:.4%} within "
            f"{torch_cuda.RANDN32_TOL} [{torch_cuda.__name__}]")
