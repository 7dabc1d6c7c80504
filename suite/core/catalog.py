"""The catalog: every stream the suite checks, as data.

A case is one row: a backend, one or more seeds, and the calls drawn from the seeded stream(s),
written in the library's own call syntax with literal arguments (``randint(0,10,(5,))``). Its
id is the row rendered back to text, e.g. ``torch:cpu:randn(5)@17``; ids are stable because they
are built from the row, not from a position.

A **deep case** is a long draw or a window far into a stream, checked by its digest (the deep
checks): ``numpy.Generator(PCG64):random_raw(10**8)@17`` (the first 10**8 values),
``numpy.Generator(PCG64):random_raw[2**40:+10**6]@17`` (10**6 values from value 2**40 on).

The rows live in ``suite/data/catalog.toml`` as grids (backends x calls x seeds): ``[[streams]]``
for cases, ``[[deep]]`` for deep cases.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rngsuite.core.compare import DTYPES
from rngsuite.core.settings import DATA, BadInput

CATALOG_PATH = DATA / "catalog.toml"

# Argument constructors a call may use, materialised by each backend with its own library
# (``ones(100)`` is ``np.ones(100)`` for NumPy and ``torch.ones(100)`` for torch).
MAKERS = ("arange", "ones", "full", "eye")
# Bare names allowed as arguments: the dtypes (compare.DTYPES), mapped by each backend to its
# own dtype objects.


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
    """An array argument built by the backend's library (``ones(100)``, ``ones(5,dtype=float16)``)."""

    name: str
    args: tuple
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        parts = [_render(a) for a in self.args] + [f"{k}={_render(v)}" for k, v in self.kwargs]
        return f"{self.name}({','.join(parts)})"


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
    seeds: tuple  # of int or Seed
    steps: tuple[Call, ...]
    device: str = field(default="cpu", compare=False)

    @functools.cached_property
    def id(self) -> str:
        # Cached: a run asks each case its id many times (selection, the ledger, reports).
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
        if not isinstance(node.func, ast.Name) or node.func.id not in MAKERS:
            raise CatalogError(f"{text!r}: only {', '.join(MAKERS)} may be called inside arguments")
        if any(k.arg != "dtype" for k in node.keywords):
            raise CatalogError(f"{text!r}: {node.func.id}(..) takes dtype= and no other keyword")
        return Make(node.func.id, tuple(_literal(a, text) for a in node.args),
                    tuple((k.arg, _literal(k.value, text)) for k in node.keywords))
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


# Cached: a grid writes each call text once for many backends and seeds, and a Call is frozen.
@functools.lru_cache(maxsize=1 << 16)
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


#: The seed forms a catalog seed may take besides a plain integer, by the name it is written with.
#: ``uint32(17)``: a NumPy integer scalar; ``[17,3]``: a list of integers (entropy);
#: ``SeedSequence(17,spawn_key=(1,))``; ``PCG64(17)`` (or another bit generator): a bit generator
#: passed where a seed goes (``default_rng(PCG64(17))``); ``default_rng(17)``: a Generator passed
#: where a seed goes.
INTEGER_DTYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


@dataclass(frozen=True)
class Seed:
    """A seed that is not a plain integer: its form (``kind``) and what it is built from.

    ``kind`` is ``numpy-int`` (``uint32(17)``: ``type`` names the dtype), ``entropy``
    (``[17,3]``), ``SeedSequence`` (``spawn_key`` may be set), ``bit-generator`` (``type``
    names it) or ``generator`` (``default_rng(17)``). Backends build it with their library
    (:meth:`rngsuite.backends.base.Adapter.seed_value`).
    """

    kind: str
    value: Any
    type: str = ""
    spawn_key: tuple[int, ...] = ()

    def __str__(self) -> str:
        if self.kind == "entropy":
            return _render(List(self.value))
        if self.kind == "SeedSequence":
            key = f",spawn_key={_render(self.spawn_key)}" if self.spawn_key else ""
            entropy = List(self.value) if isinstance(self.value, tuple) else self.value
            return f"SeedSequence({_render(entropy)}{key})"
        if self.kind == "generator":
            return f"default_rng({_render(self.value)})"
        return f"{self.type}({_render(self.value)})"


