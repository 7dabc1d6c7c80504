"""The nightly GPU runner's two questions: is CUDA really here, and what is this GPU's shard called.

    python -m rngsuite gpu --check        one line: the device, its SMs, CUDA and torch; exit 3,
                                       with one line saying why, when there is no usable CUDA
    python -m rngsuite gpu --shard-name   e.g. gpu-NVIDIA_H200-132SM-torch-2.13.0+cu130

The check runs first in ``.github/workflows/gpu-nightly.yml`` and ``tox -e gpu``: without it, a
GPU machine that lost its driver would skip every CUDA case and go green. The shard name is
made of the provenance fields the ledger labels CUDA environments with (GPU model,
multiprocessor count, torch build: ``TorchAdapter.provenance_keys``), so each GPU model, SM
count and torch build records into a shard of its own.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Mapping

from rngsuite.core import provenance
from rngsuite.core.settings import EXIT_INTERNAL


#: The provenance fields a shard is named by, in order.
SHARD_KEYS = ("gpu", "gpu_sms", "torch")

# What a shard name may hold: safe in a file name and in an artifact name on every system. A run
# of anything else (underscores included, so runs collapse) becomes one underscore.
_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


def shard_name(env: Mapping[str, Any]) -> str:
    """``gpu-<GPU model>-<SMs>SM-torch-<version>`` for a provenance record of a CUDA device.

    Each part is the ledger label's part for that field (``provenance.label``), with anything
    but letters, digits and ``._+-`` replaced by ``_``. Raises ValueError for a record without a
    GPU (a CPU environment)."""
    missing = [key for key in SHARD_KEYS if env.get(key) in (None, "")]
    if missing:
        raise ValueError(f"no {', '.join(missing)} in the provenance record: not a CUDA device")
    parts = (_UNSAFE.sub("_", provenance.label(dict(env), (key,))).strip("_")
             for key in SHARD_KEYS)
    return "gpu-" + "-".join(parts)


def _one_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def check(device: str = "cuda") -> tuple[int, str]:
    """(0, what was found) when ``device`` is a CUDA device that runs a kernel; else
    (EXIT_INTERNAL, why not), in one line."""
    # torch warns instead of raising for some missing-CUDA causes (a driver too old): the
    # warning is the reason, so it goes into the one line rather than above it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import torch
        except ImportError:
            return EXIT_INTERNAL, "no CUDA: torch is not installed"
        available = torch.cuda.is_available()
    if not available:
        build = (f"a CUDA {torch.version.cuda} build" if torch.version.cuda
                 else "a CPU-only build")
        why = f": {_one_line(caught[0].message)}" if caught else ""
        return EXIT_INTERNAL, (f"no CUDA: torch {torch.__version__} ({build}) sees no CUDA device, "
                              f"torch.cuda.is_available() is False{why}")
    try:
        env = provenance.environment(device)
        major, minor = torch.cuda.get_device_capability(device)
        # A kernel launch: a build without kernels for this GPU's architecture fails here.
        torch.rand(8, device=device).sum().item()
    except Exception as exc:  # any failure here means the suite cannot run on this device
        return EXIT_INTERNAL, f"no usable CUDA on {device}: {type(exc).__name__}: {_one_line(exc)}"
    return 0, (f"CUDA ok: {device} is {env['gpu']}, {env['gpu_sms']} SMs, compute capability "
               f"{major}.{minor}, CUDA {env['cuda']}, torch {env['torch']}")
