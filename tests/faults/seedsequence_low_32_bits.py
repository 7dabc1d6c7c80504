"""Fault: NumPy's ``SeedSequence`` keeps only the low 32 bits of an integer seed (a uint32
conversion), so ``default_rng(s)`` and every ``Generator(<BitGenerator>(s))`` give seed
``s % 2**32``'s stream."""

import numpy.random.bit_generator as _bit_generator

_coerce = _bit_generator._coerce_to_uint32_array


def _low_word(x):
    words = _coerce(x)
    # An integer seed becomes its 32-bit words, least significant first: keep the first.
    return words[:1] if isinstance(x, int) and not isinstance(x, bool) else words


_bit_generator._coerce_to_uint32_array = _low_word
