"""pandas' ``DataFrame.sample`` / ``Series.sample``, seeded through ``random_state=``.

pandas draws with NumPy (``pandas.core.common.random_state``): an integer becomes
``np.random.RandomState(seed)``, a ``RandomState`` or ``Generator`` is used as given, and the
sample is ``random_state.choice(len(obj), size, replace, p=weights)``. So a pandas sample depends
on pandas (how it calls NumPy) and on NumPy (the stream): both are provenance fields.

Three backends, one per kind of ``random_state``:

* ``pandas(int)`` -- ``df.sample(..., random_state=17)``. **There is no stream here**: pandas
  builds a fresh ``RandomState(17)`` inside every call, so every call restarts from the seed and
  two calls in one case draw the same rows. The handle is the seed itself (:class:`Seed`); its
  state is the seed, which no call changes: checkpoints restore trivially and the fingerprint
  never moves. Properties that expect a draw to advance the stream do not hold for this
  backend, by pandas' design, not by a fault.
* ``pandas(RandomState)`` -- ``random_state=np.random.RandomState(17)``: one legacy stream, which
  each call advances (the next call continues it).
* ``pandas(Generator)`` -- ``random_state=np.random.default_rng(17)``: one PCG64 ``Generator``
  stream, advanced by each call.

Calls sample a fixed 100-row object, ``pd.DataFrame({'x': range(100)})`` or
``pd.Series(range(100))``, and return the sampled index as an int64 array:
``DataFrame_sample(5)``, ``DataFrame_sample(1000,replace=True)``,
``Series_sample(frac=0.5)``, ``DataFrame_sample(5,weights=arange(100))``. The groupby calls
(``DataFrameGroupBy_sample(5)``, ``SeriesGroupBy_sample(5)``) sample the same object grouped by
``np.arange(100) % 4``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from rngsuite.backends._numpy import NumpyAdapter
from rngsuite.backends.base import CallSpec

#: The object every call samples from.
ROWS = 100
FRAME = f"pd.DataFrame({{{{'x': range({ROWS})}}}})"
SERIES = f"pd.Series(range({ROWS}))"
#: Groupby calls sample each of GROUPS groups of it: row i is in group i % GROUPS.
GROUPS = 4
BY = f"np.arange({ROWS}) % {GROUPS}"


def _pd() -> Any:
    import pandas

    return pandas


@dataclass(frozen=True)
class Seed:
    """The ``pandas(int)`` handle: an integer seed that pandas turns into a new RandomState on
    every call."""

    seed: int


def _random_state(h: Any) -> Any:
    return h.seed if isinstance(h, Seed) else h


def _sample(kind: str, *, grouped: bool = False):
    def fn(h: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        pd = _pd()
        obj = pd.DataFrame({"x": range(ROWS)}) if kind == "DataFrame" else pd.Series(range(ROWS))
        if grouped:
            obj = obj.groupby(np.arange(ROWS) % GROUPS)
        picked = obj.sample(*args, **kwargs, random_state=_random_state(h))
        return picked.index.to_numpy().astype(np.int64, copy=False)
    return fn


PANDAS_CALLS = {
    "DataFrame_sample": CallSpec(_sample("DataFrame"),
                                 f"{FRAME}.sample({{args}}, random_state={{h}}).index.to_numpy()"),
    "Series_sample": CallSpec(_sample("Series"),
                              f"{SERIES}.sample({{args}}, random_state={{h}}).index.to_numpy()"),
    # pandas turns random_state into one RandomState/Generator per call and samples the groups
    # from it in turn: the sampled index, group after group.
    "DataFrameGroupBy_sample": CallSpec(
        _sample("DataFrame", grouped=True),
        f"{FRAME}.groupby({BY}).sample({{args}}, random_state={{h}}).index.to_numpy()"),
    "SeriesGroupBy_sample": CallSpec(
        _sample("Series", grouped=True),
        f"{SERIES}.groupby({BY}).sample({{args}}, random_state={{h}}).index.to_numpy()"),
}


class _PandasAdapter(NumpyAdapter):
    """Array arguments (``weights=arange(100)``) are NumPy arrays, as pandas takes them."""

    library = "pandas"
    imports: ClassVar[str] = "import numpy as np; import pandas as pd"
    calls = PANDAS_CALLS
    max_streams = 26

    def unavailable(self) -> str | None:
        return None if importlib.util.find_spec("pandas") else "pandas is not installed"

    def provenance_keys(self) -> tuple[str, ...]:
        # pandas decides which NumPy call is made; NumPy makes the numbers.
        return ("pandas", "numpy", "system", "machine")

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=np.int64)


class PandasInt(_PandasAdapter):
    """``df.sample(..., random_state=s)``: every call re-seeds (see the module docstring)."""

    name = "pandas(int)"

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [Seed(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        # The seed is written where the call takes it: random_state=17.
        return "", [self.seed_text(s) for s in seeds]

    def get_state(self, handle: Seed) -> int:
        return handle.seed

    def set_state(self, handle: Any, state: Any) -> None:
        # Seed is immutable: a state can only be "set" to what it already is; restore() makes
        # the seed a checkpoint holds into a handle of its own.
        if state != handle.seed:
            raise ValueError(f"{self.name}: the handle is the seed {handle.seed}; it cannot "
                             f"become {state}")

    def restore(self, handle: Any, saved: Any, how: str) -> Any:
        # The stream is its seed: restoring a checkpoint (in another process, say) is that seed.
        return Seed(saved) if how == "state" else super().restore(handle, saved, how)


class PandasRandomState(_PandasAdapter):
    """``rs = np.random.RandomState(s); df.sample(..., random_state=rs)``."""

    name = "pandas(RandomState)"

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [np.random.RandomState(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "rs")
        return "; ".join(f"{n} = np.random.RandomState({self.seed_text(s)})" for n, s in zip(names, seeds)), names

    def get_state(self, handle: Any) -> Any:
        return handle.get_state(legacy=False)

    def set_state(self, handle: Any, state: Any) -> None:
        handle.set_state(state)


class PandasGenerator(_PandasAdapter):
    """``g = np.random.default_rng(s); df.sample(..., random_state=g)``."""

    name = "pandas(Generator)"
    # SeedSequence takes any non-negative integer, as for numpy.default_rng.
    seed_range = (0, 2**128 - 1)

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [np.random.default_rng(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "g")
        return "; ".join(f"{n} = np.random.default_rng({self.seed_text(s)})" for n, s in zip(names, seeds)), names

    def get_state(self, handle: Any) -> Any:
        return handle.bit_generator.state

    def set_state(self, handle: Any, state: Any) -> None:
        handle.bit_generator.state = state


BACKENDS = [PandasInt(), PandasRandomState(), PandasGenerator()]
