"""Regimes as data: the code paths inside a call, and how a catalog call shows which it takes.

``suite/data/regimes.toml`` lists, per library, the axes along which a call's code path changes
(dtype, size, shape, output layout, input and axis, integer span, named parameter regimes, seed
form), the values to try along each and a probe per call. Which values the *installed* library
accepts is found by trying the probes (:mod:`rngsuite.tools.regimes`); this module reads the data and
holds the pure parts of measuring a catalog call: bands, shapes, spans, layouts, patterns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rngsuite.core.catalog import (CatalogError, Call, Make, glob_match, parse_call, parse_literal,
                                   parse_seed, read_data_file)
from rngsuite.core.compare import DTYPES
from rngsuite.core.settings import DATA

REGIMES_PATH = DATA / "regimes.toml"
AXES = ("dtype", "size", "shape", "layout", "input", "span", "parameters")

#: The shape values, as the size argument each is probed with (``varargs``: the sizes as
#: separate arguments; ``scalar``: no size at all).
SHAPES: dict[str, Any] = {"scalar": None, "0-d": (), "1-d": (5,), "2-d": (3, 4),
                          "3-d": (2, 3, 4), "empty": (0,), "varargs": "3,4"}
#: The layout values, as the suffix of the call name each is drawn with, and its probe's sizes.
LAYOUTS = {"contiguous": ("", "(20)"), "strided": ("strided", "(20)"),
           "transposed": ("transposed", "(4,5)")}
#: The input values of shuffling calls: the array argument each is probed with, and its axis.
INPUTS = {"1-d": ("arange(10)", None), "2-d": ("eye(4)", None)}


class RegimeError(CatalogError):
    """A regimes file entry that cannot be used."""


@dataclass(frozen=True)
class Value:
    """One regime along an axis: its name, the probe call (or seed) tried for it, and for named
    parameter regimes the pattern of the catalog calls that exercise it."""

    name: str
    probe: str
    match: re.Pattern | None = None


@dataclass(frozen=True)
class Axis:
    """One axis of one call of a library (``call`` is the library's name for it; ``*size``:
    every call with a size parameter, expanded by the tool that knows the library)."""

    library: str
    axis: str
    call: str
    values: tuple[Value, ...]
    of: str | int = "result"
    default_axis: Any = None
    bits: bool = False
    label: str = ""

    @property
    def name(self) -> str:
        """How reports name the axis (``dtype``, or a label such as ``p dtype``)."""
        return self.label or self.axis


@dataclass(frozen=True)
class Documented:
    """An error an entry point documents: on which backends (globs), the exception types seen
    across releases, a regular expression over its message, and where it is documented."""

    backends: tuple[str, ...]
    raises: tuple[str, ...]
    match: re.Pattern
    source: str

    def applies_to(self, backend: str) -> bool:
        return any(glob_match(backend, g) for g in self.backends)

    def mismatch(self, error: BaseException | None, drawn: Any = None) -> str | None:
        """Why what happened is not the documented refusal (None: it is): ``error`` is what the
        attempt raised, ``drawn`` what it drew when it raised nothing."""
        expected = " or ".join(self.raises)
        if error is None:
            first = np.asarray(drawn, dtype=object).reshape(-1)[:3] if drawn is not None else []
            return (f"accepted now (first values {list(first)}), documented as refused with "
                    f"{expected}")
        if type(error).__name__ not in self.raises or not self.match.search(str(error)):
            return (f"expected {expected} matching {self.match.pattern!r}, got "
                    f"{type(error).__name__}: {error}")
        return None


@dataclass(frozen=True)
class Refusal(Documented):
    """A seed form a backend refuses, with the documented error."""

    seed: str = ""

    @property
    def value(self) -> Any:
        """The seed, built as the catalog builds seeds (``2**64+17``, ``SeedSequence(17)``), or a
        plain literal the catalog has no form for (``1.5``, ``'17'``, ``True``)."""
        try:
            return parse_seed(self.seed)
        except CatalogError:
            return parse_literal(self.seed)

    @property
    def id(self) -> str:
        return f"{'|'.join(self.backends)}@{self.seed}"


@dataclass(frozen=True)
class Regimes:
    axes: tuple[Axis, ...]
    seeds: dict[str, str]  # seed kind -> the seed it is probed with
    refusals: tuple[Refusal, ...]


def band(text: str) -> tuple[int, float]:
    """``"16..800"`` -> (16, 800); ``"800.."`` -> (800, inf); ends may be ``2**28``."""
    lo, sep, hi = text.partition("..")
    if not sep:
        raise RegimeError(f"band {text!r} is not lo..hi")
    return int(parse_literal(lo)), (math.inf if not hi.strip() else int(parse_literal(hi)))


def in_band(n: int, text: str) -> bool:
    lo, hi = band(text)
    return lo <= n < hi


def band_probe(text: str) -> int:
    """The value a band is probed with: its top (hi - 1), or its bottom when open-ended."""
    lo, hi = band(text)
    return lo if hi == math.inf else int(hi) - 1


def shape_values(shape: tuple[int, ...] | None, call: Call) -> set[str]:
    """The shape regimes a call with this requested shape takes."""
    if shape is None:
        return {"scalar"}
    out = {"empty" if math.prod(shape) == 0 else f"{len(shape)}-d"}
    if len(call.args) >= 2 and all(type(a) is int for a in call.args):
        out.add("varargs")
    return out


def layout_of(name: str) -> str:
    for layout, (suffix, _) in LAYOUTS.items():
        if suffix and name.endswith("_" + suffix):
            return layout
    return "contiguous"


def make_ndim(arg: Any) -> int | None:
    """Dimensions of an array argument (``arange(10)``: 1, ``eye(4)``: 2), or None."""
    if not isinstance(arg, Make):
        return None
    if arg.name == "eye":
        return 2
    if arg.name == "arange":
        return 1
    if arg.name == "full":
        return len(arg.args[0]) if isinstance(arg.args[0], tuple) else 1
    return len(arg.args)  # ones(a, b, ...)


def input_value(call: Call, default_axis: Any) -> str | None:
    ndim = make_ndim(call.args[0]) if call.args else None
    if ndim is None:
        return None
    if ndim == 1:
        return "1-d"
    return f"{ndim}-d axis={dict(call.kwargs).get('axis', default_axis)}"


def span_of(call: Call, *, bits: bool = False) -> int | None:
    """high - low of an integer-range call: its first two integer arguments (one: [0, it));
    ``bits``: 2**k for getrandbits(k), 2**(8n) for randbytes(n)."""
    ints = [a for a in call.args if type(a) is int]
    if not ints:
        return None
    if bits:
        return 2 ** (ints[0] * (8 if call.name == "randbytes" else 1))
    return ints[1] - ints[0] if len(ints) >= 2 else ints[0]


def _values(axis: str, raw: Any, where: str) -> list[tuple[str, str | None]]:
    if raw == "all":
        return [(d, None) for d in DTYPES]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise RegimeError(f"{where}: values is \"all\" or a list of names")
    for v in raw:
        if axis in ("size", "span"):
            try:
                band(v)
            except CatalogError as exc:
                raise RegimeError(f"{where}: {exc}") from None
        elif axis == "shape" and v not in SHAPES:
            raise RegimeError(f"{where}: shape {v!r} is not one of {', '.join(SHAPES)}")
        elif axis == "layout" and v not in LAYOUTS:
            raise RegimeError(f"{where}: layout {v!r} is not one of {', '.join(LAYOUTS)}")
    return [(v, None) for v in raw]


def _probe_text(axis: str, template: str, value: str, bits: bool) -> str:
    if axis == "dtype":
        return template.format(value=value)
    if axis in ("size", "span"):
        n = band_probe(value)
        if bits:  # the argument counts bits (getrandbits) or bytes (randbytes): 2**k in band
            k = max(1, n.bit_length() - 1)
            n = max(1, k // 8) if template.startswith("randbytes") else k
        return template.format(value=n)
    if axis == "shape":
        shape = SHAPES[value]
        text = ("size=None" if "size" in template else "") if shape is None else (
            shape if isinstance(shape, str) else Call("", (shape,)).text()[1:-1])
        return template.format(value=text)
    if axis == "layout":
        suffix, sizes = LAYOUTS[value]
        return template.format(value=suffix) + sizes
    if axis == "input":
        ndim, _, axis_text = value.partition(" axis=")
        call = parse_call(template.format(value=INPUTS[ndim][0]))
        if axis_text:
            call = Call(call.name, call.args, call.kwargs + (("axis", parse_literal(axis_text)),))
        return call.text()
    raise RegimeError(f"axis {axis!r} has no probe rule")


def load_regimes(path: Path = REGIMES_PATH) -> Regimes:
    """Read and check the regimes file; a bad entry is a :class:`RegimeError` naming it."""
    data = read_data_file(path, RegimeError)
    axes: list[Axis] = []
    for i, row in enumerate(data.get("axis", [])):
        where = f"{path}: [[axis]] #{i + 1}"
        axis = row.get("axis")
        if axis not in AXES:
            raise RegimeError(f"{where}: axis {axis!r} is not one of {', '.join(AXES)}")
        library, probes = row.get("library"), row.get("probes")
        if not isinstance(library, str):
            raise RegimeError(f"{where}: library is missing")
        of, bits = row.get("of", "result"), bool(row.get("bits", False))
        if probes == "*size":
            values = tuple(Value(v, "") for v, _ in _values(axis, row.get("values"), where))
            axes.append(Axis(library, axis, "*size", values, of, row.get("default_axis"), bits,
                             row.get("label", "")))
            continue
        if not isinstance(probes, dict) or not probes:
            raise RegimeError(f"{where}: probes maps each call to its probe")
        for call, template in probes.items():
            if axis == "parameters":
                if not isinstance(template, list):
                    raise RegimeError(f"{where} {call}: parameter regimes are a list of "
                                      "{name, match, probe}")
                values = []
                for j, v in enumerate(template):
                    try:
                        values.append(Value(v["name"], v["probe"], re.compile(v["match"])))
                    except (KeyError, TypeError):
                        raise RegimeError(f"{where} {call} #{j + 1}: needs name, match and "
                                          "probe") from None
                    except re.error as exc:
                        raise RegimeError(f"{where} {call} #{j + 1}: match is not a regular "
                                          f"expression ({exc})") from None
            else:
                if not isinstance(template, str) or "{value}" not in template:
                    raise RegimeError(f"{where} {call}: a probe is a call text with {{value}}")
                values = [Value(v, _probe_text(axis, template, v, bits))
                          for v, _ in _values(axis, row.get("values"), where)]
            axes.append(Axis(library, axis, call, tuple(values), of, row.get("default_axis"),
                             bits, row.get("label", "")))
    seeds: dict[str, str] = {}
    for row in data.get("seeds", []):
        for kind, text in row.items():
            parse_seed(text)  # a bad seed form is named here
            seeds[kind] = text
    refusals = []
    for i, row in enumerate(data.get("refusal", [])):
        where = f"{path}: [[refusal]] #{i + 1}"
        try:
            raises, backends = row["raises"], tuple(row["backends"])
            for seed in row["seeds"]:
                refusal = Refusal(backends, tuple(raises) if isinstance(raises, list)
                                  else (raises,), re.compile(row["match"]), row["source"],
                                  seed=seed)
                refusal.value  # a bad seed is named here
                refusals.append(refusal)
        except KeyError as exc:
            raise RegimeError(f"{where}: lacks {exc.args[0]}") from None
        except re.error as exc:
            raise RegimeError(f"{where}: match is not a regular expression ({exc})") from None
    return Regimes(tuple(axes), seeds, tuple(refusals))


__all__ = ["AXES", "Axis", "Documented", "INPUTS", "LAYOUTS", "REGIMES_PATH",
           "Refusal", "RegimeError", "Regimes", "SHAPES", "Value", "band", "band_probe",
           "in_band", "input_value", "layout_of", "load_regimes", "make_ndim", "shape_values",
           "span_of"]
