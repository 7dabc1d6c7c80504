"""Regime coverage: per call, the regimes the installed library accepts against those the catalog
covers (the regimes are data: ``suite/data/regimes.toml``, read by :mod:`rngsuite.core.regimes`).

A regime is *accepted* when its probe draws on the installed library without an error (and, for
dtypes, in that dtype: a call that silently draws another dtype does not have the regime); it is
*covered* when a catalog case of the call, on one of the library's backends, is measured to it.
Seed forms are per backend: an accepted form needs a catalog case seeded with it, a refused one a
``[[refusal]]`` row (which verify checks).

Use::

    python -m rngsuite report            # the table and the uncovered regimes, in the report
    python -c 'from rngsuite.tools.regimes import regime_table; print(regime_table())'
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

from rngsuite.backends import registry
from rngsuite.backends.base import Backend
from rngsuite.core.catalog import Call, Case, Make, load_catalog, parse_seed, parse_steps, seed_kind
from rngsuite.core.regimes import (SHAPES, Axis, Regimes, in_band, input_value, layout_of,
                                   load_regimes, shape_values, span_of)
from rngsuite.tools.coverage import LIBRARIES, Library

#: The seed every probe draws with (its value does not matter, only whether the call runs).
PROBE_SEED = 17


@dataclass(frozen=True)
class Regime:
    """One regime of one call (or of one backend's seeding) in the installed release."""

    library: str
    call: str
    axis: str
    value: str
    probe: str
    covered_by: str | None = None  # a catalog case id, or a refusal row
    accepted: bool = True
    refused: bool = False  # a seed form the backend refuses (covered by a [[refusal]] row)

    @property
    def label(self) -> str:
        head = f"{self.value} (refused: needs a [[refusal]] row)" if self.refused else self.value
        return f"{self.call} {self.axis}={head}"


@dataclass
class RegimeCoverage:
    regimes: list[Regime] = field(default_factory=list)
    #: Axes that could not be probed (no catalog call to build a *size probe from), as text.
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> list[Regime]:
        return [r for r in self.regimes if r.accepted]

    @property
    def uncovered(self) -> list[Regime]:
        return [r for r in self.accepted if r.covered_by is None]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # Probes try what a library may refuse or warn about (casts, deprecated forms): the answer is
    # whether it draws, not what it says on the way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


def _draw(backend: Backend, steps: tuple[Call, ...], seed: Any = PROBE_SEED) -> list | None:
    """The draws of the steps on a fresh stream, or None when the library refuses them."""
    case = Case(backend.name, (seed,), steps, backend.device)
    fork = backend.fork()
    try:
        with _quiet(), (fork if fork is not None else contextlib.nullcontext()):
            return backend.draw(case)
    except Exception:  # noqa: BLE001 -- any refusal of the library is the answer
        return None


def _library_backends(library: Library, backends: dict[str, Backend]) -> list[Backend]:
    return [b for name, b in backends.items() if library.owns(name) and b.unavailable() is None]


class _Measure:
    """How catalog calls measure along each axis: draws made once per (backend, call)."""

    def __init__(self) -> None:
        self._draws: dict[tuple[str, str], np.ndarray | None] = {}

    def draw(self, backend: Backend, call: Call) -> np.ndarray | None:
        key = (backend.name, call.text())
        if key not in self._draws:
            out = _draw(backend, (Call(call.name, call.args, call.kwargs, call.repeat),))
            self._draws[key] = out[0] if out else None
        return self._draws[key]

    def values(self, axis: Axis, backend: Backend, call: Call) -> set[str]:
        """The values of ``axis`` a catalog call takes on ``backend``."""
        kind = axis.axis
        if kind == "layout":
            return {layout_of(call.name)}
        if kind == "input":
            value = input_value(call, axis.default_axis)
            return {value} if value else set()
        if kind == "span":
            span = span_of(call, bits=axis.bits)
            return {v.name for v in axis.values if span is not None and in_band(span, v.name)}
        if kind == "parameters":
            text = call.text()
            return {v.name for v in axis.values if v.match and v.match.search(text)}
        if kind == "dtype" and axis.of != "result":
            makes = [a for a in call.args if isinstance(a, Make)]
            if len(makes) <= int(axis.of):
                return set()
            try:
                with _quiet():
                    made = backend.to_numpy(backend.make(makes[int(axis.of)]))
            except Exception:  # noqa: BLE001
                return set()
            return {made.dtype.name}
        draw = self.draw(backend, call)
        if draw is None:
            return set()
        if kind == "dtype":
            return {draw.dtype.name}
        shape = backend.requested_shape(call, draw)
        if kind == "shape":
            return shape_values(shape, call)
        n = 1 if shape is None else math.prod(shape)
        return {v.name for v in axis.values if in_band(n, v.name)}  # size


def _star_axes(axis: Axis, library: Library, calls: dict[str, list[tuple[Backend, Call, str]]],
               notes: list[str]) -> list[Axis]:
    """A ``*size`` axis as one axis per sampler with a size, each probe the catalog's call with
    its size replaced (on a backend that has the call)."""
    from rngsuite.core.regimes import Value

    out = []
    for name in sorted(calls):
        examples = [(b, c) for b, c, _ in calls[name]]
        # The backend's own call name (Normal_sample), not the library's (Normal).
        if all(getattr(b, "size_index", lambda n: None)(c.name) is None for b, c in examples):
            continue
        values = []
        for v in axis.values:
            probe = next((p for b, c in examples
                          if (p := b.with_size(c, SHAPES[v.name])) is not None), None)
            if probe is None:
                notes.append(f"{library.name}: {name} {axis.axis}={v.name}: no catalog call to "
                             f"probe from")
                continue
            values.append(Value(v.name, probe.text()))
        out.append(Axis(axis.library, axis.axis, name, tuple(values), axis.of,
                        axis.default_axis, axis.bits, axis.label))
    return out


def regime_coverage(cases: Iterable[Case] | None = None, *,
                    regimes: Regimes | None = None) -> RegimeCoverage:
    """Every regime of the installed libraries, accepted or not, and the case covering it."""
    cases = list(load_catalog() if cases is None else cases)
    regimes = load_regimes() if regimes is None else regimes
    # A tier's backends (torch.compile) draw torch's own calls, whose regimes are probed on
    # torch's backends; probing them too would compile every probe (seconds each).
    backends = {name: b for name, b in registry().items() if b.tier is None}
    result = RegimeCoverage()
    measure = _Measure()
    for library in LIBRARIES:
        mine = _library_backends(library, backends)
        if not mine:
            continue
        # The catalog's calls of this library, by library name, on each backend.
        calls: dict[str, list[tuple[Backend, Call, str]]] = {}
        for case in cases:
            backend = backends.get(case.backend)
            if backend is None or backend not in mine:
                continue
            for step in case.steps:
                name = library.name_of(step.name)
                if name is not None:
                    calls.setdefault(name, []).append((backend, step, case.id))
        axes = [a for a in regimes.axes if a.library == library.name]
        expanded: list[Axis] = []
        for axis in axes:
            if axis.call == "*size":
                expanded += _star_axes(axis, library, calls, result.notes)
            else:
                expanded.append(axis)
        for axis in expanded:
            found = calls.get(axis.call, [])
            for value in axis.values:
                probe = parse_steps(value.probe)
                runs_on = [b for b in mine if all(b.supports(s) for s in probe)]
                accepted = False
                for b in runs_on:
                    out = _draw(b, probe)
                    if out is not None and (axis.axis != "dtype" or axis.of != "result"
                                            or out[0].dtype.name == value.name):
                        accepted = True
                        break
                covered = next((cid for b, step, cid in found
                                if value.name in measure.values(axis, b, step)), None)
                result.regimes.append(Regime(library.name, axis.call, axis.name, value.name,
                                             value.probe, covered, accepted))
    result.regimes += _seed_regimes(cases, regimes, backends)
    return result


def _seed_regimes(cases: list[Case], regimes: Regimes, backends: dict[str, Backend],
                  ) -> list[Regime]:
    out = []

    for name, backend in backends.items():
        if backend.unavailable() is not None or backend.device != "cpu":
            continue
        mine = [c for c in cases if c.backend == name]
        if not mine:
            continue
        probe_steps = mine[0].steps[:1]
        for kind, text in regimes.seeds.items():
            seed = parse_seed(text)
            accepted = _draw(backend, probe_steps, seed) is not None
            if accepted:
                covered = next((c.id for c in mine
                                if any(seed_kind(s) == kind for s in c.seeds)), None)
            else:
                row = next((r for r in regimes.refusals
                            if r.applies_to(name) and r.value == seed), None)
                covered = f"refusal {row.id}" if row else None
            # Every form is a regime of the backend: drawn from (a case covers it) or refused
            # (a refusal row covers it).
            out.append(Regime(name, "seed", "seed", kind, text, covered, refused=not accepted))
    return out


def regime_table(coverage: RegimeCoverage | None = None) -> str:
    """Markdown: per library, regimes accepted by the installed release, covered, uncovered."""
    coverage = regime_coverage() if coverage is None else coverage
    rows: dict[str, list[Regime]] = {}
    for r in coverage.accepted:
        rows.setdefault(r.library, []).append(r)
    lines = ["| library / backend | regimes accepted | covered | not covered |",
             "|:--|--:|--:|:--|"]
    for library, regs in rows.items():
        missing = [r for r in regs if r.covered_by is None]
        listed = ", ".join(f"`{r.label}`" for r in missing[:40]) or "–"
        if len(missing) > 40:
            listed += f" and {len(missing) - 40} more"
        lines.append(f"| {library} | {len(regs)} | {len(regs) - len(missing)} | {listed} |")
    total, missing = len(coverage.accepted), len(coverage.uncovered)
    lines += ["", f"{total - missing} of {total} regimes covered; {missing} uncovered."]
    lines += [f"- {note}" for note in coverage.notes]
    return "\n".join(lines)
