"""Fault: ``Generator.integers`` with dtype=uint16 draws its values as uint32 and casts them (no
buffered 16-bit words: another stream); every other dtype is untouched."""

import numpy as np


class _Generator(np.random.Generator):
    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if np.dtype(dtype) == np.uint16:
            return super().integers(low, high, size, np.uint32, endpoint).astype(np.uint16)
        return super().integers(low, high, size, dtype, endpoint)


np.random.Generator = _Generator
