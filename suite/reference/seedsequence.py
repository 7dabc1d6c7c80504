"""NumPy's ``SeedSequence``: entropy coercion, the hashmix/mix pool, ``generate_state``, spawning.

Written from NumPy's ``numpy/random/bit_generator.pyx`` (``_coerce_to_uint32_array``,
``_int_to_uint32_array``, ``hashmix``, ``mix``, ``SeedSequence.mix_entropy``,
``get_assembled_entropy``, ``generate_state``, ``spawn``), which implements Melissa O'Neill's
``seed_seq_fe`` design (https://www.pcg-random.org/posts/developing-a-seed_seq-alternative.html,
C++ reference: https://gist.github.com/imneme/540829265469e673d045).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import KnownAnswer, Model

# Constants of bit_generator.pyx (DEFAULT_POOL_SIZE, INIT_A, MULT_A, INIT_B, MULT_B,
# MIX_MULT_L, MIX_MULT_R, XSHIFT).
DEFAULT_POOL_SIZE = 4
INIT_A = 0x43B0D7E5
MULT_A = 0x931E8875
INIT_B = 0x8B51F9DD
MULT_B = 0x58F38DED
MIX_MULT_L = 0xCA01F9DD
MIX_MULT_R = 0x4973F715
XSHIFT = 16
MASK32 = 0xFFFFFFFF

SOURCE = "numpy/random/bit_generator.pyx (SeedSequence); https://gist.github.com/imneme/540829265469e673d045"


def int_to_words(n: int) -> list[int]:
    """A non-negative integer as little-endian uint32 words (``_int_to_uint32_array``)."""
    n = int(n)
    if n < 0:
        raise ValueError("expected non-negative integer")
    if n == 0:
        return [0]
    words = []
    while n > 0:
        words.append(n & MASK32)
        n >>= 32
    return words


def coerce_words(x) -> list[int]:
    """Entropy (int, NumPy integer, uint32 array, nested sequence) as uint32 words."""
    # bit_generator.pyx, _coerce_to_uint32_array: a uint32 array is taken as is; ints are split
    # into little-endian 32-bit words; floats are refused; sequences are concatenated.
    if isinstance(x, np.ndarray) and x.dtype == np.uint32:
        return [int(v) for v in x.ravel()]
    if isinstance(x, str):
        base = 16 if x.startswith("0x") else 8 if x.startswith("0") else 10
        x = int(x, base)
    if isinstance(x, (int, np.integer)):
        return int_to_words(int(x))
    if isinstance(x, (float, np.inexact)):
        raise TypeError("SeedSequence expects int or sequence of ints for entropy not float")
    return [w for v in x for w in coerce_words(v)]


def assembled_entropy(
    entropy, *, spawn_key: Sequence[int] = (), pool_size: int = DEFAULT_POOL_SIZE
) -> list[int]:
    """Run entropy, zero-padded to the pool when a spawn key follows, then the spawn key."""
    # bit_generator.pyx, get_assembled_entropy (the padding is the gh-16539 fix of NumPy 1.19).
    run = coerce_words(entropy)
    spawn = coerce_words(spawn_key)
    if spawn and len(run) < pool_size:
        run = run + [0] * (pool_size - len(run))
    return run + spawn


def _hashmix(value: int, hash_const: list[int]) -> int:
    """bit_generator.pyx ``hashmix``: one word through the running multiplicative hash."""
    value ^= hash_const[0]
    hash_const[0] = (hash_const[0] * MULT_A) & MASK32
    value = (value * hash_const[0]) & MASK32
    return value ^ (value >> XSHIFT)


def _mix(x: int, y: int) -> int:
    """bit_generator.pyx ``mix``: combine a pool word with a hashed word."""
    r = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
    return r ^ (r >> XSHIFT)


def pool(entropy, *, spawn_key: Sequence[int] = (), pool_size: int = DEFAULT_POOL_SIZE) -> np.ndarray:
    """The mixed entropy pool (``SeedSequence.pool``), uint32[pool_size]."""
    if pool_size < DEFAULT_POOL_SIZE:
        raise ValueError(f"The size of the entropy pool should be at least {DEFAULT_POOL_SIZE}")
    ent = assembled_entropy(entropy, spawn_key=spawn_key, pool_size=pool_size)
    hc = [INIT_A]
    # bit_generator.pyx, mix_entropy: fill the pool (hashing 0s past the entropy's end) ...
    mixer = [_hashmix(ent[i] if i < len(ent) else 0, hc) for i in range(pool_size)]
    # ... mix every pool word into every other ...
    for i_src in range(pool_size):
        for i_dst in range(pool_size):
            if i_src != i_dst:
                mixer[i_dst] = _mix(mixer[i_dst], _hashmix(mixer[i_src], hc))
    # ... then mix each remaining entropy word into every pool word.
    for i_src in range(pool_size, len(ent)):
        for i_dst in range(pool_size):
            mixer[i_dst] = _mix(mixer[i_dst], _hashmix(ent[i_src], hc))
    return np.array(mixer, dtype=np.uint32)


def generate_state(
    entropy,
    n_words: int,
    dtype=np.uint32,
    *,
    spawn_key: Sequence[int] = (),
    pool_size: int = DEFAULT_POOL_SIZE,
) -> np.ndarray:
    """``SeedSequence(entropy, spawn_key=..., pool_size=...).generate_state(n_words, dtype)``."""
    out_dtype = np.dtype(dtype)
    if out_dtype not in (np.dtype(np.uint32), np.dtype(np.uint64)):
        raise ValueError("only support uint32 or uint64")
    n32 = int(n_words) * (2 if out_dtype == np.dtype(np.uint64) else 1)
    p = pool(entropy, spawn_key=spawn_key, pool_size=pool_size)
    # bit_generator.pyx, generate_state: word i is pool[i % pool_size] ^ h_i, times h_{i+1},
    # xorshifted, where h_0 = INIT_B and h_{i+1} = h_i * MULT_B (mod 2**32). Vectorised: the
    # running hash constant is a cumulative product (wrapping uint64 keeps it right mod 2**32).
    data = np.resize(p, n32).astype(np.uint64)
    mults = np.full(n32, MULT_B, dtype=np.uint64)
    mults[:1] = INIT_B * MULT_B & MASK32
    h_next = np.cumprod(mults, dtype=np.uint64) & np.uint64(MASK32)
    h = np.concatenate([np.array([INIT_B], dtype=np.uint64), h_next[:-1]])
    v = ((data ^ h) * h_next) & np.uint64(MASK32)
    state = (v ^ (v >> np.uint64(XSHIFT))).astype(np.uint32)
    if out_dtype == np.dtype(np.uint64):
        # Pairs of words, low word first (the '<u4' -> '<u8' view of generate_state).
        return state.astype("<u4").view("<u8").astype(np.uint64)
    return state


def spawn_keys(
    n_children: int, *, spawn_key: Sequence[int] = (), n_children_spawned: int = 0
) -> list[tuple[int, ...]]:
    """Spawn keys of the next ``n_children`` children (``SeedSequence.spawn``)."""
    # bit_generator.pyx, spawn: child i gets spawn_key + (i,), counting on from n_children_spawned.
    key = tuple(spawn_key)
    return [key + (i,) for i in range(n_children_spawned, n_children_spawned + n_children)]


def spawn(
    entropy, n_children: int, *, spawn_key: Sequence[int] = (), n_children_spawned: int = 0
) -> list[dict]:
    """Children as ``{"entropy", "spawn_key"}`` dicts, ready for ``generate_state(**child, ...)``."""
    return [
        {"entropy": entropy, "spawn_key": k}
        for k in spawn_keys(n_children, spawn_key=spawn_key, n_children_spawned=n_children_spawned)
    ]


# ---------------------------------------------------------------------------------------------
# Models: model(seed, n, **params) against the live np.random.SeedSequence.

_DTYPES = {"uint32": np.uint32, "uint64": np.uint64}


def _model_state(seed, n, *, dtype="uint32", spawn_key=()):
    """Model of ``SeedSequence(seed, spawn_key=...).generate_state(n, dtype)``."""
    return generate_state(seed, n, _DTYPES[dtype], spawn_key=spawn_key)


def _live_state(seed, n, *, dtype="uint32", spawn_key=()):
    """Live ``np.random.SeedSequence(seed, spawn_key=...).generate_state(n, dtype)``."""
    return np.random.SeedSequence(seed, spawn_key=tuple(spawn_key)).generate_state(n, _DTYPES[dtype])


def _model_spawn(seed, n, *, child=0, dtype="uint32"):
    """Model of ``SeedSequence(seed).spawn(child + 1)[child].generate_state(n, dtype)``."""
    (c,) = spawn(seed, 1, n_children_spawned=child)
    return generate_state(c["entropy"], n, _DTYPES[dtype], spawn_key=c["spawn_key"])


def _live_spawn(seed, n, *, child=0, dtype="uint32"):
    """Live ``SeedSequence(seed).spawn(child + 1)[child].generate_state(n, dtype)``."""
    return np.random.SeedSequence(seed).spawn(child + 1)[child].generate_state(n, _DTYPES[dtype])


MODELS = (
    Model(
        name="numpy:SeedSequence.generate_state",
        library="numpy",
        model=_model_state,
        live=_live_state,
        versions=">=1.19",  # 1.17/1.18 lacked the gh-16539 zero padding before a spawn key
        seed_range=(0, 2**256 - 1),
        n_range=(0, 1000),
        params={
            "dtype": ("uint32", "uint64"),
            "spawn_key": ((), (0,), (1, 2), (2**40 + 3,), (0, 0, 0, 0, 7)),
        },
        source=SOURCE,
    ),
    Model(
        name="numpy:SeedSequence.spawn",
        library="numpy",
        model=_model_spawn,
        live=_live_spawn,
        versions=">=1.19",
        seed_range=(0, 2**128 - 1),
        n_range=(0, 100),
        params={"child": (0, 1, 2, 7, 100), "dtype": ("uint32", "uint64")},
        source=SOURCE,
    ),
)

# Reference data of NumPy's numpy/random/tests/test_seed_sequence.py (test_reference_data,
# test_zero_padding), produced by the C++ reference implementation
# (https://gist.github.com/imneme/540829265469e673d045), typed from
# https://github.com/numpy/numpy/blob/main/numpy/random/tests/test_seed_sequence.py
_TEST_FILE = "https://github.com/numpy/numpy/blob/main/numpy/random/tests/test_seed_sequence.py"
_REF_SOURCE = f"{_TEST_FILE} (test_reference_data), from https://gist.github.com/imneme/540829265469e673d045"
_REF_INPUTS = (
    (3735928559, 195939070, 229505742, 305419896),
    (3668361503, 4165561550, 1661411377, 3634257570),
    (164546577, 4166754639, 1765190214, 1303880213),
    (446610472, 3941463886, 522937693, 1882353782),
    (1864922766, 1719732118, 3882010307, 1776744564),
    (4141682960, 3310988675, 553637289, 902896340),
    (1134851934, 2352871630, 3699409824, 2648159817),
    (1240956131, 3107113773, 1283198141, 1924506131),
    (2669565031, 579818610, 3042504477, 2774880435),
    (2766103236, 2883057919, 4029656435, 862374500),
)
_REF_OUTPUTS = (
    (3914649087, 576849849, 3593928901, 2229911004),
    (2240804226, 3691353228, 1365957195, 2654016646),
    (3562296087, 3191708229, 1147942216, 3726991905),
    (1403443605, 3591372999, 1291086759, 441919183),
    (1086200464, 2191331643, 560336446, 3658716651),
    (3249937430, 2346751812, 847844327, 2996632307),
    (2584285912, 4034195531, 3523502488, 169742686),
    (959045797, 3875435559, 1886309314, 359682705),
    (3978441347, 432478529, 3223635119, 138903045),
    (296367413, 4262059219, 13109864, 3283683422),
)
_REF_OUTPUTS64 = (
    (2477551240072187391, 9577394838764454085),
    (15854241394484835714, 11398914698975566411),
    (13708282465491374871, 16007308345579681096),
    (15424829579845884309, 1898028439751125927),
    (9411697742461147792, 15714068361935982142),
    (10079222287618677782, 12870437757549876199),
    (17326737873898640088, 729039288628699544),
    (16644868984619524261, 1544825456798124994),
    (1857481142255628931, 596584038813451439),
    (18305404959516669237, 14103312907920476776),
)


def _ka(entropy, n, dtype):
    """A closure computing ``generate_state(entropy, n, dtype)`` as a list of ints."""
    return lambda: [int(v) for v in generate_state(list(entropy), n, dtype)]


KNOWN_ANSWERS = tuple(
    KnownAnswer(
        name=f"numpy:SeedSequence.generate_state[C++ reference {i}, uint32]",
        compute=_ka(inp, len(out), np.uint32),
        expected=list(out),
        source=_REF_SOURCE,
    )
    for i, (inp, out) in enumerate(zip(_REF_INPUTS, _REF_OUTPUTS))
) + tuple(
    KnownAnswer(
        name=f"numpy:SeedSequence.generate_state[C++ reference {i}, uint64]",
        compute=_ka(inp, len(out), np.uint64),
        expected=list(out),
        source=_REF_SOURCE,
    )
    for i, (inp, out) in enumerate(zip(_REF_INPUTS, _REF_OUTPUTS64))
) + (
    KnownAnswer(
        name="numpy:SeedSequence.generate_state[42, NumPy 1.17 compatibility]",
        compute=lambda: [int(v) for v in generate_state(42, 4)],
        expected=[3444837047, 2669555309, 2046530742, 3581440988],
        source=f"{_TEST_FILE} (test_zero_padding, expected42)",
    ),
)
