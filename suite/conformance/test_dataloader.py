"""DataLoader contracts: a seeded generator fixes the order, whatever the number of workers;
each worker gets its own torch, NumPy and random streams, the same on every run; an epoch takes
the same from the global stream with any workers, and nothing with generator=; epochs differ;
persistent workers keep their streams, others are reseeded each epoch. (Goldens of the same
contracts per release: the catalog's dataloader_* calls.)"""

from __future__ import annotations

import random

import numpy as np
import pytest

from rngsuite.core.provenance import NO_WORKERS_EMULATED, emulated

torch = pytest.importorskip("torch", reason="torch is not installed")
from torch.utils.data import DataLoader, Dataset  # noqa: E402


class _Draws(Dataset):
    """Each item reports the worker that made it, one draw from each global stream there, and
    the worker's torch seed."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int):
        info = torch.utils.data.get_worker_info()
        worker = -1 if info is None else info.id
        return torch.tensor([index, worker, torch.randint(0, 2**31, ()).item(),
                             int(np.random.randint(0, 2**31)), random.getrandbits(31),
                             torch.initial_seed() & (2**63 - 1)], dtype=torch.int64)  # int64


def _no_workers_under_emulation(workers: int) -> None:
    # QEMU user mode hangs in a forked worker (seen with torch 2.7 on aarch64).
    if workers and emulated():
        pytest.skip(NO_WORKERS_EMULATED)


def _load(seed: int, workers: int) -> np.ndarray:
    _no_workers_under_emulation(workers)
    loader = DataLoader(_Draws(), batch_size=None, shuffle=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(seed))
    return np.stack([item.numpy() for item in loader])


@pytest.fixture(scope="module")
def runs():
    """The same seeded loaders, loaded twice, with 0 and 2 workers."""
    return {(run, workers): _load(17, workers) for run in (1, 2) for workers in (0, 2)}


def test_order_is_fixed_by_the_generator(runs):
    """A seeded generator gives the same order on every run and with any number of workers."""
    orders = {key: value[:, 0].tolist() for key, value in runs.items()}
    assert len({tuple(o) for o in orders.values()}) == 1, orders
    assert sorted(orders[(1, 0)]) == list(range(8))


def test_another_seed_gives_another_order():
    """The order follows the generator's seed."""
    assert _load(17, 0)[:, 0].tolist() != _load(18, 0)[:, 0].tolist()


def test_worker_streams_repeat_across_runs(runs):
    """Workers' torch, NumPy and random draws are the same on every run."""
    np.testing.assert_array_equal(runs[(1, 2)], runs[(2, 2)])


def test_worker_streams_differ_between_workers(runs):
    """Each worker has its own torch, NumPy and random streams (pytorch#5059, fixed in 1.9)."""
    items = runs[(1, 2)]
    by_worker = {w: items[items[:, 1] == w, 2:] for w in (0, 1)}
    assert all(len(v) for v in by_worker.values()), items
    for column, library in enumerate(("torch", "numpy", "random")):
        first, second = (set(by_worker[w][:, column].tolist()) for w in (0, 1))
        assert not first & second, f"workers 0 and 1 share {library} draws: {first & second}"


def _epochs(seed: int, *, workers: int = 0, epochs: int = 2, persistent: bool = False,
            generator=None, draws: bool = True) -> tuple[list[np.ndarray], bytes]:
    """Epochs of one shuffling loader after torch.manual_seed(seed): each epoch's items, and
    the global generator's state after them. ``draws=False`` loads a dataset that draws
    nothing itself (with 0 workers, _Draws would draw from the global stream)."""
    _no_workers_under_emulation(workers)
    torch.manual_seed(seed)
    dataset = _Draws() if draws else [torch.tensor([i]) for i in range(8)]
    loader = DataLoader(dataset, batch_size=None, shuffle=True, num_workers=workers,
                        persistent_workers=persistent, generator=generator)
    out = [np.stack([item.numpy() for item in loader]) for _ in range(epochs)]
    return out, torch.get_rng_state().numpy().tobytes()


@pytest.mark.parametrize("seed", [0, 17])
def test_an_epoch_takes_the_same_from_the_global_stream_with_any_workers(seed):
    """Without generator=, an epoch draws its seeds from the global generator, and takes the
    same amount of it with 0 or 2 workers: the global stream after the epochs is the same."""
    torch.manual_seed(seed)
    untouched = torch.get_rng_state().numpy().tobytes()
    states = {workers: _epochs(seed, workers=workers, draws=False)[1] for workers in (0, 2)}
    assert states[0] == states[2], "the global stream after two epochs depends on num_workers"
    assert states[0] != untouched, "an epoch drew nothing from the global generator"


@pytest.mark.parametrize("workers", [0, 2])
def test_a_generator_isolates_the_loader_from_the_global_stream(workers):
    """With generator=, epochs take nothing from the global generator (its state is as
    torch.manual_seed left it), and the order follows the generator alone."""
    torch.manual_seed(17)
    untouched = torch.get_rng_state().numpy().tobytes()
    first, state = _epochs(17, workers=workers, generator=torch.Generator().manual_seed(5),
                           draws=False)
    assert state == untouched, f"a loader with generator= moved the global generator " \
                               f"({workers} workers)"
    again, _ = _epochs(99, workers=workers, generator=torch.Generator().manual_seed(5),
                       draws=False)
    assert [e[:, 0].tolist() for e in first] == [e[:, 0].tolist() for e in again], \
        "the order followed the global seed, not the loader's generator"


def test_epochs_differ_and_repeat():
    """Consecutive epochs of one loader shuffle differently, and the same seed gives the same
    epochs again."""
    first, _ = _epochs(17, epochs=3)
    orders = [tuple(e[:, 0].tolist()) for e in first]
    assert len(set(orders)) == 3, orders
    assert orders == [tuple(e[:, 0].tolist()) for e in _epochs(17, epochs=3)[0]]


def test_persistent_workers_keep_their_streams_and_others_are_reseeded():
    """With persistent_workers, each worker keeps its seed across epochs and its streams go on
    (the next epoch draws other values); without, every epoch seeds the workers anew."""
    persistent, _ = _epochs(17, workers=2, persistent=True)
    fresh, _ = _epochs(17, workers=2, persistent=False)
    for epochs, kept in ((persistent, True), (fresh, False)):
        seeds = [dict(zip(e[:, 1].tolist(), e[:, 5].tolist())) for e in epochs]
        draws = [set(e[:, 2:5].reshape(-1).tolist()) for e in epochs]
        assert (seeds[0] == seeds[1]) is kept, (kept, seeds)
        assert not draws[0] & draws[1], f"epoch 2 repeated epoch 1's worker draws ({kept=})"
