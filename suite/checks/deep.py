"""Deep-stream checks: digests of long draws in bounded memory, and windows far into a stream
reached by jump-ahead instead of drawing everything before them.

A **deep case** is a row of data, ``(backend, call, seed, start, length)``: the values
``start .. start+length-1`` of ``call`` repeated on a stream seeded as the catalog seeds it.
Its id follows the catalog's style::

    numpy.Generator(PCG64):random_raw(10**8)@17          # the first 10**8 values
    numpy.Generator(PCG64):random_raw[2**40:+10**6]@17   # 10**6 values from value 2**40 on

The draw is made in chunks into a reusable buffer and hashed as it goes, so memory stays at one
chunk whatever the length; the digest is that of the canonical little-endian bytes of all the
values concatenated (what :func:`suite.core.compare.canonical_bytes` gives for the whole draw), so
the chunk size never changes it. The digest is XXH3-128, chosen by measurement (the README's
benchmark section): on this project's machine it hashes at ~30 GiB/s against ~0.9 GiB/s for
SHA-256 and ~0.5 GiB/s for BLAKE2b, while NumPy's fastest bit generator makes ~1.4 GiB/s of
words; SHA-256 would more than halve a deep check's speed, XXH3 costs a few percent. It detects
changes, it is not a defence against forgery: the committed file is the trust anchor, as for
the ledger (whose SHA-256 addresses arrays; the two files are separate).

A window's start is reached without drawing what comes before it where the bit generator
allows: NumPy's ``PCG64``/``PCG64DXSM.advance`` (one step per 64-bit word), ``Philox.advance``
(one step per 4-word block, the rest drawn), and MT19937 -- NumPy's and torch's CPU generator --
by ``x**k mod phi(x)`` applied to the state, the characteristic-polynomial jump of
:mod:`suite.reference.mt19937` generalised from ``2**128`` to any distance (the state is read
and written through ``MT19937.state`` and ``torch.Generator.get_state``/``set_state``). Other
streams (``SFC64``) draw and discard in chunks: slow, but the same values. torch's CUDA streams
are not deep-checked: their Philox offset advances per kernel launch by an amount set by the
launch geometry, so a chunked draw is not one long draw, and a value position has no offset.

Goldens live in ``golden/deep/digests.json`` (``golden/README.md``): per case, eras of
(dtype, length, digest, first values), each with the environment labels seen producing it, as
in the ledger, written under the ledger's lock and atomically. ``python -m suite.checks.deep`` (or
``python -m suite deep``) lists, verifies and records; ``suite/conformance/test_deep.py`` verifies under
pytest.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import math
import re
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from suite.core import provenance as prov
from suite.core.compare import canonical_bytes
from suite.checks.engine import record_advice
from suite.core.ledger import (DTYPES, LedgerError, _atomic_write, _check_value, _dump, _era_name,
                          _locked, check_header, check_tables, parse_json)
from suite.reference.mt19937 import MTState, advance as mt_advance

FORMAT = "rngsuite-deep"
FORMAT_VERSION = 1
#: The digest deep goldens are recorded with (see the module docstring for why).
DIGEST = "xxh3_128"
#: Hex digits of each algorithm's digest.
ALGORITHMS = {"xxh3_128": 32, "sha256": 64, "blake2b": 128}
#: Values per chunk: 512 KiB of uint64, so a chunk is hashed while it is still in cache.
CHUNK = 1 << 16
#: Leading values kept in the file, for people and for the failure message.
HEAD = 8
#: Cases longer than this run only in the nightly tier.
QUICK_MAX = 10**7
#: Set to ``nightly`` to run the nightly tier under pytest without the nightly profile.
NIGHTLY_VARIABLE = "RNGSUITE_DEEP"
_N = 624  # MT19937 words per block


def deep_path(root: Path | str) -> Path:
    """The deep goldens under a ledger root: ``golden/deep/digests.json``."""
    # A subdirectory: Ledger.load reads every golden/*.json as a ledger file.
    return Path(root) / "deep" / "digests.json"


# ------------------------------------------------------------------------------------ cases
def _num(n: int) -> str:
    """``10**8``, ``2**40`` or plain digits: how a length or position reads in an id."""
    if n >= 10**4 and 10 ** round(math.log10(n)) == n:
        return f"10**{round(math.log10(n))}"
    if n >= 2**16 and n & (n - 1) == 0:
        return f"2**{n.bit_length() - 1}"
    return str(n)


def _parse_num(text: str) -> int:
    m = re.fullmatch(r"(10|2)\*\*(\d+)|(\d+)", text)
    if not m:
        raise ValueError(f"{text!r} is not a count (digits, 10**k or 2**k)")
    return int(m.group(3)) if m.group(3) else int(m.group(1)) ** int(m.group(2))


@dataclass(frozen=True)
class DeepCase:
    """Values ``start .. start+length-1`` of ``call`` on ``backend`` seeded with ``seed``."""

    backend: str
    call: str
    seed: int
    start: int
    length: int

    @property
    def id(self) -> str:
        where = f"({_num(self.length)})" if self.start == 0 else \
            f"[{_num(self.start)}:+{_num(self.length)}]"
        return f"{self.backend}:{self.call}{where}@{self.seed}"

    @property
    def nightly(self) -> bool:
        """Long enough to run only in the nightly tier."""
        return self.length > QUICK_MAX

    def __str__(self) -> str:
        return self.id


_ID = re.compile(r"^(?P<backend>.+):(?P<call>[A-Za-z_]\w*)"
                 r"(?:\((?P<length>[^()]+)\)|\[(?P<start>[^:\]]+):\+(?P<wlen>[^\]]+)\])"
                 r"@(?P<seed>\d+)$")


def parse_id(text: str) -> DeepCase:
    """The case a deep id names (the inverse of :attr:`DeepCase.id`)."""
    m = _ID.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a deep case id (backend:call(N)@seed or "
                         "backend:call[START:+N]@seed)")
    if m.group("length") is not None:
        start, length = 0, _parse_num(m.group("length"))
    else:
        start, length = _parse_num(m.group("start")), _parse_num(m.group("wlen"))
    case = DeepCase(m.group("backend"), m.group("call"), int(m.group("seed")), start, length)
    if case.id != text:
        raise ValueError(f"{text!r} is not written the canonical way ({case.id!r})")
    return case


def _rows(rows: Iterable[tuple[str, str, int, int, int]]) -> tuple[DeepCase, ...]:
    return tuple(DeepCase(*row) for row in rows)


_G = "numpy.Generator({})".format
#: The deep cases, as data: (backend, call, seed, start, length). Quick (<= 10**7 values) run
#: in every suite run; longer ones in the nightly tier.
DEEP_CASES = _rows([
    # quick: a long draw from the start, and windows deep in the stream by jump-ahead
    (_G("PCG64"), "random_raw", 17, 0, 10**6),
    (_G("PCG64"), "random_raw", 17, 2**40, 10**6),
    (_G("PCG64"), "random", 17, 10**12, 10**6),
    (_G("PCG64DXSM"), "random_raw", 17, 2**40, 10**6),
    (_G("Philox"), "random_raw", 17, 2**40, 10**6),
    (_G("Philox"), "random", 42, 10**9, 10**6),
    (_G("MT19937"), "random_raw", 17, 0, 10**6),
    (_G("MT19937"), "random_raw", 17, 2**40, 10**6),
    (_G("MT19937"), "random", 42, 10**9, 10**6),
    (_G("SFC64"), "random_raw", 17, 0, 10**6),
    ("torch:cpu", "rand", 17, 0, 10**6),
    ("torch:cpu", "rand", 42, 10**12, 10**6),
    ("torch.Generator:cpu", "rand", 17, 2**40, 10**6),
    # nightly: 10**8 values from each bit generator, 10**9 from the fastest
    (_G("PCG64"), "random_raw", 17, 0, 10**8),
    (_G("PCG64"), "random_raw", 17, 0, 10**9),
    (_G("PCG64DXSM"), "random_raw", 17, 0, 10**8),
    (_G("Philox"), "random_raw", 17, 0, 10**8),
    (_G("MT19937"), "random_raw", 17, 0, 10**8),
    (_G("SFC64"), "random_raw", 17, 0, 10**8),
    (_G("PCG64"), "random", 17, 0, 10**8),
    ("torch:cpu", "rand", 17, 0, 10**8),
])


def select(cases: Iterable[DeepCase], globs: list[str]) -> list[DeepCase]:
    """The cases whose id matches any of the globs (all of them when there are none)."""
    return [c for c in cases if not globs or any(fnmatch.fnmatchcase(c.id, g) for g in globs)]


# ----------------------------------------------------------------------------------- digest
def hasher(algorithm: str = DIGEST) -> Any:
    """A fresh incremental hash object (``update``, ``hexdigest``)."""
    if algorithm == "xxh3_128":
        try:
            import xxhash
        except ModuleNotFoundError:
            raise ModuleNotFoundError("the deep checks need xxhash (pip install xxhash): their "
                                      "digest is XXH3-128", name="xxhash") from None
        return xxhash.xxh3_128()
    if algorithm in ("sha256", "blake2b"):
        return hashlib.new(algorithm)
    raise ValueError(f"unknown digest {algorithm!r} (one of {', '.join(ALGORITHMS)})")


def canonical_view(a: np.ndarray) -> memoryview | bytes:
    """:func:`~suite.core.compare.canonical_bytes` of ``a``, without a copy where the memory
    already is those bytes (C-contiguous little-endian, on a little-endian machine)."""
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    little = a.dtype.byteorder in ("<", "|") or (a.dtype.byteorder == "="
                                                 and sys.byteorder == "little")
    if little and a.flags.c_contiguous:
        return memoryview(a.reshape(-1).view(np.uint8))
    return canonical_bytes(a)


def digest_arrays(arrays: Iterable[np.ndarray], algorithm: str = DIGEST) -> str:
    """The digest of the arrays' canonical bytes, concatenated."""
    h = hasher(algorithm)
    for a in arrays:
        h.update(canonical_view(np.asarray(a)))
    return h.hexdigest()


