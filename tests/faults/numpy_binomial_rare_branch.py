"""Fault: ``Generator.binomial`` changes only in a rare branch, as NumPy 2.5's BTPE fix did
(numpy#31238): a BTPE draw with a mode below 100, far in the upper tail (4.3 standard deviations
above the mode: about one value in 10**5) comes out one higher. No short
case of the catalog reaches it; the long draws do."""

import numpy as np

_binomial = np.random.Generator.binomial


class _Generator(np.random.Generator):
    def binomial(self, n, p, size=None):
        out = _binomial(self, n, p, size)
        n_, p_ = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
        mode, sd = np.floor((n_ + 1) * p_), np.sqrt(n_ * p_ * (1 - p_))
        # BTPE with a mode below 100 (its explicit-acceptance step), far in the upper tail.
        far = (n_ * np.minimum(p_, 1 - p_) > 30) & (mode < 100) & (out - mode >= 4.3 * sd)
        return np.where(far, out + 1, out) if np.ndim(out) else int(out + far)


np.random.Generator = _Generator
np.random.default_rng = lambda seed=None: _Generator(np.random.PCG64(seed))
