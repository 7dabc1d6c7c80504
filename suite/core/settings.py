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
    devices = [d.strip() for d in spec.split(",") if d.strip()]
    for d in devices:
        if d.split(":")[0] not in ("cpu", "cuda", "mps"):
            raise BadInput(f"--device {spec!r}: {d!r} is not cpu, cuda[:N], mps or all")
    return devices
