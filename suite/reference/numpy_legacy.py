"""NumPy's legacy ``RandomState`` transforms, built on the MT19937 word model.

Written from NumPy's ``numpy/random/mtrand.pyx`` (``random_sample``, ``standard_normal``/``randn``,
``randint``, ``shuffle``/``_shuffle_raw``, ``permutation``), ``numpy/random/_bounded_integers.pyx.in``
(``_rand_{int,uint}{8,16,32,64}``, ``_rand_bool``: scalar bounds, masked sampling),
``numpy/random/src/legacy/legacy-distributions.c`` (``legacy_gauss``, ``legacy_double``) and
``numpy/random/src/distributions/distributions.c`` (``random_bounded_*_fill``, ``buffered_*``,
``bounded_masked_uint64``, ``gen_mask``, ``random_interval``).
"""

from __future__ import annotations

import math

import numpy as np

from . import Model
from .mt19937 import WordStream, legacy_state

WORDS = "numpy:MT19937.random_raw(legacy seeding)"
SOURCE = (
    "numpy/random/mtrand.pyx; numpy/random/_bounded_integers.pyx.in; "
    "numpy/random/src/legacy/legacy-distributions.c; numpy/random/src/distributions/distributions.c"
)


def gen_mask(rng: int) -> int:
    """Smallest all-ones mask >= rng (distributions.c ``gen_mask``)."""
    return (1 << int(rng).bit_length()) - 1


def _first_accepted(ok: np.ndarray, count: int) -> int | None:
    """Index just past the ``count``-th True in ``ok``, or None if there are fewer."""
    if count == 0:
        return 0
    hits = np.flatnonzero(ok)
    return None if hits.size < count else int(hits[count - 1]) + 1