def _int(value: Any, text: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise CatalogError(f"seed {text!r}: {value!r} is not an integer")
    return value


def parse_seed(text: str) -> "int | Seed":
    """A seed as the catalog writes it: an integer or one of the forms of :class:`Seed`."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise CatalogError(f"seed {text!r}: not a seed ({exc.msg})") from None
    if isinstance(node, ast.List):
        values = [_int(_literal(e, text), text) for e in node.elts]
        if not values:
            raise CatalogError(f"seed {text!r}: an entropy list holds at least one integer")
        return Seed("entropy", tuple(values))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if len(node.args) != 1:
            raise CatalogError(f"seed {text!r}: {name}(..) takes one seed")
        inner = _literal(node.args[0], text)
        keywords = {k.arg: _literal(k.value, text) for k in node.keywords}
        if name == "SeedSequence" and set(keywords) <= {"spawn_key"}:
            key = keywords.get("spawn_key", ())
            if not isinstance(key, tuple) or not all(isinstance(k, int) for k in key):
                raise CatalogError(f"seed {text!r}: spawn_key is a tuple of integers")
            entropy = tuple(inner) if isinstance(inner, List) else _int(inner, text)
            return Seed("SeedSequence", entropy, spawn_key=key)
        if keywords:
            raise CatalogError(f"seed {text!r}: {name}(..) takes no keyword")
        if name in INTEGER_DTYPES:
            return Seed("numpy-int", _int(inner, text), type=name)
        if name in BIT_GENERATORS:
            return Seed("bit-generator", _int(inner, text), type=name)
        if name == "default_rng":
            return Seed("generator", _int(inner, text))
        raise CatalogError(f"seed {text!r}: {name}(..) is not a seed form (integer dtypes, "
                           f"SeedSequence, {', '.join(BIT_GENERATORS)}, default_rng)")
    return _int(_literal(node, text), text)


def seed_kind(seed: "int | Seed") -> str:
    """The seed's form, as regimes name it: ``int``, ``negative``, ``above-64-bits`` or a
    :class:`Seed` kind (``numpy-int``, ``entropy``, ``SeedSequence``, ``spawn-key``...)."""
    if isinstance(seed, Seed):
        return "spawn-key" if seed.kind == "SeedSequence" and seed.spawn_key else seed.kind
    if seed < 0:
        return "negative"
    return "above-64-bits" if seed >= 2**64 else "int"


def _seed_tuple(value: Any, where: str) -> tuple:
    seeds = tuple(value) if isinstance(value, list) else (value,)
    if not seeds:
        raise CatalogError(f"{where}: a seed list is empty")
    out = []
    for s in seeds:
        if isinstance(s, str):
            out.append(parse_seed(s))
        elif isinstance(s, int) and not isinstance(s, bool):
            out.append(s)
        else:
            raise CatalogError(f"{where}: a seed is an integer, a seed form such as "
                               f"'uint32(17)' or '[17,3]', or a list of them; not {s!r}")
    return tuple(out)


def parse_case(text: str) -> Case:
    """A case from its id (``torch:cpu:randn(5)@17``, ``numpy.default_rng:random(5)@[17,3]``)."""
    body, at, seeds_text = text.rpartition("@")
    if not at:
        raise CatalogError(f"{text!r}: a case id ends with @seed")
    if "=" in seeds_text and not seeds_text.startswith(("SeedSequence", "[")):
        try:
            call = ast.parse(f"f({seeds_text})", mode="eval").body
        except SyntaxError:
            raise CatalogError(f"{text!r}: seeds {seeds_text!r} are not a=..,b=..") from None
        seeds = tuple(parse_seed(ast.unparse(k.value)) for k in call.keywords)
    else:
        seeds = (parse_seed(seeds_text),)
    for i, ch in enumerate(body):
        if ch != ":":
            continue
        backend, rest = body[:i], body[i + 1:]
        if backend.count("(") != backend.count(")"):
            continue
        try:
            steps = parse_steps(rest, streams=len(seeds))
        except CatalogError:
            continue
        device = backend.split(":", 1)[1] if backend.startswith("torch") and ":" in backend \
            else "cpu"
        return Case(backend, seeds, steps, device)
    raise CatalogError(f"{text!r}: no backend:call(..) before the @")


def read_data_file(path: Path, error: type[CatalogError] = CatalogError) -> dict:
    """A data file of ``suite/data`` (TOML) read whole; a file that is not TOML is one ``error``
    naming it."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: {exc}") from None


def load_rows(path: Path = CATALOG_PATH, *, table: str = "streams") -> list[dict]:
    """Read the catalog file's grids of one kind (``streams`` or ``deep``)."""
    rows = read_data_file(path).get(table, [])
    for i, row in enumerate(rows):
        missing = {"backends", "calls", "seeds"} - row.keys()
        if missing:
            raise CatalogError(f"{path}: [[{table}]] #{i + 1} lacks {', '.join(sorted(missing))}")
    return rows


