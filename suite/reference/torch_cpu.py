"""Reference models of torch's CPU random streams: MT19937 words plus ATen's transforms.

Every model here draws its 32-bit words from an MT19937 seeded the way ATen seeds its engine,
then applies the transform written in ATen's source, in NumPy, without importing torch (only the
``live`` functions import it). Sources, read for torch 2.13 (the installed headers under
``torch/include/ATen`` are that release's; the ``.cpp`` files are pytorch/pytorch main):

* ``aten/src/ATen/core/MT19937RNGEngine.h``: ``mt19937_engine(uint64_t seed)`` calls
  ``init_with_uint32``, which sets ``state_[0] = seed & 0xffffffff`` and runs the 2002
  ``init_genrand`` recurrence (1812433253); ``operator()`` is the standard tempering. So the
  engine is reference MT19937 seeded with ``init_genrand(seed mod 2**32)``; NumPy's
  ``MT19937._legacy_seeding(s)`` (``mt19937_seed``) is the same ``init_genrand`` for
  ``0 <= s < 2**32``, and ``random_raw`` returns the tempered words in order.
* ``aten/src/ATen/CPUGeneratorImpl.cpp``: ``random()`` is one word; ``random64()`` draws
  ``random1`` then ``random2`` and returns ``make64BitsFrom32Bits(random1, random2)`` =
  ``(random1 << 32) | random2``: the FIRST word is the high half. ``set_current_seed`` (what
  ``manual_seed`` calls) also drops both cached normal samples.
* ``aten/src/ATen/core/TransformationHelper.h`` (``uniform_real``, ``uniform_int_from_to``) and
  ``aten/src/ATen/core/DistributionsHelper.h`` (``uniform_int_from_to_distribution``,
  ``uniform_real_distribution``, ``normal_distribution``, ``bernoulli_distribution``).
* ``aten/src/ATen/native/cpu/DistributionTemplates.h`` (``NormalFill16``, ``normal_fill``,
  ``normal_kernel``, ``uniform_kernel``, ``bernoulli_kernel``) and
  ``aten/src/ATen/native/cpu/DistributionKernels.cpp`` (which kernel each capability registers;
  ``normal_stub`` has ``REGISTER_NO_AVX512_DISPATCH``, so AVX512 runs the AVX2 normal kernel).
* ``aten/src/ATen/native/TensorFactories.cpp`` (``randperm_cpu``),
  ``aten/src/ATen/native/Dropout.cpp`` (``_dropout_impl``), and
  ``torch/utils/data/_utils/worker.py`` (``_generate_state``).

Word source: ``source="numpy"`` (default) uses NumPy's C MT19937; ``source="model"`` uses the
pure-NumPy MT19937 of :mod:`rngsuite.reference.mt19937` when that module exists, so "torch's stream
is NumPy's MT19937 words through ATen's transform" is a checkable identity.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib
import math
from typing import Any, Callable

import numpy as np

from rngsuite.reference import Model

WORDS = "numpy:MT19937.random_raw(legacy seeding)"
_ATEN = "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/"
_MASK32 = 0xFFFFFFFF
_SEEDS = (0, 2**64 - 1)  # manual_seed takes 0..2**64-1 (negatives wrap); only seed mod 2**32 counts

# ------------------------------------------------------------------------------------ words --


def words(seed: int, k: int, *, source: str = "numpy") -> np.ndarray:
    """The first ``k`` 32-bit words of ATen's mt19937 after ``manual_seed(seed)``, as uint64."""
    s = int(seed) & _MASK32  # MT19937RNGEngine.h init_with_uint32: state_[0] = seed & 0xffffffff
    if source == "numpy":
        bg = np.random.MT19937()
        bg._legacy_seeding(s)  # numpy/random/_mt19937.pyx: mt19937_seed = init_genrand
        return bg.random_raw(k) if k else np.zeros(0, np.uint64)
    if source == "model":
        return np.asarray(_model_words(s, k), dtype=np.uint64)
    raise ValueError(f"unknown word source {source!r}")