# ----------------------------------------------------------------------------------- streams
#: torch's CPU generator state (CPUGeneratorImplState, ATen/CPUGeneratorImpl.cpp): the legacy
#: THGeneratorState -- the_initial_seed (u64), left (i32), seeded (i32), next (u64),
#: state[624] (u64 each holding a word) -- then the cached normals.
_TORCH_HEAD = struct.Struct("<QiiQ")
_TORCH_STATE_BYTES = 5056


def torch_mt_state(state: bytes) -> Any:
    """The MTState of a torch CPU generator state (``left`` counts down to the next twist)."""

    if len(state) != _TORCH_STATE_BYTES:
        raise ValueError(f"torch CPU generator state of {len(state)} bytes, expected "
                         f"{_TORCH_STATE_BYTES}: a layout this module does not know")
    _, left, _, nxt = _TORCH_HEAD.unpack_from(state)
    if not 1 <= left <= _N + 1 or (left <= _N and nxt != _N + 1 - left and nxt != 0):
        raise ValueError(f"torch CPU generator state with left={left}, next={nxt}: "
                         "not the mt19937 engine layout this module knows")
    key = np.frombuffer(state, dtype="<u8", count=_N, offset=_TORCH_HEAD.size)
    return MTState(key=key.astype(np.uint32), pos=_N + 1 - left)


