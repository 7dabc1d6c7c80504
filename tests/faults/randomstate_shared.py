"""Fault: every ``RandomState`` draws from one shared MT19937, so all instances share a state."""

import numpy as np

_SHARED = np.random.MT19937()


class _SharedState(np.random.mtrand.RandomState):
    def __init__(self, seed=None):
        super().__init__(_SHARED)
        self.seed(seed)


np.random.RandomState = _SharedState
