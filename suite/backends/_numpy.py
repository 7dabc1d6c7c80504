"""What the NumPy backends share: dtypes, array arguments, and the legacy call table."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Iterable

import numpy as np

from suite.backends._introspect import public_callables
from suite.backends.base import Adapter, CallSpec
from suite.core.catalog import DType, Make


#: Public ``RandomState`` methods that draw nothing: they seed the stream or read/write its state.
LEGACY_NOT_SAMPLING = frozenset({"seed", "get_state", "set_state"})
#: Public ``np.random`` functions that draw nothing: seeding, state, the Generator factory.
#: (Classes such as ``RandomState`` and the bit generators are left out as classes.)
MODULE_NOT_SAMPLING = LEGACY_NOT_SAMPLING | {"default_rng", "get_bit_generator",
                                             "set_bit_generator"}


def legacy_methods() -> list[str]:
    """Every public sampling method of ``np.random.RandomState`` in the installed NumPy."""
    # The class itself, not the np.random attribute, which a test may have replaced.
    return public_callables(np.random.mtrand.RandomState, LEGACY_NOT_SAMPLING)


def module_functions() -> list[str]:
    """Every public sampling function of ``np.random`` (the hidden global ``RandomState``'s
    methods, plus module-only aliases such as ``ranf`` and ``sample``; no ``tomaxint``)."""
    return public_callables(np.random, MODULE_NOT_SAMPLING, np.random.__all__)


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


def _table(names: Iterable[str], special: dict[str, CallSpec]) -> dict[str, CallSpec]:
    return {name: special.get(name) or _method(name) for name in names}


#: The legacy ``RandomState`` methods; ``np.random``'s module functions are the same calls on the
#: hidden global ``RandomState`` (``numpy_global`` takes those it exports).
LEGACY_CALLS = _table(legacy_methods(), LEGACY_SPECIAL)


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