def torch_state_with(state: bytes, mt: Any) -> bytes:
    """``state`` with its engine replaced by ``mt`` (``pos`` in 1..624)."""
    if not 1 <= mt.pos <= _N:
        raise ValueError("torch's engine takes read positions 1..624")
    seed, _, seeded, _ = _TORCH_HEAD.unpack_from(state)
    out = bytearray(state)
    _TORCH_HEAD.pack_into(out, 0, seed, _N + 1 - mt.pos, seeded, mt.pos)
    words = np.asarray(mt.key, dtype=np.uint32).astype("<u8")
    out[_TORCH_HEAD.size:_TORCH_HEAD.size + 8 * _N] = words.tobytes()
    return bytes(out)


class Stream:
    """A seeded stream drawing one call's values in chunks into a reusable buffer."""

    dtype: np.dtype
    #: How the stream jumps (``PCG64.advance``), or None when it can only draw to get there.
    jump_method: str | None = None

    def draw(self, n: int) -> np.ndarray:
        """The next ``n`` values (a view into the buffer: valid until the next draw)."""
        raise NotImplementedError

    def jump(self, values: int) -> None:
        """Move a freshly seeded stream ``values`` values ahead without drawing them."""
        raise NotImplementedError


class _NumpyStream(Stream):
    """``numpy.Generator(<bit generator>)``: ``random_raw`` (the words) or ``random``
    (float64 into the buffer)."""

    def __init__(self, backend: Any, case: DeepCase, chunk: int) -> None:
        self.gen = backend.open([case.seed])[0]
        self.bg = self.gen.bit_generator
        self.kind = type(self.bg).__name__
        if case.call == "random_raw":
            self.dtype, self.per_value = np.dtype(np.uint64), 1
            self.draw = self.bg.random_raw  # allocates; numpy has no out= for words
        elif case.call == "random":
            self.dtype = np.dtype(np.float64)
            # next_double: one 64-bit word, or two 32-bit words for MT19937.
            self.per_value = 2 if self.kind == "MT19937" else 1
            self.buf = np.empty(chunk, dtype=np.float64)
            self.draw = lambda n: self.gen.random(out=self.buf[:n])
        else:
            raise LookupError(f"{backend.name} has no deep call {case.call!r} "
                              "(random_raw, random)")
        self.jump_method = {"PCG64": "PCG64.advance", "PCG64DXSM": "PCG64DXSM.advance",
                            "Philox": "Philox.advance",
                            "MT19937": "MT19937 state x**k mod phi"}.get(self.kind)

    def jump(self, values: int) -> None:
        words = values * self.per_value
        if self.kind in ("PCG64", "PCG64DXSM"):
            self.bg.advance(words)
        elif self.kind == "Philox":
            # philox_advance moves the 256-bit counter (4 words each) and empties the buffer.
            blocks, rest = divmod(words, 4)
            self.bg.advance(blocks)
            self.bg.random_raw(rest)
        elif self.kind == "MT19937":
        
            st = self.bg.state["state"]
            new = mt_advance(MTState(key=np.asarray(st["key"], dtype=np.uint32),
                                     pos=int(st["pos"])), words)
            self.bg.state = {"bit_generator": "MT19937",
                             "state": {"key": new.key, "pos": new.pos}}
        else:
            raise NotImplementedError(f"{self.kind} has no jump-ahead")


