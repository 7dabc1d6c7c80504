"""Python's ``random``: the module-level stream and ``random.Random`` instances."""

from __future__ import annotations

import random
from typing import Any, ClassVar, Sequence

import numpy as np

from rngsuite.backends._introspect import public_callables
from rngsuite.backends.base import Adapter, CallSpec
from rngsuite.core.catalog import DType, Make


def _shuffled(h: Any, x: list) -> list:
    h.shuffle(x)
    return x


def _method(name: str) -> CallSpec:
    return CallSpec(lambda h, *a, **k: getattr(h, name)(*a, **k), f"{{h}}.{name}({{args}})",
                    method=name)


#: Public ``random.Random`` methods that draw nothing: seeding and state. (The module functions
#: are the same methods of a hidden instance.)
PYTHON_NOT_SAMPLING = frozenset({"seed", "getstate", "setstate"})


def python_methods() -> list[str]:
    """Every public sampling method of ``random.Random`` in this Python."""
    return public_callables(random.Random, PYTHON_NOT_SAMPLING)


PYTHON_CALLS = {name: _method(name) for name in python_methods()}
# shuffle works in place and returns None: the draw is the shuffled list.
PYTHON_CALLS["shuffle"] = CallSpec(_shuffled, "x = {args}; {h}.shuffle(x); x")


class _PythonAdapter(Adapter):
    library = "python"
    imports: ClassVar[str] = "import random"
    calls = PYTHON_CALLS
    # random is pure Python under the GIL: no thread pool ever draws its values.
    threaded = False

    # random.seed takes any int (its absolute value); the suite draws seeds up to 128 bits.
    seed_range = (0, 2**128 - 1)

    def provenance_keys(self) -> tuple[str, ...]:
        return ("python", "system", "machine")

    def get_state(self, handle: Any) -> Any:
        return (random if self.owner else handle).getstate()

    def set_state(self, handle: Any, state: Any) -> None:
        (random if self.owner else handle).setstate(state)

    def make(self, maker: Make) -> Any:
        if maker.name != "arange":
            raise ValueError(f"python.random has lists only: {maker} is not available")
        return list(range(*maker.args))

    def render_make(self, maker: Make) -> str:
        return f"list(range({', '.join(self._text(a) for a in maker.args)}))"

    def dtype(self, dtype: DType) -> Any:
        raise ValueError("python.random takes no dtype")

    def to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, bytes):  # randbytes
            return np.frombuffer(value, dtype=np.uint8).copy()
        flat = value if isinstance(value, list) else [value]
        if flat and all(isinstance(v, int) for v in flat):
            # getrandbits(64) words exceed int64: keep integer draws exact, never as floats.
            top, low = max(flat), min(flat)
            if top >= 2**64 and low >= 0:
                # Wider than 64 bits (getrandbits(100), randrange(2**70)): each value as its
                # 64-bit words, least significant first (an extra last axis).
                words = -(-top.bit_length() // 64)
                return np.array([[(v >> (64 * i)) & (2**64 - 1) for i in range(words)]
                                 for v in flat], dtype=np.uint64).reshape(
                    np.shape(value) + (words,))
            dtype = np.uint64 if top > np.iinfo(np.int64).max else np.int64
            return np.asarray(value, dtype=dtype)
        return np.asarray(value, dtype=np.float64)

    def stack(self, values: list[Any]) -> np.ndarray:
        return self.to_numpy(list(values))


class PythonGlobal(_PythonAdapter):
    """``random.seed(s); random.<call>(...)``."""

    name = "python.random"
    owner = "python.random"

    def open(self, seeds: Sequence[int]) -> list[Any]:
        random.seed(self.seed_value(seeds[0]))
        return [random]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        return f"random.seed({self.seed_text(seeds[0])})", ["random"]


class PythonRandom(_PythonAdapter):
    """``r = random.Random(s); r.<call>(...)``."""

    name = "python.Random"
    max_streams = 26

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [random.Random(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "r")
        return "; ".join(f"{n} = random.Random({self.seed_text(s)})" for n, s in zip(names, seeds)), names


BACKENDS = [PythonGlobal(), PythonRandom()]
