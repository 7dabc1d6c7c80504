"""NumPy ``Generator`` objects: ``default_rng(s)`` and ``Generator(<BitGenerator>(s))`` for each
bit generator NumPy ships."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rngsuite.backends._introspect import public_callables
from rngsuite.backends._numpy import BYTES, SHUFFLE, CallSpec, NumpyAdapter, call_table

#: Public ``Generator`` attributes that draw nothing here: the bit generator underneath (a
#: property) and ``spawn``, which makes child generators (covered by ``children``, not a draw).
GENERATOR_NOT_SAMPLING = frozenset({"bit_generator", "spawn"})


def generator_methods() -> list[str]:
    """Every public sampling method of ``np.random.Generator`` in the installed NumPy."""
    # The class itself, not the np.random attribute, which a test may have replaced.
    return public_callables(np.random._generator.Generator, GENERATOR_NOT_SAMPLING)


GENERATOR_CALLS = call_table(generator_methods(), {"shuffle": SHUFFLE, "bytes": BYTES})
# The raw bit-generator words, pinned separately from the transforms built on them.
GENERATOR_CALLS["random_raw"] = CallSpec(lambda h, *a: h.bit_generator.random_raw(*a),
                                         "{h}.bit_generator.random_raw({args})")

BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class NumpyGenerator(NumpyAdapter):
    """``g = np.random.Generator(np.random.<bitgen>(s))``, or ``np.random.default_rng(s)``."""

    max_streams = 26
    calls = GENERATOR_CALLS
    methods_of = np.random.Generator
    # SeedSequence takes any non-negative integer; the suite draws seeds up to 128 bits.
    seed_range = (0, 2**128 - 1)

    def __init__(self, bit_generator: str | None) -> None:
        self.bit_generator = bit_generator
        self.name = (f"numpy.Generator({bit_generator})" if bit_generator
                     else "numpy.default_rng")
        kinds = ["SeedSequence.spawn"]
        if hasattr(np.random.Generator, "spawn"):  # NumPy >= 1.25
            kinds.append("Generator.spawn")
        if hasattr(getattr(np.random, bit_generator or "PCG64"), "jumped"):
            kinds.append("jumped")
        self.spawn_kinds = tuple(kinds)

    def get_state(self, handle: Any) -> Any:
        # Includes has_uint32/uinteger: a half-used 64-bit word is part of the stream's state.
        return handle.bit_generator.state

    def set_state(self, handle: Any, state: Any) -> None:
        handle.bit_generator.state = state

    def children(self, handle: Any, how: str, n: int) -> list[Any]:
        bit_generator = handle.bit_generator
        if how == "SeedSequence.spawn":
            # The public seed_seq is NumPy >= 1.25; before, the same object is _seed_seq.
            seed_seq = getattr(bit_generator, "seed_seq", None) or bit_generator._seed_seq
            return [np.random.Generator(type(bit_generator)(seq)) for seq in seed_seq.spawn(n)]
        if how == "Generator.spawn":
            return handle.spawn(n)
        if how == "jumped" and how in self.spawn_kinds:
            return [np.random.Generator(bit_generator.jumped(i + 1)) for i in range(n)]
        return super().children(handle, how, n)

    def _construct(self, seed: Any) -> np.random.Generator:
        if self.bit_generator is None:
            return np.random.default_rng(seed)
        return np.random.Generator(getattr(np.random, self.bit_generator)(seed))

    def _construct_text(self, seed: str) -> str:
        if self.bit_generator is None:
            return f"np.random.default_rng({seed})"
        return f"np.random.Generator(np.random.{self.bit_generator}({seed}))"

    def open(self, seeds: Sequence[int]) -> list[Any]:
        return [self._construct(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "g")
        texts = [self._construct_text(self.seed_text(s)) for s in seeds]
        return "; ".join(f"{n} = {t}" for n, t in zip(names, texts)), names


BACKENDS = [NumpyGenerator(None)] + [NumpyGenerator(b) for b in BIT_GENERATORS]