class _TorchStream(Stream):
    """torch's CPU ``rand`` (float32, one MT19937 word per value) on the default generator or a
    ``torch.Generator``; jumps through ``get_state``/``set_state``."""

    def __init__(self, backend: Any, case: DeepCase, chunk: int) -> None:
        import torch

        if backend.device != "cpu":
            raise LookupError(f"{backend.name}: deep checks run on the CPU only (a CUDA "
                              "stream's offset moves per kernel launch, so chunks would not "
                              "be one long draw)")
        if case.call != "rand":
            raise LookupError(f"{backend.name} has no deep call {case.call!r} (rand)")
        self.backend = backend
        self.handle = backend.open([case.seed])[0]
        self.gen = self.handle if isinstance(self.handle, torch.Generator) else None
        self.dtype = np.dtype(np.float32)
        self.buf = torch.empty(chunk, dtype=torch.float32)
        self.jump_method = "MT19937 state x**k mod phi"
        self._rand = torch.rand

    def draw(self, n: int) -> np.ndarray:
        out = self.buf[:n]
        self._rand(n, out=out, generator=self.gen)
        return out.numpy()

    def jump(self, values: int) -> None:
        import torch

        state = bytes(self.backend.get_state(self.handle).numpy())
        new = torch_state_with(state, mt_advance(torch_mt_state(state), values))
        self.backend.set_state(self.handle,
                               torch.frombuffer(bytearray(new), dtype=torch.uint8))


def open_stream(case: DeepCase, backends: dict[str, Any], chunk: int = CHUNK) -> Stream:
    """The case's stream, freshly seeded the way the catalog seeds its backend."""
    backend = backends.get(case.backend)
    if backend is None:
        raise LookupError(f"unknown backend {case.backend!r} in deep case {case.id}")
    if case.backend.startswith("numpy.Generator(") or case.backend == "numpy.default_rng":
        return _NumpyStream(backend, case, chunk)
    if backend.library == "torch":
        return _TorchStream(backend, case, chunk)
    raise LookupError(f"{case.backend}: no deep stream for this backend")


