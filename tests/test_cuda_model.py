"""The CUDA side without a GPU: the Philox kernel model's launch arithmetic against torch's own
copy of it, the grid dependence it predicts, and CUDA eras kept per GPU model end to end
(ledger, labels, verdicts) with the model standing in for the device."""

from __future__ import annotations

import types
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rngsuite.checks import cuda_goldens, engine, recording
from rngsuite.core import provenance as prov
from rngsuite.backends.torch_generator import TorchGenerator
from rngsuite.core.catalog import load_catalog
from rngsuite.core.ledger import Ledger
from rngsuite.reference import torch_cuda as tc

GEOMETRIES = st.builds(tc.Geometry, st.integers(1, 200), st.sampled_from([1024, 1536, 2048]))


@settings(max_examples=300, deadline=None)
@given(n=st.one_of(st.integers(1, 3000), st.integers(1, 2**31 - 1)), geometry=GEOMETRIES)
def test_offset_advance_is_torchs_own_formula(n, geometry):
    """The offset a float32 draw advances the CUDA generator by is what torch's own Python copy
    of calc_execution_policy (torch._prims.rng_prims.philox_rand_offset) computes for that GPU."""
    torch = pytest.importorskip("torch")
    rng_prims = pytest.importorskip("torch._prims.rng_prims")
    props = types.SimpleNamespace(multi_processor_count=geometry.sms,
                                  max_threads_per_multi_processor=geometry.threads_per_sm)
    with mock.patch.object(torch.cuda, "get_device_properties", lambda *a, **k: props), \
            mock.patch.object(torch.cuda, "current_device", lambda: 0):
        expected = int(rng_prims.philox_rand_offset((n,)))
    assert tc.offset_after(n, geometry, unroll=4) == expected, (n, geometry)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), a=GEOMETRIES, b=GEOMETRIES)
def test_a_draw_agrees_across_gpus_up_to_the_smaller_wave_only(seed, a, b):
    """Two GPU models give the same values for the first min(wave) elements of a draw and, when
    their grids differ and the draw is larger, different values from there on
    (pytorch#143086)."""
    small = min(a.wave, b.wave)
    n = min(small + 4096, 700_000)
    x, y = tc.rand(seed, n, geometry=a), tc.rand(seed, n, geometry=b)
    assert np.array_equal(x[:small], y[:small])
    if a.wave != b.wave and n > small:
        assert not np.array_equal(x[small:], y[small:])


@given(seed=st.integers(0, 2**64 - 1), n=st.integers(0, 5000))
def test_state_bytes_are_the_seed_then_the_offset(seed, n):
    """The modelled 16-byte CUDA state is the seed then the offset, little-endian uint64; the
    offset a non-empty draw leaves is a multiple of 4 and at least 4."""
    g = tc.GPUS["NVIDIA H200"]
    raw = tc.model_state(seed, n, call="rand", geometry=g)
    seed_back, offset = np.frombuffer(raw.tobytes(), dtype="<u8")
    assert raw.dtype == np.uint8 and raw.size == 16 and seed_back == seed
    assert offset == (0 if n == 0 else tc.offset_after(n, g)) and offset % 4 == 0


def test_first_value_is_the_first_philox_word():
    """rand's element 0 comes from Philox4x32-10 at counter (0, 0, 0, 0) keyed by the seed's
    two 32-bit halves, word 0, as cuRAND's curand_init(seed, 0, 0) lays it out."""
    from rngsuite.reference.philox import philox4x32

    seed = 0x0123456789ABCDEF
    word = philox4x32(np.zeros((1, 4), np.uint32),
                      np.array([[seed & 0xFFFFFFFF, seed >> 32]], np.uint32))[0, 0]
    expected = np.float32(word) * np.float32(2**-32) + np.float32(2**-33)
    assert tc.rand(seed, 1, geometry=tc.GPUS["NVIDIA A100"])[0] == expected


# --- CUDA eras per GPU model, end to end with the model as the device ----------------------


class _ModelledGpu(TorchGenerator):
    """torch.Generator on "cuda", whose draws come from the Philox model of one GPU."""

    def __init__(self, geometry: tc.Geometry) -> None:
        super().__init__("cuda")
        self.geometry = geometry

    def unavailable(self):
        return None

    def draw(self, case):
        seed = case.seeds[0]
        (call,) = case.steps
        n = call.args[0]
        return [getattr(tc, call.name)(seed, n, geometry=self.geometry)]


_CPU_ENV = prov.environment("cpu")


def _env(gpu: str, sms: int, torch: str = "2.13.0+cu130") -> dict:
    env = dict(_CPU_ENV)
    env.update(device="cuda", gpu=gpu, gpu_sms=sms, torch=torch, cuda="13.0")
    return env


