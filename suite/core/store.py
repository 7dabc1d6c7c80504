"""The era store every rngsuite data file is built on.

A store file keeps, per case, every set of values the case has had -- its **eras**, named A, B,
C... in the order they were first recorded -- with the labels of the environments seen producing
each, and every environment's provenance. The golden ledger's files (one per backend, values as
draws) and the deep-stream digests (values as a digest) are store files; what an era's values
are, and how they read and write, is the file's :class:`Codec`.

This module is the one home of what they share:

* strict reading (:func:`parse_json`): UTF-8 JSON, no NaN/Infinity, no key twice in one object,
  a format and version this rngsuite reads (:func:`check_header`), eras named in order, each
  environment with provenance and in one era only (:func:`parse_file`); anything else is a
  :class:`LedgerError` naming the file and the entry;
* the recording rules (:meth:`EraFile.record`): an environment joins the era with its values,
  new values append an era, and a recorded environment with other values is a conflict -- a
  recorded era is never changed or dropped;
* writing (:func:`save`): under the root's lock, re-read the file, apply the pending recordings
  to what is on disk now (so concurrent recorders add to each other's work), and replace the
  file atomically, byte for byte as :func:`dump` lays it out.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np

from rngsuite.core.compare import FLOATS, from_token, np_dtype
from rngsuite.core.settings import BadInput


class LedgerError(BadInput):
    """A data file that cannot be trusted, located by file and entry."""

    def __init__(self, path: Path | str, entry: str, problem: str) -> None:
        self.path, self.entry, self.problem = Path(path), entry, problem
        super().__init__(f"{path}: {entry}: {problem}" if entry else f"{path}: {problem}")


class BadConstant:
    """Stands in for NaN/Infinity while parsing, so the entry holding it can be named."""

    def __init__(self, text: str) -> None:
        self.text = text


# ------------------------------------------------------------------------------------ reading
def _where(data: Any, path: tuple) -> str:
    """A position in a store file's JSON, named as the reader names entries
    (``case 'torch:cpu:rand(5)@17' era A draw 0``)."""
    parts, rest = [], list(path)
    if rest[:1] == ["cases"] and len(rest) > 1:
        parts.append(f"case {rest[1]!r}")
        if len(rest) > 2 and isinstance(rest[2], int):
            era = data["cases"][rest[1]][rest[2]]
            name = era.get("era") if isinstance(era, dict) else None
            parts.append(f"era {name}" if name == era_name(rest[2]) else f"era #{rest[2] + 1}")
            if len(rest) > 4 and rest[3] == "draws":
                parts.append(f"draw {rest[4]}")
                rest = rest[5:]
            else:
                rest = rest[3:]
        else:
            rest = rest[2:]
    elif rest[:1] == ["environments"] and len(rest) > 1:
        parts.append(f"environment {rest[1]!r}")
        rest = rest[2:]
    return " ".join(parts + [str(p) for p in rest])


def _locate(node: Any, target: Any, path: tuple = ()) -> tuple | None:
    if node is target:
        return path
    items = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, (dict, list)):
            found = _locate(value, target, (*path, key))
            if found is not None:
                return found
    return None


#: The largest data file rngsuite reads (the largest ledger file, torch:cpu's, is 6 MiB): a
#: bigger one is refused before it is read, since parsing JSON takes about 100 times its size
#: in memory. ``RNGSUITE_MAX_FILE_MB`` raises it.
MAX_FILE_BYTES = int(os.environ.get("RNGSUITE_MAX_FILE_MB", "64")) * 2**20


def parse_json(path: Path) -> Any:
    """A data file's JSON, parsed strictly: UTF-8, no NaN/Infinity (kept as
    :class:`BadConstant` for the entry to be named), and no key twice in one object, which JSON
    readers would otherwise resolve silently by keeping the last."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LedgerError(path, "", f"is {size / 2**20:,.0f} MiB; a ledger file is at most "
                                        f"{MAX_FILE_BYTES // 2**20} MiB (RNGSUITE_MAX_FILE_MB): "
                                        "not written by rngsuite, or a ledger to split")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerError(path, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LedgerError(path, "", f"cannot be read ({exc.strerror})") from None
    twice: list[tuple[dict, str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        obj = dict(items)
        if len(obj) != len(items) and not twice:
            seen: set[str] = set()
            twice.append((obj, next(k for k, _ in items if k in seen or seen.add(k))))
        return obj

    try:
        data = json.loads(text, parse_constant=BadConstant, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise LedgerError(path, f"line {exc.lineno} column {exc.colno}",
                          f"not valid JSON ({exc.msg}); truncated or hand-edited?") from None
    if twice:
        obj, key = twice[0]
        raise LedgerError(path, _where(data, _locate(data, obj) or ()),
                          f"key {key!r} appears twice in one object (hand-edited, or a bad "
                          "merge?); a JSON reader would silently keep the last")
    return data


def check_header(data: Any, path: Path, *, fmt: str, version: int, what: str) -> None:
    """What every rngsuite data file starts with: its format's name, and a format version this
    rngsuite reads (a newer one says to upgrade)."""
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise LedgerError(path, "", f"not {what} (expected \"format\": \"{fmt}\")")
    found = data.get("version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise LedgerError(path, "version", f"{found!r} is not a format version")
    if found > version:
        raise LedgerError(path, "version", f"format version {found} is newer than this "
                                           f"rngsuite reads ({version}); upgrade rngsuite")


def check_tables(data: dict, path: Path, *, cases: str) -> tuple[dict, dict]:
    """The environments (label -> provenance) and the cases (id -> eras) of a data file."""
    envs = data.get("environments")
    if not isinstance(envs, dict) or not all(isinstance(v, dict) for v in envs.values()):
        raise LedgerError(path, "environments", "must map labels to provenance objects")
    cases_raw = data.get("cases")
    if not isinstance(cases_raw, dict):
        raise LedgerError(path, "cases", f"must map {cases} to lists of eras")
    return envs, cases_raw


def check_value(value: Any, dtype: str, path: Path, entry: str) -> Any:
    """A recorded number, exactly of ``dtype`` (an integer in range, a float that the dtype
    holds exactly, a bool, a complex value as its [real, imaginary] pair); NaN/Infinity and
    anything else are refused."""
    if dtype.startswith("complex"):
        if not isinstance(value, list) or len(value) != 2:
            raise LedgerError(path, entry, f"{value!r} is not a [real, imaginary] pair")
        part = "float32" if dtype == "complex64" else "float64"
        pair = tuple(check_value(v, part, path, entry) for v in value)
        return pair if any(isinstance(x, np.ndarray) for x in pair) else complex(*pair)
    if isinstance(value, BadConstant):
        raise LedgerError(path, entry, f"{value.text} where a number was recorded (a "
                                       "non-finite float is written \"inf\", \"-inf\" or "
                                       "\"nan:<bits>\")")
    if isinstance(value, str) and dtype in FLOATS and not dtype.startswith("complex"):
        x = from_token(value, np_dtype(dtype))
        if x is None:
            raise LedgerError(path, entry, f"{value!r} is not a number, nor \"inf\", \"-inf\" "
                                           f"or a {dtype} NaN as \"nan:<its bits in hex>\"")
        return x
    if dtype == "bool":
        if not isinstance(value, bool):
            raise LedgerError(path, entry, f"{value!r} is not a bool")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LedgerError(path, entry, f"{value!r} is not a number")
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        if not isinstance(value, int) or not info.min <= value <= info.max:
            raise LedgerError(path, entry, f"{value!r} is not a {dtype} value")
    elif isinstance(value, float) and float(np.array(value).astype(np_dtype(dtype))) != value:
        raise LedgerError(path, entry, f"{value!r} is not exactly representable as {dtype}")
    return value


def check_values(values: list, dtype: str, path: Path, entry: str) -> np.ndarray:
    """:func:`check_value` for every listed value, as an array of ``dtype``: checked at once
    where they are plainly of the dtype, else one by one (which names the first that is not)."""
    kinds = {type(v) for v in values}
    if dtype == "bool":
        plain = kinds <= {bool}
    elif dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        plain = kinds <= {int} and (not values or info.min <= min(values) and
                                    max(values) <= info.max)
    elif dtype.startswith("complex"):
        plain = False  # pairs: checked one by one
    else:  # a float dtype: every value must read back exactly after rounding to it
        plain = kinds <= {int, float}
        if plain and values:
            exact = np.array(values, dtype=np.float64)
            plain = bool(np.array_equal(exact.astype(np_dtype(dtype)).astype(np.float64), exact))
    if not plain:
        values = [check_value(v, dtype, path, f"{entry}[{i}]") for i, v in enumerate(values)]
    if dtype in FLOATS and any(isinstance(v, np.ndarray) or isinstance(v, complex)
                               for v in values):
        return _with_tokens(values, np_dtype(dtype))
    return np.array(values, dtype=np.float64 if dtype == "bfloat16" else dtype).astype(
        np_dtype(dtype))


def _with_tokens(values: list, dtype: np.dtype) -> np.ndarray:
    """An array of ``dtype`` from checked values where some are non-finite tokens (0-d arrays
    holding their exact bits) -- set by bits, since arithmetic would not keep a NaN's payload."""
    if dtype.kind == "c":
        part = np.dtype("float32" if dtype == np.complex64 else "float64")
        out = np.zeros(len(values), dtype=dtype)
        bits = out.view(f"u{part.itemsize}")
        for i, v in enumerate(values):
            for j, x in enumerate(v if isinstance(v, tuple) else (v.real, v.imag)):
                bits[2 * i + j] = np.asarray(x, dtype=part).view(f"u{part.itemsize}")
        return out
    out = np.zeros(len(values), dtype=dtype)
    bits = out.view(f"u{dtype.itemsize}")
    for i, v in enumerate(values):
        x = v if isinstance(v, np.ndarray) else np.array(
            v, dtype=np.float64 if dtype.name == "bfloat16" else dtype).astype(dtype)
        bits[i] = x.view(f"u{dtype.itemsize}")
    return out


def era_name(i: int) -> str:
    """The name of the i-th era (from 0): A, B, ..., Z, AA, AB, ..."""
    letters = string.ascii_uppercase
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = letters[r] + name
    return name


# ------------------------------------------------------------------------------------ the file
@dataclass
class Era:
    """One set of values a case has had, and every environment seen producing it."""

    name: str
    environments: list[str]
    #: What the file's codec reads: the draws (golden ledger) or a digest (deep streams).
    values: Any


@dataclass(frozen=True)
class Recorded:
    """What recording one case did."""

    case_id: str
    outcome: str  # new-case | new-era | joined | unchanged | conflict
    era: str


class Codec(Protocol):
    """What one kind of store file holds in an era, and its header."""

    format: str  # the "format" a file of this kind starts with
    version: int  # the newest format version this rngsuite reads and writes
    what: str  # a file of this kind, for "not ... (expected format ...)"
    cases_are: str  # what its case keys are, for "must map ... to lists of eras"

    def read_header(self, data: dict, path: Path) -> dict:
        """The file's own header fields (``backend``, ``digest``), checked."""

    def read_case(self, case_id: str, header: dict, path: Path) -> Any:
        """Check a case id belongs in this file; what reading its eras needs to know of it."""

    def read_values(self, raw: dict, path: Path, where: str, case: Any) -> Any:
        """An era's values from its JSON object (``where`` names the era)."""

    def write_values(self, values: Any) -> dict:
        """An era's values as the keys its JSON object holds after ``era``/``environments``."""

    def same(self, a: Any, b: Any) -> bool:
        """Whether two eras' values are one set of values."""


@dataclass
class EraFile:
    """One store file: its header, the environments' provenance and every case's eras."""

    path: Path
    codec: Codec
    header: dict = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, list[Era]] = field(default_factory=dict)

    def record(self, case_id: str, label: str, provenance: dict[str, Any],
               values: Any) -> Recorded:
        """Add one environment's values by the recording rules; a recorded era never changes."""
        eras = self.cases.get(case_id, [])
        same = [e for e in eras if self.codec.same(e.values, values)]
        home = next((e for e in eras if label in e.environments), None)
        if home is not None:
            # Never rewrite a recorded era: a second, different answer from the same environment
            # is nondeterminism, or a provenance field the backend should have declared.
            return Recorded(case_id, "unchanged" if home in same else "conflict", home.name)
        self.environments.setdefault(label, provenance)
        if same:
            same[0].environments.append(label)
            return Recorded(case_id, "joined", same[0].name)
        era = Era(era_name(len(eras)), [label], values)
        self.cases[case_id] = [*eras, era]
        return Recorded(case_id, "new-era" if eras else "new-case", era.name)

    def to_json(self) -> dict[str, Any]:
        return {"format": self.codec.format, "version": self.codec.version, **self.header,
                "environments": {k: self.environments[k] for k in sorted(self.environments)},
                "cases": {k: [{"era": e.name, "environments": sorted(e.environments),
                               **self.codec.write_values(e.values)} for e in self.cases[k]]
                          for k in sorted(self.cases)}}

    def text(self) -> str:
        """The file's bytes, as rngsuite writes them."""
        return dump(self.to_json()) + "\n"


def parse_file(data: Any, path: Path, codec: Codec) -> EraFile:
    """A store file from its parsed JSON, every rule checked; the first problem is a
    :class:`LedgerError` naming the file and the entry."""
    check_header(data, path, fmt=codec.format, version=codec.version, what=codec.what)
    header = codec.read_header(data, path)
    envs, cases_raw = check_tables(data, path, cases=codec.cases_are)
    out = EraFile(path, codec, header, dict(envs))
    for case_id, eras_raw in cases_raw.items():
        where = f"case {case_id!r}"
        case = codec.read_case(case_id, header, path)
        if not isinstance(eras_raw, list) or not eras_raw:
            raise LedgerError(path, where, "must list at least one era")
        eras, seen = [], set()
        for i, raw in enumerate(eras_raw):
            name = raw.get("era") if isinstance(raw, dict) else None
            if name != era_name(i):
                raise LedgerError(path, f"{where} era #{i + 1}",
                                  f"era is {name!r}, expected {era_name(i)!r}")
            era_where = f"{where} era {name}"
            labels = raw.get("environments")
            if not isinstance(labels, list) or not labels:
                raise LedgerError(path, era_where, "must list the environments that produced it")
            for label in labels:
                if not isinstance(label, str) or label not in envs:
                    raise LedgerError(path, era_where, f"environment {label!r} has no provenance")
                if label in seen:
                    raise LedgerError(path, era_where, f"environment {label!r} is in two eras")
                seen.add(label)
            eras.append(Era(name, list(labels), codec.read_values(raw, path, era_where, case)))
        out.cases[case_id] = eras
    return out


def read_file(path: Path, codec: Codec) -> EraFile:
    """Parse and validate one store file; never executes or unpickles anything."""
    return parse_file(parse_json(path), path, codec)


# ------------------------------------------------------------------------------------ writing
def dump(value: Any, indent: int = 0) -> str:
    """JSON with one key per line and lists of scalars on one line: diffs stay readable."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [f"{pad} {dump(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


#: The name a file has while :func:`atomic_write` writes it (doctor reports leftovers).
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".", ".tmp"


class CannotWrite(BadInput):
    """A store root this process cannot write into: said in one line, before anything is
    written where that can be known."""


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def inside(root: Path, path: Path) -> None:
    """Refuse a write to ``path`` that would land outside ``root`` once symlinks are followed
    (a symlinked ``arrays/`` or lock pointing elsewhere): the ledger writes only into itself."""
    real_root = root.resolve()
    target = path.parent.resolve() / path.name
    if path.is_symlink() or not target.is_relative_to(real_root):
        raise BadInput(f"{path}: is a symlink or lies outside the ledger {root} once links are "
                       "followed; rngsuite writes only inside the ledger folder (nothing written)")


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step: a reader sees the old file or the new one,
    and a failed write (a full disk, a kill) leaves the old file and no temporary file. The
    file gets the mode the umask gives a new file (``mkstemp`` alone would make it 0600,
    unreadable to the rest of a team sharing the ledger)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMPORARY_PREFIX}{path.name}.",
                               suffix=TEMPORARY_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def temporaries(root: Path) -> list[Path]:
    """Temporary files :func:`atomic_write` left in a store root (a writer killed mid-write)."""
    return sorted(p for folder in (root, root / "arrays", root / "deep") if folder.is_dir()
                  for p in folder.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}")
                  if p.is_file() and not p.is_symlink())


def writable(root: Path) -> None:
    """:class:`CannotWrite` (one line) when this process cannot create or write the store root's
    files: checked by trying, which is the only test that holds for root, ACLs and read-only
    mounts alike."""
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root}: is a file, not a ledger folder (pass --ledger DIR)")
    folder = root
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    probe = root / ".lock" if root.is_dir() else folder
    try:
        if root.is_dir():
            with open(probe, "a+b"):
                pass
        elif not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise CannotWrite(f"the ledger at {root} is read-only ({exc.strerror or exc}); nothing "
                       "was written") from None


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """The store root's lock (``root/.lock``), held by one writer at a time, across processes.
    Holding it, the writer removes temporaries a killed writer left: no live writer has one."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        inside(root, root / ".lock")
        fh = open(root / ".lock", "a+b")
    except OSError as exc:
        raise CannotWrite(f"the ledger at {root} is read-only ({exc.strerror or exc}); nothing "
                       "was written") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            for stale in temporaries(root):
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: A recording waiting to be written: (case id, label, provenance, values).
Pending = tuple[str, str, dict, Any]


def save(root: Path, path: Path, codec: Codec, header: dict, pending: list[Pending], *,
         before_write: Callable[[Any], None] = lambda values: None) -> tuple[EraFile, bool]:
    """Write pending recordings into one store file under ``root``'s lock: read the file as it
    is on disk now, record into it by the recording rules, and replace it atomically if its bytes
    change. ``before_write(values)`` runs for each recording first (the ledger writes a long
    draw's array there). Returns the file as written and whether it changed."""
    with locked(root):
        current = read_file(path, codec) if path.exists() else EraFile(path, codec, dict(header))
        for case_id, label, provenance, values in pending:
            current.record(case_id, label, provenance, values)
            before_write(values)
        text = current.text().encode()
        changed = not path.exists() or path.read_bytes() != text
        if changed:
            inside(root, path)
            try:
                atomic_write(path, text)
            except OSError as exc:
                raise CannotWrite(f"{path}: cannot be written ({exc.strerror or exc}); the "
                               "file is as it was") from None
    return current, changed
