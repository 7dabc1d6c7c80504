"""What the NumPy backends share: dtypes, array arguments, and how a call table is made."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Iterable

import numpy as np

from suite.backends.base import Adapter, CallSpec
from suite.core.catalog import DType, Make


def _shuffled(h: Any, x: np.ndarray) -> np.ndarray:
    h.shuffle(x)
    return x


def _method(name: str) -> CallSpec:
    return CallSpec(lambda h, *a, **k: getattr(h, name)(*a, **k), f"{{h}}.{name}({{args}})")


def _quiet(name: str) -> CallSpec:
    """A deprecated method that still draws: called with its DeprecationWarning silenced."""
    def fn(h: Any, *a: Any, **k: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return getattr(h, name)(*a, **k)
    return CallSpec(fn, f"{{h}}.{name}({{args}})")


SHUFFLE = CallSpec(_shuffled, "x = {args}; {h}.shuffle(x); x")
#: bytes(n) returns a bytes object: compared as a uint8 array.
BYTES = CallSpec(lambda h, n: np.frombuffer(h.bytes(n), dtype=np.uint8),
                 "np.frombuffer({h}.bytes({args}), dtype=np.uint8)")

#: Calls that need more than ``getattr(stream, name)(*args)``.
LEGACY_SPECIAL = {
    "shuffle": SHUFFLE,  # shuffles in place and returns None: the draw is the shuffled array
    "bytes": BYTES,
    "random_integers": _quiet("random_integers"),  # deprecated since NumPy 1.11, still public
}


def call_table(names: Iterable[str], special: dict[str, CallSpec]) -> dict[str, CallSpec]:
    return {name: special.get(name) or _method(name) for name in names}


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
