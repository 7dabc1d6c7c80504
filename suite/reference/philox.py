"""Philox4x64 (NumPy's ``np.random.Philox``) and Philox4x32 (cuRAND, torch CUDA) counter-based generators.

Written from J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel Random Numbers: As
Easy as 1, 2, 3" (SC11) and Random123's ``include/Random123/philox.h`` (``_philox4xWround``,
``_philox4xWbumpkey``, the multipliers ``PHILOX_M4xW_*`` and Weyl constants ``PHILOX_W*``), and
NumPy's ``numpy/random/src/philox/philox.h`` (``philox_next``: increment the 256-bit counter, then
encrypt it; a 4-word buffer; ``philox_advance``) and ``numpy/random/_philox.pyx`` (key from
``SeedSequence.generate_state(2, uint64)``, ``counter``/``key`` arguments as little-endian words,
``advance`` resetting the buffer, ``jumped`` = ``advance(jumps * 2**128)``).

Both block functions are pure and vectorised over any number of counters and keys.
"""

from __future__ import annotations


import numpy as np

from . import KnownAnswer, Model, numpy_testset_answers
from . import seedsequence

# Random123 philox.h constants.
PHILOX_M4x64_0 = 0xD2E7470EE14C6C93
PHILOX_M4x64_1 = 0xCA5A826395121157
PHILOX_W64_0 = 0x9E3779B97F4A7C15  # golden ratio
PHILOX_W64_1 = 0xBB67AE8584CAA73B  # sqrt(3) - 1
PHILOX_M4x32_0 = 0xD2511F53
PHILOX_M4x32_1 = 0xCD9E8D57
PHILOX_W32_0 = 0x9E3779B9
PHILOX_W32_1 = 0xBB67AE85
MASK64 = (1 << 64) - 1
BUFFER_SIZE = 4  # philox.h, PHILOX_BUFFER_SIZE

SOURCE_4x64 = (
    "Random123 include/Random123/philox.h; numpy/random/src/philox/philox.h, _philox.pyx; Salmon et al., SC11"
)
SOURCE_4x32 = "Random123 include/Random123/philox.h (philox4x32); Salmon et al., SC11"
KAT_URL = "https://github.com/DEShawResearch/random123/blob/main/tests/kat_vectors"


