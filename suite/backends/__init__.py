"""The backend registry: every adapter, by name, for the requested devices.

To add a backend, write one module with an :class:`~rngsuite.backends.base.Adapter` subclass (or
anything that satisfies :class:`~rngsuite.backends.base.Backend`) and list it here. Catalog rows
then name it; nothing else changes.
"""

from __future__ import annotations

from typing import Iterable

from rngsuite.backends import (numpy_generator, numpy_global, numpy_randomstate, pandas_sample,
                               python_random, torch_compiled, torch_generator, torch_global)
from rngsuite.backends.base import Adapter, Backend, CallSpec

__all__ = ["Adapter", "Backend", "CallSpec", "registry"]


def registry(devices: Iterable[str] = ("cpu",)) -> dict[str, Backend]:
    """All backends, with the torch ones once per device."""
    found: list[Backend] = [*numpy_global.BACKENDS, *numpy_randomstate.BACKENDS,
                            *numpy_generator.BACKENDS, *python_random.BACKENDS,
                            *pandas_sample.BACKENDS]
    for device in devices:
        found += (torch_global.backends(device) + torch_generator.backends(device)
                  + torch_compiled.backends(device))
    return {b.name: b for b in found}
