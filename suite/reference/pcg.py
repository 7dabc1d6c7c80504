"""NumPy's PCG64 (XSL-RR 128/64), PCG64DXSM (CM DXSM 128/64) and SFC64 bit generators.

Written from NumPy's ``numpy/random/src/pcg64/pcg64.h`` and ``pcg64.c`` (step, output functions,
``pcg64_set_seed``, ``pcg_advance_lcg_128``), ``numpy/random/_pcg64.pyx`` (seeding from
``SeedSequence.generate_state(4, uint64)``, ``advance``, ``jumped``), ``numpy/random/src/sfc64/
sfc64.h`` and ``_sfc64.pyx``; M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient
Statistically Good Algorithms for Random Number Generation" (HMC-CS-2014-0905); F. B. Brown,
"Random Number Generation with Arbitrary Stride", Trans. Am. Nucl. Soc. (1994); C. Doty-Humphrey's
PractRand (SFC64).

The 128-bit LCG is vectorised: within a block of ``B`` outputs, state ``s_{b+k} = A_k s_b + G_k inc``
with the seed-independent tables ``A_k = M**k`` and ``G_k = M**0 + ... + M**(k-1)`` (mod 2**128),
all held as four 32-bit limbs in uint64 arrays.
"""

from __future__ import annotations

import functools

import numpy as np

from . import KnownAnswer, Model, numpy_testset_answers
from . import seedsequence

MASK32 = 0xFFFFFFFF
MASK64 = (1 << 64) - 1
MASK128 = (1 << 128) - 1
# pcg64.h: PCG_DEFAULT_MULTIPLIER_128 = PCG_128BIT_CONSTANT(2549297995355413924, 4865540595714422341)
PCG_DEFAULT_MULTIPLIER_128 = (2549297995355413924 << 64) + 4865540595714422341
# pcg64.h: PCG_CHEAP_MULTIPLIER_128 (a 64-bit multiplier used in 128-bit arithmetic)
PCG_CHEAP_MULTIPLIER_128 = 0xDA942042E4DD58B5
# _pcg64.pyx, jump_inplace: "The step size is phi-1 when multiplied by 2**128".
PCG_JUMP_STEP = 0x9E3779B97F4A7C15F39CC0605CEDC835
BLOCK = 1 << 15

SOURCE_PCG64 = "numpy/random/src/pcg64/pcg64.h, pcg64.c, _pcg64.pyx (PCG64); O'Neill, HMC-CS-2014-0905"
SOURCE_DXSM = "numpy/random/src/pcg64/pcg64.h (pcg_cm_random_r), pcg64.c, _pcg64.pyx (PCG64DXSM)"
SOURCE_SFC64 = "numpy/random/src/sfc64/sfc64.h, _sfc64.pyx (SFC64); PractRand sfc64"


# --- 128-bit arithmetic on 32-bit limbs -------------------------------------------------------


def to_limbs(x) -> np.ndarray:
    """Python int(s) mod 2**128 as uint64[4, ...] 32-bit limbs, least significant first."""
    xs = [int(v) & MASK128 for v in np.atleast_1d(np.asarray(x, dtype=object)).ravel()]
    out = np.array([[(v >> (32 * i)) & MASK32 for v in xs] for i in range(4)], dtype=np.uint64)
    return out if np.ndim(x) else out[:, 0]


def from_limbs(limbs: np.ndarray) -> list[int]:
    """uint64[4, n] limbs back to Python ints."""
    limbs = np.asarray(limbs).reshape(4, -1)
    return [sum(int(limbs[i, j]) << (32 * i) for i in range(4)) for j in range(limbs.shape[1])]


