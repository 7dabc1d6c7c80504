"""The catalog: every stream the suite checks, as data.

A case is one row: a backend, one or more seeds, and the calls drawn from the seeded stream(s),
written in the library's own call syntax with literal arguments (``randint(0,10,(5,))``). Its
id is the row rendered back to text, e.g. ``torch:cpu:randn(5)@17``; ids are stable because they
are built from the row, not from a position.

The rows live in ``suite/data/catalog.toml`` as grids (backends x calls x seeds).
"""

from __future__ import annotations

import ast
import fnmatch
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from suite.core.settings import DATA, BadInput

CATALOG_PATH = DATA / "catalog.toml"

# Argument constructors a call may use, materialised by each backend with its own library
# (``ones(100)`` is ``np.ones(100)`` for NumPy and ``torch.ones(100)`` for torch).
MAKERS = ("arange", "ones", "full", "eye")
# Bare names allowed as arguments: dtypes, mapped by each backend to its own dtype objects.
DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64", "uint32", "uint64",
          "float16", "float32", "float64")


class CatalogError(BadInput):
    """A catalog row or call text that cannot be parsed."""


@dataclass(frozen=True)
class DType:
    """A dtype named in a call (``dtype=float64``)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Make:
    """An array argument built by the backend's library (``ones(100)``)."""

    name: str
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}({','.join(_render(a) for a in self.args)})"


class List(tuple):
    """A list literal in a call (``multivariate_normal([0.0,0.0],[[1.0,0.5],[0.5,1.0]],5)``).

    A tuple underneath, so that calls and cases stay hashable; backends pass it to the library
    as a list and write it as one in snippets.
    """

    def __repr__(self) -> str:
        return f"List({list(self)!r})"


def _render(value: Any) -> str:
    if isinstance(value, List):
        return f"[{','.join(_render(v) for v in value)}]"
    if isinstance(value, tuple):
        inner = ",".join(_render(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float, str)):
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class Call:
    """One call on a seeded stream: ``name(*args, **kwargs)``, repeated ``repeat`` times."""

    name: str
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    repeat: int = 1
    stream: int = 0

    def text(self, *, with_stream: bool = False) -> str:
        parts = [_render(a) for a in self.args] + [f"{k}={_render(v)}" for k, v in self.kwargs]
        out = f"{self.name}({','.join(parts)})"
        if self.repeat != 1:
            out += f"*{self.repeat}"
        if with_stream:
            out = f"{string.ascii_lowercase[self.stream]}.{out}"
        return out

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Case:
    """One catalog row: a backend, its seed(s) and the calls drawn, in order."""

    backend: str
    seeds: tuple[int, ...]
    steps: tuple[Call, ...]
    device: str = field(default="cpu", compare=False)

    @property
    def id(self) -> str:
        multi = len(self.seeds) > 1
        calls = ";".join(step.text(with_stream=multi) for step in self.steps)
        if multi:
            seeds = ",".join(f"{string.ascii_lowercase[i]}={s}" for i, s in enumerate(self.seeds))
        else:
            seeds = str(self.seeds[0])
        return f"{self.backend}:{calls}@{seeds}"

    def __str__(self) -> str:
        return self.id


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Name):
        if node.id in DTYPES:
            return DType(node.id)
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        raise CatalogError(f"{text!r}: unknown name {node.id!r} (dtypes: {', '.join(DTYPES)})")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in MAKERS or node.keywords:
            raise CatalogError(f"{text!r}: only {', '.join(MAKERS)} may be called inside arguments")
        return Make(node.func.id, tuple(_literal(a, text) for a in node.args))
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e, text) for e in node.elts)
    if isinstance(node, ast.List):
        return List(_literal(e, text) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand, text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        # 2**32-1 style seeds and bounds, kept exact.
        return _literal(node.left, text) ** _literal(node.right, text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Add)):
        left, right = _literal(node.left, text), _literal(node.right, text)
        return left - right if isinstance(node.op, ast.Sub) else left + right
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise CatalogError(f"{text!r}: argument {ast.unparse(node)!r} is not a literal") from None