@pytest.mark.parametrize("call", ["rand", "randn"])
def test_cuda_eras_are_kept_per_gpu_model(tmp_path, call):
    """A large CUDA draw recorded on an H100 and an A100 makes two eras, labelled by GPU model
    and SM count; a second H100 with a newer torch joins the H100 era; an A100 run against a
    ledger holding only the H100 is "changed", compared with the H100 era, the message naming
    both GPUs."""
    case = next(c for c in load_catalog(devices=["cuda"])
                if c.id == f"torch.Generator:cuda:{call}(524288)@17")
    ledger = Ledger.load(tmp_path)
    gpus = {"h100": ("NVIDIA H100 80GB HBM3", 132, tc.GPUS["NVIDIA H100 SXM"]),
            "a100": ("NVIDIA A100-SXM4-80GB", 108, tc.GPUS["NVIDIA A100"])}
    verdicts = {}
    for key, torch_version in (("h100", "2.13.0+cu130"), ("a100", "2.13.0+cu130"),
                               ("h100", "2.15.0+cu132")):
        name, sms, geometry = gpus[key]
        with mock.patch.object(prov, "environment", lambda device="cpu": _env(name, sms,
                                                                                torch_version)):
            verdicts[key, torch_version] = v = engine.check(case, _ModelledGpu(geometry), ledger)
            recording.record(v, ledger)
    ledger.save()
    eras = Ledger.load(tmp_path).eras(case.backend, case.id)
    assert [sorted(e.environments) for e in eras] == [
        ["torch-2.13.0+cu130/NVIDIA_H100_80GB_HBM3/132SM/Linux/x86_64",
         "torch-2.15.0+cu132/NVIDIA_H100_80GB_HBM3/132SM/Linux/x86_64"],
        ["torch-2.13.0+cu130/NVIDIA_A100-SXM4-80GB/108SM/Linux/x86_64"]]
    assert verdicts["h100", "2.15.0+cu132"].status == "matches"

    (tmp_path / "fresh").mkdir()
    fresh = Ledger.load(tmp_path / "fresh")
    name, sms, geometry = gpus["h100"]
    with mock.patch.object(prov, "environment", lambda device="cpu": _env(name, sms)):
        recording.record(engine.check(case, _ModelledGpu(geometry), fresh), fresh)
    name, sms, geometry = gpus["a100"]
    with mock.patch.object(prov, "environment", lambda device="cpu": _env(name, sms)):
        verdict = engine.check(case, _ModelledGpu(geometry), fresh)
        message = verdict.message()
    assert verdict.status == "changed", verdict.status
    assert "NVIDIA_A100" in message and "NVIDIA_H100" in message, message
    wave = tc.GPUS["NVIDIA A100"].wave
    assert f"first at index {wave}:" in message, message


def test_recorded_cuda_goldens_are_compared_with_the_model(tmp_path):
    """Goldens recorded on a GPU are predicted call by call from their provenance (SM count,
    threads per SM, torch release), continuing the offset between calls: a faithful recording
    agrees bit for bit, and a recording with one value changed is caught."""
    from rngsuite.core.catalog import Call, Case

    h100 = tc.GPUS["NVIDIA H100 SXM"]
    case = Case("torch.Generator:cuda", (17,), (Call("rand", (300_000,)), Call("rand", (5,))),
                device="cuda")
    ledger = Ledger.load(tmp_path)
    env = {**_env("NVIDIA H100 80GB HBM3", 132), "gpu_threads_per_sm": 2048}
    label = prov.label(env, ("torch", "gpu", "gpu_sms", "system", "machine"))
    draws = tc.predict(case, h100)
    # The second call starts where the first left the offset: one curand4 per thread covers
    # 270,336 threads x 4 values, so 4.
    assert tc.offset_after(300_000, h100) == 4
    assert np.array_equal(draws[1], tc.rand(17, 5, geometry=h100, offset=4))
    assert not np.array_equal(draws[1], tc.rand(17, 5, geometry=h100))
    ledger.record(case.backend, case.id, label, env, draws)
    (row,) = cuda_goldens.recorded(ledger, [case])
    assert row[3] == h100
    assert {r["call"]: r["bit-exact"] for r in cuda_goldens.table(ledger, [case])} == \
        {"rand(300000)": 1.0, "rand(5)": 1.0}
    bad = [d.copy() for d in draws]
    bad[0][123_456] = np.nextafter(bad[0][123_456], np.float32(2))
    (tmp_path / "x").mkdir()
    other = Ledger.load(tmp_path / "x")
    other.record(case.backend, case.id, label, env, bad)
    rows = cuda_goldens.table(other, [case])
    assert rows[0]["bit-exact"] == 1 - 1 / 300_000 and rows[1]["bit-exact"] == 1.0


@pytest.mark.parametrize("seed,counter", [(0, 0), (17, 2**64 - 1000), (2**63 + 5, 2**192 - 7)])
def test_philox4x64_agrees_with_numpy_on_millions_of_words(seed, counter):
    """The Philox4x64-10 model gives numpy.random.Philox's raw words for 4,000,000 words a seed,
    across the counter's 64-bit carries."""
    from rngsuite.reference.philox import philox_random_raw

    n = 4_000_000
    live = np.random.Philox(seed, counter=counter).random_raw(n)
    model = philox_random_raw(seed, n, counter=counter)
    differ = np.flatnonzero(model != live)
    assert differ.size == 0, f"{differ.size} of {n} words differ; first at {differ[0]}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 5, 4097, 300_000, 2_000_003])
def test_the_model_at_a_few_indices_is_the_model_of_the_whole_draw(n, dtype):
    """randn(..., at=indices) -- how the published GPU outputs are checked without modelling
    9.5 million values -- gives exactly the whole draw's values at those indices."""
    geometry = tc.GPUS["NVIDIA A100"]
    whole = tc.randn(17, n, geometry=geometry, dtype=dtype)
    at = np.random.default_rng(n).integers(0, n, 64)
    assert np.array_equal(tc.randn(17, n, geometry=geometry, dtype=dtype, at=at), whole[at])
