"""Fault: restoring an ``MT19937`` state lands one 32-bit word past the checkpoint (an
off-by-one in the restored position)."""

import numpy as np

_MT19937 = np.random.MT19937


class _OneOff(_MT19937):
    @property
    def state(self):
        return _MT19937.state.__get__(self)

    @state.setter
    def state(self, value):
        _MT19937.state.__set__(self, value)
        self.random_raw()  # the restored stream starts one word later


np.random.MT19937 = _OneOff
