"""MT19937 and MT19937-64: seeding, a vectorised twist, tempering, NumPy's seeding paths and jump.

Written from Matsumoto & Nishimura, "Mersenne Twister: a 623-dimensionally equidistributed
uniform pseudo-random number generator", ACM TOMACS 8(1), 1998, their reference code
(http://www.math.sci.hiroshima-u.ac.jp/m-mat/MT/MT2002/CODES/mt19937ar.c, mt19937-64.c), and
NumPy's ``numpy/random/src/mt19937/mt19937.c``, ``mt19937.h``, ``mt19937-jump.c`` and
``numpy/random/_mt19937.pyx`` (``__init__``, ``_legacy_seeding``, ``jumped``, ``random_raw``).

NumPy's state is ``(key[624], pos)``: the next output is ``temper(key[pos])``; at ``pos == 624``
the whole block is regenerated first (``mt19937_gen``).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import numpy as np

from . import KnownAnswer, Model, numpy_testset_answers
from .seedsequence import generate_state

# mt19937.h: RK_STATE_LEN / _MT19937_N, _MT19937_M, MATRIX_A, UPPER_MASK, LOWER_MASK.
N, M = 624, 397
MATRIX_A = np.uint32(0x9908B0DF)
UPPER = np.uint32(0x80000000)
LOWER = np.uint32(0x7FFFFFFF)
MEXP = 19937

SOURCE = (
    "numpy/random/src/mt19937/mt19937.c, mt19937.h, mt19937-jump.c; numpy/random/_mt19937.pyx; "
    "Matsumoto & Nishimura 1998, http://www.math.sci.hiroshima-u.ac.jp/m-mat/MT/MT2002/CODES/mt19937ar.c"
)


# ---------------------------------------------------------------------------------------------
# MT19937 (32-bit)


def init_genrand(seed: int) -> np.ndarray:
    """The 624-word key of ``init_genrand(seed)`` (mt19937ar.c; NumPy's ``mt19937_seed``)."""
    # Knuth TAOCP Vol2 3rd ed. p.106 multiplier; the recurrence is sequential by nature.
    mt = [int(seed) & 0xFFFFFFFF]
    for i in range(1, N):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(mt, dtype=np.uint32)


def init_by_array(key) -> np.ndarray:
    """The 624-word key of ``init_by_array(key, len)`` (mt19937ar.c; ``mt19937_init_by_array``)."""
    key = [int(k) & 0xFFFFFFFF for k in np.asarray(key, dtype=np.uint64).ravel()]
    if not key:
        raise ValueError("init_by_array needs a non-empty key")
    mt = [int(v) for v in init_genrand(19650218)]
    i, j = 1, 0
    for _ in range(max(N, len(key))):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + j) & 0xFFFFFFFF
        i, j = i + 1, j + 1
        if i >= N:
            mt[0], i = mt[N - 1], 1
        if j >= len(key):
            j = 0
    for _ in range(N - 1):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - i) & 0xFFFFFFFF
        i += 1
        if i >= N:
            mt[0], i = mt[N - 1], 1
    mt[0] = 0x80000000  # "MSB is 1; assuring non-zero initial array"
    return np.array(mt, dtype=np.uint32)


def _twist_terms(upper_src: np.ndarray, lower_src: np.ndarray) -> np.ndarray:
    """``(y >> 1) ^ (-(y & 1) & MATRIX_A)`` with ``y = upper bit | lower 31 bits``."""
    y = (upper_src & UPPER) | (lower_src & LOWER)
    return (y >> np.uint32(1)) ^ (np.uint32(0) - (y & np.uint32(1))) & MATRIX_A


def twist(key: np.ndarray) -> np.ndarray:
    """The next 624-word block (``mt19937_gen``), in numpy slices over its dependency chunks."""
    old = np.asarray(key, dtype=np.uint32)
    new = np.empty(N, dtype=np.uint32)
    # mt19937_gen loop 1, i in [0, 227): key[i + M] is still the old word.
    new[: N - M] = old[M:] ^ _twist_terms(old[: N - M], old[1 : N - M + 1])
    # loop 2, i in [227, 623): key[i + M - N] was rewritten 227 words earlier; split so each
    # slice reads only words already rewritten: [227, 454) reads new[0:227], [454, 623) reads
    # new[227:396].
    for lo, hi in ((N - M, 2 * (N - M)), (2 * (N - M), N - 1)):
        new[lo:hi] = new[lo - (N - M) : hi - (N - M)] ^ _twist_terms(old[lo:hi], old[lo + 1 : hi + 1])
    # last word: upper bit of key[623] (old), lower bits of key[0] (new), key[M - 1] (new).
    new[N - 1] = new[M - 1] ^ _twist_terms(old[N - 1 : N], new[0:1])[0]
    return new