def mul128(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product mod 2**128 of limb arrays (broadcasting over the trailing axes)."""
    m32 = np.uint64(MASK32)
    shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
    cols = [np.zeros(shape, dtype=np.uint64) for _ in range(4)]
    # Schoolbook multiply keeping columns 0..3: each partial product < 2**64 splits into a low
    # half (column i+j) and a high half (column i+j+1); a column sums at most 7 halves.
    for i in range(4):
        for j in range(4 - i):
            p = a[i] * b[j]
            cols[i + j] += p & m32
            if i + j + 1 < 4:
                cols[i + j + 1] += p >> np.uint64(32)
    return _carry(cols)


def add128(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum mod 2**128 of limb arrays (broadcasting)."""
    return _carry([a[i] + b[i] for i in range(4)])


def _carry(cols: list[np.ndarray]) -> np.ndarray:
    """Normalise column sums to 32-bit limbs, dropping the carry out of bit 128."""
    m32, s32 = np.uint64(MASK32), np.uint64(32)
    out = []
    carry = np.uint64(0)
    for c in cols:
        c = c + carry
        carry = c >> s32
        out.append(c & m32)
    return np.stack(out)


def hi_lo(limbs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The high and low uint64 halves of 128-bit limb arrays."""
    s32 = np.uint64(32)
    return limbs[2] | (limbs[3] << s32), limbs[0] | (limbs[1] << s32)


# --- The 128-bit LCG ---------------------------------------------------------------------------


def lcg128_step(state: int, *, mult: int, inc: int) -> int:
    """One LCG step ``state * mult + inc`` mod 2**128 (pcg_setseq_128_step_r / pcg_cm_step_r)."""
    return (state * mult + inc) & MASK128


def advance_lcg128(state: int, delta: int, *, mult: int, inc: int) -> int:
    """Jump ``delta`` steps ahead, Brown's algorithm (pcg64.c, pcg_advance_lcg_128)."""
    acc_mult, acc_plus = 1, 0
    cur_mult, cur_plus = mult & MASK128, inc & MASK128
    delta &= MASK128  # _pcg64.pyx: delta = wrap_int(delta, 128); negative goes the long way round
    while delta > 0:
        if delta & 1:
            acc_mult = (acc_mult * cur_mult) & MASK128
            acc_plus = (acc_plus * cur_mult + cur_plus) & MASK128
        cur_plus = ((cur_mult + 1) * cur_plus) & MASK128
        cur_mult = (cur_mult * cur_mult) & MASK128
        delta >>= 1
    return (acc_mult * state + acc_plus) & MASK128


@functools.lru_cache(maxsize=4)
def _tables(mult: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Limb tables ``A_k = mult**k`` and ``G_k = sum_{j<k} mult**j`` for k < size (size a power of 2)."""
    a = to_limbs([1])
    g = to_limbs([0])
    m_pow, g_pow = mult & MASK128, 1  # mult**m and G_m for the current length m
    while a.shape[1] < size:
        # Doubling: A_{k+m} = M**m A_k, G_{k+m} = G_m + M**m G_k.
        mp = to_limbs(m_pow)[:, None]
        a = np.concatenate([a, mul128(a, mp)], axis=1)
        g = np.concatenate([g, add128(to_limbs(g_pow)[:, None], mul128(g, mp))], axis=1)
        g_pow = (g_pow + m_pow * g_pow) & MASK128
        m_pow = (m_pow * m_pow) & MASK128
    return a[:, :size], g[:, :size]


def lcg128_states(
    state: int, n: int, *, mult: int, inc: int, block: int = BLOCK
) -> tuple[np.ndarray, np.ndarray]:
    """The states s_0 .. s_{n-1} from ``state`` as (high, low) uint64 arrays."""
    a_tab, g_tab = _tables(mult & MASK128, block)
    inc_l = to_limbs(inc)[:, None]
    gi_tab = mul128(g_tab, inc_l)  # G_k * inc, fixed for this stream
    his, los = [], []
    for start in range(0, n, block):
        m = min(block, n - start)
        s = add128(mul128(a_tab[:, :m], to_limbs(state)[:, None]), gi_tab[:, :m])
        hi, lo = hi_lo(s)
        his.append(hi)
        los.append(lo)
        state = advance_lcg128(state, m, mult=mult, inc=inc)
    if not his:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    return np.concatenate(his), np.concatenate(los)


# --- PCG64 and PCG64DXSM ---------------------------------------------------------------------


def pcg64_seed(seed, *, spawn_key=()) -> tuple[int, int]:
    """(state, inc) of ``PCG64(seed)`` and ``PCG64DXSM(seed)`` (both use pcg64_set_seed)."""
    # _pcg64.pyx: val = seed_seq.generate_state(4, uint64); pcg64_set_seed(val, val + 2) builds
    # initstate = val[0]:val[1] and initseq = val[2]:val[3] (high word first), then
    # pcg_setseq_128_srandom_r: state = 0, inc = initseq << 1 | 1, step, state += initstate, step,
    # with the DEFAULT multiplier -- also for PCG64DXSM, whose __init__ calls the same pcg64_set_seed.
    v = [int(w) for w in seedsequence.generate_state(seed, 4, np.uint64, spawn_key=spawn_key)]
    initstate, initseq = (v[0] << 64) | v[1], (v[2] << 64) | v[3]
    inc = ((initseq << 1) | 1) & MASK128
    state = lcg128_step(0, mult=PCG_DEFAULT_MULTIPLIER_128, inc=inc)
    state = lcg128_step((state + initstate) & MASK128, mult=PCG_DEFAULT_MULTIPLIER_128, inc=inc)
    return state, inc


def xsl_rr(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """pcg64.h, pcg_output_xsl_rr_128_64: rotr64(hi ^ lo, hi >> 58)."""
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


def dxsm(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """pcg64.h, pcg_cm_random_r / pcg_output_cm_128_64: the DXSM output of a state."""
    hi = hi ^ (hi >> np.uint64(32))
    hi = hi * np.uint64(PCG_CHEAP_MULTIPLIER_128)
    hi = hi ^ (hi >> np.uint64(48))
    return hi * (lo | np.uint64(1))


def pcg64_random_raw(seed, n: int, *, delta: int = 0, jumps: int = 0, spawn_key=()) -> np.ndarray:
    """``PCG64(seed).advance(delta).jumped(jumps).random_raw(n)`` (jumps=0: no jump)."""
    state, inc = pcg64_seed(seed, spawn_key=spawn_key)
    mult = PCG_DEFAULT_MULTIPLIER_128
    state = advance_lcg128(state, delta + PCG_JUMP_STEP * jumps, mult=mult, inc=inc)
    # pcg64.h, pcg_setseq_128_xsl_rr_64_random_r: step first, then output the new state.
    hi, lo = lcg128_states(lcg128_step(state, mult=mult, inc=inc), n, mult=mult, inc=inc)
    return xsl_rr(hi, lo)


def pcg64dxsm_random_raw(seed, n: int, *, delta: int = 0, jumps: int = 0, spawn_key=()) -> np.ndarray:
    """``PCG64DXSM(seed).advance(delta).jumped(jumps).random_raw(n)`` (jumps=0: no jump)."""
    state, inc = pcg64_seed(seed, spawn_key=spawn_key)
    # pcg64.c, pcg64_cm_advance: Brown's jump with the cheap multiplier.
    mult = PCG_CHEAP_MULTIPLIER_128
    state = advance_lcg128(state, delta + PCG_JUMP_STEP * jumps, mult=mult, inc=inc)
    # pcg64.h, pcg_cm_random_r: output DXSM of the state *before* the cheap-multiplier step.
    hi, lo = lcg128_states(state, n, mult=mult, inc=inc)
    return dxsm(hi, lo)


# --- SFC64 -------------------------------------------------------------------------------------


def sfc64_seed(seed, *, spawn_key=()) -> list[int]:
    """The state [a, b, c, counter] of ``SFC64(seed)`` after its 12 warm-up draws."""
    # _sfc64.pyx: val = generate_state(3, uint64); sfc64.h, sfc64_set_seed: a, b, c = val,
    # counter = 1, then 12 discarded outputs.
    a, b, c = (int(w) for w in seedsequence.generate_state(seed, 3, np.uint64, spawn_key=spawn_key))
    s = [a, b, c, 1]
    _sfc64_run(s, 12)
    return s


def _sfc64_run(s: list[int], n: int) -> list[int]:
    """Run sfc64.h ``sfc64_next`` n times on state ``s`` in place; return the outputs."""
    a, b, c, w = s
    out = [0] * n
    for i in range(n):
        tmp = (a + b + w) & MASK64
        w = (w + 1) & MASK64
        a = b ^ (b >> 11)
        b = (c + (c << 3)) & MASK64
        c = (((c << 24) | (c >> 40)) + tmp) & MASK64
        out[i] = tmp
    s[:] = [a, b, c, w]
    return out


def sfc64_random_raw(seed, n: int, *, spawn_key=()) -> np.ndarray:
    """``SFC64(seed).random_raw(n)`` (a sequential Python-int loop)."""
    return np.array(_sfc64_run(sfc64_seed(seed, spawn_key=spawn_key), n), dtype=np.uint64)


# --- Live calls --------------------------------------------------------------------------------


def _live_raw(cls, seed, n, *, delta=0, jumps=0):
    """``cls(seed).advance(delta).jumped(jumps).random_raw(n)`` from the installed NumPy."""
    bg = getattr(np.random, cls)(seed)
    if delta:
        bg.advance(delta)
    if jumps:
        bg = bg.jumped(jumps)
    return bg.random_raw(n)


def _live_sfc64(seed, n):
    """``np.random.SFC64(seed).random_raw(n)``."""
    return np.random.SFC64(seed).random_raw(n)


_SEEDS = (0, 2**128 - 1)
_DELTAS = (1, 2, 1000, 2**64 + 3, 2**127, 2**128 - 1, -1)
_JUMPS = (1, 2, 5, 2**20)
def _pcg_rows(cls: str, model, *, versions: str, source: str) -> list[Model]:
    """random_raw, advance and jumped of one PCG generator, model against the installed NumPy."""
    raw = dict(name=f"numpy:{cls}.random_raw", n_range=(0, 10**5), params={})
    advance = dict(name=f"numpy:{cls}.advance", n_range=(0, 1000), params={"delta": _DELTAS})
    jumped = dict(name=f"numpy:{cls}.jumped", n_range=(0, 1000), params={"jumps": _JUMPS})
    return [Model(library="numpy", versions=versions, seed_range=_SEEDS, source=source,
                  model=model, live=functools.partial(_live_raw, cls), **row)
            for row in (raw, advance, jumped)]


MODELS = (
    *_pcg_rows("PCG64", pcg64_random_raw, versions=">=1.17", source=SOURCE_PCG64),
    *_pcg_rows("PCG64DXSM", pcg64dxsm_random_raw, versions=">=1.21", source=SOURCE_DXSM),
    Model(
        name="numpy:SFC64.random_raw", library="numpy", versions=">=1.17",
        model=lambda seed, n: sfc64_random_raw(seed, n), live=_live_sfc64,
        seed_range=_SEEDS, n_range=(0, 10**4), source=SOURCE_SFC64,
    ),
)


# --- Known answers -----------------------------------------------------------------------------

_TEST_DIRECT = "https://github.com/numpy/numpy/blob/main/numpy/random/tests/test_direct.py"


def _seed_state(seed):
    """The LCG state of ``PCG64(seed)`` / ``PCG64DXSM(seed)`` after seeding."""
    return pcg64_seed(seed)[0]


def _advanced_state(seed, delta, *, mult):
    """The LCG state of ``PCG64(seed)`` (or DXSM, by ``mult``) after ``advance(delta)``."""
    state, inc = pcg64_seed(seed)
    return advance_lcg128(state, delta, mult=mult, inc=inc)


_TESTSETS = (("pcg64", pcg64_random_raw), ("pcg64dxsm", pcg64dxsm_random_raw), ("sfc64", sfc64_random_raw))
_ADV = sum(2**i for i in (96, 64, 32, 16, 8, 4, 2, 1))
KNOWN_ANSWERS = tuple(
    ka for stem, fn in _TESTSETS for ka in numpy_testset_answers(stem, fn)
) + (
    # test_direct.py, TestPCG64.test_advange_large / TestPCG64DXSM.test_advange_large.
    KnownAnswer(
        name="numpy:PCG64.state[seed 38219308213743]",
        compute=lambda: _seed_state(38219308213743),
        expected=287608843259529770491897792873167516365,
        source=f"{_TEST_DIRECT} (TestPCG64.test_advange_large, TestPCG64DXSM.test_advange_large)",
    ),
    KnownAnswer(
        name="numpy:PCG64.advance[seed 38219308213743]",
        compute=lambda: _advanced_state(38219308213743, _ADV, mult=PCG_DEFAULT_MULTIPLIER_128),
        expected=135275564607035429730177404003164635391,
        source=f"{_TEST_DIRECT} (TestPCG64.test_advange_large)",
    ),
    KnownAnswer(
        name="numpy:PCG64DXSM.advance[seed 38219308213743]",
        compute=lambda: _advanced_state(38219308213743, _ADV, mult=PCG_CHEAP_MULTIPLIER_128),
        expected=277778083536782149546677086420637664879,
        source=f"{_TEST_DIRECT} (TestPCG64DXSM.test_advange_large)",
    ),
)
