"""torch's CUDA streams, modelled on the CPU: cuRAND's Philox4x32-10 as torch's kernels consume it.

The CUDA generator holds a seed and an offset (``torch.cuda.get_rng_state()``: 16 bytes, the
seed then the offset, little-endian uint64). A sampling call takes the current offset and
advances it (``CUDAGeneratorImpl::philox_cuda_state``, rounded up to a multiple of 4). Its
kernel gives every thread ``curand_init(seed, subsequence = global thread index, offset)``:
Philox counter ``(offset/4 + k, thread)`` (128 bits: the low 64 count blocks, the high 64 are the
subsequence), key ``(seed & 0xffffffff, seed >> 32)``; the thread's k-th ``curand4`` is the
block at ``offset/4 + k``.

Which element a thread fills follows the launch grid (``calc_execution_policy`` in
``aten/src/ATen/native/cuda/DistributionTemplates.h``): 256 threads a block, at most
``multiProcessorCount * (maxThreadsPerMultiProcessor / 256)`` blocks, a grid-stride loop that
uses ``unroll`` values of each ``curand4`` (4 for float32/uint32, 2 for float64/uint64) at
element ``linear_index + ii * threads``. So a draw larger than one wave of threads depends on the
GPU's SM count (pytorch#143086, #87992, #196613) and a smaller one does not.

Exactness. ``rand``, ``randint``, ``bernoulli`` and every offset are integer arithmetic or one
correctly rounded float operation: bit-exact. ``randn`` float32 is cuRAND's Box-Muller with
``logf`` and the ``__sincosf`` hardware approximation (absolute error about 2**-21 on
[-pi, pi]): the model rounds the exact functions, so it is approximate (``RANDN32_TOL``).
``randn`` float64 uses ``log`` and ``sincospi`` (within 1-2 ULP each in CUDA's math library):
the model is within ``RANDN64_ULP``. None of this has been confirmed on a GPU by this project
yet; the known answers below were published by people who ran real GPUs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rngsuite.reference import KnownAnswer, Model, within
from rngsuite.reference.philox import philox4x32

_ATEN = "pytorch/pytorch: aten/src/ATen/"
_CURAND = "cuRAND headers (nvidia-curand wheel): include/"

#: Threads per block of the distribution kernels (``block_size_bound``).
BLOCK = 256
#: Offset advance per curand4 call (``max_generator_offsets_per_curand_call``).
CURAND4_OFFSET = 4
#: The default seed of a CUDA generator never seeded (``default_rng_seed_val``).
DEFAULT_SEED = 67280421310721
#: randn float32: |model - GPU| <= RANDN32_TOL * max(1, |x|) (``__sincosf`` is approximate).
RANDN32_TOL = 2e-5
#: randn float64: within this many ULP (``log`` and ``sincospi`` are not correctly rounded).
RANDN64_ULP = 16

_INV32 = np.float32(2.0**-32)        # CURAND_2POW32_INV, 2.3283064e-10f: exactly 2**-32
_INV32_2PI = np.float32(_INV32 * np.float32(6.2831855))   # CURAND_2POW32_INV_2PI, in float
_INV53 = 2.0**-53                    # CURAND_2POW53_INV_DOUBLE


@dataclass(frozen=True)
class Geometry:
    """What a GPU's launch grid depends on: its multiprocessors and threads per multiprocessor."""

    sms: int
    threads_per_sm: int

    @property
    def max_blocks(self) -> int:
        return self.sms * (self.threads_per_sm // BLOCK)

    @property
    def wave(self) -> int:
        """Threads in a full grid: draws up to this size are the same on every GPU model."""
        return self.max_blocks * BLOCK


#: Launch geometry of GPU models, from NVIDIA's specifications (SM count; max resident threads
#: per SM by compute capability: 2048 for 7.0/8.0/9.0, 1536 for 8.6/8.9, 1024 for 7.5). As data,
#: so the model can predict a GPU it does not run on; a running GPU's own properties win.
GPUS = {
    "Tesla V100": Geometry(80, 2048),
    "Tesla T4": Geometry(40, 1024),
    "NVIDIA A100": Geometry(108, 2048),
    "NVIDIA A10G": Geometry(80, 1536),
    "NVIDIA L4": Geometry(58, 1536),
    "NVIDIA L40S": Geometry(142, 1536),
    "NVIDIA GeForce RTX 3090": Geometry(82, 1536),
    "NVIDIA GeForce RTX 4090": Geometry(128, 1536),
    "NVIDIA H100 PCIe": Geometry(114, 2048),
    "NVIDIA H100 SXM": Geometry(132, 2048),
    "NVIDIA H200": Geometry(132, 2048),
}


def current_geometry(device: int | str | None = None) -> Geometry:
    """The running GPU's geometry (raises when there is no CUDA device)."""
    import torch

    props = torch.cuda.get_device_properties(torch.cuda.current_device() if device is None
                                             else device)
    return Geometry(props.multi_processor_count, props.max_threads_per_multi_processor)


def launch(numel: int, geometry: Geometry, unroll: int) -> tuple[int, int]:
    """``calc_execution_policy``: (threads in the grid, the offset this call advances by)."""
    grid = min((numel + BLOCK - 1) // BLOCK, geometry.max_blocks)
    threads = grid * BLOCK
    return threads, ((numel - 1) // (threads * unroll) + 1) * CURAND4_OFFSET


def offset_after(numel: int, geometry: Geometry, *, unroll: int = 4, offset: int = 0) -> int:
    """The generator's offset after one grid-stride sampling call on ``numel`` elements."""
    return offset if numel == 0 else offset + launch(numel, geometry, unroll)[1]


def _blocks(seed: int, offset: int, k: np.ndarray, thread: np.ndarray) -> np.ndarray:
    """The Philox4x32-10 block each (iteration k, thread) gets: uint32[..., 4]."""
    low = np.uint64(offset // 4) + k.astype(np.uint64)  # 64-bit block counter (no carry at these sizes)
    ctr = np.empty(low.shape + (4,), dtype=np.uint32)
    ctr[..., 0] = (low & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    ctr[..., 1] = (low >> np.uint64(32)).astype(np.uint32)
    ctr[..., 2] = thread.astype(np.uint32)               # subsequence: the global thread index
    ctr[..., 3] = 0
    key = np.broadcast_to(np.array([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF],
                                   dtype=np.uint32), ctr.shape[:-1] + (2,))
    return philox4x32(ctr, key)


def blocks(seed: int, n: int, geometry: Geometry, *, unroll: int = 4, offset: int = 0,
           at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``n`` elements' Philox block and part: (uint32[n, 4], int[n]); with ``at``, only
    those elements' (a draw's few printed values need not cost the whole draw).

    Element ``e`` is filled in iteration ``k = e // (threads * unroll)`` by thread
    ``e % threads`` from part ``ii = (e // threads) % unroll`` of that thread's k-th block.
    """
    if n == 0:
        return np.empty((0, 4), dtype=np.uint32), np.empty(0, dtype=np.int64)
    threads, _ = launch(n, geometry, unroll)
    if at is not None:  # one block per element asked for: no table of the whole grid
        k_e, r = np.divmod(np.asarray(at, dtype=np.int64), threads * unroll)
        part, thread_e = np.divmod(r, threads)
        return _blocks(seed, offset, k_e, thread_e), part
    iterations = (n - 1) // (threads * unroll) + 1
    k = np.repeat(np.arange(iterations, dtype=np.int64), threads)
    thread = np.tile(np.arange(threads, dtype=np.int64), iterations)
    table = _blocks(seed, offset, k, thread)
    e = np.arange(n, dtype=np.int64)
    k_e, r = np.divmod(e, threads * unroll)
    part, thread_e = np.divmod(r, threads)
    return table[k_e * threads + thread_e], part


def _pick(b: np.ndarray, i: np.ndarray) -> np.ndarray:
    return np.take_along_axis(b, i[:, None], axis=1)[:, 0]


def _uniform32(w: np.ndarray) -> np.ndarray:
    """``_curand_uniform``: x * 2**-32 + 2**-33 in float32, in (0, 1]."""
    return w.astype(np.float32) * _INV32 + _INV32 / np.float32(2)


def _uniform53(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``_curand_uniform_double_hq``: (x ^ (y << 21)) * 2**-53 + 2**-54, in (0, 1]."""
    z = lo.astype(np.uint64) ^ (hi.astype(np.uint64) << np.uint64(21))
    return z.astype(np.float64) * _INV53 + _INV53 / 2


def _reverse_bound(u: np.ndarray) -> np.ndarray:
    # uniform_kernel: curand's (0, 1] becomes [0, 1) by mapping 1 to 0 (pytorch#16706, #96947).
    return np.where(u == 1, u.dtype.type(0), u)


def rand(seed: int, n: int, *, geometry: Geometry, dtype: str = "float32",
         offset: int = 0) -> np.ndarray:
    """``torch.rand(n, device="cuda", dtype=dtype)`` after ``manual_seed(seed)``: bit-exact."""
    if dtype == "float64":
        b, part = blocks(seed, n, geometry, unroll=2, offset=offset)
        return _reverse_bound(_uniform53(_pick(b, 2 * part), _pick(b, 2 * part + 1)))
    b, part = blocks(seed, n, geometry, unroll=4, offset=offset)
    return _reverse_bound(_uniform32(_pick(b, part)))


def _sinpi_cospi(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin(pi v), cos(pi v), reducing v exactly first (as ``sincospi`` does)."""
    q = np.rint(2 * v)
    r = v - q / 2                    # exact (Sterbenz), |r| <= 1/4
    s, c = np.sin(np.pi * r), np.cos(np.pi * r)
    quadrant = q.astype(np.int64) % 4
    return np.choose(quadrant, [s, c, -s, -c]), np.choose(quadrant, [c, -s, -c, s])


def randn(seed: int, n: int, *, geometry: Geometry, dtype: str = "float32",
          offset: int = 0, at: np.ndarray | None = None) -> np.ndarray:
    """``torch.randn(n, device="cuda", dtype=dtype)`` after ``manual_seed(seed)``: approximate
    (see ``RANDN32_TOL``, ``RANDN64_ULP``); with ``at``, the values at those indices only."""
    if dtype == "float64":
        # curand_normal2_double: u from words (x, y), v from (z, w); part 0 sin, part 1 cos.
        b, part = blocks(seed, n, geometry, unroll=2, offset=offset, at=at)
        u = _uniform53(b[:, 0], b[:, 1])
        zy = b[:, 2].astype(np.uint64) ^ (b[:, 3].astype(np.uint64) << np.uint64(21))
        v = zy.astype(np.float64) * (2 * _INV53) + _INV53
        sin, cos = _sinpi_cospi(v)
        return np.where(part == 0, sin, cos) * np.sqrt(-2.0 * np.log(u))
    # curand_normal4: Box-Muller on words (x, y) -> parts 0 (sin), 1 (cos); (z, w) -> 2, 3.
    b, part = blocks(seed, n, geometry, unroll=4, offset=offset, at=at)
    pair = part - part % 2
    u = _uniform32(_pick(b, pair)).astype(np.float64)
    y = _pick(b, pair + 1).astype(np.float32).astype(np.float64)
    # v = fma(y, C, C/2) in float32: y * C is exact in float64 (24 + 24 bits).
    v = (y * np.float64(_INV32_2PI) + np.float64(_INV32_2PI) / 2).astype(np.float32)
    v = v.astype(np.float64)
    s = np.sqrt(-2.0 * np.log(u))
    return (np.where(part % 2 == 0, np.sin(v), np.cos(v)) * s).astype(np.float32)


def randint(seed: int, n: int, *, geometry: Geometry, low: int = 0, high: int = 10,
            wide: int = 2**28, offset: int = 0) -> np.ndarray:
    """``torch.randint(low, high, (n,), device="cuda")`` (int64) after ``manual_seed(seed)``:
    bit-exact. Ranges of ``wide`` or more take two words per value: 2**28 since torch 2.7
    (pytorch#148175), 2**32 before."""
    span = high - low
    if span >= wide:
        b, part = blocks(seed, n, geometry, unroll=2, offset=offset)
        r = (_pick(b, 2 * part).astype(np.uint64) << np.uint64(32)) | _pick(b, 2 * part + 1)
    else:
        b, part = blocks(seed, n, geometry, unroll=4, offset=offset)
        r = _pick(b, part).astype(np.uint64)
    return (r % np.uint64(span)).astype(np.int64) + low


def bernoulli(seed: int, n: int, *, p: float = 0.5, offset: int = 0) -> np.ndarray:
    """``torch.bernoulli(torch.full((n,), p, device="cuda"))`` after ``manual_seed(seed)``:
    bit-exact, and the same on every GPU model. ``bernoulli_tensor_cuda_kernel`` applies to 4
    elements a thread (``CUDA_tensor_apply2``, step 4): thread t fills 4t..4t+3 from one
    ``curand_uniform4`` and compares ``u <= p``; the offset advances by 12 (10, rounded up)."""
    t = np.arange((n + 3) // 4, dtype=np.int64)
    b = _blocks(seed, offset, np.zeros_like(t), t).reshape(-1)[:n]
    return (_uniform32(b) <= np.float32(p)).astype(np.float32)


BERNOULLI_OFFSET = 12


def state(seed: int, offset: int) -> bytes:
    """``torch.cuda.get_rng_state()``: the seed, then the offset, as little-endian uint64."""
    return np.array([seed, offset], dtype="<u8").tobytes()


# --- the live library, on the running GPU ------------------------------------------------------


def _live_draw(call: str, g, n: int, *, dtype: str = "float32", low: int = 0, high: int = 10,
               p: float = 0.5):
    """One modelled call on the GPU, from the CUDA generator ``g``."""
    import torch

    if call in ("rand", "randn"):
        return getattr(torch, call)(n, device="cuda", dtype=getattr(torch, dtype), generator=g)
    if call == "randint":
        return torch.randint(low, high, (n,), device="cuda", generator=g)
    return torch.bernoulli(torch.full((n,), p, device="cuda"), generator=g)


def _live(call: str):
    """``live(seed, n, **params)``: the call's values from a CUDA generator seeded with seed."""
    def live(seed: int, n: int, **params) -> np.ndarray:
        import torch

        g = torch.Generator(device="cuda")
        g.manual_seed(seed)
        return _live_draw(call, g, n, **params).cpu().numpy()
    return live


live_rand, live_randn, live_randint, live_bernoulli = map(
    _live, ("rand", "randn", "randint", "bernoulli"))


def live_state(seed: int, n: int, *, call: str = "rand", dtype: str = "float32") -> np.ndarray:
    """The generator's 16-byte state after one call, as uint8."""
    import torch

    g = torch.Generator(device="cuda")
    g.manual_seed(seed)
    _live_draw(call, g, n, dtype=dtype)
    return g.get_state().numpy()


def model_state(seed: int, n: int, *, call: str = "rand", dtype: str = "float32",
                geometry: Geometry | None = None) -> np.ndarray:
    """The modelled state after one call: the seed, and the offset the call advanced to."""
    if call == "bernoulli":
        offset = BERNOULLI_OFFSET
    else:
        unroll = 2 if dtype == "float64" else 4
        offset = offset_after(n, geometry or current_geometry(), unroll=unroll)
    return np.frombuffer(state(seed, offset), dtype=np.uint8).copy()


def _on_this_gpu(fn):
    return lambda seed, n, **kw: fn(seed, n, geometry=current_geometry(), **kw)


_F = ("float32", "float64")
_DT = _ATEN + "native/cuda/DistributionTemplates.h"
_SEEDS = (0, 2**64 - 1)


def _row(name: str, **kw) -> Model:
    return Model(name=f"torch:cuda:{name}", library="torch", device="cuda", seed_range=_SEEDS,
                 **kw)


MODELS = [
    _row("rand", model=_on_this_gpu(rand), live=live_rand, versions=">=2.0",
         n_range=(0, 2_000_000), params={"dtype": _F},
         source=_DT + " (uniform_kernel, calc_execution_policy); " + _CURAND + "curand_uniform.h"),
    _row("randn(float32)", model=_on_this_gpu(randn), live=live_randn, versions=">=2.0",
         n_range=(0, 2_000_000), tolerance=RANDN32_TOL,
         exactness=f"approximate: |model - GPU| <= {RANDN32_TOL} max(1, |x|) (__sincosf is a "
                   "hardware approximation, about 2**-21 absolute on [-pi, pi] and more beyond; "
                   "the model rounds exact sin/cos/log)",
         source=_DT + " (normal_kernel); " + _CURAND + "curand_normal.h (_curand_box_muller)"),
    _row("randn(float64)", model=functools.partial(_on_this_gpu(randn), dtype="float64"),
         live=functools.partial(live_randn, dtype="float64"), versions=">=2.0",
         n_range=(0, 2_000_000), ulp=RANDN64_ULP,
         exactness=f"within {RANDN64_ULP} ULP (CUDA's log and sincospi are within 1-2 ULP)",
         source=_DT + " (normal_kernel); " + _CURAND + "curand_normal.h (_curand_box_muller_double)"),
    _row("randint", model=_on_this_gpu(randint), live=live_randint, versions=">=2.7",
         n_range=(0, 2_000_000), params={"low": (0, -5), "high": (10, 2**16, 2**28 + 3, 2**40)},
         source=_DT + " (random_from_to_kernel: two words per value from a range of 2**28)"),
    _row("randint[<2.7]", model=functools.partial(_on_this_gpu(randint), wide=2**32),
         live=live_randint, versions=">=2.0,<2.7", n_range=(0, 2_000_000),
         params={"low": (0, -5), "high": (10, 2**16, 2**28 + 3, 2**40)},
         source=_DT + " (random_from_to_kernel before pytorch#148175: two words from 2**32)"),
    _row("bernoulli", model=bernoulli, live=live_bernoulli, versions=">=2.0",
         n_range=(0, 2_000_000), params={"p": (0.5, 0.1, 1.0)},
         exactness="bit-exact, on every GPU model (4 elements a thread, no grid cap)",
         source=_DT + " (bernoulli_tensor_cuda_kernel); aten/src/ATen/cuda/CUDAApplyUtils.cuh"),
    # The offset of the two-words-a-value paths (float64, wide randint) is left out: torch's
    # Python copy of the formula (torch/_prims/rng_prims.py, 2.1-2.15) covers unroll 4 only,
    # and the C++ formula took the unroll as a parameter at some release this project has not
    # pinned down (its comment: "The philox_offset calculation was changed to ...").
    _row("state after a call", model=model_state, live=live_state, versions=">=2.1",
         n_range=(0, 2_000_000),
         params={"call": ("rand", "randn", "bernoulli"), "dtype": ("float32",)},
         exactness="bit-exact: 16 bytes, the seed and the offset the call advanced to",
         source="aten/src/ATen/cuda/CUDAGeneratorImpl.cpp (get_state, philox_cuda_state); " + _DT),
]


# --- published outputs of real GPUs ----------------------------------------------------------
# Printed by torch (4 decimals) in bug reports by people who ran the GPU; the model must give the
# same printed values. They pin Philox, curand_init's layout, the Box-Muller transform, and the
# grid mapping on GPUs with different SM counts.


def _printed(values: np.ndarray, idx) -> list:
    """The values at ``idx`` as torch prints them: 4 decimals (nested lists for 2-d picks)."""
    return np.vectorize(lambda v: float(f"{v:.4f}"))(np.asarray(values)[idx]).tolist()


def _answer(name: str, seed: int, n: int, geometry: Geometry, idx, expected, source: str,
            shape=None) -> KnownAnswer:
    def compute():
        # Only the printed elements: their flat indices, in the printed layout.
        where = np.arange(n).reshape(shape or (n,))[idx]
        x = randn(seed, n, geometry=geometry, at=where.reshape(-1)).reshape(where.shape)
        return _printed(x, ...)
    return KnownAnswer(name=f"torch:cuda:{name}", compute=compute, expected=expected,
                       source=source)


_FIRST_LAST = np.r_[0:3, -3:0]
_ISSUE = "https://github.com/pytorch/pytorch/issues/"

KNOWN_ANSWERS = [
    # torch.manual_seed(10); torch.randn(3, device="cuda") -- torch 1.11; three values fit in
    # any grid, so every GPU model gives them.
    _answer("randn(3)@10", 10, 3, GPUS["NVIDIA A100"], slice(None), [-0.1029, 1.6810, -0.2708],
            _ISSUE + "79496"),
    # Generator("cuda").manual_seed(1); randn(1, 49*12*112*144) -- torch 2.5.1, on an H100 and an
    # A100: the first values agree, the last ones differ (one grid covers 270,336 threads on a
    # 132-SM H100 SXM, 221,184 on a 108-SM A100).
    _answer("randn(9483264)@1 on H100 SXM", 1, 9483264, GPUS["NVIDIA H100 SXM"], _FIRST_LAST,
            [-0.2963, 2.6764, -0.1408, -0.6970, -0.7780, 0.3267], _ISSUE + "143086"),
    _answer("randn(9483264)@1 on A100", 1, 9483264, GPUS["NVIDIA A100"], _FIRST_LAST,
            [-0.2963, 2.6764, -0.1408, 0.1549, -0.6797, -0.1656], _ISSUE + "143086"),
    # Generator(device).manual_seed(42); randn([1, 64, 2048]) -- torch with CUDA 12.6, GPU not
    # named. Rows 0-2 are inside every grid; rows 61 and 63 are consistent only with a grid of
    # 168 blocks (43,008 threads; e.g. 28 SMs x 1536 threads, an RTX 3060): searching every SM
    # count 1-199 at 1024/1536/2048 threads per SM finds that grid and no other.
    _answer("randn(1,64,2048)@42 rows 0-2", 42, 131072, Geometry(28, 1536), (slice(0, 3), _FIRST_LAST),
            [[0.1940, 2.1614, -0.1721, 1.4540, -2.7733, -0.8932],
             [-0.4574, 0.8063, 0.1580, 0.1124, 0.2769, -1.2535],
             [1.1346, -0.6329, -0.9147, -1.0001, -1.1552, -0.6955]], _ISSUE + "158398",
            shape=(64, 2048)),
    _answer("randn(1,64,2048)@42 rows 61, 63 on a 168-block grid", 42, 131072, Geometry(28, 1536),
            (np.array([61, 63])[:, None], _FIRST_LAST),
            [[-0.4861, 0.3358, 1.0578, -0.7282, 0.5087, 0.1318],
             [-1.2356, -0.4083, -0.4695, -0.4841, 1.2850, -0.0282]], _ISSUE + "158398",
            shape=(64, 2048)),
]


# --- catalog cases: predictions, and agreement with recorded CUDA goldens ----------------------


def _size(args: tuple) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], tuple):
        return args[0]
    return tuple(int(a) for a in args)


def _one(step, seed: int, geometry: Geometry, offset: int, *, wide: int):
    """(values, unroll) of one catalog call on a seeded CUDA stream, or None if not modelled."""
    kwargs = dict(step.kwargs)
    dtype = getattr(kwargs.pop("dtype", None), "name", "float32")
    name, args = step.name, step.args
    if name in ("rand", "randn", "uniform_", "normal_") and not kwargs and \
            all(isinstance(a, (int, tuple)) for a in args) and dtype in ("float32", "float64"):
        shape = _size(args)
        fn = rand if name in ("rand", "uniform_") else randn
        n = int(np.prod(shape, dtype=np.int64))
        return (fn(seed, n, geometry=geometry, dtype=dtype, offset=offset).reshape(shape),
                2 if dtype == "float64" else 4)
    if name == "randint" and not kwargs and len(args) == 3 and isinstance(args[2], tuple):
        low, high, shape = args
        n = int(np.prod(shape, dtype=np.int64))
        return (randint(seed, n, geometry=geometry, low=low, high=high, wide=wide,
                        offset=offset).reshape(shape), 2 if high - low >= wide else 4)
    if name == "bernoulli" and not kwargs and len(args) == 1 and \
            getattr(args[0], "name", None) == "full" and len(args[0].args) == 2:
        shape, p = args[0].args
        shape = _size((shape,))
        n = int(np.prod(shape, dtype=np.int64))
        return bernoulli(seed, n, p=p, offset=offset).reshape(shape), None
    return None


def predict(case, geometry: Geometry, *, torch_version: str = "2.13.0"):
    """The model's draws for a one-seed catalog case on a GPU of this geometry, each call
    continuing the stream where the last one left the offset; None if a call is not modelled."""
    from rngsuite.core.provenance import release

    if len(case.seeds) != 1:
        return None
    wide = 2**28 if release(torch_version) is None or release(torch_version).release >= (2, 7) \
        else 2**32
    offset, out = 0, []
    for step in case.steps:
        if step.repeat != 1 or step.stream != 0:
            return None
        got = _one(step, case.seeds[0], geometry, offset, wide=wide)
        if got is None:
            return None
        values, unroll = got
        out.append(values)
        n = values.size
        offset = offset + BERNOULLI_OFFSET if unroll is None else \
            offset_after(n, geometry, unroll=unroll, offset=offset)
    return out


def geometry_of(provenance: dict) -> Geometry | None:
    """A recorded CUDA environment's launch geometry: its SM count and threads per SM, or the
    GPU model's entry in ``GPUS`` for records made before threads per SM were kept."""
    sms, threads = provenance.get("gpu_sms"), provenance.get("gpu_threads_per_sm")
    if sms and threads:
        return Geometry(int(sms), int(threads))
    name = str(provenance.get("gpu") or "")
    known = [g for key, g in GPUS.items() if key.replace("NVIDIA ", "") in name and
             (not sms or g.sms == int(sms))]
    return known[0] if len(known) == 1 else None


def agreement(expected: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """(share bit-exact, share within RANDN32_TOL * max(1, |x|)) of a prediction."""
    expected, got = np.asarray(expected).reshape(-1), np.asarray(got).reshape(-1)
    if expected.size == 0:
        return 1.0, 1.0
    return float(np.mean(expected == got)), float(np.mean(within(expected, got, RANDN32_TOL)))
