"""NumPy's legacy ``RandomState`` objects, one independent stream per instance."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rngsuite.backends._introspect import public_callables
from rngsuite.backends._numpy import LEGACY_SPECIAL, CallSpec, NumpyAdapter, call_table

#: Public ``RandomState`` methods that draw nothing: they seed the stream or read/write its state.
LEGACY_NOT_SAMPLING = frozenset({"seed", "get_state", "set_state"})


def legacy_methods() -> list[str]:
    """Every public sampling method of ``np.random.RandomState`` in the installed NumPy."""
    # The class itself, not the np.random attribute, which a test may have replaced.
    return public_callables(np.random.mtrand.RandomState, LEGACY_NOT_SAMPLING)


#: The legacy ``RandomState`` methods; ``np.random``'s module functions are the same calls on the
#: hidden global ``RandomState`` (``numpy_global`` takes those it exports).
LEGACY_CALLS = call_table(legacy_methods(), LEGACY_SPECIAL)


class NumpyRandomState(NumpyAdapter):
    """``rs = np.random.RandomState(s); rs.<call>(...)``."""

    name = "numpy.RandomState"
    max_streams = 26
    calls = {**LEGACY_CALLS,
             # RandomState exposes its MT19937 only as _bit_generator, as NumPy's own tests use it.
             "random_raw": CallSpec(lambda h, *a: h._bit_generator.random_raw(*a),
                                    "{h}._bit_generator.random_raw({args})")}

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [np.random.RandomState(self.seed_value(s)) for s in seeds]

    def get_state(self, handle: Any) -> Any:
        return handle.get_state(legacy=False)

    def set_state(self, handle: Any, state: Any) -> None:
        handle.set_state(state)

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "rs")
        return "; ".join(f"{n} = np.random.RandomState({self.seed_text(s)})" for n, s in zip(names, seeds)), names


BACKENDS = [NumpyRandomState()]
