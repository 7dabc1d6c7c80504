"""Sampler branches as data: the algorithm paths inside each sampling call, and the parameters
that choose them.

A sampler is code with branches -- an inversion path and a rejection path switched by a
threshold on its parameters, special cases for 0 and 1, a path for an exhausted count -- and a
change hides in whichever branch no case draws (NumPy 2.5 changed ``RandomState.multinomial``
only for a zero probability, numpy#32299). ``suite/data/branches.toml`` lists, per library (the
library names of :mod:`rngsuite.tools.coverage`) and call, each branch with the condition on the
call's parameters that takes it, read from the library's source (each row cites it):

    [[sampler]]
    library = "numpy Generator"
    call = "binomial"
    params = ["n", "p"]
    source = "numpy/random/src/distributions/distributions.c: random_binomial"
    branches = [
      {name = "n = 0 or p = 0: no draw", when = "n == 0 or p == 0"},
      {name = "BTPE, p <= 1/2", when = "0 < p <= 0.5 and n * p > 30", long = true},
    ]

``params`` names the call's arguments in order (``"replace=True"``: a default when the catalog
call leaves it out); ``when`` is an expression over them (arithmetic, comparisons, ``and``/``or``,
``in``, and the functions of :data:`FUNCTIONS`). ``long = true`` marks a branch whose choice is
made by the random values themselves (a rejection step, a tail): only a long draw reaches it
(a deep case of at least :data:`LONG` values), not 5 or 1,000 values. ``[[single]]`` rows name the
calls read and found to have one path; ``[[refused]]`` rows the parameters an entry point
documents as refused, with the error (verify checks they still are). A catalog call's
arguments reach ``when`` as Python values: numbers, lists, ``full((n,),v)`` as ``[v]``,
``ones(..)`` as ``[1.0]``, ``arange(..)`` as its list, a dtype as its name.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rngsuite.core.catalog import (CatalogError, Call, DType, List, Make, parse_literal,
                                   parse_steps, read_data_file)
from rngsuite.core.regimes import Documented
from rngsuite.core.settings import DATA

BRANCHES_PATH = DATA / "branches.toml"
#: A long draw: at least this many values of one (branch, seed).
LONG = 10**6


class BranchError(CatalogError):
    """A branches file entry that cannot be used."""


def _size(x: Any) -> int:
    return len(x) if isinstance(x, (list, tuple)) else 1


def _values(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


#: The functions a ``when`` may call.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min, "max": max, "abs": abs, "sum": sum, "len": _size, "floor": math.floor,
    "sqrt": math.sqrt, "ceil": math.ceil, "log": math.log, "values": _values,
    "every": lambda x, op, v: all(_COMPARE[op](e, v) for e in _values(x)),
    "some": lambda x, op, v: any(_COMPARE[op](e, v) for e in _values(x)),
    "last": lambda x: _values(x)[-1], "first": lambda x: _values(x)[0],
    "scalar": lambda x: not isinstance(x, (list, tuple)),
    # choice's population: an int is its size, an array its length.
    "population": lambda a: len(a) if isinstance(a, (list, tuple)) else a,
}

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
_COMPARE_AST = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
                ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
                ast.In: lambda a, b: a in _values(b), ast.NotIn: lambda a, b: a not in _values(b),
                ast.Is: operator.is_, ast.IsNot: operator.is_not}


def _eval(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise NameError(node.id)
        return names[node.id]
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, names) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        value = _eval(node.operand, names)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, names), _eval(node.right, names))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, names)
            if not _COMPARE_AST[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, names) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in FUNCTIONS and not node.keywords:
        return FUNCTIONS[node.func.id](*(_eval(a, names) for a in node.args))
    raise BranchError(f"{ast.dump(node)[:60]} is not allowed in a branch condition")


def _check_syntax(text: str, params: tuple[str, ...], where: str) -> ast.Expression:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise BranchError(f"{where}: when {text!r} is not an expression ({exc.msg})") from None
    allowed = (ast.Expression, ast.Constant, ast.Name, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
               ast.Not, ast.USub, ast.BinOp, ast.Compare, ast.List, ast.Tuple, ast.Call,
               ast.Load, *_BINARY, *_COMPARE_AST)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise BranchError(f"{where}: when {text!r} uses {type(node).__name__}, which a "
                              "branch condition may not")
        if isinstance(node, ast.Name) and node.id not in params and node.id not in FUNCTIONS:
            raise BranchError(f"{where}: when {text!r} names {node.id!r}, not a parameter "
                              f"({', '.join(params)})")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in FUNCTIONS):
            raise BranchError(f"{where}: when {text!r} calls something other than "
                              f"{', '.join(FUNCTIONS)}")
    return tree


def argument_value(arg: Any) -> Any:
    """A catalog argument as a branch condition sees it."""
    if isinstance(arg, List):
        return [argument_value(a) for a in arg]
    if isinstance(arg, tuple):
        return [argument_value(a) for a in arg]
    if isinstance(arg, DType):
        return arg.name
    if isinstance(arg, Make):
        # A tensor argument is a list: full((n,),v) as [v] (every element is v), ones(..) as [1.0].
        if arg.name == "full":
            return [argument_value(arg.args[1])]
        if arg.name == "ones":
            return [1.0]
        if arg.name == "arange":
            lo, hi, step = (list(arg.args) + [1])[:3] if len(arg.args) >= 2 else (0, arg.args[0], 1)
            n = max(0, math.ceil((hi - lo) / step))
            return [lo + i * step for i in range(n)]
        return arg.name  # eye
    return arg


@dataclass(frozen=True)
class Branch:
    """One path of one call of one library."""

    library: str
    call: str
    name: str
    when: str
    params: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]
    source: str
    long: bool = False
    tree: Any = None  # the parsed condition

    @property
    def id(self) -> str:
        return f"{self.library}: {self.call}: {self.name}"

    def bind(self, call: Call) -> dict[str, Any]:
        """The call's arguments by parameter name (defaults where it leaves one out; None
        where there is neither)."""
        names = dict(self.defaults)
        for name in self.params:
            names.setdefault(name, None)
        for name, arg in zip(self.params, call.args):
            names[name] = argument_value(arg)
        for name, arg in call.kwargs:
            if name in names:
                names[name] = argument_value(arg)
        return names

    def takes(self, call: Call) -> bool:
        """Whether a call with these arguments goes down this branch (a condition that cannot
        be evaluated on them -- a missing parameter -- is not taken)."""
        try:
            return bool(_eval(self.tree, self.bind(call)))
        except (TypeError, ValueError, ZeroDivisionError, NameError, IndexError, OverflowError):
            return False


@dataclass(frozen=True)
class Refused(Documented):
    """A call with parameters an entry point documents as refused, and the error it raises."""

    call: str = ""


@dataclass(frozen=True)
class Branches:
    branches: tuple[Branch, ...]
    #: library -> call -> source, for the calls read and found to have one path.
    single: dict[str, dict[str, str]]
    refused: tuple[Refused, ...] = ()

    def of(self, library: str) -> list[Branch]:
        return [b for b in self.branches if b.library == library]

    def described(self, library: str) -> set[str]:
        """The calls of a library with branch rows or a one-path row."""
        return {b.call for b in self.of(library)} | set(self.single.get(library, {}))


def _params(raw: Any, where: str) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise BranchError(f"{where}: params is a list of parameter names")
    names, defaults = [], []
    for text in raw:
        name, eq, default = text.partition("=")
        if not name.isidentifier():
            raise BranchError(f"{where}: {text!r} is not a parameter name")
        names.append(name)
        if eq:
            try:
                defaults.append((name, argument_value(parse_literal(default))))
            except CatalogError:
                raise BranchError(f"{where}: the default of {text!r} is not a literal") from None
    return tuple(names), tuple(defaults)


def load_branches(path: Path = BRANCHES_PATH) -> Branches:
    """Read and check the branches file; a bad entry is a :class:`BranchError` naming it."""
    data = read_data_file(path, BranchError)
    branches: list[Branch] = []
    seen: set[str] = set()
    for i, row in enumerate(data.get("sampler", [])):
        where = f"{path}: [[sampler]] #{i + 1}"
        library, call, source = row.get("library"), row.get("call"), row.get("source")
        if not all(isinstance(v, str) and v for v in (library, call, source)):
            raise BranchError(f"{where}: needs library, call and source")
        params, defaults = _params(row.get("params", []), where)
        rows = row.get("branches")
        if not isinstance(rows, list) or not rows:
            raise BranchError(f"{where} ({call}): branches is a list of {{name, when}}")
        for j, b in enumerate(rows):
            at = f"{where} ({call}) branch #{j + 1}"
            if not isinstance(b, dict) or not isinstance(b.get("name"), str) \
                    or not isinstance(b.get("when"), str):
                raise BranchError(f"{at}: needs name and when")
            branch = Branch(library, call, b["name"], b["when"], params, defaults,
                            b.get("source", source), bool(b.get("long", False)),
                            _check_syntax(b["when"], params, at))
            if branch.id in seen:
                raise BranchError(f"{at}: {branch.id!r} is listed twice")
            seen.add(branch.id)
            branches.append(branch)
    single: dict[str, dict[str, str]] = {}
    for i, row in enumerate(data.get("single", [])):
        where = f"{path}: [[single]] #{i + 1}"
        library, calls, source = row.get("library"), row.get("calls"), row.get("source")
        if not isinstance(library, str) or not isinstance(source, str) \
                or not isinstance(calls, list):
            raise BranchError(f"{where}: needs library, calls and source")
        for call in calls:
            single.setdefault(library, {})[call] = source
    refused: list[Refused] = []
    for i, row in enumerate(data.get("refused", [])):
        where = f"{path}: [[refused]] #{i + 1}"
        try:
            raises = row["raises"]
            for call in row["calls"]:
                parse_steps(call)  # a call that does not parse is named here
                refused.append(Refused(tuple(row["backends"]),
                                       tuple(raises) if isinstance(raises, list) else (raises,),
                                       re.compile(row.get("match", "")), row["source"],
                                       call=call))
        except KeyError as exc:
            raise BranchError(f"{where}: lacks {exc.args[0]}") from None
        except re.error as exc:
            raise BranchError(f"{where}: match is not a regular expression ({exc})") from None
        except CatalogError as exc:
            raise BranchError(f"{where}: {exc}") from None
    return Branches(tuple(branches), single, tuple(refused))


__all__ = ["BRANCHES_PATH", "Branch", "BranchError", "Branches", "FUNCTIONS", "LONG", "Refused",
           "argument_value", "load_branches"]
