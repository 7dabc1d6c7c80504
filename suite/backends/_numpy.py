"""What the NumPy backends share: dtypes, array arguments, and the legacy call table."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from suite.backends.base import Adapter, CallSpec
from suite.catalog import DType, Make


def _shuffled(h: Any, x: np.ndarray) -> np.ndarray:
    h.shuffle(x)
    return x


def _method(name: str) -> CallSpec:
    return CallSpec(lambda h, *a, **k: getattr(h, name)(*a, **k), f"{{h}}.{name}({{args}})")


SHUFFLE = CallSpec(_shuffled, "x = {args}; {h}.shuffle(x); x")

#: The legacy ``RandomState`` methods, which are also the ``np.random`` module functions.
LEGACY_CALLS = {name: _method(name) for name in (
    "rand", "randn", "randint", "random", "random_sample", "normal", "uniform", "choice",
    "permutation", "standard_normal", "binomial", "poisson", "exponential")}
LEGACY_CALLS["shuffle"] = SHUFFLE


class NumpyAdapter(Adapter):
    """Base for the NumPy backends: NumPy arrays, NumPy dtypes."""

    library = "numpy"
    imports: ClassVar[str] = "import numpy as np"

    def make(self, maker: Make) -> np.ndarray:
        return getattr(np, maker.name)(*(self._value(a) for a in maker.args))

    def dtype(self, dtype: DType) -> np.dtype:
        return np.dtype(dtype.name)

    def render_make(self, maker: Make) -> str:
        return f"np.{maker.name}({', '.join(self._text(a) for a in maker.args)})"

    def render_dtype(self, dtype: DType) -> str:
        return f"np.{dtype.name}"
