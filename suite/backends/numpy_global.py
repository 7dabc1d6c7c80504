"""NumPy's legacy global stream: ``np.random.seed`` and the ``np.random`` module functions."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rngsuite.backends._introspect import public_callables
from rngsuite.backends._numpy import LEGACY_SPECIAL, CallSpec, NumpyAdapter, call_table
from rngsuite.backends.numpy_randomstate import LEGACY_NOT_SAMPLING

#: Public ``np.random`` functions that draw nothing: seeding, state, the Generator factory.
#: (Classes such as ``RandomState`` and the bit generators are left out as classes.)
MODULE_NOT_SAMPLING = LEGACY_NOT_SAMPLING | {"default_rng", "get_bit_generator",
                                             "set_bit_generator"}


def module_functions() -> list[str]:
    """Every public sampling function of ``np.random`` (the hidden global ``RandomState``'s
    methods, plus module-only aliases such as ``ranf`` and ``sample``; no ``tomaxint``)."""
    return public_callables(np.random, MODULE_NOT_SAMPLING, np.random.__all__)

# The raw MT19937 words under the transforms. np.random.get_bit_generator() is public since
# NumPy 1.25; before, the same bit generator is the hidden global RandomState's, as NumPy's own
# tests reach it (np.random.mtrand._rand).
if hasattr(np.random, "get_bit_generator"):
    RAW = CallSpec(lambda h, *a: np.random.get_bit_generator().random_raw(*a),
                   "np.random.get_bit_generator().random_raw({args})")
else:
    RAW = CallSpec(lambda h, *a: np.random.mtrand._rand._bit_generator.random_raw(*a),
                   "np.random.mtrand._rand._bit_generator.random_raw({args})")


class NumpyGlobal(NumpyAdapter):
    """``np.random.seed(s); np.random.<call>(...)``."""

    name = "numpy.random"
    owner = "numpy.random"
    # Every sampling function np.random exports: RandomState's methods (tomaxint is not
    # exported) and the module-only aliases ranf and sample.
    calls = {**call_table(module_functions(), LEGACY_SPECIAL), "random_raw": RAW}

    def open(self, seeds: Sequence[int]) -> list[Any]:
        # Looked up at call time, so that a patched np.random.seed is the one exercised.
        np.random.seed(self.seed_value(seeds[0]))
        return [np.random]

    def get_state(self, handle: Any) -> Any:
        # The dict form includes the cached Gaussian (has_gauss/gauss) of the polar method.
        return np.random.get_state(legacy=False)

    def set_state(self, handle: Any, state: Any) -> None:
        np.random.set_state(state)

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        return f"np.random.seed({self.seed_text(seeds[0])})", ["np.random"]


BACKENDS = [NumpyGlobal()]
