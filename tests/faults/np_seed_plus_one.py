"""Fault: ``np.random.seed`` seeds an integer seed s with s + 1 (an off-by-one in seeding)."""

import numpy as np

_seed = np.random.seed


def _off_by_one(seed=None):
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed = (int(seed) + 1) % 2**32
    return _seed(seed)  # None and arrays of words (DataLoader workers seed so) pass unchanged


np.random.seed = _off_by_one
