"""CPU conditions in labels: the provenance fields a case's stream depends on beyond its
backend's own (``suite/data/conditions.toml``).

A backend's ``provenance_keys`` name what all of its streams depend on. A row of
``conditions.toml`` adds one more field -- the CPU vendor, whether torch was built with MKL,
NumPy's BLAS -- to the label of exactly the cases whose code path reads it, in the releases
where it does: ``label_keys(case, backend, env)`` is the one place a label's fields are chosen.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from rngsuite.core import provenance as prov
from rngsuite.core.catalog import Call, CatalogError, Make
from rngsuite.core.settings import DATA
from rngsuite.checks.divergences import Condition, match_backend, table_rows

CONDITIONS_PATH = DATA / "conditions.toml"

#: Names a row's ``when`` may use.
KNOWN = ("torch", "numpy", "python", "mkl")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _p_is_a_number(call: Call) -> bool:
    # bernoulli_(20, p=0.3) / bernoulli_(ones(5), 0.3): the probability is the p= keyword, or
    # the positional argument after the tensor; bernoulli(full(...)) has a tensor of them.
    kwargs = dict(call.kwargs)
    if "p" in kwargs:
        return _number(kwargs["p"])
    return len(call.args) >= 2 and isinstance(call.args[0], Make) and _number(call.args[1])


def _one_sample_or_without_replacement(call: Call) -> bool:
    kwargs = dict(call.kwargs)
    if call.name in ("multinomial", "WeightedRandomSampler"):
        # multinomial(input, num_samples, replacement=False); the sampler's replacement=True
        n = call.args[1] if len(call.args) > 1 else kwargs.get("num_samples")
        default = call.name == "WeightedRandomSampler"
        replacement = call.args[2] if len(call.args) > 2 else kwargs.get("replacement", default)
        return not replacement or n == 1
    # A distribution's sample(shape): multinomial(probs, numel(shape), replacement=True).
    shape = call.args[-1] if call.args else kwargs.get("sample_shape", ())
    shape = (shape,) if _number(shape) else tuple(shape)
    return math.prod(shape) == 1


#: The argument tests a row's ``where`` names.
WHERE: dict[str, Callable[[Call], bool]] = {
    "p is a number": _p_is_a_number,
    "one sample or without replacement": _one_sample_or_without_replacement,
}


@dataclass(frozen=True)
class Row:
    """One row of conditions.toml."""

    where_in_file: str
    field: str
    backends: tuple[str, ...]
    calls: frozenset[str]
    where: str | None
    when: Condition | None
    note: str
    source: str

    def takes(self, case: Any) -> bool:
        """Whether the case makes a call this row is about, with the arguments it names."""
        test = WHERE[self.where] if self.where else None
        # (A deep case has one call and no steps: its streams are not split by conditions.)
        return any(step.name in self.calls and (test is None or test(step))
                   for step in getattr(case, "steps", ()))

    def matches(self, case: Any, device: str = "cpu") -> bool:
        """Whether the row is about this case on its backend (its releases aside)."""
        return match_backend(self.backends, case.backend, device) and self.takes(case)

    def holds(self, env: dict[str, Any]) -> bool:
        """Whether the running environment is one where the field decides the path."""
        return self.when is None or self.when(variables(env))


def variables(env: dict[str, Any]) -> dict[str, Any]:
    """What a row's ``when`` sees of a provenance record."""
    out: dict[str, Any] = {"mkl": bool(env.get("torch_mkl"))}
    for name in ("torch", "numpy", "python"):
        version = prov.release_tuple(env.get(name))
        if version is not None:
            out[name] = version
    return out


def load(path: Path = CONDITIONS_PATH) -> tuple[Row, ...]:
    """The rows, checked: each names a recorded field, known calls tests, and its source."""
    rows = []
    for where, raw in table_rows(path, "condition"):
        for key in ("field", "backends", "calls", "source"):
            if not raw.get(key):
                raise CatalogError(f"{where}: {key} is required")
        if raw["field"] not in prov.CONDITION_FIELDS:
            raise CatalogError(f"{where}: field {raw['field']!r} is not a provenance field "
                               f"that conditions may add ({', '.join(prov.CONDITION_FIELDS)})")
        if raw.get("where") is not None and raw["where"] not in WHERE:
            raise CatalogError(f"{where}: where {raw['where']!r} is not one of "
                               f"{', '.join(map(repr, WHERE))}")
        rows.append(Row(where, raw["field"], tuple(raw["backends"]), frozenset(raw["calls"]),
                        raw.get("where"),
                        Condition(raw["when"], where, known=KNOWN) if raw.get("when") else None,
                        raw.get("note", ""), raw["source"]))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    """The rows of the package's conditions.toml, read once."""
    try:
        return load()
    except FileNotFoundError:
        return ()


@functools.lru_cache(maxsize=None)
def _rows_for(backend: str, device: str) -> tuple[Row, ...]:
    # Every case is labelled through here: the backend globs are matched once per backend.
    return tuple(r for r in rows() if match_backend(r.backends, backend, device))


def extra_fields(case: Any, env: dict[str, Any], *, table: Iterable[Row] | None = None,
                 device: str = "cpu") -> tuple[str, ...]:
    """The fields beyond the backend's that this case's stream depends on here, in row order."""
    candidates = _rows_for(case.backend, device) if table is None else \
        [row for row in table if match_backend(row.backends, case.backend, device)]
    out: list[str] = []
    for row in candidates:
        if row.field not in out and row.takes(case) and row.holds(env):
            out.append(row.field)
    return tuple(out)


def label_keys(case: Any, backend: Any, env: dict[str, Any], *,
               table: Iterable[Row] | None = None) -> tuple[str, ...]:
    """The provenance fields that make this case's label: the backend's, then its conditions'."""
    base = tuple(backend.provenance_keys())
    extra = extra_fields(case, env, table=table, device=backend.device)
    return base + tuple(f for f in extra if f not in base)


def possible_keys(backend: Any, *, table: Iterable[Row] | None = None) -> list[tuple[str, ...]]:
    """Every field list a label of this backend may be made of: its own, then any of the
    fields conditions add to some of its cases (for doctor, which checks labels per
    environment, without a case)."""
    base = tuple(backend.provenance_keys())
    fields: list[str] = []
    for row in rows() if table is None else table:
        if match_backend(row.backends, backend.name, backend.device) and row.field not in fields \
                and row.field not in base:
            fields.append(row.field)
    # Any order: a case's fields follow the order of the rows that take it, and two rows may
    # add the same field (cpu_vendor, for the exponential family and for LAPACK's calls).
    return [base + combo for n in range(len(fields) + 1)
            for combo in itertools.permutations(fields, n)]