# ------------------------------------------------------------------------------------ drawing
@dataclass
class DeepDraw:
    """What drawing a deep case here gave."""

    case: DeepCase
    algorithm: str
    dtype: str
    length: int
    digest: str
    head: np.ndarray
    how: str  # how the start was reached: "jump: PCG64.advance", "drawn", "start"
    seconds: float


def _chunks(total: int, chunk: int) -> Iterable[int]:
    while total > 0:
        n = min(chunk, total)
        yield n
        total -= n


def draw(case: DeepCase, backends: dict[str, Any], *, algorithm: str = DIGEST,
         chunk: int = CHUNK, jump: bool = True) -> DeepDraw:
    """Seed, reach ``case.start`` (jumping where the stream can, else drawing), then draw
    ``case.length`` values chunk by chunk, hashing each chunk's canonical bytes."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    begin = time.perf_counter()
    stream = open_stream(case, backends, chunk)
    how = "start"
    if case.start:
        if jump and stream.jump_method is not None:
            stream.jump(case.start)
            how = f"jump: {stream.jump_method}"
        else:
            for n in _chunks(case.start, chunk):
                stream.draw(n)
            how = "drawn"
    h = hasher(algorithm)
    head = np.empty(0, dtype=stream.dtype)
    for n in _chunks(case.length, chunk):
        values = stream.draw(n)
        if head.size < HEAD:
            head = np.concatenate([head, values[:HEAD - head.size]])
        h.update(canonical_view(values))
    return DeepDraw(case, algorithm, str(stream.dtype), case.length, h.hexdigest(), head, how,
                    time.perf_counter() - begin)


# -------------------------------------------------------------------------------- the file
@dataclass
class DeepEra:
    """One set of values a deep case has had: dtype, length, digest, first values."""

    name: str
    environments: list[str]
    dtype: str
    length: int
    digest: str
    head: list[Any]

    def same(self, d: DeepDraw) -> bool:
        return (self.dtype, self.length, self.digest) == (d.dtype, d.length, d.digest)

    def to_json(self) -> dict[str, Any]:
        return {"era": self.name, "environments": sorted(self.environments),
                "dtype": self.dtype, "length": self.length, "digest": self.digest,
                "head": list(self.head)}


@dataclass
class DeepFile:
    """``golden/deep/digests.json``: every deep case's eras, and the environments' provenance."""

    path: Path
    algorithm: str = DIGEST
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, list[DeepEra]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "digest": self.algorithm,
                "environments": {k: self.environments[k] for k in sorted(self.environments)},
                "cases": {k: [e.to_json() for e in self.cases[k]] for k in sorted(self.cases)}}


def _parse_era(raw: Any, i: int, path: Path, where: str, case: DeepCase, algorithm: str,
               envs: dict, seen: set[str]) -> DeepEra:
    name = raw.get("era") if isinstance(raw, dict) else None
    if name != _era_name(i):
        raise LedgerError(path, f"{where} era #{i + 1}", f"era is {name!r}, expected "
                                                          f"{_era_name(i)!r}")
    where = f"{where} era {name}"
    env_list = raw.get("environments")
    if not isinstance(env_list, list) or not env_list:
        raise LedgerError(path, where, "must list the environments that produced it")
    for label in env_list:
        if not isinstance(label, str) or label not in envs:
            raise LedgerError(path, where, f"environment {label!r} has no provenance")
        if label in seen:
            raise LedgerError(path, where, f"environment {label!r} is in two eras")
        seen.add(label)
    dtype, length, dig, head = (raw.get(k) for k in ("dtype", "length", "digest", "head"))
    if dtype not in DTYPES:
        raise LedgerError(path, where, f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if not isinstance(length, int) or isinstance(length, bool) or length != case.length:
        raise LedgerError(path, where, f"length {length!r} is not the case's {case.length}")
    if not (isinstance(dig, str) and re.fullmatch(f"[0-9a-f]{{{ALGORITHMS[algorithm]}}}", dig)):
        raise LedgerError(path, where, f"digest {dig!r} is not {ALGORITHMS[algorithm]} "
                                       f"lowercase hex digits ({algorithm})")
    want = min(HEAD, length)
    if not isinstance(head, list) or len(head) != want:
        raise LedgerError(path, where, f"head must list the first {want} values")
    head = [_check_value(v, dtype, path, f"{where} head[{j}]") for j, v in enumerate(head)]
    return DeepEra(name, list(env_list), dtype, length, dig, head)


def read(path: Path | str) -> DeepFile:
    """Parse and validate the deep goldens; a missing file holds nothing. Anything malformed is
    a :class:`~suite.core.ledger.LedgerError` naming the file and the entry."""
    path = Path(path)
    if not path.exists():
        return DeepFile(path)
    data = parse_json(path)  # the ledger's strict reader: UTF-8, no NaN, no key twice
    check_header(data, path, fmt=FORMAT, version=FORMAT_VERSION, what="rngsuite deep goldens")
    algorithm = data.get("digest")
    if algorithm not in ALGORITHMS:
        raise LedgerError(path, "digest", f"{algorithm!r} is not a digest this rngsuite "
                                          f"computes ({', '.join(ALGORITHMS)})")
    envs, cases_raw = check_tables(data, path, cases="deep case ids")
    out = DeepFile(path, algorithm, dict(envs))
    for case_id, eras_raw in cases_raw.items():
        where = f"case {case_id!r}"
        try:
            case = parse_id(case_id)
        except ValueError as exc:
            raise LedgerError(path, where, str(exc)) from None
        if not isinstance(eras_raw, list) or not eras_raw:
            raise LedgerError(path, where, "must list at least one era")
        seen: set[str] = set()
        out.cases[case_id] = [_parse_era(raw, i, path, where, case, algorithm, envs, seen)
                              for i, raw in enumerate(eras_raw)]
    return out


# ------------------------------------------------------------------------------------ verdicts
@dataclass
class DeepVerdict:
    """A deep case drawn here, judged against its recorded eras."""

    case: DeepCase
    status: str  # conforms | matches | changed | unrecorded
    label: str
    env: dict
    keys: tuple[str, ...]
    drawn: DeepDraw
    era: DeepEra | None = None
    eras: list[DeepEra] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("conforms", "matches")

    def message(self, deep: DeepFile) -> str:
        """Case, seed, window, versions, both digests, where the first values part, repro."""
        c, d = self.case, self.drawn
        head = {"changed": "deep stream changed", "unrecorded": "no deep digest recorded",
                "matches": f"new environment, matches era {self.era and self.era.name}",
                "conforms": f"conforms to era {self.era and self.era.name}"}[self.status]
        lines = [f"{c.id}: {head}",
                 f"  seed: {c.seed}; values {c.start} to {c.start + c.length - 1} of "
                 f"{c.call} ({d.how})",
                 f"  running:   {prov.describe(self.env, self.keys)}  [{self.label}]"]
        shown = self.era or (self.eras[-1] if self.eras else None)
        if shown is not None:
            envs = shown.environments
            first = deep.environments.get(envs[0], {})
            more = f" and {len(envs) - 1} more" if len(envs) > 1 else ""
            lines.append(f"  recorded:  era {shown.name}, seen on "
                         f"{prov.describe(first, self.keys)}{more}  [{', '.join(envs[:3])}]")
        if self.status == "changed" and shown is not None:
            lines.append(f"  {deep.algorithm}: recorded {shown.digest} ({shown.dtype}, "
                         f"{shown.length} values), got {d.digest} ({d.dtype}, {d.length})")
            got = d.head.tolist()
            k = next((i for i, (a, b) in enumerate(zip(shown.head, got)) if a != b), None)
            if shown.dtype != d.dtype:
                lines.append(f"  dtype changed: {shown.dtype} -> {d.dtype}")
            elif k is None:
                lines.append(f"  the first {len(got)} values are equal: the stream parts later "
                             f"(narrow the window to find where)")
            else:
                lines.append(f"  first difference at value {c.start + k}: recorded "
                             f"{shown.head[k]!r}, got {got[k]!r}")
        lines.append(f"  reproduce: python -m suite deep verify --case '{c.id}'")
        lines += record_advice(self.status, f"python -m suite deep record --case '{c.id}'")
        return "\n".join(lines)


def _label(case: DeepCase, backends: dict[str, Any]) -> tuple[str, dict, tuple[str, ...]]:
    backend = backends[case.backend]
    env = prov.environment(backend.device)
    keys = tuple(backend.provenance_keys())
    return prov.label(env, keys), env, keys


def check(case: DeepCase, deep: DeepFile, backends: dict[str, Any], *,
          chunk: int = CHUNK) -> DeepVerdict:
    """Draw the case here and judge it against its eras: the era of this environment, else
    any era (a new environment), else changed; no era at all is unrecorded."""
    drawn = draw(case, backends, algorithm=deep.algorithm, chunk=chunk)
    label, env, keys = _label(case, backends)
    eras = deep.cases.get(case.id, [])
    verdict = DeepVerdict(case, "unrecorded", label, env, keys, drawn, eras=eras)
    home = next((e for e in eras if label in e.environments), None)
    if home is not None:
        verdict.era = home
        verdict.status = "conforms" if home.same(drawn) else "changed"
        return verdict
    match = next((e for e in eras if e.same(drawn)), None)
    if match is not None:
        verdict.status, verdict.era = "matches", match
    elif eras:
        verdict.status = "changed"
    return verdict


# ----------------------------------------------------------------------------------- recording
def _record_into(deep: DeepFile, v: DeepVerdict) -> tuple[str, str]:
    """The ledger's recording rules, for one drawn case: (outcome, era)."""
    eras = deep.cases.get(v.case.id, [])
    home = next((e for e in eras if v.label in e.environments), None)
    if home is not None:
        return ("unchanged" if home.same(v.drawn) else "conflict"), home.name
    deep.environments.setdefault(v.label, v.env)
    same = next((e for e in eras if e.same(v.drawn)), None)
    if same is not None:
        same.environments.append(v.label)
        return "joined", same.name
    d = v.drawn
    era = DeepEra(_era_name(len(eras)), [v.label], d.dtype, d.length, d.digest, d.head.tolist())
    deep.cases[v.case.id] = [*eras, era]
    return ("new-era" if eras else "new-case"), era.name