def temper(y: np.ndarray) -> np.ndarray:
    """MT19937 tempering (``mt19937_temper``), elementwise on uint32."""
    y = np.asarray(y, dtype=np.uint32)
    y = y ^ (y >> np.uint32(11))
    y = y ^ ((y << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = y ^ ((y << np.uint32(15)) & np.uint32(0xEFC60000))
    return y ^ (y >> np.uint32(18))


@dataclass
class MTState:
    """NumPy's ``mt19937_state``: 624 key words and the read position ``pos`` (0..624)."""

    key: np.ndarray
    pos: int = N

    def copy(self) -> MTState:
        """An independent copy."""
        return MTState(key=self.key.copy(), pos=self.pos)


def raw_words(state: MTState, n: int) -> np.ndarray:
    """The next ``n`` untempered key words read by ``mt19937_next``; advances ``state``."""
    chunks, need = [], int(n)
    while need > 0:
        if state.pos >= N:
            state.key, state.pos = twist(state.key), 0
        take = min(need, N - state.pos)
        chunks.append(state.key[state.pos : state.pos + take])
        state.pos += take
        need -= take
    return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.uint32)


def next_words(state: MTState, n: int) -> np.ndarray:
    """The next ``n`` outputs (``mt19937_next32``) as uint32; advances ``state``."""
    return temper(raw_words(state, n))


def words(state_or_seed, n: int) -> np.ndarray:
    """``n`` uint32 outputs from an :class:`MTState` (left untouched) or an ``init_genrand`` seed."""
    if isinstance(state_or_seed, MTState):
        state = state_or_seed.copy()
    else:
        state = MTState(key=init_genrand(state_or_seed), pos=N)
    return next_words(state, n)


class WordStream:
    """An MT19937 word stream with look-ahead, for rejection samplers that must consume exactly."""

    def __init__(self, state: MTState):
        self.state = state
        self._ahead = np.empty(0, dtype=np.uint32)
        #: Words consumed so far (``take``), not counting look-ahead.
        self.consumed = 0

    def peek(self, n: int) -> np.ndarray:
        """The next ``n`` words without consuming them."""
        if len(self._ahead) < n:
            extra = next_words(self.state, max(n - len(self._ahead), N))
            self._ahead = np.concatenate([self._ahead, extra])
        return self._ahead[:n]

    def take(self, n: int) -> np.ndarray:
        """Consume and return the next ``n`` words."""
        out = self.peek(n).copy()
        self._ahead = self._ahead[n:]
        self.consumed += n
        return out

    def take64(self, n: int) -> np.ndarray:
        """``n`` ``mt19937_next64`` values: ``first word << 32 | second word``."""
        w = self.take(2 * n).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]


# ---------------------------------------------------------------------------------------------
# NumPy's seeding paths


def legacy_state(seed) -> MTState:
    """State after ``RandomState(seed)`` / ``np.random.seed(seed)`` (``_legacy_seeding``)."""
    # _mt19937.pyx, MT19937._legacy_seeding: squeeze, then an integer in [0, 2**32) goes to
    # mt19937_seed (init_genrand, pos = 624); anything operator.index refuses is taken as a 1-d
    # int64-castable array in [0, 2**32) and goes to mt19937_init_by_array (pos left at 624 by
    # its init_genrand).
    if hasattr(seed, "squeeze"):
        seed = seed.squeeze()
    try:
        idx = operator.index(seed)
    except TypeError:
        obj = np.asarray(seed)
        if obj.size == 0:
            raise ValueError("Seed must be non-empty") from None
        obj = obj.astype(np.int64, casting="safe")
        if obj.ndim != 1:
            raise ValueError("Seed array must be 1-d") from None
        if ((obj > 2**32 - 1) | (obj < 0)).any():
            raise ValueError("Seed must be between 0 and 2**32 - 1") from None
        return MTState(key=init_by_array(obj), pos=N)
    if idx > 2**32 - 1 or idx < 0:
        raise ValueError("Seed must be between 0 and 2**32 - 1")
    return MTState(key=init_genrand(idx), pos=N)


