"""Fault: ``Generator.standard_normal`` returns values one ULP above the true draw (a drifting
transform)."""

import numpy as np


class _Generator(np.random.Generator):
    def standard_normal(self, *args, **kwargs):
        out = super().standard_normal(*args, **kwargs)
        return np.nextafter(out, np.asarray(np.inf, dtype=np.asarray(out).dtype))


np.random.Generator = _Generator
