"""Finding a library's public calls by introspection (the call tables and suite.tools.coverage)."""

from __future__ import annotations

import inspect
from typing import Any, Iterable


def public_callables(owner: Any, exclude: Iterable[str], names: Iterable[str] | None = None,
                     ) -> list[str]:
    """The public callable attributes of a class or module (``names``: which to look at,
    default ``dir(owner)``), classes and ``exclude`` left out."""
    exclude = frozenset(exclude)
    found = []
    for name in (dir(owner) if names is None else names):
        value = getattr(owner, name, None)
        if (not name.startswith("_") and name not in exclude and callable(value)
                and not inspect.isclass(value)):
            found.append(name)
    return sorted(found)