def _vary(row: dict, where: str) -> list[str]:
    """The row's call texts with each ``{name}`` placeholder replaced by every value of
    ``vary.name`` (``calls = ["rand(20,dtype={dtype})"]``, ``vary = {dtype = [...]}``)."""
    vary = row.get("vary", {})
    if not isinstance(vary, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in vary.values()):
        raise CatalogError(f"{where}: vary maps each placeholder to a list of texts")
    out = []
    for text in row["calls"]:
        found = [k for k in vary if "{" + k + "}" in text]
        unknown = set(re.findall(r"\{(\w+)\}", text)) - set(vary)
        if unknown:
            raise CatalogError(f"{where}: {text!r} has {{{sorted(unknown)[0]}}} and no vary "
                               f"values for it")
        texts = [text]
        for key in found:
            texts = [t.replace("{" + key + "}", v) for t in texts for v in vary[key]]
        out += texts
    return out


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
            texts = _vary(row, where)
            for name, device in targets:
                for seed in row["seeds"]:
                    seeds = _seed_tuple(seed, where)
                    for calls in texts:
                        case = Case(name, seeds, parse_steps(calls, streams=len(seeds)), device)
                        cases.setdefault(case.id, case)
    return list(cases.values())


def load_catalog(*, devices: Iterable[str] = ("cpu",), path: Path = CATALOG_PATH) -> list[Case]:
    """All catalog cases for the given devices, in file order, without duplicates."""
    stat = path.stat()
    return list(_expanded(path, stat.st_mtime_ns, stat.st_size, tuple(devices)))


@functools.lru_cache(maxsize=8)
def _expanded(path: Path, mtime: int, size: int, devices: tuple[str, ...]) -> tuple[Case, ...]:
    # One expansion per file version and devices: a verify asks for the catalog several times
    # (the session, the coverage summary), and cases are immutable.
    return tuple(expand(load_rows(path), devices=devices))


@functools.lru_cache(maxsize=None)
def _glob(pattern: str) -> "re.Pattern[str]":
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
                              for ch in pattern) + r"\Z", re.S)


def glob_match(name: str, pattern: str) -> bool:
    """Whether a case id or backend name matches a glob: ``*`` and ``?`` are the wildcards,
    and brackets are themselves -- ids hold them (``torch.compile[inductor]:cpu``,
    ``@[17,3]``), where fnmatch would read a character class."""
    return _glob(pattern).match(name) is not None


def select(cases: Iterable[Any], patterns: Iterable[str]) -> list[Any]:
    """Cases (or deep cases) whose id matches any glob pattern (all when there is no pattern)."""
    patterns = list(patterns)
    if not patterns:
        return list(cases)
    return [c for c in cases if any(glob_match(c.id, p) for p in patterns)]


# ------------------------------------------------------------------------------ deep cases
#: Deep cases longer than this run only in the nightly tier.
QUICK_MAX = 10**7


def count_text(n: int) -> str:
    """``10**8``, ``2**40`` or plain digits: how a length or position reads in a deep id."""
    if n >= 10**4 and 10 ** round(math.log10(n)) == n:
        return f"10**{round(math.log10(n))}"
    if n >= 2**16 and n & (n - 1) == 0:
        return f"2**{n.bit_length() - 1}"
    return str(n)


def _count(text: str) -> int:
    m = re.fullmatch(r"(10|2)\*\*(\d+)|(\d+)", text)
    if not m:
        raise CatalogError(f"{text!r} is not a count (digits, 10**k or 2**k)")
    return int(m.group(3)) if m.group(3) else int(m.group(1)) ** int(m.group(2))