def _model_words(seed32: int, k: int) -> np.ndarray:
    """Words from rngsuite.reference.mt19937: ``words(seed, k)`` seeds with init_genrand."""
    return importlib.import_module("rngsuite.reference.mt19937").words(seed32, k)


def random64(w: np.ndarray) -> np.ndarray:
    """CPUGeneratorImpl::random64: (first word << 32) | second word, for consecutive pairs."""
    w = np.asarray(w, dtype=np.uint64)
    return (w[0::2] << np.uint64(32)) | w[1::2]


def _words64(seed: int, k: int, *, source: str) -> np.ndarray:
    """``k`` random64() values."""
    return random64(words(seed, 2 * k, source=source))


def uniform_f32(w: np.ndarray) -> np.ndarray:
    """uniform_real<float>(random(), 0, 1): low 24 bits times 2**-24 (TransformationHelper.h)."""
    x = np.bitwise_and(w, np.uint64(0xFFFFFF)).astype(np.float32)
    x *= np.float32(2.0**-24)
    return x


def uniform_f64(w64: np.ndarray) -> np.ndarray:
    """uniform_real<double>(random64(), 0, 1): low 53 bits times 2**-53."""
    return (np.bitwise_and(w64, np.uint64(2**53 - 1))).astype(np.float64) * 2.0**-53


# ------------------------------------------------------------------ exact float arithmetic --


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: s + e == a + b exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's exact product (Veltkamp split): p + e == a * b exactly (float64)."""
    def split(x):
        c = 134217729.0 * x
        hi = c - (c - x)
        return hi, x - hi
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_odd_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b in float64 rounded to odd (inexact results get an odd last bit)."""
    s, e = _two_sum(a, b)
    fix = (e != 0) & ((s.view(np.uint64) & np.uint64(1)) == 0)
    return np.where(fix, np.nextafter(s, np.copysign(np.inf, e)), s)


def fma32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Correctly rounded float32 a*b + c: exact product in float64, round-to-odd sum, round."""
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)  # 24+24 bits: exact
    return _round_odd_sum(p, np.broadcast_to(np.asarray(c, np.float64), p.shape)).astype(np.float32)


def fma64(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Correctly rounded float64 a*b + c (Boldo & Melquiond 2008, emulated FMA via round-to-odd)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (a, b, c)))
    uh, ul = _two_prod(a, b)
    th, tl = _two_sum(c, uh)
    return th + _round_odd_sum(tl, ul)


# ------------------------------------------------------------- the C library's math calls --


def _libm_map(fn: Callable[[float], float], x: np.ndarray, dtype: Any) -> np.ndarray:
    """Apply a scalar libm function element by element (what ATen's scalar loops call)."""
    return np.fromiter(map(fn, x.tolist()), dtype=dtype, count=x.size)