def seedseq_state(seed, *, spawn_key=()) -> MTState:
    """State after ``np.random.MT19937(seed)``: SeedSequence words, key[0] = 0x80000000."""
    # _mt19937.pyx, MT19937.__init__: val = generate_state(624, uint32); key[0] = 0x80000000;
    # key[i] = val[i] for i in 1..623; then ``pos = i`` with i the loop variable left at 623, so
    # the first output is temper(val[623]) before any twist.
    key = np.asarray(generate_state(seed, N, np.uint32, spawn_key=spawn_key), dtype=np.uint32).copy()
    key[0] = UPPER
    return MTState(key=key, pos=N - 1)


# ---------------------------------------------------------------------------------------------
# Jump ahead: x**(2**128) mod the characteristic polynomial, applied to the state by Horner.


def berlekamp_massey(bits: list[int]) -> tuple[int, int]:
    """The shortest LFSR of a GF(2) sequence: (connection polynomial as int, length L)."""
    n = len(bits)
    # rev has bit (n-1-k) = s_k, so (rev >> (n-1-k)) has bit i = s_{k-i}.
    rev = int("".join("1" if b else "0" for b in bits), 2) if n else 0
    c, b, length, m = 1, 1, 0, 1
    for k in range(n):
        if (c & (rev >> (n - 1 - k))).bit_count() & 1:
            t = c
            c ^= b << m
            if 2 * length <= k:
                length, b, m = k + 1 - length, t, 1
                continue
        m += 1
    return c, length


@functools.lru_cache(maxsize=1)
@functools.lru_cache(maxsize=1)
def characteristic_polynomial() -> int:
    """MT19937's characteristic polynomial (degree 19937) as a GF(2) bit vector."""
    # Berlekamp-Massey on 2*19937 bits of one output bit: phi is irreducible (2**19937-1 is a
    # Mersenne prime, the period is maximal), so any nonzero bit sequence has minimal
    # polynomial phi; the characteristic polynomial is the reciprocal of the connection one.
    bits = (words(5489, 2 * MEXP) & np.uint32(1)).tolist()
    conn, length = berlekamp_massey(bits)
    if length != MEXP:
        raise AssertionError(f"Berlekamp-Massey found degree {length}, expected {MEXP}")
    return int(format(conn, f"0{length + 1}b")[::-1], 2)