@dataclass(frozen=True)
class DeepCase:
    """Values ``start .. start+length-1`` of ``call`` on ``backend`` seeded with ``seed``.

    ``call`` is a bare stream name (``random_raw``, ``random``, ``rand``: the deep streams with
    jump-ahead) or a **long draw** of any catalog call, written with ``{n}`` where its size goes
    (``binomial(100,0.5,{n})``, ``gammavariate(0.5,1.0)*{n}``): the call is made again and again
    on the seeded stream with ``n`` = :data:`SAMPLER_CHUNK` and the values concatenated along the
    first axis (a value is a row for calls that draw rows, such as ``multinomial``)."""

    backend: str
    call: str
    seed: int
    start: int
    length: int

    @property
    def id(self) -> str:
        where = f"({count_text(self.length)})" if self.start == 0 else \
            f"[{count_text(self.start)}:+{count_text(self.length)}]"
        return f"{self.backend}:{self.call}{where}@{self.seed}"

    @property
    def seeds(self) -> tuple[int, ...]:
        return (self.seed,)

    @property
    def nightly(self) -> bool:
        """Long enough to run only in the nightly tier."""
        return self.length > QUICK_MAX

    @property
    def sampler(self) -> bool:
        """A long draw of a catalog call (``{n}`` in the call), not a bare stream."""
        return SIZE in self.call

    def steps_for(self, n: int) -> "tuple[Call, ...]":
        """The catalog call drawing ``n`` values (a sampler's long draw, chunk by chunk)."""
        return parse_steps(self.call.replace(SIZE, str(n)))

    @property
    def steps(self) -> "tuple[Call, ...]":
        """The call each chunk of a long draw makes (what conditions and branches read, as they
        read a catalog case's steps); none for a bare stream."""
        return self.steps_for(SAMPLER_CHUNK) if self.sampler else ()

    def __str__(self) -> str:
        return self.id


#: Where a long draw's call takes its size, and how many values each of its calls draws: a
#: sampler may draw a batch otherwise than one value after another (a rejection loop over the
#: whole batch), so the chunk is part of what the digest means and never an option.
SIZE = "{n}"
SAMPLER_CHUNK = 1 << 16

_DEEP_WHERE = re.compile(r"(?:\((?P<length>[^()]+)\)|\[(?P<start>[^:\]]+):\+(?P<wlen>[^\]]+)\])$")
_BARE = re.compile(r"[A-Za-z_]\w*")


def _deep_case(backend: str, call: str, seed: int, text: str) -> DeepCase:
    bad = CatalogError(f"{text!r} is not a deep case id (backend:call(N)@seed, "
                       "backend:call[START:+N]@seed, or a call with {n} for its size: "
                       "backend:binomial(100,0.5,{n})(10**6)@seed)")
    m = _DEEP_WHERE.search(call)
    name = call[:m.start()] if m else ""
    if not m or not (_BARE.fullmatch(name) or SIZE in name):
        raise bad
    if SIZE in name:
        try:
            (step,) = parse_steps(name.replace(SIZE, "1"))
        except (CatalogError, ValueError):
            raise bad from None
    if m.group("length") is not None:
        start, length = 0, _count(m.group("length"))
    else:
        start, length = _count(m.group("start")), _count(m.group("wlen"))
    case = DeepCase(backend, name, seed, start, length)
    if case.id != text:
        raise CatalogError(f"{text!r} is not written the canonical way ({case.id!r})")
    return case


def parse_deep_id(text: str) -> DeepCase:
    """The deep case an id names (the inverse of :attr:`DeepCase.id`)."""
    m = re.match(r"^(?P<body>.+)@(?P<seed>\d+)$", text)
    if m:
        body = m.group("body")
        # The backend ends at the first colon after which a call starts (backends hold colons:
        # torch:cpu, and so may a window: [2**40:+10**6]).
        for i, ch in enumerate(body):
            if ch == ":" and body[:i].count("(") == body[:i].count(")") \
                    and body[:i].count("[") == body[:i].count("]") and _BARE.match(body, i + 1):
                rest = body[i + 1:]
                if _DEEP_WHERE.search(rest) and (":" not in rest.split("[")[0]):
                    return _deep_case(body[:i], rest, int(m.group("seed")), text)
    raise CatalogError(f"{text!r} is not a deep case id (backend:call(N)@seed or "
                       "backend:call[START:+N]@seed)")


def load_deep(path: Path = CATALOG_PATH) -> list[DeepCase]:
    """The catalog's deep cases (``[[deep]]`` grids: backends x seeds x calls), in file order."""
    cases: dict[str, DeepCase] = {}
    for i, row in enumerate(load_rows(path, table="deep")):
        where = f"catalog [[deep]] #{i + 1}"
        for backend in row["backends"]:
            for seed in row["seeds"]:
                if not isinstance(seed, int) or isinstance(seed, bool):
                    raise CatalogError(f"{where}: a deep case has one integer seed, not {seed!r}")
                for call in row["calls"]:
                    case = _deep_case(backend, call, seed, f"{backend}:{call}@{seed}")
                    cases.setdefault(case.id, case)
    return list(cases.values())
