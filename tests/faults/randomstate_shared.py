"""Fault: every ``RandomState`` is the same object, so all instances share one state."""

import numpy as np

_shared = np.random.RandomState(0)


def _one_for_all(seed=None):
    _shared.seed(seed)
    return _shared


np.random.RandomState = _one_for_all