def parse_literal(text: str) -> Any:
    """A literal written as Python (``2**64-1``, ``'17'``, ``1.5``), without evaluating code."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise CatalogError(f"{text!r}: not a literal ({exc.msg})") from None
    return _literal(tree, text)


def parse_call(text: str, *, streams: int = 1) -> Call:
    """Parse one call, ``[a.]name(args)[*N]``, into a :class:`Call`."""
    body = text.strip()
    stream = 0
    if streams > 1:
        prefix, dot, rest = body.partition(".")
        if not dot or len(prefix) != 1 or prefix not in string.ascii_lowercase[:streams]:
            raise CatalogError(f"{text!r}: with {streams} seeds each call starts with a stream "
                               f"letter (a., b., ...)")
        stream, body = string.ascii_lowercase.index(prefix), rest
    try:
        tree = ast.parse(body, mode="eval").body
    except SyntaxError as exc:
        raise CatalogError(f"{text!r}: not a call ({exc.msg})") from None
    repeat = 1
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult):
        if not (isinstance(tree.right, ast.Constant) and isinstance(tree.right.value, int)):
            raise CatalogError(f"{text!r}: repeat count after '*' must be an integer")
        repeat, tree = tree.right.value, tree.left
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        raise CatalogError(f"{text!r}: expected name(arguments)")
    args = tuple(_literal(a, text) for a in tree.args)
    kwargs = tuple((k.arg, _literal(k.value, text)) for k in tree.keywords)
    if any(k is None for k, _ in kwargs):
        raise CatalogError(f"{text!r}: **kwargs are not allowed")
    return Call(tree.func.id, args, kwargs, repeat, stream)


def parse_steps(text: str, *, streams: int = 1) -> tuple[Call, ...]:
    """Parse ``call;call;...`` into the ordered calls of one case."""
    return tuple(parse_call(part, streams=streams) for part in text.split(";"))


def _seed_tuple(value: Any, where: str) -> tuple[int, ...]:
    seeds = tuple(value) if isinstance(value, list) else (value,)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise CatalogError(f"{where}: a seed is an integer or a list of integers, not {value!r}")
    return seeds


def load_rows(path: Path = CATALOG_PATH) -> list[dict]:
    """Read the catalog file's grids."""
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"{path}: {exc}") from None
    rows = data.get("streams", [])
    for i, row in enumerate(rows):
        missing = {"backends", "calls", "seeds"} - row.keys()
        if missing:
            raise CatalogError(f"{path}: [[streams]] #{i + 1} lacks {', '.join(sorted(missing))}")
    return rows


def expand(rows: Iterable[dict], *, devices: Iterable[str] = ("cpu",)) -> list[Case]:
    """Expand grids into cases; ``{device}`` in a backend name is replaced by each device."""
    devices = tuple(devices)
    cases: dict[str, Case] = {}
    for i, row in enumerate(rows):
        where = f"catalog [[streams]] #{i + 1}"
        for backend in row["backends"]:
            if "{device}" in backend:
                targets = [(backend.format(device=d), d) for d in devices]
            elif ":" in backend:
                # A row pinned to one device (torch:cpu) joins only runs on that device.
                pinned = backend.rsplit(":", 1)[1]
                targets = [(backend, pinned)] if pinned in devices else []
            else:
                targets = [(backend, "cpu")]
            for name, device in targets:
                for seed in row["seeds"]:
                    seeds = _seed_tuple(seed, where)
                    for calls in row["calls"]:
                        case = Case(name, seeds, parse_steps(calls, streams=len(seeds)), device)
                        cases.setdefault(case.id, case)
    return list(cases.values())


def load_catalog(*, devices: Iterable[str] = ("cpu",), path: Path = CATALOG_PATH) -> list[Case]:
    """All catalog cases for the given devices, in file order, without duplicates."""
    return expand(load_rows(path), devices=devices)


def select(cases: Iterable[Case], patterns: Iterable[str]) -> list[Case]:
    """Cases whose id matches any glob pattern (all cases when there is no pattern)."""
    patterns = list(patterns)
    if not patterns:
        return list(cases)
    return [c for c in cases if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
