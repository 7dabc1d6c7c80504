"""Fault: ``np.random.seed`` and ``RandomState`` take a negative seed as 2**32 + s instead of
refusing it: a seed nobody chose silently maps onto another seed's stream."""

import numpy as np

_seed = np.random.seed
_RandomState = np.random.RandomState


def _wrap(seed):
    if isinstance(seed, int) and not isinstance(seed, bool) and seed < 0:
        return seed % 2**32
    return seed


def _wrapping_seed(seed=None):
    return _seed(_wrap(seed))


class _Wrapping(_RandomState):
    def __init__(self, seed=None):
        super().__init__(_wrap(seed))


np.random.seed = _wrapping_seed
np.random.RandomState = _Wrapping