def save(root: Path | str, verdicts: list[DeepVerdict]) -> list[tuple[str, str, str]]:
    """Record drawn cases into ``root``'s deep goldens: under the ledger's lock, re-read the
    file and apply the recordings to what is on disk, then replace it atomically (unchanged
    bytes are not rewritten). Returns (case id, outcome, era) per verdict."""
    root = Path(root)
    path = deep_path(root)
    with _locked(root):
        deep = read(path)
        algorithms = {v.drawn.algorithm for v in verdicts}
        if algorithms - {deep.algorithm}:
            raise LedgerError(path, "digest", f"recorded with {deep.algorithm}, drawn with "
                                              f"{', '.join(sorted(algorithms))}")
        results = [(v.case.id, *_record_into(deep, v)) for v in verdicts]
        text = (_dump(deep.to_json()) + "\n").encode()
        if not path.exists() or path.read_bytes() != text:
            _atomic_write(path, text)
    return results


def record(cases: Iterable[DeepCase], root: Path | str, backends: dict[str, Any], *,
           chunk: int = CHUNK, report: Callable[[str], None] = lambda line: None,
           ) -> list[tuple[str, str, str]]:
    """Draw each case here and record it (the drawing happens outside the lock)."""
    deep = read(deep_path(root))
    verdicts = []
    for case in cases:
        verdicts.append(check(case, deep, backends, chunk=chunk))
        report(f"drew {case.id} in {verdicts[-1].drawn.seconds:.2f} s")
    return save(root, verdicts)


