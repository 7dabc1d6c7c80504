"""Comparing a draw with its recorded value: bit-exact first, then how far apart.

Floats are classed by their distance in units in the last place (ULP), as computed by
``numpy.testing.assert_array_max_ulp``; integers and booleans are equal or not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.testing import assert_array_max_ulp

#: The dtypes rngsuite knows by name: a catalog call may name them (``dtype=float16``), and the
#: ledger stores draws of them (and refuses any other).
DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64")

#: Draws that differ by at most this many ULP are classed "within N ULP" (arithmetic noise,
#: e.g. another libm or SIMD kernel); beyond it they are "different" (another stream).
DEFAULT_ULP = 8


def canonical_bytes(a: np.ndarray) -> bytes:
    """The array's values as little-endian bytes in C order, whatever the platform."""
    a = np.asarray(a)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False)).tobytes()


def digest(a: np.ndarray) -> str:
    """SHA-256 of :func:`canonical_bytes`, as NumPy's own random tests pin long draws."""
    return hashlib.sha256(canonical_bytes(a)).hexdigest()


@dataclass(frozen=True)
class Comparison:
    """How a draw relates to its recorded value."""

    kind: str  # identical | within-ulp | different | dtype | shape
    size: int = 0
    n_diff: int = 0
    max_ulp: float | None = None
    index: tuple[int, ...] | None = None
    expected: Any = None
    actual: Any = None
    ulp_at_index: float | None = None
    expected_type: str = ""
    actual_type: str = ""
    threshold: int = DEFAULT_ULP

    @property
    def identical(self) -> bool:
        return self.kind == "identical"

    @property
    def label(self) -> str:
        """The class, as the report shows it."""
        if self.kind == "within-ulp":
            return f"within {self.threshold} ULP"
        return {"dtype": "dtype changed", "shape": "shape changed"}.get(self.kind, self.kind)

    def describe(self) -> str:
        """One line for a person: class, extent, first difference."""
        if self.kind == "identical":
            return "identical"
        if self.kind in ("dtype", "shape"):
            return f"{self.label}: recorded {self.expected_type}, got {self.actual_type}"
        extent = f"{self.n_diff} of {self.size} elements differ"
        if self.max_ulp is not None:
            extent += f", max {_ulp_text(self.max_ulp)} ULP"
        idx = self.index[0] if self.index and len(self.index) == 1 else self.index
        first = (f"first at index {idx}: recorded {_num(self.expected)}, "
                 f"got {_num(self.actual)}")
        if self.ulp_at_index is not None:
            first += f" ({_ulp_text(self.ulp_at_index)} ULP)"
        return f"{self.label}: {extent}; {first}"


def _ulp_text(x: float) -> str:
    return str(int(x)) if np.isfinite(x) and x == int(x) else str(x)


def _num(x: Any) -> str:
    return repr(x.item()) if isinstance(x, np.generic) else repr(x)


def _type(a: np.ndarray) -> str:
    return f"{a.dtype}{list(a.shape)}"


def compare(expected: np.ndarray, actual: np.ndarray, *, ulp: int = DEFAULT_ULP) -> Comparison:
    """Compare a recorded draw with a new one."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    types = {"expected_type": _type(expected), "actual_type": _type(actual), "threshold": ulp}
    if expected.dtype != actual.dtype:
        return Comparison("dtype", **types)
    if expected.shape != actual.shape:
        return Comparison("shape", **types)
    if expected.tobytes() == actual.tobytes():
        return Comparison("identical", size=expected.size, **types)
    differs = expected != actual
    if np.issubdtype(expected.dtype, np.floating):
        # Same bits compare equal above; here also catch -0.0 vs 0.0 and NaN payloads.
        differs |= expected.view(f"u{expected.itemsize}") != actual.view(f"u{actual.itemsize}")
    index = tuple(int(i) for i in np.argwhere(differs)[0])
    ulps = None
    if np.issubdtype(expected.dtype, np.floating):
        ulps = np.asarray(assert_array_max_ulp(expected, actual, maxulp=np.inf)).reshape(
            expected.shape)
    max_ulp = float(ulps.max()) if ulps is not None else None
    kind = "within-ulp" if max_ulp is not None and max_ulp <= ulp else "different"
    return Comparison(kind, size=expected.size, n_diff=int(differs.sum()), max_ulp=max_ulp,
                      index=index, expected=expected[index], actual=actual[index],
                      ulp_at_index=float(ulps[index]) if ulps is not None else None,
                      **types)


def first_difference(expected: Sequence[Any], actual: Sequence[Any], *,
                     ulp: int = DEFAULT_ULP) -> tuple[int, Comparison] | None:
    """The first of a case's draws that differs, and how; None when every draw is
    bit-identical (dtype and shape included). Another number of draws is a difference too."""
    if len(expected) != len(actual):
        return 0, Comparison("shape", expected_type=f"{len(expected)} draws",
                             actual_type=f"{len(actual)} draws", threshold=ulp)
    for i, (want, got) in enumerate(zip(expected, actual)):
        result = compare(want, got, ulp=ulp)
        if not result.identical:
            return i, result
    return None
