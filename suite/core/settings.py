"""Settings every layer shares: where the data and the ledger live, the devices a run may name,
and the exit codes every command uses.

Nothing here is chosen at import time from the environment: devices and cases are options read
once per run (``--device``, ``--case``).
"""

from __future__ import annotations

from pathlib import Path

#: The package's folder: ``suite/`` in a clone, ``site-packages/rngsuite/`` installed.
PACKAGE = Path(__file__).resolve().parent.parent
#: The package's data tables: the catalog, property inputs, known divergences, notebook values.
DATA = PACKAGE / "data"
#: The conformance modules pytest collects (``python -m rngsuite verify`` runs them).
CONFORMANCE = PACKAGE / "conformance"
#: pytest's settings for the conformance modules, wherever they run (``verify`` passes it).
PYTEST_INI = PACKAGE / "pytest.ini"
#: The library ledger a wheel carries as package data (``rngsuite/golden``): read-only.
PACKAGED_LEDGER = PACKAGE / "golden"
#: The library ledger: a clone's ``golden/`` beside ``suite/`` (where recordings go), else the
#: one the wheel carries.
DEFAULT_LEDGER = PACKAGED_LEDGER if PACKAGED_LEDGER.is_dir() else PACKAGE.parent / "golden"

#: Exit codes, the same for every command.
EXIT_OK = 0  # everything conforms
EXIT_FAIL = 1  # a conformance failure: a stream changed, is not recorded, or a record conflict
EXIT_BAD_INPUT = 2  # bad input: one line naming the file and the entry, nothing written
EXIT_INTERNAL = 3  # rngsuite cannot run here: an internal error, or a missing requirement


class BadInput(ValueError):
    """Input rngsuite cannot use -- an option, a data table, a golden file -- said in one line
    that names the file and the entry; every command exits ``EXIT_BAD_INPUT`` on it."""


class CannotRun(RuntimeError):
    """This machine cannot run what was asked (kernels its CPU lacks, no CUDA...), said in one
    line; every command exits ``EXIT_INTERNAL`` on it."""


def resolve_devices(spec: str) -> list[str]:
    """``cpu``, ``cuda``, ``cuda:1``, ``mps``, comma lists, or ``all`` (cpu + what is present)."""
    if spec == "all":
        devices = ["cpu"]
        try:
            import torch
        except ImportError:
            return devices
        if torch.cuda.is_available():
            devices.append("cuda")
        if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
            devices.append("mps")
        return devices
    devices = [d.strip() for d in spec.split(",")]
    for d in devices:
        kind, _, index = d.partition(":")
        if kind not in ("cpu", "cuda", "mps") or (":" in d and not (
                kind == "cuda" and index.isdigit())):
            raise BadInput(f"--device {spec!r}: {d!r} is not cpu, cuda[:N], mps or all"
                           + (" (an empty entry)" if not d else ""))
    twice = next((d for k, d in enumerate(devices) if d in devices[:k]), None)
    if twice is not None:
        raise BadInput(f"--device {spec!r}: {twice!r} is named twice")
    return devices


def missing_devices(devices: list[str]) -> str | None:
    """Why this machine cannot draw on one of ``devices`` (None: it can). A run that names a
    device it cannot use must fail, not skip every case of it: a GPU runner that lost its GPU
    would otherwise go green."""
    wanted = [d for d in devices if d != "cpu"]
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return f"--device {','.join(wanted)}: torch is not installed, so no GPU can be used"
    for d in wanted:
        kind, _, index = d.partition(":")
        if kind == "cuda":
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            if count <= int(index or 0):
                have = f"{count} CUDA device{'s' if count != 1 else ''}" if count else \
                    f"no CUDA device (torch {torch.__version__}, built " + (
                        f"with CUDA {torch.version.cuda})" if torch.version.cuda else
                        "without CUDA)")
                return f"--device {d}: this machine has {have}; pass --device cpu, or all"
        elif kind == "mps" and not (hasattr(torch.backends, "mps")
                                    and torch.backends.mps.is_available()):
            return f"--device {d}: MPS is not available here; pass --device cpu, or all"
    return None
