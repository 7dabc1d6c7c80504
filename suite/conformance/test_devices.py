"""Devices: each device's generator is its own stream. Seeding functions reach exactly the
generators they name, a CUDA state is its seed and offset, saving and restoring every device
round-trips, fork_rng restores every forked device, a draw on one device never moves another,
and the deterministic-algorithms switch never changes a sampled value.

The CUDA properties run where a CUDA device is under test (``--device cuda`` or ``all``) and
skip with one reason elsewhere. The values a CUDA draw gives are checked by the goldens and by
the Philox model (``suite/reference/torch_cuda.py``); this module checks the plumbing.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

from rngsuite.reference import torch_cuda

pytest.importorskip("torch", reason="torch is not installed")

SEEDS = st.one_of(st.sampled_from([0, 1, 17, 2**32 - 1, 2**32, 2**63, 2**64 - 1]),
                  st.integers(0, 2**64 - 1))
SIZES = st.one_of(st.integers(0, 40), st.sampled_from([255, 256, 257, 4097, 300_000]))


def _torch():
    import torch

    return torch


def _index(device: str) -> int:
    torch = _torch()
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device (torch.cuda.is_available() is False)")
    return torch.device(device).index or 0 if ":" in device else torch.cuda.current_device()


def _states() -> dict[str, bytes]:
    """Every generator's state: the CPU's and each CUDA device's."""
    torch = _torch()
    states = {"cpu": torch.get_rng_state().numpy().tobytes()}
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            states[f"cuda:{i}"] = torch.cuda.get_rng_state(i).numpy().tobytes()
    return states


def _cpu_state(seed: int) -> bytes:
    g = _torch().Generator()
    g.manual_seed(seed)
    return g.get_state().numpy().tobytes()


#: Samplers on a device, by name: each takes (n, device, generator).
SAMPLERS = {
    "rand": lambda t, n, d, g: t.rand(n, device=d, generator=g),
    "rand(float64)": lambda t, n, d, g: t.rand(n, device=d, dtype=t.float64, generator=g),
    "randn": lambda t, n, d, g: t.randn(n, device=d, generator=g),
    "randint": lambda t, n, d, g: t.randint(0, 10, (n,), device=d, generator=g),
    "randperm": lambda t, n, d, g: t.randperm(n, device=d, generator=g),
    "bernoulli": lambda t, n, d, g: t.bernoulli(t.full((n,), 0.5, device=d), generator=g),
    "multinomial": lambda t, n, d, g: t.multinomial(t.ones(7, device=d), n, replacement=True,
                                                    generator=g) if n else t.empty(0),
    "exponential_": lambda t, n, d, g: t.empty(n, device=d).exponential_(generator=g),
}


@given(seed=SEEDS)
def test_cuda_seeding_reaches_exactly_the_generators_it_names(cuda_device, seed):
    """torch.cuda.manual_seed seeds the current CUDA device only, manual_seed_all every CUDA
    device, torch.manual_seed the CPU and every CUDA device; none touches another generator."""
    torch = _torch()
    index = _index(cuda_device)
    cudas = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    with torch.cuda.device(index), torch.random.fork_rng(devices=range(len(cudas))):
        torch.cuda.manual_seed(seed ^ 1)   # a known state everywhere else first
        torch.cuda.manual_seed_all(seed ^ 1)
        before = _states()
        torch.cuda.manual_seed(seed)
        after = _states()
        expected = {**before, f"cuda:{index}": torch_cuda.state(seed, 0)}
        assert after == expected, f"torch.cuda.manual_seed({seed}) on cuda:{index}: changed " \
            f"{sorted(k for k in after if after[k] != expected[k])}"
        torch.cuda.manual_seed_all(seed)
        expected = {**before, **{c: torch_cuda.state(seed, 0) for c in cudas}}
        got = _states()
        assert got == expected, f"torch.cuda.manual_seed_all({seed}): wrong state on " \
            f"{sorted(k for k in got if got[k] != expected[k])}"
        torch.manual_seed(seed)
        expected = {"cpu": _cpu_state(seed), **{c: torch_cuda.state(seed, 0) for c in cudas}}
        got = _states()
        assert got == expected, f"torch.manual_seed({seed}): wrong state on " \
            f"{sorted(k for k in got if got[k] != expected[k])}"


@given(seed=SEEDS, sizes=st.lists(SIZES, min_size=1, max_size=4),
       sampler=st.sampled_from(sorted(SAMPLERS)))