class LegacyRandomState:
    """The model of one ``np.random.RandomState``: MT19937 words plus the Gaussian cache."""

    def __init__(self, seed):
        self.words = WordStream(legacy_state(seed))
        # legacy-distributions.c keeps (has_gauss, gauss) in aug_bitgen_t; RandomState.seed
        # (mtrand.pyx, _reset_gauss) clears them.
        self.has_gauss = False
        self.gauss = 0.0

    # -- doubles ---------------------------------------------------------------------------

    @staticmethod
    def _doubles(w: np.ndarray) -> np.ndarray:
        """``mt19937_next_double`` over word pairs: ``(a >> 5) * 2**26 + (b >> 6)`` over 2**53."""
        a = (w[0::2] >> np.uint32(5)).astype(np.float64)
        b = (w[1::2] >> np.uint32(6)).astype(np.float64)
        return (a * 67108864.0 + b) / 9007199254740992.0

    def random_sample(self, n: int) -> np.ndarray:
        """``random_sample(n)``: ``random_standard_uniform_fill``, two words per double."""
        return self._doubles(self.words.take(2 * int(n)))

    # -- Gaussians -------------------------------------------------------------------------

    def _polar_pairs(self, pairs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``pairs`` accepted (x1, x2, r2) of the polar loop; consumes exactly their words."""
        # legacy_gauss: x1 = 2*u - 1, x2 = 2*u - 1 (4 words), retry while r2 >= 1 or r2 == 0.
        tries = max(8, int(pairs * 1.35) + 16)
        while True:
            d = self._doubles(self.words.peek(4 * tries))
            x1, x2 = 2.0 * d[0::2] - 1.0, 2.0 * d[1::2] - 1.0
            r2 = x1 * x1 + x2 * x2
            ok = (r2 < 1.0) & (r2 != 0.0)
            end = _first_accepted(ok, pairs)
            if end is not None:
                break
            tries *= 2
        self.words.take(4 * end)
        keep = np.flatnonzero(ok[:end])
        return x1[keep], x2[keep], r2[keep]

    def standard_normal(self, n: int) -> np.ndarray:
        """``standard_normal(n)`` / ``randn(n)``: legacy polar method with the cached half pair."""
        n, out = int(n), []
        if n and self.has_gauss:
            out.append(np.array([self.gauss]))
            self.has_gauss, self.gauss = False, 0.0
            n -= 1
        pairs = -(-n // 2)
        x1, x2, r2 = self._polar_pairs(pairs)
        # f = sqrt(-2 log(r2) / r2) with the C library's log (as legacy_gauss calls it); NumPy's
        # own SIMD np.log may differ in the last bit, Python's math.log is the same libm call.
        log_r2 = np.fromiter(map(math.log, r2.tolist()), dtype=np.float64, count=r2.size)
        f = np.sqrt(-2.0 * log_r2 / r2)
        both = np.empty(2 * pairs)
        both[0::2], both[1::2] = f * x2, f * x1  # returns f*x2, keeps f*x1 for the next call
        out.append(both[:n])
        if n % 2:
            self.has_gauss, self.gauss = True, float(both[-1])
        return np.concatenate(out) if out else np.empty(0)

    # -- bounded integers ------------------------------------------------------------------

    def _masked32(self, rng: int, count: int) -> np.ndarray:
        """``count`` values of ``buffered_bounded_masked_uint32`` (32-bit words, rejection)."""
        mask = np.uint32(gen_mask(rng))
        tries = count + count // 2 + 16
        while (end := _first_accepted((self.words.peek(tries) & mask) <= rng, count)) is None:
            tries *= 2
        v = self.words.take(end) & mask
        return v[v <= rng].astype(np.uint64)

    def _masked64(self, rng: int, count: int) -> np.ndarray:
        """``count`` values of ``bounded_masked_uint64`` (``next_uint64`` = two words)."""
        mask = np.uint64(gen_mask(rng))

        def pairs(k):
            w = self.words.peek(2 * k).astype(np.uint64)
            return ((w[0::2] << np.uint64(32)) | w[1::2]) & mask

        tries = count + count // 2 + 16
        while (end := _first_accepted(pairs(tries) <= np.uint64(rng), count)) is None:
            tries *= 2
        v = pairs(end)
        self.words.take(2 * end)
        return v[v <= np.uint64(rng)]

    def _buffered(self, rng: int, count: int, bits: int) -> np.ndarray:
        """``buffered_bounded_masked_uint{8,16}`` / ``buffered_bounded_bool``: word split LSB first."""
        # distributions.c: a fill call starts with bcnt = 0; each word gives 32/bits pieces,
        # low bits first (buf >>= bits); pieces left over at the end of the call are dropped.
        per = 32 // bits
        mask = gen_mask(rng) if bits > 1 else 1
        shifts = np.arange(per, dtype=np.uint32) * np.uint32(bits)

        def pieces(k):
            w = self.words.peek(k)
            return ((w[:, None] >> shifts) & np.uint32(mask)).ravel()

        tries = -(-count // per) + count // (2 * per) + 16
        while (end := _first_accepted(pieces(tries) <= rng, count)) is None:
            tries *= 2
        v = pieces(-(-end // per))[:end]
        self.words.take(-(-end // per))
        return v[v <= rng].astype(np.uint64)

    def randint(self, low: int, high: int, n: int, *, dtype="int64") -> np.ndarray:
        """``randint(low, high, size=n, dtype=dtype)`` for scalar bounds (masked, open interval)."""
        # _bounded_integers.pyx.in, _rand_<type> scalar path: rng = high - 1 - low, off = low,
        # random_bounded_<width>_fill(state, off, rng, cnt, use_masked=True, out).
        dt = np.dtype(dtype)
        rng, off, n = int(high) - 1 - int(low), int(low), int(n)
        bits = 1 if dt == np.bool_ else 8 * dt.itemsize
        full = (1 << bits) - 1
        if rng == 0 or n == 0:
            vals = np.zeros(n, dtype=np.uint64)
        elif bits == 64 and rng > 0xFFFFFFFF:
            # rng == 2**64 - 1: raw next_uint64; otherwise masked 64-bit rejection.
            vals = self.words.take64(n) if rng == full else self._masked64(rng, n)
        elif bits >= 32:
            # rng <= 0xFFFFFFFF: 32-bit words (raw when rng == 0xFFFFFFFF).
            vals = self.words.take(n).astype(np.uint64) if rng == 0xFFFFFFFF else self._masked32(rng, n)
        else:
            vals = self._buffered(rng, n, bits)  # rng == full: mask is all ones, no rejection
        if dt == np.bool_:
            return (vals + np.uint64(off)).astype(np.bool_) if rng else np.full(n, bool(off))
        unsigned = np.dtype(f"uint{bits}")
        return (vals + np.uint64(off & 0xFFFFFFFFFFFFFFFF)).astype(unsigned).view(dt)

    # -- permutations ----------------------------------------------------------------------

    def _shuffled_indices(self, n: int) -> list[int]:
        """``arange(n)`` after ``_shuffle_raw``'s swaps; words drawn in bulk, walked in order."""
        # mtrand.pyx _shuffle_raw: for i = n-1 .. 1: j = random_interval(i); swap x[i], x[j].
        # distributions.c random_interval: mask = smallest all-ones >= i; 32-bit words while
        # i <= 0xFFFFFFFF (always, here), rejected while (word & mask) > i. Whether a word is
        # accepted depends on which i it serves, so the walk over words is sequential; only the
        # generation is vectorised.
        perm, i = list(range(n)), n - 1
        mask = gen_mask(i) if i > 0 else 0
        while i >= 1:
            batch = self.words.peek(max(i + i // 2, 64)).tolist()
            used = 0
            for w in batch:
                used += 1
                j = w & mask
                if j <= i:
                    perm[i], perm[j] = perm[j], perm[i]
                    i -= 1
                    if i < 1:
                        break
                    if i <= mask >> 1:
                        mask >>= 1
            self.words.take(used)
        return perm

    def shuffle(self, x: np.ndarray) -> np.ndarray:
        """``shuffle(x)`` on a 1-d array: a shuffled copy (the element moves of ``_shuffle_raw``)."""
        x = np.asarray(x)
        return x[np.array(self._shuffled_indices(len(x)), dtype=np.intp)]

    def permutation(self, n: int) -> np.ndarray:
        """``permutation(n)``: ``arange(n)`` shuffled in place."""
        return self.shuffle(np.arange(int(n))).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Models


def _model_random_sample(seed, n):
    """The model's values for ``random_sample``."""
    return LegacyRandomState(seed).random_sample(n)


def _live_random_sample(seed, n):
    """The installed NumPy's values for ``random_sample``."""
    return np.random.RandomState(seed).random_sample(n)


def _split_sizes(n, split):
    """Sizes of successive calls drawing ``n`` values in all: ``split`` first, the rest last."""
    sizes, left = [], n
    for s in split:
        sizes.append(min(s, left))
        left -= sizes[-1]
    return sizes + [left]


def _model_randn(seed, n, *, split=()):
    """The model's values for ``randn``."""
    rs = LegacyRandomState(seed)
    parts = [rs.standard_normal(k) for k in _split_sizes(n, split)]
    return np.concatenate(parts)


def _live_randn(seed, n, *, split=()):
    """The installed NumPy's values for ``randn``."""
    rs = np.random.RandomState(seed)
    parts = [rs.randn(k) for k in _split_sizes(n, split)]
    return np.concatenate(parts)


def _model_randn_then_words(seed, n):
    """The model's values for ``randn_then_words``."""
    rs = LegacyRandomState(seed)
    rs.standard_normal(n)
    return rs.words.take(8).astype(np.uint64)


def _live_randn_then_words(seed, n):
    """The installed NumPy's values for ``randn_then_words``."""
    rs = np.random.RandomState(seed)
    rs.randn(n)
    return rs._bit_generator.random_raw(8)


def _model_randint(seed, n, *, case=(0, 10, "int64")):
    """The model's values for ``randint``."""
    low, high, dtype = case
    return LegacyRandomState(seed).randint(low, high, n, dtype=dtype)


def _live_randint(seed, n, *, case=(0, 10, "int64")):
    """The installed NumPy's values for ``randint``."""
    low, high, dtype = case
    return np.random.RandomState(seed).randint(low, high, size=n, dtype=dtype)


def _model_randint_then_words(seed, n, *, case=(0, 10, "int64")):
    """The model's values for ``randint_then_words``."""
    low, high, dtype = case
    rs = LegacyRandomState(seed)
    rs.randint(low, high, n, dtype=dtype)
    return rs.words.take(4).astype(np.uint64)


def _live_randint_then_words(seed, n, *, case=(0, 10, "int64")):
    """The installed NumPy's values for ``randint_then_words``."""
    low, high, dtype = case
    rs = np.random.RandomState(seed)
    rs.randint(low, high, size=n, dtype=dtype)
    return rs._bit_generator.random_raw(4)


def _model_permutation(seed, n):
    """The model's values for ``permutation``."""
    return LegacyRandomState(seed).permutation(n)


def _live_permutation(seed, n):
    """The installed NumPy's values for ``permutation``."""
    return np.random.RandomState(seed).permutation(n)


def _model_shuffle(seed, n):
    """The model's values for ``shuffle``."""
    return LegacyRandomState(seed).shuffle(np.arange(n, dtype=np.float64) * 0.5)


def _live_shuffle(seed, n):
    """The installed NumPy's values for ``shuffle``."""
    x = np.arange(n, dtype=np.float64) * 0.5
    np.random.RandomState(seed).shuffle(x)
    return x


def _model_global_seed(seed, n):
    """The model's values for ``global_seed``."""
    return LegacyRandomState(seed).random_sample(n)


def _live_global_seed(seed, n):
    """The installed NumPy's values for ``global_seed``."""
    # np.random.seed(s) re-seeds the global RandomState by the same _legacy_seeding; the global
    # stream is restored so the check leaves no trace.
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        return np.random.random_sample(n)
    finally:
        np.random.set_state(saved)


# (low, high, dtype) cases, one or more per word-consumption path of random_bounded_*_fill:
# rng == 0 (no words), masked 32-bit words, raw 32-bit words (rng == 0xFFFFFFFF), masked and raw
# 64-bit pairs, buffered 16-bit, 8-bit and 1-bit pieces (masked, and raw at the full range).
RANDINT_CASES = {
    "case": (
        (0, 10, "int64"), (-5, 2**31, "int64"), (5, 6, "int64"), (0, 2**32, "int64"),
        (0, 2**32 + 1, "int64"), (-(2**62), 2**62, "int64"), (-(2**63), 2**63 - 1, "int64"),
        (-(2**63), 2**63, "int64"),
        (0, 10, "int32"), (-1000, 1000, "int32"), (-(2**31), 2**31, "int32"),
        (0, 12345, "uint32"), (0, 2**32, "uint32"), (0, 2**40, "uint64"), (0, 2**64, "uint64"),
        (0, 1000, "uint16"), (0, 2**16, "uint16"), (-1000, 1000, "int16"),
        (0, 10, "uint8"), (3, 200, "uint8"), (0, 256, "uint8"), (-5, 10, "int8"), (-128, 128, "int8"),
        (0, 2, "bool"), (0, 1, "bool"), (1, 2, "bool"),
    ),
}


MODELS = [
    Model(
        name="numpy:RandomState.random_sample",
        library="numpy",
        model=_model_random_sample,
        live=_live_random_sample,
        versions=">=1.17",
        n_range=(0, 2000),
        words=WORDS,
        source="numpy/random/mtrand.pyx random_sample; "
        "numpy/random/src/mt19937/mt19937.h mt19937_next_double",
    ),
    Model(
        name="numpy:random.seed+random_sample",
        library="numpy",
        model=_model_global_seed,
        live=_live_global_seed,
        versions=">=1.17",
        n_range=(0, 100),
        words=WORDS,
        source="numpy/random/mtrand.pyx seed (_legacy_seeding, _reset_gauss), random_sample",
    ),
    Model(
        name="numpy:RandomState.randn",
        library="numpy",
        model=_model_randn,
        live=_live_randn,
        versions=">=1.17",
        n_range=(0, 2000),
        params={"split": ((), (1,), (3,), (3, 2), (1, 1, 1), (2, 5))},
        words=WORDS,
        source="numpy/random/src/legacy/legacy-distributions.c legacy_gauss (polar method, has_gauss cache); "
        "numpy/random/mtrand.pyx randn/standard_normal",
    ),
    Model(
        name="numpy:RandomState.randn+random_raw",
        library="numpy",
        model=_model_randn_then_words,
        live=_live_randn_then_words,
        versions=">=1.17",
        n_range=(0, 200),
        words=WORDS,
        source="legacy_gauss: 4 words per polar attempt, rejected attempts included",
    ),
    Model(
        name="numpy:RandomState.randint",
        library="numpy",
        model=_model_randint,
        live=_live_randint,
        versions=">=1.17",
        n_range=(0, 2000),
        params=RANDINT_CASES,
        words=WORDS,
        source="numpy/random/_bounded_integers.pyx.in (_rand_*, masked); "
        "numpy/random/src/distributions/distributions.c random_bounded_*_fill, buffered_*",
    ),
    Model(
        name="numpy:RandomState.randint+random_raw",
        library="numpy",
        model=_model_randint_then_words,
        live=_live_randint_then_words,
        versions=">=1.17",
        n_range=(0, 200),
        params=RANDINT_CASES,
        words=WORDS,
        source="distributions.c random_bounded_*_fill: words consumed, leftover buffered pieces dropped",
    ),
    Model(
        name="numpy:RandomState.permutation",
        library="numpy",
        model=_model_permutation,
        live=_live_permutation,
        versions=">=1.17",
        n_range=(0, 2000),
        words=WORDS,
        source="numpy/random/mtrand.pyx permutation, shuffle, _shuffle_raw; distributions.c random_interval",
    ),
    Model(
        name="numpy:RandomState.shuffle",
        library="numpy",
        model=_model_shuffle,
        live=_live_shuffle,
        versions=">=1.17",
        n_range=(0, 2000),
        words=WORDS,
        source="numpy/random/mtrand.pyx shuffle (1-d ndarray: _shuffle_raw); distributions.c random_interval",
    ),
]
