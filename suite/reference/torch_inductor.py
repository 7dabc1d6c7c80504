"""A model of Inductor's CPU randomness: what ``torch.compile(backend="inductor")`` draws on the
CPU without ``fallback_random``, computed from the default generator's seed alone.

Inductor replaces a graph's random ops by its own kernels (torch/_inductor/inductor_prims.py,
torch/_inductor/fx_passes/replace_random.py):

1. one draw of ``aten.randint.low_out(-2**63, 2**63 - 1, [count])`` from the default generator
   gives a seed per random op of the graph (``inductor_seeds``; the generated wrapper code shows
   the call, ``TORCH_LOGS=output_code``) -- on the CPU that is one ``random64()``, two MT19937
   words, which is all a compiled call moves the generator on;
2. element ``i`` of the op is Philox4x32-10 keyed by the seed's low 32 bits (the C++ takes a
   ``uint32_t seed``) at counter ``(i, 0, 0, 0)``, the first word of the block
   (torch/csrc/inductor/cpp_prefix.h: ``normalized_rand_cpu``, ``randint64_cpu``);
3. ``rand``: ``(word & 0x7fffffff) * 4.6566127342e-10`` in float32 (``uint32_to_uniform_float``);
   ``randint(low, high)``: ``(word0 | word1 << 32) % (high - low) + low``, the block's first two
   words.

The live side compiles the call with ``dynamic=True`` (one compilation for every size; the
offsets are element indices either way).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rngsuite.reference import Model
from rngsuite.reference import philox
from rngsuite.reference import torch_cpu

_SOURCE = ("https://github.com/pytorch/pytorch/blob/main/torch/csrc/inductor/cpp_prefix.h; "
           "torch/_inductor/inductor_prims.py")
#: ``uint32_to_uniform_float``'s scale: the largest with (2**31 - 1) * scale < 1 in float32.
_SCALE = np.float32(4.6566127342e-10)


def seed_of(seed: int) -> int:
    """The seed Inductor draws for a graph's one random op after ``manual_seed(seed)``:
    ``randint(-2**63, 2**63 - 1, [1])`` on the CPU generator, ``random64() % (2**64 - 1) - 2**63``
    (the range is 2**64 - 1 wide: not ``randint(2**63 - 1)``, which would agree on the key's
    low 32 bits only where random64() < 2**63 - 1)."""
    (wide,) = torch_cpu.random64(torch_cpu.words(seed, 2))
    return int(wide) % (2**64 - 1) - 2**63


def blocks(key_seed: int, n: int) -> np.ndarray:
    """Philox4x32-10 blocks at counters (i, 0, 0, 0), i < n, keyed by the seed's low 32 bits."""
    i = np.arange(n, dtype=np.uint64)
    counters = np.stack([(i & np.uint64(0xFFFFFFFF)).astype(np.uint32),
                         (i >> np.uint64(32)).astype(np.uint32),
                         np.zeros(n, np.uint32), np.zeros(n, np.uint32)], axis=-1)
    key = np.array([key_seed & 0xFFFFFFFF, 0], dtype=np.uint32)
    return philox.philox4x32(counters, key).reshape(n, 4)


def rand(seed: int, n: int) -> np.ndarray:
    """``torch.rand(n)`` compiled by Inductor, after ``manual_seed(seed)``."""
    word = blocks(seed_of(seed), n)[:, 0]
    return (word & np.uint32(0x7FFFFFFF)).astype(np.float32) * _SCALE


def randint(seed: int, n: int, *, low: int = 0, span: int = 10) -> np.ndarray:
    """``torch.randint(low, low + span, (n,))`` compiled by Inductor."""
    b = blocks(seed_of(seed), n).astype(np.uint64)
    wide = b[:, 0] | (b[:, 1] << np.uint64(32))
    return ((wide % np.uint64(span)).astype(np.int64) + np.int64(low)).astype(np.int64)


def rand_after(seed: int, n: int) -> np.ndarray:
    """What eager ``torch.rand(n)`` draws right after one compiled random op: the default
    generator moved on by the op's seed draw alone (one random64(), two words)."""
    return torch_cpu.uniform_f32(torch_cpu.words(seed, 2 + n)[2:])


# ------------------------------------------------------------------------------- live side --
@functools.lru_cache(maxsize=None)
def _compiled(kind: str) -> Any:
    import torch
    import torch._inductor.config

    bodies = {"rand": lambda n: torch.rand(n),
              "randint": lambda n, low, span: torch.randint(low, low + span, (n,))}
    return torch.compile(bodies[kind], backend="inductor", dynamic=True)


def _live(kind: str, seed: int, *args: Any) -> Any:
    import torch
    import torch._inductor.config as config

    torch.manual_seed(seed)
    with config.patch(fallback_random=False):
        return _compiled(kind)(*args)


def live_rand(seed: int, n: int) -> np.ndarray:
    return _live("rand", seed, n).numpy()


def live_randint(seed: int, n: int, *, low: int = 0, span: int = 10) -> np.ndarray:
    return _live("randint", seed, n, low, span).numpy()


def live_rand_after(seed: int, n: int) -> np.ndarray:
    import torch

    _live("rand", seed, 1)
    return torch.rand(n).numpy()


def _row(name: str, **kw: Any) -> Model:
    kw.setdefault("seed_range", (0, 2**64 - 1))
    kw.setdefault("versions", ">=2.1")
    kw.setdefault("source", _SOURCE)
    kw.setdefault("tier", "compiled")
    # With ATEN_CPU_CAPABILITY=default Inductor picks no vector ISA and its random kernels do
    # not build on torch 2.13 (suite/backends/torch_compiled.py): nothing to compare there.
    kw.setdefault("capabilities", ("avx2", "avx512"))
    return Model(name=f"torch.compile[inductor]:cpu:{name}", library="torch", **kw)


MODELS = [
    _row("rand", model=rand, live=live_rand, n_range=(1, 5_000),
         exactness="bit-exact: Philox4x32-10 word 0 at counter (i, 0, 0, 0), low 31 bits * scale"),
    _row("randint", model=randint, live=live_randint, n_range=(1, 5_000),
         params={"low": (0, -5), "span": (10, 2**40)}),
    _row("rand, then eager rand", model=rand_after, live=live_rand_after, n_range=(1, 1_000),
         words=torch_cpu.WORDS,
         exactness="bit-exact: a compiled op moves the generator by one random64()"),
]
