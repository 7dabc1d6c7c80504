"""Fault: ``np.random.seed`` seeds with seed + 1 (an off-by-one in seeding)."""

import numpy as np

_seed = np.random.seed


def _off_by_one(seed=None):
    return _seed(None if seed is None else (seed + 1) % 2**32)


np.random.seed = _off_by_one