def _gf2_square(a: int) -> int:
    """``a(x)**2`` over GF(2): interleave zero bits."""
    if a == 0:
        return 0
    raw = np.frombuffer(a.to_bytes((a.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    bits = np.unpackbits(raw, bitorder="little")
    spread = np.zeros(2 * bits.size, dtype=np.uint8)
    spread[::2] = bits
    return int.from_bytes(np.packbits(spread, bitorder="little").tobytes(), "little")


def _reduction_table(phi: int) -> list[int]:
    """For each byte t, the multiple q*phi (deg q < 8) whose bits [deg, deg+8) equal t."""
    deg = phi.bit_length() - 1
    table = [0] * 256
    for q in range(256):
        prod = 0
        for j in range(8):
            if q >> j & 1:
                prod ^= phi << j
        table[prod >> deg] = prod
    return table


def _gf2_mod(a: int, phi: int, table: list[int]) -> int:
    """``a mod phi`` over GF(2), clearing 8 bits a step."""
    deg = phi.bit_length() - 1
    while a.bit_length() > deg:
        shift = max(a.bit_length() - deg - 8, 0)
        a ^= table[(a >> (deg + shift)) & 0xFF] << shift
    return a


@functools.lru_cache(maxsize=1)
def _phi_table() -> tuple[int, list[int]]:
    phi = characteristic_polynomial()
    return phi, _reduction_table(phi)


@functools.lru_cache(maxsize=4)
def jump_polynomial(log2_steps: int = 128) -> int:
    """``x**(2**log2_steps) mod phi`` as a GF(2) bit vector (NumPy's ``poly_coef`` for 128)."""
    phi, table = _phi_table()
    p = 2  # x
    for _ in range(log2_steps):
        p = _gf2_mod(_gf2_square(p), phi, table)
    return p


@functools.lru_cache(maxsize=64)
def power_polynomial(steps: int) -> int:
    """``x**steps mod phi(x)`` over GF(2), for any distance: square and multiply by x, bit by
    bit of ``steps`` (for ``2**128`` it is :func:`jump_polynomial`, computed another way)."""
    if steps < 0:
        raise ValueError("an MT19937 jump goes forward")
    phi, table = _phi_table()
    degree = phi.bit_length() - 1
    p = 1
    for bit in bin(steps)[2:]:
        p = _gf2_mod(_gf2_square(p), phi, table)
        if bit == "1":
            p <<= 1
            if p >> degree:
                p ^= phi
    return p


def _raw_sequence(window: np.ndarray, length: int) -> np.ndarray:
    """``length`` raw words of the recurrence whose first 624 are ``window`` (oldest first)."""
    blocks = [np.asarray(window, dtype=np.uint32)]
    total = N
    while total < length:
        blocks.append(twist(blocks[-1]))  # mt19937_gen on a consecutive window = next 624 words
        total += N
    return np.concatenate(blocks)[:length]


def apply_polynomial(window: np.ndarray, p: int) -> np.ndarray:
    """``p(A)`` applied to a window of 624 words, A the step to the next raw word: the XOR of
    the windows of the raw sequence that starts with ``window`` at each term of ``p``."""
    degree = p.bit_length() - 1
    x = _raw_sequence(window, degree + N)
    support = np.flatnonzero(np.unpackbits(
        np.frombuffer(p.to_bytes((p.bit_length() + 7) // 8, "little"), dtype=np.uint8),
        bitorder="little"))
    acc = np.zeros(N, dtype=np.uint32)
    span = np.arange(N)
    for chunk in np.array_split(support, max(1, support.size // 1024)):
        acc ^= np.bitwise_xor.reduce(x[chunk[:, None] + span], axis=0)
    return acc


def advance(state: MTState, k: int) -> MTState:
    """The state after ``k`` more 32-bit words, for any ``k``.

    NumPy's state ``(key, pos)`` reads ``key[pos:]`` and then regenerates the block. The words
    left in the block are skipped by moving ``pos``; the next block ``W = twist(key)`` is a run
    of generated words, so it lies in the subspace where ``A**d = (x**d mod phi)(A)``: the block
    holding the target word is that polynomial applied to ``W``. (The seeded block itself need
    not lie there -- init_genrand's first word is no output of the recurrence -- hence the
    twist first.)
    """
    k = int(k)
    if k < 0:
        raise ValueError("an MT19937 jump goes forward")
    key, pos = np.asarray(state.key, dtype=np.uint32).copy(), int(state.pos)
    if not 0 <= pos <= N:
        raise ValueError(f"MT19937 position {pos} is outside 0..624")
    within = min(k, N - pos)
    if k == within:
        return MTState(key=key, pos=pos + k)
    k -= within  # >= 1 words after the end of this block
    block, pos = divmod(k - 1, N)  # target: word `pos` (0-based) of block `block` after it
    window = twist(key)
    if block:
        window = apply_polynomial(window, power_polynomial(block * N))
    return MTState(key=window, pos=pos + 1)


def jump_state(state: MTState, *, log2_steps: int = 128) -> MTState:
    """One ``mt19937_jump_state``: ``pf(A)`` applied to the rolling window at ``pos``."""
    # mt19937-jump.c: pos >= N is taken as 0; horner1 computes pf(A) state, A = gen_next, which
    # rewrites key[pos] with the next raw word and moves pos on, so A**i state read from its pos
    # is the raw sequence x[i : i + 624] that starts with the window key[pos], key[pos+1], ...
    # (whether or not that window is a consecutive run of the generator, which it is only at
    # pos 0). add_state XORs windows aligned at their positions; temp ends at pos + deg(pf).
    pf = jump_polynomial(log2_steps)
    start = 0 if state.pos >= N else state.pos
    acc = apply_polynomial(np.roll(state.key, -start), pf)
    new_pos = (start + pf.bit_length() - 1) % N
    return MTState(key=np.roll(acc, new_pos), pos=new_pos)


def jumped(state: MTState, jumps: int = 1) -> MTState:
    """State of ``MT19937.jumped(jumps)``: ``jumps`` applications of ``mt19937_jump``."""
    # _mt19937.pyx, jumped: copies key and pos into a fresh instance (MT19937 keeps no cached
    # half-word), then jump_inplace(jumps) calls mt19937_jump once per jump.
    out = state.copy()
    for _ in range(int(jumps)):
        out = jump_state(out)
    return out


# ---------------------------------------------------------------------------------------------
# MT19937-64 (Nishimura & Matsumoto, mt19937-64.c; std::mt19937_64)

NN, MM = 312, 156
MATRIX_A64 = np.uint64(0xB5026F5AA96619E9)
UM64 = np.uint64(0xFFFFFFFF80000000)
LM64 = np.uint64(0x7FFFFFFF)


def init_genrand64(seed: int) -> np.ndarray:
    """The 312-word key of ``init_genrand64(seed)`` (mt19937-64.c)."""
    mt = [int(seed) & 0xFFFFFFFFFFFFFFFF]
    for i in range(1, NN):
        prev = mt[-1]
        mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & 0xFFFFFFFFFFFFFFFF)
    return np.array(mt, dtype=np.uint64)


def _twist_terms64(upper_src: np.ndarray, lower_src: np.ndarray) -> np.ndarray:
    """``(x >> 1) ^ mag01[x & 1]`` with ``x = upper 33 bits | lower 31 bits``."""
    x = (upper_src & UM64) | (lower_src & LM64)
    return (x >> np.uint64(1)) ^ (np.uint64(0) - (x & np.uint64(1))) & MATRIX_A64


def twist64(key: np.ndarray) -> np.ndarray:
    """The next 312-word block of MT19937-64 (genrand64_int64's regeneration), vectorised."""
    old = np.asarray(key, dtype=np.uint64)
    new = np.empty(NN, dtype=np.uint64)
    new[: NN - MM] = old[MM:] ^ _twist_terms64(old[: NN - MM], old[1 : NN - MM + 1])
    # i in [156, 311) reads mt[i - 156], all rewritten by the first slice.
    new[NN - MM : NN - 1] = new[: MM - 1] ^ _twist_terms64(old[NN - MM : NN - 1], old[NN - MM + 1 : NN])
    new[NN - 1] = new[MM - 1] ^ _twist_terms64(old[NN - 1 : NN], new[0:1])[0]
    return new


def temper64(x: np.ndarray) -> np.ndarray:
    """MT19937-64 tempering, elementwise on uint64."""
    x = np.asarray(x, dtype=np.uint64)
    x = x ^ ((x >> np.uint64(29)) & np.uint64(0x5555555555555555))
    x = x ^ ((x << np.uint64(17)) & np.uint64(0x71D67FFFEDA60000))
    x = x ^ ((x << np.uint64(37)) & np.uint64(0xFFF7EEE000000000))
    return x ^ (x >> np.uint64(43))


def words64(seed: int, n: int) -> np.ndarray:
    """The first ``n`` outputs of MT19937-64 seeded with ``init_genrand64(seed)``."""
    key, blocks = init_genrand64(seed), []
    for _ in range(-(-int(n) // NN)):
        key = twist64(key)
        blocks.append(key)
    raw = np.concatenate(blocks)[: int(n)] if blocks else np.empty(0, dtype=np.uint64)
    return temper64(raw)


# ---------------------------------------------------------------------------------------------
# Models and known answers


def _model_raw(seed, n):
    """The model's values for ``raw``."""
    return next_words(seedseq_state(seed), n).astype(np.uint64)


def _live_raw(seed, n):
    """The installed NumPy's values for ``raw``."""
    return np.random.MT19937(seed).random_raw(n)


def _model_raw_legacy(seed, n):
    """The model's values for ``raw_legacy``."""
    return next_words(legacy_state(seed), n).astype(np.uint64)


def _live_raw_legacy(seed, n):
    """The installed NumPy's values for ``raw_legacy``."""
    return np.random.RandomState(seed)._bit_generator.random_raw(n)


def _model_jumped(seed, n, *, jumps=1, advance=0):
    """The model's values for ``jumped``."""
    state = seedseq_state(seed)
    raw_words(state, advance)
    return next_words(jumped(state, jumps), n).astype(np.uint64)


def _live_jumped(seed, n, *, jumps=1, advance=0):
    """The installed NumPy's values for ``jumped``."""
    bg = np.random.MT19937(seed)
    bg.random_raw(advance)
    return bg.jumped(jumps).random_raw(n)


def _model_jumped_legacy(seed, n, *, jumps=1, advance=0):
    """The model's values for ``jumped_legacy``."""
    state = legacy_state(seed)
    raw_words(state, advance)
    return next_words(jumped(state, jumps), n).astype(np.uint64)


def _live_jumped_legacy(seed, n, *, jumps=1, advance=0):
    """The installed NumPy's values for ``jumped_legacy``."""
    bg = np.random.RandomState(seed)._bit_generator
    bg.random_raw(advance)
    return bg.jumped(jumps).random_raw(n)


MODELS = [
    Model(
        name="numpy:MT19937.random_raw",
        library="numpy",
        model=_model_raw,
        live=_live_raw,
        versions=">=1.17",
        n_range=(0, 2000),
        source="numpy/random/_mt19937.pyx (MT19937.__init__: SeedSequence, key[0]=0x80000000, pos=623); "
        "numpy/random/src/mt19937/mt19937.c, mt19937.h",
    ),
    Model(
        name="numpy:MT19937.random_raw(legacy seeding)",
        library="numpy",
        model=_model_raw_legacy,
        live=_live_raw_legacy,
        versions=">=1.17",
        n_range=(0, 2000),
        source="numpy/random/_mt19937.pyx (_legacy_seeding: mt19937_seed / mt19937_init_by_array); "
        "numpy/random/src/mt19937/mt19937.c; mt19937ar.c (init_genrand, init_by_array)",
    ),
    Model(
        name="numpy:MT19937.jumped",
        library="numpy",
        model=_model_jumped,
        live=_live_jumped,
        versions=">=1.19",
        n_range=(0, 1000),
        params={"jumps": (1, 2), "advance": (0, 1, 623, 624, 1000)},
        source="numpy/random/_mt19937.pyx (jumped); numpy/random/src/mt19937/mt19937-jump.c "
        "(mt19937_jump_state, horner1, gen_next, add_state); Haramoto et al., INFORMS J. Comput. 20(3), 2008",
    ),
    Model(
        name="numpy:MT19937.jumped(legacy seeding)",
        library="numpy",
        model=_model_jumped_legacy,
        live=_live_jumped_legacy,
        versions=">=1.19",
        n_range=(0, 1000),
        params={"jumps": (1,), "advance": (0, 5)},
        source="numpy/random/src/mt19937/mt19937-jump.c (pos 624 taken as 0 before horner1)",
    ),
]


KNOWN_ANSWERS = [
    KnownAnswer(
        name="c++:std::mt19937[10000th output, seed 5489]",
        compute=lambda: int(words(5489, 10000)[-1]),
        expected=4123659995,
        source="ISO/IEC 14882 (C++11 and later) [rand.predef] 26.5.5/29.5.6: "
        "'the 10000th consecutive invocation of a default-constructed object of type mt19937 "
        "shall produce the value 4123659995'",
    ),
    KnownAnswer(
        name="c++:std::mt19937_64[10000th output, seed 5489]",
        compute=lambda: int(words64(5489, 10000)[-1]),
        expected=9981545732273789042,
        source="ISO/IEC 14882 (C++11 and later) [rand.predef]: "
        "'... of type mt19937_64 shall produce the value 9981545732273789042'",
    ),
    KnownAnswer(
        name="mt19937ar:init_by_array({0x123, 0x234, 0x345, 0x456})[first 5 genrand_int32]",
        compute=lambda: words(MTState(key=init_by_array([0x123, 0x234, 0x345, 0x456])), 5).tolist(),
        expected=[1067595299, 955945823, 477289528, 4107218783, 4228976476],
        source="http://www.math.sci.hiroshima-u.ac.jp/m-mat/MT/MT2002/CODES/mt19937ar.out "
        "(Matsumoto & Nishimura, mt19937ar test output, first line of '1000 outputs of "
        "genrand_int32()'); the same five are Ruby's test/ruby/test_rand.rb test_mt",
    ),
    *numpy_testset_answers("mt19937", _model_raw),
]
