"""Known divergences, read from ``suite/data/divergences.toml``, and what a run observed of them.

A divergence row (``divergences.toml``) exempts the examples it matches from one guarantee and
says what holds instead. Each match is tallied, so the report can list every row with how often
it matched and differed, and flag rows that matched nothing (stale), like array-api-tests'
xfails files.
"""

from __future__ import annotations

import ast
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rngsuite.core.catalog import CatalogError, glob_match
from rngsuite.core.settings import DATA

DIVERGENCES_PATH = DATA / "divergences.toml"

#: Names a condition may use (``library``: which library's draws, "python" or "numpy").
VARIABLES = ("n", "k", "a", "b", "dtype", "how", "checkpoint", "device", "library", "numpy",
             "torch", "python")
_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
          ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
          ast.BinOp, ast.Mod, ast.Pow, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Name,
          ast.Load, ast.Constant, ast.Tuple)


class Condition:
    """A boolean expression over example variables, checked to use nothing but comparisons."""

    def __init__(self, text: str, where: str, *, known: tuple[str, ...] = VARIABLES) -> None:
        self.text = text
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise CatalogError(f"{where}: condition {text!r}: {exc.msg}") from None
        for node in ast.walk(tree):
            if not isinstance(node, _NODES):
                raise CatalogError(f"{where}: condition {text!r} may only compare values "
                                   f"({type(node).__name__} is not allowed)")
            if isinstance(node, ast.Name) and node.id not in known:
                raise CatalogError(f"{where}: condition {text!r}: unknown name {node.id!r} "
                                   f"(known: {', '.join(known)})")
        self._code = compile(tree, where, "eval")
        self.names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}

    def __call__(self, variables: dict[str, Any]) -> bool:
        if not self.names <= variables.keys():
            return False  # a condition about n does not apply to an example without n
        # Safe: the tree holds only comparisons, arithmetic, names and constants (checked above).
        return bool(eval(self._code, {"__builtins__": {}}, dict(variables)))


def match_backend(patterns: Iterable[str], backend: str, device: str = "cpu") -> bool:
    return any(glob_match(backend, p.replace("{device}", device)) for p in patterns)


@dataclass
class Divergence:
    """One known divergence row, and what this run saw of it."""

    index: int
    guarantee: str
    backends: tuple[str, ...]
    calls: tuple[str, ...]
    when: Condition | None
    expect: str
    note: str
    source: str
    witness: dict[str, Any]
    matched: int = 0
    differed: int = 0
    seen_on: set[str] = field(default_factory=set)

    def applies(self, guarantee: str, backend: str, call: str | None,
                variables: dict[str, Any]) -> bool:
        if guarantee != self.guarantee or not match_backend(self.backends, backend):
            return False
        if self.calls and call not in self.calls:
            return False
        return self.when is None or self.when(variables)

    def observe(self, backend: str, *, differed: bool) -> None:
        self.matched += 1
        self.differed += differed
        self.seen_on.add(backend)

    def witness_variables(self, call: str | None = None) -> dict[str, Any]:
        """The witness example's variables, as a condition sees them."""
        from rngsuite.core.catalog import parse_call

        variables = {k: v for k, v in self.witness.items() if k in VARIABLES}
        if "seed" in self.witness:
            variables.setdefault("a", self.witness["seed"])
        if call is not None:
            dtype = dict(parse_call(call.format(n=1)).kwargs).get("dtype")
            variables["dtype"] = str(dtype) if dtype is not None else None
        return variables

    def applies_here(self, versions: dict[str, Any], call: str | None = None) -> bool:
        """Whether the row can hold for the installed releases: its witness meets its condition."""
        if self.when is None:
            return True
        return self.when({**versions, "device": "cpu", **self.witness_variables(call)})

    @property
    def condition(self) -> str:
        calls = f"calls {', '.join(self.calls)}" if self.calls else ""
        return "; ".join(p for p in (calls, self.when.text if self.when else "") if p) or "always"


def table_rows(path: Path, table: str) -> list[tuple[str, dict]]:
    """The rows of one array of tables of the file, each with where it stands, for errors."""
    with open(path, "rb") as fh:
        rows = tomllib.load(fh).get(table, [])
    return [(f"{path.name} [[{table}]] #{i + 1}", row) for i, row in enumerate(rows)]


def load_divergences(path: Path = DIVERGENCES_PATH) -> list[Divergence]:
    out = []
    for i, (where, row) in enumerate(table_rows(path, "divergence")):
        if row.get("expect") not in ("may-differ", "identical"):
            raise CatalogError(f"{where}: expect must be 'may-differ' or 'identical'")
        if not row.get("source"):
            raise CatalogError(f"{where}: every known divergence cites its source")
        if not isinstance(row.get("witness"), dict):
            raise CatalogError(f"{where}: every known divergence has a witness example")
        out.append(Divergence(
            i, row["guarantee"], tuple(row["backends"]), tuple(row.get("calls", ())),
            Condition(row["when"], where) if row.get("when") else None, row["expect"],
            row.get("note", ""), row["source"], row["witness"]))
    return out


@dataclass(frozen=True)
class Reported:
    """A break reported upstream that the ledger can confirm or not: the reported backend's
    recorded values against the eager backend's, case by case and release by release."""

    report: str
    claim: str
    backend: str
    eager: str
    cases: tuple[str, ...]  # "call@seed", on both backends


def load_reported(path: Path = DIVERGENCES_PATH) -> list[Reported]:
    """The ``[[reported]]`` rows: upstream reports checked against the ledger (findings page)."""
    out = []
    for where, row in table_rows(path, "reported"):
        missing = [k for k in ("report", "claim", "backend", "eager", "cases") if not row.get(k)]
        if missing:
            raise CatalogError(f"{where}: needs {', '.join(missing)}")
        out.append(Reported(row["report"], row["claim"], row["backend"], row["eager"],
                            tuple(row["cases"])))
    return out


class Observations:
    """This run's known divergences and which guarantees ran on which backends."""

    def __init__(self, rows: list[Divergence]) -> None:
        self.rows = rows
        self.ran: Counter[tuple[str, str]] = Counter()

    def find(self, guarantee: str, backend: str, call: str | None,
             variables: dict[str, Any]) -> Divergence | None:
        self.ran[(guarantee, backend)] += 1
        return next((r for r in self.rows if r.applies(guarantee, backend, call, variables)),
                    None)

    def stale(self, versions: dict[str, Any]) -> list[Divergence]:
        """Rows that hold for the installed releases and whose guarantee ran on a backend they
        name, yet matched no example."""
        return [r for r in self.rows if r.matched == 0 and any(
            g == r.guarantee and match_backend(r.backends, b) for g, b in self.ran)
            and any(r.applies_here(versions, c) for c in r.witness.get("calls", [None]))]


KNOWN = Observations(load_divergences())