def verify(cases: Iterable[DeepCase], root: Path | str, backends: dict[str, Any], *,
           chunk: int = CHUNK) -> Iterable[DeepVerdict]:
    """Each case's verdict against ``root``'s deep goldens, one at a time."""
    deep = read(deep_path(root))
    for case in cases:
        yield check(case, deep, backends, chunk=chunk)


# ----------------------------------------------------------------------------------- pytest
def nightly_enabled(config: Any) -> bool:
    """Whether the nightly tier runs: the nightly Hypothesis profile (``--profile nightly``,
    ``--hypothesis-profile nightly`` or ``$RNGSUITE_HYPOTHESIS_PROFILE``), or
    ``RNGSUITE_DEEP=nightly``."""
    import os

    if os.environ.get(NIGHTLY_VARIABLE, "").lower() == "nightly":
        return True
    profile = config.getoption("hypothesis_profile", None) if config is not None else None
    if profile is None:
        profile = os.environ.get("RNGSUITE_HYPOTHESIS_PROFILE")
    return profile == "nightly"


# -------------------------------------------------------------------------------------- CLI
def _parser() -> argparse.ArgumentParser:
    from suite.core.settings import DEFAULT_LEDGER

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
            self.exit(2, f"{self.prog}: error: {message}\n")

    parser = Parser(prog="python -m suite deep",
                    description="Deep-stream checks: digests of long draws and of windows far "
                                "into a stream, reached by jump-ahead.")
    parser.add_argument("action", choices=("verify", "record", "list"))
    parser.add_argument("--ledger", default=str(DEFAULT_LEDGER), metavar="DIR",
                        help="golden ledger directory; deep goldens are DIR/deep/digests.json "
                             "(default: %(default)s)")
    parser.add_argument("--case", action="append", default=[], metavar="GLOB",
                        help="only deep cases whose id matches (repeatable); with --case every "
                             "matching case runs, nightly or not; an id no case has (say "
                             "'numpy.Generator(PCG64):random_raw[2**50:+10**7]@3') is drawn "
                             "as given")
    parser.add_argument("--nightly", action="store_true",
                        help="without --case: the nightly tier too (cases over 10**7 values)")
    parser.add_argument("--chunk", type=int, default=CHUNK, metavar="N",
                        help="values per chunk (default %(default)s; never changes a digest)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m suite deep verify|record|list [--case GLOB] [--nightly] [--ledger DIR]``.
    Exit 0 conforms, 1 a stream changed or is unrecorded (or a record conflict), 2 bad input,
    3 an internal error."""
    args = _parser().parse_args(argv)
    prog = f"python -m suite deep {args.action}"
    cases = select(DEEP_CASES, args.case)
    for glob in args.case:  # an id outside DEEP_CASES is a case too: any window, ad hoc
        if not select(DEEP_CASES, [glob]):
            try:
                cases.append(parse_id(glob))
            except ValueError:
                pass
    if args.case and not cases:
        print(f"{prog}: error: unknown case: no deep case matches {', '.join(args.case)} "
              "(python -m suite deep list shows them)", file=sys.stderr)
        return 2
    if not args.case and not args.nightly:
        cases = [c for c in cases if not c.nightly]
    if args.chunk < 1:
        print(f"{prog}: error: --chunk must be at least 1", file=sys.stderr)
        return 2
    if args.action == "list":
        for case in cases:
            print(case.id + ("  [nightly]" if case.nightly else ""))
        return 0
    from suite.backends import registry

    backends = registry(["cpu"])
    try:
        runnable = []
        for case in cases:
            reason = backends[case.backend].unavailable() if case.backend in backends else \
                f"unknown backend {case.backend!r}"
            if reason:
                print(f"skipped {case.id}: {reason}")
            else:
                runnable.append(case)
        if args.action == "record":
            results = record(runnable, args.ledger, backends, chunk=args.chunk,
                             report=lambda line: print(line, flush=True))
            for case_id, outcome, era in results:
                print(f"{outcome:10} era {era}  {case_id}")
            print(f"recorded {len(results)} deep cases into {deep_path(args.ledger)}")
            return 1 if any(o == "conflict" for _, o, _ in results) else 0
        failed = 0
        deep = read(deep_path(args.ledger))
        for v in verify(runnable, args.ledger, backends, chunk=args.chunk):
            rate = v.case.length / v.drawn.seconds / 1e6 if v.drawn.seconds else float("inf")
            print(f"{v.status:10} {v.case.id}  ({v.drawn.seconds:.2f} s, {rate:.0f} M values/s"
                  f"{'; ' + v.drawn.how if v.case.start else ''})", flush=True)
            if not v.ok:
                failed += 1
                print(v.message(deep))
        print(f"{len(runnable) - failed} of {len(runnable)} deep cases conform"
              + (f"; {failed} failed" if failed else ""))
        return 1 if failed else 0
    except (LedgerError, LookupError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # xxhash missing: the environment, said in one line
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 3
    except Exception:  # a bug in rngsuite, not bad input: keep the traceback, exit 3
        traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())
