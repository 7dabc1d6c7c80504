"""Comparing a draw with its recorded value: bit-exact first, then how far apart.

Floats are classed by their distance in units in the last place (ULP), as computed by
``numpy.testing.assert_array_max_ulp``; a complex value by the larger ULP distance of its two
parts; bfloat16 (which NumPy has no type for: ``ml_dtypes`` provides it) by the same
integer-representation rule on its 16 bits. Integers and booleans are equal or not.
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
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128")
#: The dtypes whose values are floating point, complex included.
FLOATS = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")


def np_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a name in :data:`DTYPES`; ``bfloat16`` is ``ml_dtypes``'s (NumPy has
    none), imported only when a bfloat16 draw is met."""
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def is_float(dtype: np.dtype) -> bool:
    """Floating point or complex, bfloat16 included (its NumPy kind is 'V')."""
    return dtype.kind in "fc" or dtype.name == "bfloat16"


def to_json_values(a: np.ndarray) -> list:
    """The values as JSON numbers, exactly: complex values as [real, imaginary] pairs, bfloat16
    as the floats they are (float32 holds every bfloat16 exactly). JSON has no NaN or infinity,
    so a non-finite float is a string token (:func:`nonfinite_token`) that keeps its bits."""
    a = np.asarray(a).reshape(-1)
    if a.dtype.kind == "c":
        parts = a.view(a.real.dtype).reshape(-1, 2)
        return [[_json_float(p, x) for p, x in zip(row, parts[i])]
                for i, row in enumerate(parts.tolist())] if not np.isfinite(parts).all() \
            else parts.tolist()
    if is_float(a.dtype):
        listed = (a.astype(np.float32) if a.dtype.name == "bfloat16" else a).tolist()
        finite = np.isfinite(a.astype(np.float32) if a.dtype.name == "bfloat16" else a)
        if not finite.all():
            return [v if ok else nonfinite_token(x) for v, ok, x in zip(listed, finite, a)]
        return listed
    return a.tolist()


def _json_float(listed: float, x: np.generic) -> float | str:
    return listed if np.isfinite(float(listed)) else nonfinite_token(x)


#: NaN tokens carry the value's own bits in hex: a NaN's payload is data (a kernel that makes
#: another NaN made another stream), and reading the token back restores those bits exactly.
NAN_PREFIX = "nan:"


def nonfinite_token(x: np.generic) -> str:
    """``inf``, ``-inf`` or ``nan:<bits in hex>`` for a non-finite float of any float dtype."""
    bits = np.asarray(x).reshape(1).view(f"u{np.asarray(x).dtype.itemsize}")[0]
    as32 = float(np.asarray(x).astype(np.float32)) if np.asarray(x).dtype.name == "bfloat16" \
        else float(x)
    if np.isinf(as32):
        return "inf" if as32 > 0 else "-inf"
    return f"{NAN_PREFIX}{int(bits):0{2 * np.asarray(x).dtype.itemsize}x}"


def from_token(token: str, dtype: np.dtype) -> np.ndarray | None:
    """The 0-d array of ``dtype`` a non-finite token stands for; None if it is not one (or its
    bits are not a NaN of that dtype)."""
    if token in ("inf", "-inf"):
        return np.array(float(token)).astype(dtype)
    if not token.startswith(NAN_PREFIX):
        return None
    digits = token[len(NAN_PREFIX):]
    if len(digits) != 2 * dtype.itemsize or digits != digits.lower():
        return None
    try:
        bits = int(digits, 16)
    except ValueError:
        return None
    x = np.array(bits, dtype=f"u{dtype.itemsize}").view(dtype)
    as32 = x.astype(np.float32) if dtype.name == "bfloat16" else x
    return x if np.isnan(as32) else None


def storable(a: np.ndarray) -> np.ndarray:
    """The array as ``np.save`` can write it without pickle: bfloat16 as its 16-bit patterns
    (the ledger entry keeps the dtype; readers reinterpret the bytes)."""
    return a.view(np.uint16) if a.dtype.name == "bfloat16" else a


def ulp_distances(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Elementwise distance in ULP between two float (or complex) arrays of one dtype."""
    if expected.dtype.kind == "c":
        part = expected.real.dtype
        e = expected.view(part).reshape(expected.shape + (2,))
        a = actual.view(part).reshape(actual.shape + (2,))
        return ulp_distances(e, a).max(axis=-1)
    if expected.dtype.name == "bfloat16":
        # NumPy's nulp_diff rule: sign-magnitude bits mapped onto a monotonic integer line.
        def line(x: np.ndarray) -> np.ndarray:
            bits = x.view(np.int16).astype(np.int64)
            return np.where(bits < 0, -32768 - bits, bits)
        return np.abs(line(expected) - line(actual)).astype(np.float64)
    return np.asarray(assert_array_max_ulp(expected, actual, maxulp=np.inf)).reshape(
        expected.shape)

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
    if not np.isfinite(x):  # a NaN against another NaN or a number: no distance, other bits
        return "∞ (NaN bits)"
    return str(int(x)) if x == int(x) else str(x)


def _num(x: Any) -> str:
    if isinstance(x, np.generic) and is_float(np.asarray(x).dtype) and \
            np.asarray(x).dtype.kind != "c" and not np.isfinite(np.asarray(x).astype(np.float32)
                                                                if np.asarray(x).dtype.name
                                                                == "bfloat16" else x):
        token = nonfinite_token(x)  # a NaN's bits are what tell two NaNs apart
        return f"nan (bits {token[4:]})" if token.startswith(NAN_PREFIX) else token
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
    floating = is_float(expected.dtype)
    if floating:
        # Bit patterns, not values: catch -0.0 vs 0.0 and NaN payloads too.
        width = expected.dtype.itemsize // (2 if expected.dtype.kind == "c" else 1)
        e_bits = expected.view(f"u{width}").reshape(expected.shape + (-1,))
        a_bits = actual.view(f"u{width}").reshape(actual.shape + (-1,))
        differs = (e_bits != a_bits).any(axis=-1)
    else:
        differs = expected != actual
    index = tuple(int(i) for i in np.argwhere(differs)[0])
    ulps = ulp_distances(expected, actual) if floating else None
    if floating:
        # A NaN whose bits changed (its payload, its sign) or a NaN against a number is another
        # value, not ULPs away: numpy's ULP rule calls two NaNs 0 apart.
        part = expected.real.dtype if expected.dtype.kind == "c" else expected.dtype
        as32 = (lambda x: x.astype(np.float32)) if part.name == "bfloat16" else (lambda x: x)
        e_nan = np.isnan(as32(expected)) if expected.dtype.kind != "c" else \
            np.isnan(expected.real) | np.isnan(expected.imag)
        a_nan = np.isnan(as32(actual)) if actual.dtype.kind != "c" else \
            np.isnan(actual.real) | np.isnan(actual.imag)
        ulps = np.where(differs & (e_nan | a_nan), np.inf, ulps)
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
