"""What the NumPy backends share: dtypes, array arguments, and how a call table is made."""

from __future__ import annotations

import functools
import warnings
from typing import Any, ClassVar, Iterable

import numpy as np

from rngsuite.backends._introspect import parameter_names
from rngsuite.backends.base import Adapter, CallSpec
from rngsuite.core.catalog import Call, DType, Make
from rngsuite.core.compare import np_dtype


def _shuffled(h: Any, x: np.ndarray, **kwargs: Any) -> np.ndarray:
    h.shuffle(x, **kwargs)  # Generator.shuffle takes axis=
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


SHUFFLE = CallSpec(_shuffled, "x = {pos}; {h}.shuffle(x{kw_}); x")
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
    #: The class whose methods the calls are: its signatures say where each call's size goes.
    methods_of: ClassVar[type] = np.random.RandomState

    @functools.lru_cache(maxsize=None)
    def size_index(self, name: str) -> int | None:
        """The position of a call's ``size`` parameter, or None when it has none."""
        names = parameter_names(getattr(self.methods_of, name, None))
        return names.index("size") if names and "size" in names else None

    def requested_shape(self, call: Call, draw: np.ndarray) -> tuple[int, ...] | None:
        """The ``size`` the call passes (None: the scalar path), read with the method's
        signature; NumPy's draws add dimensions of their own (``dirichlet``), so not from the
        draw."""
        index = self.size_index(call.name)
        if index is None:
            if parameter_names(getattr(self.methods_of, call.name, None)) in (None, ["args"]):
                # rand(d0, d1, ..., dn) and randn: the sizes are the arguments; none, a scalar.
                return tuple(call.args) or None
            return super().requested_shape(call, draw)
        kwargs = dict(call.kwargs)
        size = kwargs["size"] if "size" in kwargs else (
            call.args[index] if len(call.args) > index else None)
        if size is None:
            return None
        return (size,) if isinstance(size, int) else tuple(size)

    def with_size(self, call: Call, size: Any) -> Call | None:
        index = self.size_index(call.name)
        if index is None or len(call.args) > index + 1:
            return None  # no size, or positional arguments after it: not rewritten
        kwargs = tuple((k, v) for k, v in call.kwargs if k != "size") + (("size", size),)
        return Call(call.name, call.args[:index], kwargs, call.repeat, call.stream)

    def make(self, maker: Make) -> np.ndarray:
        kwargs = {k: self._value(v) for k, v in maker.kwargs}
        return getattr(np, maker.name)(*(self._value(a) for a in maker.args), **kwargs)

    def dtype(self, dtype: DType) -> np.dtype:
        return np_dtype(dtype.name)

    def render_make(self, maker: Make) -> str:
        parts = [self._text(a) for a in maker.args] + [f"{k}={self._text(v)}"
                                                       for k, v in maker.kwargs]
        return f"np.{maker.name}({', '.join(parts)})"

    def render_dtype(self, dtype: DType) -> str:
        return f"np.{dtype.name}"