def test_cuda_state_is_the_seed_and_an_offset_that_only_grows(cuda_device, seed, sizes, sampler):
    """A CUDA generator's state is 16 bytes, the seed then the Philox offset (little-endian
    uint64); a draw keeps the seed and advances the offset by a multiple of 4, an empty draw
    may not move it, and restoring the state repeats the draw."""
    torch = _torch()
    _index(cuda_device)
    g = torch.Generator(device=cuda_device)
    g.manual_seed(seed)
    state = g.get_state().numpy().tobytes()
    assert state == torch_cuda.state(seed, 0), \
        f"{cuda_device}: manual_seed({seed}) state {state.hex()}"
    offset = 0
    for n in sizes:
        saved = g.get_state()
        first = SAMPLERS[sampler](torch, n, cuda_device, g).cpu()
        seed_now, offset_now = np.frombuffer(g.get_state().numpy().tobytes(), dtype="<u8")
        assert seed_now == seed and offset_now % 4 == 0 and offset_now >= offset, (
            f"{cuda_device}: {sampler}({n}) after manual_seed({seed}): state (seed {seed_now}, "
            f"offset {offset_now}), before offset {offset}")
        g.set_state(saved)
        again = SAMPLERS[sampler](torch, n, cuda_device, g).cpu()
        assert torch.equal(first, again), f"{cuda_device}: {sampler}({n}) after set_state differs"
        offset = int(offset_now)


@given(seed=SEEDS, n=SIZES)
def test_every_device_state_round_trips(cuda_device, seed, n):
    """get_rng_state_all / set_rng_state_all save and restore every CUDA device: the draws after
    a restore repeat on each device, and the CPU's state is not part of it."""
    torch = _torch()
    _index(cuda_device)
    cudas = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    with torch.random.fork_rng(devices=range(len(cudas))):
        torch.manual_seed(seed)
        saved = torch.cuda.get_rng_state_all()
        first = [torch.rand(n, device=c).cpu() for c in cudas]
        cpu = torch.get_rng_state()
        torch.cuda.set_rng_state_all(saved)
        assert torch.equal(torch.get_rng_state(), cpu), "set_rng_state_all moved the CPU state"
        again = [torch.rand(n, device=c).cpu() for c in cudas]
        for c, a, b in zip(cudas, first, again):
            assert torch.equal(a, b), f"{c}: rand({n}) after set_rng_state_all differs (seed {seed})"


@pytest.mark.parametrize("raises", [False, True], ids=["returns", "raises"])
@given(seed=SEEDS, n=SIZES)
def test_fork_rng_restores_the_cpu_and_every_forked_device(cuda_device, raises, seed, n):
    """torch.random.fork_rng(devices=[...]) puts the CPU state and each listed device's state
    back on exit, also when its body raises."""
    torch = _torch()
    index = _index(cuda_device)
    torch.manual_seed(seed)
    before = _states()

    class Boom(Exception):
        pass

    with contextlib.suppress(Boom):
        with torch.random.fork_rng(devices=[index]):
            torch.manual_seed(seed ^ 0x5DEECE66D)
            torch.rand(n), torch.rand(n, device=cuda_device)
            if raises:
                raise Boom
    after = _states()
    moved = sorted(k for k in ("cpu", f"cuda:{index}") if after[k] != before[k])
    assert not moved, f"fork_rng(devices=[{index}]) did not restore {moved} " \
        f"({'body raised' if raises else 'body returned'}; seed {seed}, n {n})"


@pytest.mark.parametrize("direction", ["cpu->cuda", "cuda->cpu"])
@given(seed=SEEDS, n=SIZES, sampler=st.sampled_from(sorted(SAMPLERS)))
def test_a_draw_on_one_device_never_moves_another(cuda_device, direction, seed, n, sampler):
    """Drawing from one device's default generator leaves every other device's state as it
    was: CPU draws never move a CUDA generator, CUDA draws never move the CPU's or another
    CUDA device's."""
    torch = _torch()
    index = _index(cuda_device)
    on = "cpu" if direction == "cpu->cuda" else f"cuda:{index}"
    torch.manual_seed(seed)
    before = _states()
    SAMPLERS[sampler](torch, n, on, None)
    after = _states()
    moved = sorted(k for k in before if k != on and after[k] != before[k])
    assert not moved, f"{sampler}({n}) on {on} after torch.manual_seed({seed}) moved {moved}"


@given(seed=SEEDS, n=SIZES, sampler=st.sampled_from(sorted(SAMPLERS)))
def test_deterministic_algorithms_never_change_a_sampled_value(device, seed, n, sampler):
    """torch.use_deterministic_algorithms(True) changes no sampled value and no generator
    state: sampling is deterministic per device already (pytorch#194676 shows the switch does
    not make CUDA draws agree across GPU models either; this checks it changes nothing here)."""
    torch = _torch()
    if device.split(":")[0] == "cuda":
        _index(device)
    g = torch.Generator(device=device)
    was = torch.are_deterministic_algorithms_enabled()
    draws, states = [], []
    try:
        for flag in (False, True):
            torch.use_deterministic_algorithms(flag)
            g.manual_seed(seed)
            draws.append(SAMPLERS[sampler](torch, n, device, g).cpu())
            states.append(g.get_state())
    finally:
        torch.use_deterministic_algorithms(was)
    assert torch.equal(draws[0], draws[1]), (
        f"{device}: {sampler}({n}) after manual_seed({seed}) differs with "
        f"use_deterministic_algorithms(True)")
    assert torch.equal(states[0], states[1]), (
        f"{device}: {sampler}({n}) leaves another generator state with deterministic algorithms")