def mulhilo64(a: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The high and low uint64 halves of ``a * m`` (Random123 mulhilo64), via 32-bit limbs."""
    m32, s32 = np.uint64(0xFFFFFFFF), np.uint64(32)
    a0, a1 = a & m32, a >> s32
    b0, b1 = np.uint64(m & 0xFFFFFFFF), np.uint64(m >> 32)
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> s32) + (p01 & m32) + (p10 & m32)  # < 3 * 2**32: no overflow
    hi = p11 + (p01 >> s32) + (p10 >> s32) + (mid >> s32)
    return hi, a * np.uint64(m)


def mulhilo32(a: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The high and low uint32 halves of ``a * m`` (Random123 mulhilo32)."""
    p = a.astype(np.uint64) * np.uint64(m)
    return (p >> np.uint64(32)).astype(np.uint32), p.astype(np.uint32)


def _philox4(counter, key, rounds, dtype, mulhilo, mults, weyls) -> np.ndarray:
    """Random123 philox4xW_R: ``rounds`` rounds of ``_philox4xWround``, bumping the key between rounds."""
    ctr = np.asarray(counter, dtype=dtype)
    k = np.asarray(key, dtype=dtype)
    if ctr.shape[-1:] != (4,) or k.shape[-1:] != (2,):
        raise ValueError("counter must be [..., 4] and key [..., 2]")
    shape = np.broadcast_shapes(ctr.shape[:-1], k.shape[:-1])
    # Work on flat 1-d arrays (NumPy scalars would warn on the intended wrap-around).
    c0, c1, c2, c3 = (np.broadcast_to(ctr[..., i], shape).reshape(-1) for i in range(4))
    k0, k1 = (np.broadcast_to(k[..., i], shape).reshape(-1) for i in range(2))
    w0, w1 = dtype(weyls[0]), dtype(weyls[1])
    for r in range(rounds):
        if r:  # _philox4xWbumpkey: key += (W0, W1), before every round but the first
            k0, k1 = k0 + w0, k1 + w1
        # _philox4xWround: (hi0, lo0) = M0 * c0, (hi1, lo1) = M1 * c2;
        # out = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        hi0, lo0 = mulhilo(c0, mults[0])
        hi1, lo1 = mulhilo(c2, mults[1])
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return np.stack([c0, c1, c2, c3], axis=-1).astype(dtype).reshape(shape + (4,))


def philox4x64(counter, key, *, rounds: int = 10) -> np.ndarray:
    """Philox4x64-R block function: uint64[..., 4] counters, uint64[..., 2] keys -> uint64[..., 4]."""
    mults, weyls = (PHILOX_M4x64_0, PHILOX_M4x64_1), (PHILOX_W64_0, PHILOX_W64_1)
    return _philox4(counter, key, rounds, np.uint64, mulhilo64, mults, weyls)


def philox4x32(counter, key, *, rounds: int = 10) -> np.ndarray:
    """Philox4x32-R block function: uint32[..., 4] counters, uint32[..., 2] keys -> uint32[..., 4]."""
    mults, weyls = (PHILOX_M4x32_0, PHILOX_M4x32_1), (PHILOX_W32_0, PHILOX_W32_1)
    return _philox4(counter, key, rounds, np.uint32, mulhilo32, mults, weyls)


# --- NumPy's Philox bit generator --------------------------------------------------------------


def int_to_words64(value: int, n_words: int) -> list[int]:
    """An int as ``n_words`` little-endian uint64 words (_common.pyx int_to_array)."""
    return [(int(value) >> (64 * i)) & MASK64 for i in range(n_words)]


def counters256(start: int, n: int) -> np.ndarray:
    """The 256-bit counters start, start+1, ... (mod 2**256) as uint64[n, 4] little-endian words."""
    base = int_to_words64(start, 4)
    j = np.arange(n, dtype=np.uint64)
    out = np.empty((n, 4), dtype=np.uint64)
    out[:, 0] = np.uint64(base[0]) + j
    carry = out[:, 0] < np.uint64(base[0])  # philox.h: carry ripples word by word
    for i in range(1, 4):
        out[:, i] = np.uint64(base[i]) + carry.astype(np.uint64)
        carry = carry & (out[:, i] == 0)
    return out


def philox_key(seed=None, *, key=None, spawn_key=()) -> list[int]:
    """The two key words of ``Philox(seed)`` or ``Philox(key=key)``."""
    # _philox.pyx __init__: key given -> int_to_array(key, 'key', 128, 64), else
    # seed_seq.generate_state(2, np.uint64).
    if key is not None:
        return int_to_words64(key, 2)
    return [int(w) for w in seedsequence.generate_state(seed, 2, np.uint64, spawn_key=spawn_key)]


def philox_random_raw(
    seed, n: int, *, counter: int = 0, key=None, delta: int = 0, jumps: int = 0, spawn_key=()
) -> np.ndarray:
    """``Philox(seed, counter=, key=).advance(delta).jumped(jumps).random_raw(n)``."""
    k = np.array(philox_key(seed, key=key, spawn_key=spawn_key), dtype=np.uint64)
    # philox.h, philox_advance: counter += delta (256-bit); jump_inplace: advance(jumps * 2**128).
    # Both reset the buffer, so the next word starts a fresh block.
    start = (int(counter) + int(delta) + (int(jumps) << 128)) % (1 << 256)
    # philox.h, philox_next: with the buffer empty, increment the counter, *then* encrypt it, so
    # the first block is philox4x64(counter + 1, key); words come out v[0], v[1], v[2], v[3].
    n_blocks = -(-int(n) // BUFFER_SIZE)
    blocks = philox4x64(counters256(start + 1, n_blocks), k)
    return blocks.reshape(-1)[: int(n)]


# --- Live calls --------------------------------------------------------------------------------


def _live_philox(seed, n, *, counter=0, key=None, delta=0, jumps=0):
    """``np.random.Philox(...).advance(delta).jumped(jumps).random_raw(n)`` from the installed NumPy."""
    if key is not None:
        bg = np.random.Philox(key=key, counter=counter)
    else:
        bg = np.random.Philox(seed, counter=counter)
    if delta:
        bg.advance(delta)
    if jumps:
        bg = bg.jumped(jumps)
    return bg.random_raw(n)


_SEEDS = (0, 2**128 - 1)
_COUNTERS = (0, 1, 2**64 - 1, 2**64 - 2, 2**128 - 1, 2**192 - 3, 2**256 - 1, 2**256 - 2)
MODELS = (
    Model(
        name="numpy:Philox.random_raw", library="numpy", versions=">=1.17",
        model=lambda seed, n, *, counter=0: philox_random_raw(seed, n, counter=counter),
        live=lambda seed, n, *, counter=0: _live_philox(seed, n, counter=counter),
        seed_range=_SEEDS, n_range=(0, 10**5), params={"counter": _COUNTERS}, source=SOURCE_4x64,
    ),
    Model(
        name="numpy:Philox.random_raw(key=)", library="numpy", versions=">=1.17",
        model=lambda seed, n, *, counter=0: philox_random_raw(None, n, key=seed, counter=counter),
        live=lambda seed, n, *, counter=0: _live_philox(None, n, key=seed, counter=counter),
        seed_range=(0, 2**128 - 1), n_range=(0, 1000), params={"counter": _COUNTERS}, source=SOURCE_4x64,
    ),
    Model(
        name="numpy:Philox.advance", library="numpy", versions=">=1.17",
        model=lambda seed, n, *, delta: philox_random_raw(seed, n, delta=delta),
        live=lambda seed, n, *, delta: _live_philox(seed, n, delta=delta),
        seed_range=_SEEDS, n_range=(0, 1000),
        params={"delta": (1, 3, 4, 2**64 - 1, 2**64 + 3, 2**128, 2**255, 2**256 - 1, -1)}, source=SOURCE_4x64,
    ),
    Model(
        name="numpy:Philox.jumped", library="numpy", versions=">=1.17",
        model=lambda seed, n, *, jumps: philox_random_raw(seed, n, jumps=jumps),
        live=lambda seed, n, *, jumps: _live_philox(seed, n, jumps=jumps),
        seed_range=_SEEDS, n_range=(0, 1000), params={"jumps": (1, 2, 7, 2**64, 2**128 - 1)},
        source=SOURCE_4x64,
    ),
)


# --- Known answers -----------------------------------------------------------------------------

# Random123 tests/kat_vectors, typed from the published file (commit 9545ff6 of
# https://github.com/DEShawResearch/random123): "name rounds ctr[0..3] key[0..1] out[0..3]" in hex.
# All philox4x32 and philox4x64 rows (R = 7 and R = 10).
_KAT = (
    ("philox4x32", 7, "00000000 00000000 00000000 00000000", "00000000 00000000",
     "5f6fb709 0d893f64 4f121f81 4f730a48"),
    ("philox4x32", 7, "ffffffff ffffffff ffffffff ffffffff", "ffffffff ffffffff",
     "5207ddc2 45165e59 4d8ee751 8c52f662"),
    ("philox4x32", 7, "243f6a88 85a308d3 13198a2e 03707344", "a4093822 299f31d0",
     "4dfccaba 190a87f0 c47362ba b6b5242a"),
    ("philox4x32", 10, "00000000 00000000 00000000 00000000", "00000000 00000000",
     "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
    ("philox4x32", 10, "ffffffff ffffffff ffffffff ffffffff", "ffffffff ffffffff",
     "408f276d 41c83b0e a20bc7c6 6d5451fd"),
    ("philox4x32", 10, "243f6a88 85a308d3 13198a2e 03707344", "a4093822 299f31d0",
     "d16cfe09 94fdcceb 5001e420 24126ea1"),
    ("philox4x64", 7, "0000000000000000 0000000000000000 0000000000000000 0000000000000000",
     "0000000000000000 0000000000000000",
     "5dc8ee6268ec62cd 139bc570b6c125a0 84d6deb4fb65f49e aff7583376d378c2"),
    ("philox4x64", 7, "ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff",
     "ffffffffffffffff ffffffffffffffff",
     "071dd84367903154 48e2bbdc722b37d1 6afa9890bb89f76c 9194c8d8ada56ac7"),
    ("philox4x64", 7, "243f6a8885a308d3 13198a2e03707344 a4093822299f31d0 082efa98ec4e6c89",
     "452821e638d01377 be5466cf34e90c6c",
     "513a366704edf755 f05d9924c07044d3 bef2cb9cbea74c6c 8db948de4caa1f8a"),
    ("philox4x64", 10, "0000000000000000 0000000000000000 0000000000000000 0000000000000000",
     "0000000000000000 0000000000000000",
     "16554d9eca36314c db20fe9d672d0fdc d7e772cee186176b 7e68b68aec7ba23b"),
    ("philox4x64", 10, "ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff",
     "ffffffffffffffff ffffffffffffffff",
     "87b092c3013fe90b 438c3c67be8d0224 9cc7d7c69cd777b6 a09caebf594f0ba0"),
    ("philox4x64", 10, "243f6a8885a308d3 13198a2e03707344 a4093822299f31d0 082efa98ec4e6c89",
     "452821e638d01377 be5466cf34e90c6c",
     "a528f45403e61d95 38c72dbd566e9788 a5a1610e72fd18b5 57bd43b5e52b7fe6"),
)


def _hex(words: str) -> list[int]:
    """Space-separated hex words as ints."""
    return [int(w, 16) for w in words.split()]


def _kat_answer(name: str, rounds: int, ctr: str, key: str, out: str) -> KnownAnswer:
    """A Random123 known answer through philox4x32 or philox4x64."""
    fn = philox4x32 if name == "philox4x32" else philox4x64
    dtype = np.uint32 if name == "philox4x32" else np.uint64
    c, k = np.array(_hex(ctr), dtype=dtype), np.array(_hex(key), dtype=dtype)
    return KnownAnswer(
        name=f"random123:{name}-{rounds}[ctr={ctr.split()[0]}..]",
        compute=lambda: [int(v) for v in fn(c, k, rounds=rounds)],
        expected=_hex(out),
        source=KAT_URL,
    )


KNOWN_ANSWERS = (*(_kat_answer(*row) for row in _KAT),
                 *numpy_testset_answers("philox", philox_random_raw))
