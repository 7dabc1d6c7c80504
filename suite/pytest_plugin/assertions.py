"""Assertions for the properties (imported as ``ph``): compare draws, honour known divergences,
and fail with the case, the seed, the versions, the first difference and a repro line."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rngsuite.core import provenance as prov
from rngsuite.backends import Backend
from rngsuite.core.catalog import Call, Case
from rngsuite.core.compare import compare, first_difference
from rngsuite.checks.divergences import KNOWN
from rngsuite.checks.verdict import reproduce_line


def assert_identical(expected: np.ndarray, actual: np.ndarray, message: str) -> None:
    """Bit-identical arrays, dtype and shape included (what ``assert_array_equal(strict=True)``
    checks, and more: -0.0 is not 0.0), on every NumPy release the suite runs on."""
    __tracebackhide__ = True
    result = compare(np.asarray(expected), np.asarray(actual))
    if not result.identical:
        raise AssertionError(f"{message}: {result.describe()}")


def explain(backend: Backend, *, guarantee: str, seeds: Sequence[int], calls: Sequence[Call],
            detail: str, problem: str) -> str:
    """The failure text: what was checked, where, what differs, and how to see it by hand."""
    env = prov.environment(backend.device)
    keys = backend.provenance_keys()
    lines = [f"{guarantee}: {backend.name}: {problem}",
             f"  seed{'s' if len(seeds) > 1 else ''}: {', '.join(str(s) for s in seeds)}",
             f"  {detail}",
             f"  running: {prov.describe(env, keys)}"]
    if calls:
        case = Case(backend.name, tuple(seeds), tuple(calls), backend.device)
        try:
            lines.append("  the stream from the seed: " + reproduce_line(
                backend.snippet(case), variables=backend.environment_variables()))
        except Exception as exc:  # a snippet is a courtesy; never hide the failure behind it
            lines.append(f"  (no snippet: {exc})")
    return "\n".join(lines)


def _divergence(guarantee: str, backend: Backend, call: Call | None, variables: dict[str, Any]):
    context = {**prov.installed_versions(), "device": backend.device, **variables}
    if call is not None:
        dtype = dict(call.kwargs).get("dtype")
        context.setdefault("dtype", str(dtype) if dtype is not None else None)
    return KNOWN.find(guarantee, backend.name, call.name if call else None, context)


def assert_same(expected: Sequence[np.ndarray], actual: Sequence[np.ndarray], *,
                guarantee: str, backend: Backend, seeds: Sequence[int], calls: Sequence[Call],
                detail: str, variables: dict[str, Any] | None = None,
                call: Call | None = None) -> tuple[Any, bool] | None:
    """The guarantee: both sides drew the same bits, unless a known divergence says otherwise.

    Returns (the known divergence, whether the draws differed) when one covered the example.
    """
    __tracebackhide__ = True
    diff = first_difference(expected, actual)
    known = _divergence(guarantee, backend, call, variables or {})
    if known is not None:
        known.observe(backend.name, differed=diff is not None)
        return known, diff is not None
    if diff is not None:
        step, result = diff
        raise AssertionError(explain(
            backend, guarantee=guarantee, seeds=seeds, calls=calls, detail=detail,
            problem=f"draw {step + 1} differs: {result.describe()}"))
    return None


def assert_differ(first: Sequence[np.ndarray], second: Sequence[np.ndarray], *, guarantee: str,
                  backend: Backend, seeds: Sequence[int], calls: Sequence[Call], detail: str,
                  variables: dict[str, Any] | None = None) -> tuple[Any, bool] | None:
    """The guarantee: the two draws differ -- or, where a known fact says so, are identical.

    Returns (the known divergence, whether the draws differed) when one covered the example.
    """
    __tracebackhide__ = True
    same = first_difference(first, second) is None
    known = _divergence(guarantee, backend, calls[0] if calls else None, variables or {})
    if known is not None:
        known.observe(backend.name, differed=not same)
        if known.expect == "identical" and not same:
            raise AssertionError(explain(
                backend, guarantee=guarantee, seeds=seeds, calls=calls, detail=detail,
                problem=f"known fact no longer holds: {known.note} ({known.source}); "
                        f"the two streams now differ"))
        return known, not same
    if same:
        raise AssertionError(explain(backend, guarantee=guarantee, seeds=seeds, calls=calls,
                                     detail=detail, problem="the two streams are identical"))
    return None
