"""DataLoader seeding: a seeded generator fixes the order, whatever the number of workers, and
each worker gets its own torch, NumPy and random streams, the same on every run."""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed")
from torch.utils.data import DataLoader, Dataset  # noqa: E402


class _Draws(Dataset):
    """Each item reports the worker that made it and one draw from each global stream there."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int):
        info = torch.utils.data.get_worker_info()
        worker = -1 if info is None else info.id
        return torch.tensor([index, worker, torch.randint(0, 2**31, ()).item(),
                             int(np.random.randint(0, 2**31)), random.getrandbits(31)],
                            dtype=torch.int64)


def _load(seed: int, workers: int) -> np.ndarray:
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