@functools.lru_cache(maxsize=None)
def _libm_f32(name: str) -> Callable[[float], float]:
    """The C library's float function ``name`` (logf, sinf, cosf) through ctypes."""
    fn = getattr(ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6"), name)
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn


# ------------------------------------------------------------------------------- uniform --


def rand(seed: int, n: int, *, dtype: str = "float32", source: str = "numpy") -> np.ndarray:
    """torch.rand(n, dtype=dtype): uniform_real_distribution<T>(0, 1), one draw per element."""
    if dtype == "float32":
        return uniform_f32(words(seed, n, source=source))  # DistributionsHelper.h: random()
    return uniform_f64(_words64(seed, n, source=source))   # double: random64()


def uniform(seed: int, n: int, *, a: float = -3.5, b: float = 11.25, dtype: str = "float32",
            fused: bool = True, source: str = "numpy") -> np.ndarray:
    """torch.empty(n).uniform_(a, b): x * (to - from) + from, FMA-contracted on AVX2/AVX512."""
    # DistributionTemplates.h uniform_kernel -> TransformationHelper.h uniform_real; the
    # AVX2/AVX512 builds (-mfma) contract `x * (to - from) + from` into one FMA, DEFAULT doesn't.
    ft = np.float32 if dtype == "float32" else np.float64
    lo, hi = ft(a), ft(b)
    x = rand(seed, n, dtype=dtype, source=source)
    if fused:
        v = (fma32 if dtype == "float32" else fma64)(x, hi - lo, lo).astype(ft)
    else:
        v = x * (hi - lo) + lo
    return np.where(v == hi, lo, v).astype(ft)  # uniform_kernel: value == to -> from


# -------------------------------------------------------------------------------- normal --


def _box_muller_pairs(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """normal_distribution<double>: r = sqrt(-2 log1p(-u2)), theta = 2 pi u1; (r cos, r sin)."""
    # DistributionsHelper.h normal_distribution::operator(); libm calls, as ATen makes them.
    r = np.sqrt(-2.0 * _libm_map(math.log1p, -u2, np.float64))
    theta = 2.0 * math.pi * u1
    out = np.empty((u1.size, 2))
    out[:, 0] = r * _libm_map(math.cos, theta, np.float64)  # returned
    out[:, 1] = r * _libm_map(math.sin, theta, np.float64)  # cached for the next call
    return out.reshape(-1)


def randn_scalar(seed: int, n: int, *, dtype: str = "float32", source: str = "numpy") -> np.ndarray:
    """The serial normal path (n < 16 or non-contiguous): Box-Muller in double, pair-cached."""
    # DistributionTemplates.h normal_kernel else-branch: at::normal_distribution<double> per
    # element; the sin half is kept in next_double_normal_sample_ (CPUGeneratorImpl.h) and
    # returned by the next element -- also by the next *call*, until manual_seed resets it.
    pairs = (n + 1) // 2
    u = uniform_f64(_words64(seed, 2 * pairs, source=source))
    z = _box_muller_pairs(u[0::2], u[1::2])[:n] * 1.0 + 0.0  # transformation::normal(v, 0, 1)
    return z.astype(np.float32 if dtype == "float32" else np.float64)


def _fill16_f64(d: np.ndarray) -> np.ndarray:
    """NormalFill16<double> (primary template) on rows of 16 uniforms: u[j] with u[j+8]."""
    u1 = 1.0 - d[:, :8]
    theta = (2.0 * math.pi) * d[:, 8:]
    r = np.sqrt(-2.0 * _libm_map(math.log, u1.ravel(), np.float64)).reshape(u1.shape)
    c = _libm_map(math.cos, theta.ravel(), np.float64).reshape(u1.shape)
    s = _libm_map(math.sin, theta.ravel(), np.float64).reshape(u1.shape)
    return np.concatenate([r * c + 0.0, r * s + 0.0], axis=1)  # fma(x, std=1, mean=0)


def _fill16_f32_scalar(d: np.ndarray) -> np.ndarray:
    """NormalFill16<float> primary template (DEFAULT): logf/cosf/sinf of the C library."""
    u1 = np.float32(1) - d[:, :8]
    theta = ((2.0 * math.pi) * d[:, 8:].astype(np.float64)).astype(np.float32)  # double, to float
    lg = _libm_map(_libm_f32("logf"), u1.ravel(), np.float32).reshape(u1.shape)
    r = np.sqrt(np.float32(-2) * lg)
    c = _libm_map(_libm_f32("cosf"), theta.ravel(), np.float32).reshape(u1.shape)
    s = _libm_map(_libm_f32("sinf"), theta.ravel(), np.float32).reshape(u1.shape)
    return np.concatenate([r * c + np.float32(0), r * s + np.float32(0)], axis=1)


_F32 = np.float32
_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)  # cephes_log_p0..8


def _log256_ps(x: np.ndarray) -> np.ndarray:
    """avx_mathfun.h log256_ps (Cephes logf) in float32, with GCC's FMA contractions."""
    # The AVX2 build (-mfma, -ffp-contract=fast) turns each `mul; add` pair into one FMA;
    # which pairs, read off the statement order, is what makes this bit-exact (checked live).
    x = np.maximum(x, np.array([0x00800000], np.int32).view(_F32)[0])  # min_norm_pos
    bits = x.view(np.int32)
    e = ((bits.view(np.uint32) >> 23).astype(np.int32) - 0x7F).astype(_F32) + _F32(1)
    x = ((bits & np.int32(~0x7F800000)) | np.int32(0x3F000000)).view(_F32)  # mantissa, 0.5 exp
    mask = x < _F32(0.707106781186547524)  # cephes_SQRTHF
    x = (x - _F32(1)) + np.where(mask, x, _F32(0))
    e = e - np.where(mask, _F32(1), _F32(0))
    z = x * x
    y = np.full_like(x, _F32(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = fma32(y, x, _F32(p))
    y = fma32(y * x, z, e * _F32(-2.12194440e-4))  # y*z + e*q1: the y*z product is fused
    y = fma32(-z, _F32(0.5), y)                    # y - z*0.5
    return fma32(e, _F32(0.693359375), x + y)      # (x + y) + e*q2


def _sincos256_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """avx_mathfun.h sincos256_ps (Cephes sinf/cosf) in float32, with the FMA contractions."""
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # cephes_FOPI, cvttps (truncate)
    j = (j + 1) & ~1
    y = j.astype(_F32)
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):  # minus_DP1..3
        x = fma32(y, _F32(dp), x)
    sign_sin ^= (j & 4) != 0
    sign_cos = (~(j - 2) & 4) != 0
    poly = (j & 2) == 0
    z = x * x
    yc = fma32(np.full_like(z, _F32(2.443315711809948e-5)), z, _F32(-1.388731625493765e-3))
    yc = fma32(yc, z, _F32(4.166664568298827e-2))
    yc = fma32(yc * z, z, -(z * _F32(0.5))) + _F32(1)  # y*z*z - z*0.5 + 1
    ys = fma32(np.full_like(z, _F32(-1.9515295891e-4)), z, _F32(8.3321608736e-3))
    ys = fma32(ys, z, _F32(-1.6666654611e-1))
    ys = fma32(ys * z, x, x)
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


def _fill16_f32_avx2(d: np.ndarray) -> np.ndarray:
    """NormalFill16<float, true> under CPU_CAPABILITY_AVX2 (also AVX512: no AVX512 normal)."""
    # DistributionTemplates.h: u1 = 1 - u[0:8]; radius = sqrt(-2 * log256_ps(u1));
    # theta = float(2 pi) * u[8:16]; sincos256_ps; fmadd(radius*cos, std, mean) and sin.
    r = np.sqrt(_F32(-2) * _log256_ps(_F32(1) - d[:, :8]))
    s, c = _sincos256_ps(_F32(2.0 * math.pi) * d[:, 8:])
    return np.concatenate([r * c + _F32(0), r * s + _F32(0)], axis=1)


def randn_vector(seed: int, n: int, *, dtype: str = "float32", capability: str = "default",
                 source: str = "numpy") -> np.ndarray:
    """normal_fill (contiguous, n >= 16): uniforms, Box-Muller by blocks of 16, last 16 redrawn."""
    # DistributionTemplates.h normal_fill: fill all n with uniform(0,1) in opmath_t, transform
    # each full block [i, i+16), then if n % 16: draw 16 new uniforms into [n-16, n) and
    # transform those, overwriting the tail of the last full block.
    extra = 16 if n % 16 else 0
    u = rand(seed, n + extra, dtype=dtype, source=source)
    fill = _fill16_f64 if dtype == "float64" else (
        _fill16_f32_scalar if capability == "default" else _fill16_f32_avx2)
    out = u[:n].copy()
    full = n // 16 * 16
    out[:full] = fill(out[:full].reshape(-1, 16)).ravel()
    if extra:
        out[n - 16:] = fill(u[n:].reshape(1, 16)).ravel()
    return out


def randn(seed: int, n: int, *, dtype: str = "float32", capability: str = "default",
          source: str = "numpy") -> np.ndarray:
    """torch.randn(n, dtype=dtype): normal_kernel picks the vector path for contiguous n >= 16."""
    if n >= 16:  # DistributionTemplates.h normal_kernel: size >= 16 && self.is_contiguous()
        return randn_vector(seed, n, dtype=dtype, capability=capability, source=source)
    return randn_scalar(seed, n, dtype=dtype, source=source)


# ------------------------------------------------------------------------------ integers --


def randint(seed: int, n: int, *, low: int = 0, span: int = 10, source: str = "numpy",
            wide_from: int = 1 << 28) -> np.ndarray:
    """torch.randint(low, low + span, (n,)) int64: random() % span, or random64() % span."""
    # DistributionsHelper.h uniform_int_from_to_distribution: range >= 1 << 28 uses random64()
    # (non-fbcode builds); TransformationHelper.h uniform_int_from_to: (v % range) + base.
    # Before torch 2.7 the switch was at 1 << 32 (pytorch#148175 moved it, for uniformity).
    if span >= wide_from:
        v = _words64(seed, n, source=source) % np.uint64(span)
    else:
        v = words(seed, n, source=source) % np.uint64(span)
    return (v.astype(np.int64) + np.int64(low)).astype(np.int64)


_RANDPERM_SMALL = 0xFFFFFFFF // 20  # TensorFactories.cpp: n < numeric_limits<uint32_t>::max() / 20


def randperm(seed: int, n: int, *, source: str = "numpy") -> np.ndarray:
    """torch.randperm(n): Fisher-Yates swaps with random() % (n - i) (n < 2**32 / 20)."""
    if n >= _RANDPERM_SMALL:
        return _randperm_large(seed, n, source=source)
    # TensorFactories.cpp randperm_cpu, small n ("preserve old behavior"): for i in [0, n-1):
    # z = random() % (n - i); swap r[i], r[z + i]. One word per step, n - 1 words.
    k = max(n - 1, 0)
    z = (words(seed, k, source=source) % np.arange(n, n - k, -1, dtype=np.uint64)).tolist()
    r = list(range(n))
    for i, zi in enumerate(z):
        j = zi + i
        r[i], r[j] = r[j], r[i]
    return np.array(r, dtype=np.int64)


def _randperm_large(seed: int, n: int, *, source: str = "numpy") -> np.ndarray:
    """randperm_cpu for n >= 2**32 / 20 (torch >= 2.6): inside-out Fisher-Yates, random64()."""
    # TensorFactories.cpp: for i in [0, n): z = random64() % (i + 1); r[i] = r[z]; r[z] = i.
    z = (_words64(seed, n, source=source) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    r = [0] * n
    for i, zi in enumerate(z):
        r[i] = r[zi]
        r[zi] = i
    return np.array(r, dtype=np.int64)


# ----------------------------------------------------------------------------- bernoulli --


def _p_tensor(n: int, dtype: str) -> np.ndarray:
    """The probabilities the bernoulli(tensor) row draws with: linspace(0, 1, n)."""
    return np.linspace(0.0, 1.0, n, dtype=np.float32 if dtype == "float32" else np.float64)


def bernoulli_tensor(seed: int, n: int, *, dtype: str = "float32", source: str = "numpy") -> np.ndarray:
    """torch.bernoulli(p) for p = linspace(0, 1, n): uniform_real<p's type> < p, per element."""
    # DistributionTemplates.h bernoulli_kernel(self, p_): double p -> bernoulli_distribution
    # <double> (random64); other p -> bernoulli_distribution<float> (random(), 24 bits).
    p = _p_tensor(n, dtype)
    return (rand(seed, n, dtype=dtype, source=source) < p).astype(p.dtype)


def bernoulli_scalar(seed: int, n: int, *, p: float = 0.3, source: str = "numpy") -> np.ndarray:
    """torch.empty(n).bernoulli_(p): uniform double (random64, 53 bits) < p, as float32."""
    # DistributionTemplates.h bernoulli_kernel(self, double p): bernoulli_distribution<double>.
    # DistributionKernels.cpp uses it for bernoulli_scalar_stub whenever MKL is off or the
    # build is not fbcode (the MKL VSL path is disabled, pytorch#132395).
    return (rand(seed, n, dtype="float64", source=source) < p).astype(np.float32)


def dropout_mask(seed: int, n: int, *, p: float = 0.3, source: str = "numpy") -> np.ndarray:
    """The kept-element mask of F.dropout(ones(n), p, training=True) on the CPU."""
    # Dropout.cpp: CPU tensors are not "fused kernel acceptable", so _dropout_impl:
    # p == 0 or n == 0 -> input unchanged (no draw); p == 1 -> input * 0 (no draw);
    # else noise = empty_like(input).bernoulli_(1 - p): the scalar bernoulli above.
    if p == 0 or n == 0:
        return np.ones(n, dtype=bool)
    if p == 1:
        return np.zeros(n, dtype=bool)
    return rand(seed, n, dtype="float64", source=source) < (1.0 - p)


# ------------------------------------------------------------------ DataLoader worker seeds --

_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


def _hash_consts(init: int, mult: int, count: int) -> list[int]:
    """The successive hash multipliers: init * mult**k mod 2**32, k = 1..count."""
    out, h = [], init
    for _ in range(count):
        h = (h * mult) & _MASK32
        out.append(h)
    return out


def worker_states(base_seed: int, n: int) -> np.ndarray:
    """_generate_state(base_seed, w) for workers w = 0..n-1, as an (n, 4) uint32 array."""
    # torch/utils/data/_utils/worker.py _generate_state: SeedSequence's hash/mix on the entropy
    # [worker_id, base_seed & 0xffffffff, base_seed >> 32, 0]; vectorised over worker ids.
    u32 = np.uint32
    ent = np.zeros((n, 4), dtype=u32)
    ent[:, 0] = np.arange(n, dtype=np.uint64).astype(u32)
    ent[:, 1], ent[:, 2] = u32(base_seed & _MASK32), u32((base_seed >> 32) & _MASK32)
    ka = iter(_hash_consts(_INIT_A, _MULT_A, 4 + 12))
    kb = iter(_hash_consts(_INIT_B, _MULT_B, 4))
    prev = [_INIT_A]

    def hash_a(v: np.ndarray) -> np.ndarray:
        v = v ^ u32(prev[0])
        prev[0] = next(ka)
        v = v * u32(prev[0])
        return v ^ (v >> u32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = x * u32(_MIX_L) - y * u32(_MIX_R)
        return r ^ (r >> u32(16))

    pool = [hash_a(ent[:, i]) for i in range(4)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_a(pool[src]))
    out, prev_b = np.empty((n, 4), dtype=u32), _INIT_B
    for i in range(4):
        v = pool[i] ^ u32(prev_b)
        prev_b = next(kb)
        v = v * u32(prev_b)
        out[:, i] = v ^ (v >> u32(16))
    return out


def seedsequence_entropy(base_seed: int, worker_id: int) -> list[int]:
    """The SeedSequence entropy whose generate_state(4) equals _generate_state(base_seed, id)."""
    return [worker_id, base_seed & _MASK32, base_seed >> 32, 0]


def worker_states_seedsequence(base_seed: int, n: int) -> np.ndarray:
    """The same states from NumPy's SeedSequence (the algorithm worker.py adapts)."""
    return np.array([np.random.SeedSequence(seedsequence_entropy(base_seed, w)).generate_state(4)
                     for w in range(n)], dtype=np.uint32).reshape(n, 4)


# ---------------------------------------------------------------------------------- live --


def _torch() -> Any:
    """torch, imported only by the live side."""
    import torch
    return torch


def _gen(seed: int) -> Any:
    """A fresh torch.Generator seeded with ``seed`` (the global stream is left alone)."""
    return _torch().Generator().manual_seed(int(seed))


def _dt(dtype: str) -> Any:
    """The torch dtype named ``dtype``."""
    return getattr(_torch(), dtype)


def live_rand(seed: int, n: int, *, dtype: str = "float32") -> np.ndarray:
    """torch.rand(n, dtype=dtype, generator=g)."""
    return _torch().rand(n, dtype=_dt(dtype), generator=_gen(seed)).numpy()


def live_uniform(seed: int, n: int, *, a: float = -3.5, b: float = 11.25, dtype: str = "float32",
                 **_: Any) -> np.ndarray:
    """torch.empty(n, dtype=dtype).uniform_(a, b, generator=g)."""
    return _torch().empty(n, dtype=_dt(dtype)).uniform_(a, b, generator=_gen(seed)).numpy()


def live_randn(seed: int, n: int, *, dtype: str = "float32", **_: Any) -> np.ndarray:
    """torch.manual_seed(seed); torch.randn(n, dtype=dtype)."""
    torch = _torch()
    torch.manual_seed(seed)
    return torch.randn(n, dtype=_dt(dtype)).numpy()


def live_randint(seed: int, n: int, *, low: int = 0, span: int = 10) -> np.ndarray:
    """torch.randint(low, low + span, (n,), generator=g)."""
    return _torch().randint(low, low + span, (n,), generator=_gen(seed)).numpy()


def live_randperm(seed: int, n: int) -> np.ndarray:
    """torch.randperm(n, generator=g)."""
    return _torch().randperm(n, generator=_gen(seed)).numpy()


def live_bernoulli_tensor(seed: int, n: int, *, dtype: str = "float32") -> np.ndarray:
    """torch.bernoulli(linspace(0, 1, n), generator=g)."""
    torch = _torch()
    return torch.bernoulli(torch.from_numpy(_p_tensor(n, dtype)), generator=_gen(seed)).numpy()


def live_bernoulli_scalar(seed: int, n: int, *, p: float = 0.3) -> np.ndarray:
    """torch.empty(n).bernoulli_(p, generator=g)."""
    return _torch().empty(n).bernoulli_(p, generator=_gen(seed)).numpy()


def live_dropout_mask(seed: int, n: int, *, p: float = 0.3) -> np.ndarray:
    """torch.manual_seed(seed); F.dropout(ones(n), p, training=True) != 0."""
    torch = _torch()
    torch.manual_seed(seed)
    return (torch.nn.functional.dropout(torch.ones(n), p, training=True) != 0).numpy()


def live_worker_states(base_seed: int, n: int) -> np.ndarray:
    """torch.utils.data._utils.worker._generate_state(base_seed, w), w = 0..n-1."""
    from torch.utils.data._utils.worker import _generate_state
    return np.array([_generate_state(base_seed, w) for w in range(n)], dtype=np.uint32).reshape(n, 4)


# -------------------------------------------------------------------------------- models --

_F = ("float32", "float64")
_GEN = "https://github.com/pytorch/pytorch/blob/main/"


def _row(name: str, **kw: Any) -> Model:
    """A torch CPU Model row with this module's defaults."""
    kw.setdefault("words", WORDS)
    kw.setdefault("seed_range", _SEEDS)
    return Model(name=f"torch:cpu:{name}", library="torch", **kw)


MODELS = [
    _row("rand(float32)", model=functools.partial(rand, dtype="float32"),
         live=functools.partial(live_rand, dtype="float32"), versions=">=2.0",
         cases=r"rand\((?P<n>\d+)\)",
         n_range=(0, 100_000), source=_ATEN + "core/TransformationHelper.h"),
    _row("rand(float64)", model=functools.partial(rand, dtype="float64"),
         live=functools.partial(live_rand, dtype="float64"), versions=">=2.0",
         cases=r"rand\((?P<n>\d+),dtype=float64\)",
         n_range=(0, 100_000), source=_ATEN + "core/TransformationHelper.h"),
    _row("uniform_", model=functools.partial(uniform, fused=True),
         live=live_uniform, versions=">=2.0", capabilities=("avx2", "avx512"),
         n_range=(0, 100_000), params={"dtype": _F, "a": (-3.5, 0.0, 1e-3), "b": (11.25, 1.0, 7e5)},
         exactness="bit-exact (x * (b - a) + a as one FMA, as the -mfma builds compile it)",
         source=_ATEN + "native/cpu/DistributionTemplates.h"),
    _row("uniform_[default]", model=functools.partial(uniform, fused=False),
         live=live_uniform, versions=">=2.0", capabilities=("default",),
         n_range=(0, 100_000), params={"dtype": _F, "a": (-3.5, 0.0, 1e-3), "b": (11.25, 1.0, 7e5)},
         exactness="bit-exact (x * (b - a) + a, two roundings)",
         source=_ATEN + "native/cpu/DistributionTemplates.h"),
    _row("randn(float64)", model=functools.partial(randn, dtype="float64"),
         live=functools.partial(live_randn, dtype="float64"), versions=">=2.0",
         cases=r"randn\((?P<n>\d+),dtype=float64\)",
         n_range=(0, 100_000), exactness="bit-exact, given the C library's log/log1p/sin/cos",
         source=_ATEN + "native/cpu/DistributionTemplates.h"),
    _row("randn(float32)[default]", model=functools.partial(randn, dtype="float32", capability="default"),
         live=functools.partial(live_randn, dtype="float32"), versions=">=2.1",
         cases=r"randn\((?P<n>\d+)\)",
         # aarch64's kernels too, NEON (DEFAULT) and SVE256: normal_fill's vector path is
         # x86's AVX only (checked against the emulated aarch64 eras, docs/emulation.md).
         capabilities=("default", "sve256"), n_range=(0, 100_000),
         exactness="bit-exact, given the C library's logf/sinf/cosf",
         source=_ATEN + "native/cpu/DistributionTemplates.h"),
    _row("randn(float32)", model=functools.partial(randn, dtype="float32", capability="avx2"),
         live=functools.partial(live_randn, dtype="float32"), versions=">=2.1",
         cases=r"randn\((?P<n>\d+)\)",
         capabilities=("avx2", "avx512"), n_range=(0, 100_000),
         exactness="bit-exact (avx_mathfun.h Cephes log/sincos in float32 with GCC's FMAs)",
         source=_ATEN + "native/cpu/avx_mathfun.h"),
    _row("randint", model=randint, live=live_randint, versions=">=2.0", n_range=(0, 100_000),
         params={"low": (0, -5, 3, -(2**40)), "span": (1, 10, 2**28 - 1, 2**32, 2**40, 2**62)},
         source=_ATEN + "core/DistributionsHelper.h"),
    # Ranges in [2**28, 2**32): two words per value since 2.7, one before (pytorch#148175).
    _row("randint(2**28<=range<2**32)", model=randint, live=live_randint, versions=">=2.7",
         n_range=(0, 100_000), params={"low": (0, -5), "span": (2**28, 2**30, 3 * 10**9)},
         source=_ATEN + "core/DistributionsHelper.h"),
    _row("randint(2**28<=range<2**32)[<2.7]",
         model=functools.partial(randint, wide_from=1 << 32), live=live_randint,
         versions="<2.7", n_range=(0, 100_000),
         params={"low": (0, -5), "span": (2**28, 2**30, 3 * 10**9)},
         source=_ATEN + "core/DistributionsHelper.h"),
    _row("randperm", model=randperm, live=live_randperm, versions=">=2.0", n_range=(0, 100_000),
         cases=r"randperm\((?P<n>\d+)\)",
         exactness="bit-exact for n < 2**32 / 20 (the Fisher-Yates path unchanged since 2.0)",
         source=_ATEN + "native/TensorFactories.cpp"),
    _row("bernoulli", model=bernoulli_tensor, live=live_bernoulli_tensor, versions=">=2.0",
         n_range=(0, 100_000), params={"dtype": _F},
         source=_ATEN + "native/cpu/DistributionTemplates.h"),
    _row("bernoulli_(p)", model=bernoulli_scalar, live=live_bernoulli_scalar, versions=">=2.7",
         n_range=(0, 100_000), params={"p": (0.0, 0.3, 0.5, 1.0)},
         source=_ATEN + "native/cpu/DistributionKernels.cpp"),
    _row("nn.functional.dropout", model=dropout_mask, live=live_dropout_mask, versions=">=2.7",
         n_range=(0, 100_000), params={"p": (0.0, 0.1, 0.5, 0.9, 1.0)},
         source=_ATEN + "native/Dropout.cpp"),
    _row("DataLoader._generate_state", model=worker_states, live=live_worker_states,
         versions=">=2.0", n_range=(0, 64), words=None,
         source=_GEN + "torch/utils/data/_utils/worker.py"),
    _row("DataLoader._generate_state(SeedSequence)", model=worker_states_seedsequence,
         live=live_worker_states, versions=">=2.0", n_range=(0, 64), words=None,
         exactness="bit-exact: SeedSequence([worker_id, seed & 0xffffffff, seed >> 32, 0])",
         source=_GEN + "torch/utils/data/_utils/worker.py"),
]
