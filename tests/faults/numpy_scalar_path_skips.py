"""Fault: ``Generator.random()`` with no size (the scalar path) returns the second value of the
stream instead of the first; sized draws are untouched, so only a golden of the scalar path
(``random(size=None)``) sees it."""

import numpy as np


class _Generator(np.random.Generator):
    def random(self, size=None, *args, **kwargs):
        if size is None:
            return float(super().random(2, *args, **kwargs)[1])
        return super().random(size, *args, **kwargs)


np.random.Generator = _Generator
np.random.default_rng = lambda seed=None: _Generator(np.random.PCG64(seed))
