"""Finding a library's public calls by introspection (the call tables and rngsuite.tools.coverage)."""

from __future__ import annotations

import ast
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


def parameter_names(fn: Any) -> list[str] | None:
    """A callable's parameter names (``self`` left out): from its signature, or, for the Cython
    methods of NumPy releases that have none (1.23), from the signature line its docstring opens
    with (``beta(a, b, size=None)``); None when neither says."""
    try:
        return [p for p in inspect.signature(fn).parameters if p != "self"]
    except (TypeError, ValueError):
        pass
    lines = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    try:
        tree = ast.parse(f"def {lines[0].strip()}: pass") if lines else None
    except SyntaxError:
        return None
    if tree is None or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    a = tree.body[0].args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg != "self"]
