"""The golden ledger: every recorded stream, its eras, and where each era was seen.

Layout (documented for people in ``golden/README.md``):

* ``golden/<backend>.json`` -- one JSON file per backend. ``cases`` maps a case id to its list
  of eras; an era holds the draws (dtype, shape, SHA-256 of the canonical little-endian bytes,
  and the values themselves -- all of them for short draws, the first few for long ones) and the
  labels of the environments seen producing it; ``environments`` maps each label to its full
  provenance record.
* ``golden/arrays/<sha256>.npy`` -- the full values of each long draw, named by their digest,
  loaded with ``allow_pickle=False``.

The ledger is append-only: recording adds an environment to the era it matches, or appends a
new era; it never changes or drops a recorded era. Golden files are data: they are parsed as
JSON and ``.npy`` without pickle, and anything malformed is a :class:`LedgerError` that names
the file and the entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from suite.core.compare import canonical_bytes, digest

FORMAT = "rngsuite-ledger"
FORMAT_VERSION = 1
#: Draws with at most this many elements keep every value in the JSON file.
SHORT = 32
#: Long draws keep this many leading values in the JSON file, for people.
HEAD = 8
DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class LedgerError(Exception):
    """A golden file that cannot be trusted, located by file and entry."""

    def __init__(self, path: Path | str, entry: str, problem: str) -> None:
        self.path, self.entry, self.problem = Path(path), entry, problem
        super().__init__(f"{path}: {entry}: {problem}" if entry else f"{path}: {problem}")


class _Bad:
    """Stands in for NaN/Infinity while parsing, so the entry holding it can be named."""

    def __init__(self, text: str) -> None:
        self.text = text


def file_for(root: Path, backend: str) -> Path:
    """``torch:cpu`` -> ``golden/torch-cpu.json``."""
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", backend).strip("-")
    return root / f"{slug}.json"


def array_path(root: Path, sha: str) -> Path:
    return root / "arrays" / f"{sha}.npy"


@dataclass
class Draw:
    """One recorded draw: its type, digest and (some or all of) its values."""

    dtype: str
    shape: tuple[int, ...]
    sha256: str
    values: np.ndarray | None = None  # every value (long draws: read from arrays/)
    head: np.ndarray | None = None  # the first HEAD values, as the JSON file shows them

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @classmethod
    def of(cls, a: np.ndarray) -> "Draw":
        a = np.asarray(a)
        sha = digest(a)
        return cls(str(a.dtype), tuple(a.shape), sha, values=a.copy())

    def matches(self, a: np.ndarray) -> bool:
        return (str(a.dtype) == self.dtype and tuple(a.shape) == self.shape
                and digest(a) == self.sha256)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": self.dtype, "shape": list(self.shape),
                               "sha256": self.sha256}
        if self.size <= SHORT:
            out["values"] = self.values.reshape(-1).tolist()
        else:
            # A file re-read for merging holds only the head of long draws; that is enough.
            first = self.values.reshape(-1)[:HEAD] if self.values is not None else self.head
            out["head"] = first.tolist()
        return out


@dataclass
class Era:
    """One set of values a case has had, and every environment seen producing it."""

    name: str
    environments: list[str]
    draws: list[Draw]

    def to_json(self) -> dict[str, Any]:
        return {"era": self.name, "environments": sorted(self.environments),
                "draws": [d.to_json() for d in self.draws]}


@dataclass
class LedgerFile:
    """The recorded eras of one backend's cases."""

    path: Path
    backend: str
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, list[Era]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "backend": self.backend,
                "environments": {k: self.environments[k] for k in sorted(self.environments)},
                "cases": {k: [e.to_json() for e in self.cases[k]] for k in sorted(self.cases)}}


# --------------------------------------------------------------------------------- reading
def _check_value(value: Any, dtype: str, path: Path, entry: str) -> Any:
    if isinstance(value, _Bad):
        raise LedgerError(path, entry, f"{value.text} where a number was recorded")
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
    elif isinstance(value, float) and np.dtype(dtype).type(value) != value:
        raise LedgerError(path, entry, f"{value!r} is not exactly representable as {dtype}")
    return value


def _parse_draw(raw: Any, path: Path, entry: str) -> Draw:
    if not isinstance(raw, dict):
        raise LedgerError(path, entry, "a draw is an object with dtype, shape and sha256")
    dtype, shape, sha = raw.get("dtype"), raw.get("shape"), raw.get("sha256")
    if dtype not in DTYPES:
        raise LedgerError(path, entry, f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool)
                                            and n >= 0 for n in shape)):
        raise LedgerError(path, entry, f"shape {shape!r} is not a list of sizes")
    if not (isinstance(sha, str) and _SHA.match(sha)):
        raise LedgerError(path, entry, f"sha256 {sha!r} is not 64 lowercase hex digits")
    size = math.prod(shape)
    key, want = ("values", size) if size <= SHORT else ("head", min(HEAD, size))
    listed = raw.get(key)
    if not isinstance(listed, list) or len(listed) != want:
        raise LedgerError(path, entry, f"{key} must list {want} values for shape {shape}")
    checked = [_check_value(v, dtype, path, f"{entry} {key}[{i}]") for i, v in enumerate(listed)]
    array = np.array(checked, dtype=dtype)
    if key == "values":
        array = array.reshape(shape)
        if digest(array) != sha:
            raise LedgerError(path, entry, "values do not match their sha256 "
                                           "(hand-edited or corrupted)")
        return Draw(dtype, tuple(shape), sha, values=array)
    return Draw(dtype, tuple(shape), sha, head=array)


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


def _parse(data: Any, path: Path) -> LedgerFile:
    check_header(data, path, fmt=FORMAT, version=FORMAT_VERSION, what="an rngsuite ledger")
    backend = data.get("backend")
    if not isinstance(backend, str) or file_for(path.parent, backend).name != path.name:
        raise LedgerError(path, "backend", f"{backend!r} does not belong in {path.name}")
    envs, cases_raw = check_tables(data, path, cases="case ids")
    ledger = LedgerFile(path, backend, dict(envs))
    for case_id, eras_raw in cases_raw.items():
        where = f"case {case_id!r}"
        if not case_id.startswith(backend + ":"):
            raise LedgerError(path, where, f"is not a case of backend {backend}")
        if not isinstance(eras_raw, list) or not eras_raw:
            raise LedgerError(path, where, "must list at least one era")
        eras, seen_env = [], set()
        for i, era_raw in enumerate(eras_raw):
            name = era_raw.get("era") if isinstance(era_raw, dict) else None
            if name != _era_name(i):
                raise LedgerError(path, f"{where} era #{i + 1}",
                                  f"era is {name!r}, expected {_era_name(i)!r}")
            era_where = f"{where} era {name}"
            env_list, draws_raw = era_raw.get("environments"), era_raw.get("draws")
            if not isinstance(env_list, list) or not env_list:
                raise LedgerError(path, era_where, "must list the environments that produced it")
            for label in env_list:
                if label not in envs:
                    raise LedgerError(path, era_where, f"environment {label!r} has no provenance")
                if label in seen_env:
                    raise LedgerError(path, era_where, f"environment {label!r} is in two eras")
                seen_env.add(label)
            if not isinstance(draws_raw, list) or not draws_raw:
                raise LedgerError(path, era_where, "must list its draws")
            draws = [_parse_draw(d, path, f"{era_where} draw {j}") for j, d in enumerate(draws_raw)]
            eras.append(Era(name, list(env_list), draws))
        ledger.cases[case_id] = eras
    return ledger


def _where(data: Any, path: tuple) -> str:
    """A position in a ledger file's JSON, named as the reader names entries
    (``case 'torch:cpu:rand(5)@17' era A draw 0``)."""
    parts, rest = [], list(path)
    if rest[:1] == ["cases"] and len(rest) > 1:
        parts.append(f"case {rest[1]!r}")
        if len(rest) > 2 and isinstance(rest[2], int):
            era = data["cases"][rest[1]][rest[2]]
            name = era.get("era") if isinstance(era, dict) else None
            parts.append(f"era {name}" if name == _era_name(rest[2]) else f"era #{rest[2] + 1}")
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


def parse_json(path: Path) -> Any:
    """A golden file's JSON, parsed strictly: UTF-8, no NaN/Infinity (kept as :class:`_Bad`
    for the entry to be named), and no key twice in one object, which JSON readers would
    otherwise resolve silently by keeping the last."""
    try:
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
        data = json.loads(text, parse_constant=_Bad, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise LedgerError(path, f"line {exc.lineno} column {exc.colno}",
                          f"not valid JSON ({exc.msg}); truncated or hand-edited?") from None
    if twice:
        obj, key = twice[0]
        raise LedgerError(path, _where(data, _locate(data, obj) or ()),
                          f"key {key!r} appears twice in one object (hand-edited, or a bad "
                          "merge?); a JSON reader would silently keep the last")
    return data


def read_file(path: Path) -> LedgerFile:
    """Parse and validate one ledger file; never executes or unpickles anything."""
    return _parse(parse_json(path), path)


def load_array(root: Path, draw: Draw, *, entry: str = "") -> np.ndarray:
    """The full values of a long draw, from ``arrays/<sha256>.npy``, checked against the digest."""
    if draw.values is not None:
        return draw.values
    path = array_path(root, draw.sha256)
    if not path.exists():
        raise LedgerError(path, entry, "is missing: the long draw's values are not in arrays/")
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            # np.load takes any file without NumPy's magic bytes for a pickle: say which it is.
            with open(path, "rb") as fh:
                start = fh.read(6)
            if start == b"\x93NUMPY" or start[:1] == b"\x80":
                raise LedgerError(path, entry, "holds pickled Python objects; golden files are "
                                               "data and are never unpickled") from None
            raise LedgerError(path, entry, "not a .npy file (no NumPy header: overwritten or "
                                           "corrupted?)") from None
        raise LedgerError(path, entry, f"not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise LedgerError(path, entry, f"not a valid .npy file ({exc})") from None
    # The file is named by the digest of its bytes alone, so draws of other dtypes or shapes
    # with the same bytes share it (dropout3d over (10,100,1,1,1) draws the bytes of
    # dropout(ones(1000))): read the bytes as the entry's own dtype and shape.
    want = np.dtype(draw.dtype)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf" \
            or a.nbytes != draw.size * want.itemsize:
        got = f"{getattr(a, 'dtype', type(a).__name__)}{list(getattr(a, 'shape', ()))}"
        raise LedgerError(path, entry, f"holds {got}, recorded as {draw.dtype}{list(draw.shape)}")
    if digest(a) != draw.sha256:
        raise LedgerError(path, entry, "contents do not match the recorded sha256")
    values = np.frombuffer(canonical_bytes(a), dtype=want.newbyteorder("<"))
    return values.astype(want).reshape(draw.shape)


# --------------------------------------------------------------------------------- writing
def _era_name(i: int) -> str:
    letters = string.ascii_uppercase
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = letters[r] + name
    return name


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with one key per line and lists of scalars on one line: diffs stay readable."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {_dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [f"{pad} {_dump(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------------- recording
@dataclass(frozen=True)
class Recorded:
    """What recording one case did."""

    case_id: str
    outcome: str  # new-case | new-era | joined | unchanged | conflict
    era: str


def _record_into(ledger: LedgerFile, case_id: str, label: str, provenance: dict[str, Any],
                 draws: list[Draw]) -> Recorded:
    eras = ledger.cases.get(case_id, [])
    same = [e for e in eras if _same(e.draws, draws)]
    home = next((e for e in eras if label in e.environments), None)
    if home is not None:
        # Never rewrite a recorded era: a second, different answer from the same environment is
        # nondeterminism or a provenance field the backend should have declared.
        return Recorded(case_id, "unchanged" if home in same else "conflict", home.name)
    ledger.environments.setdefault(label, provenance)
    if same:
        same[0].environments.append(label)
        return Recorded(case_id, "joined", same[0].name)
    era = Era(_era_name(len(eras)), [label], draws)
    ledger.cases[case_id] = [*eras, era]
    return Recorded(case_id, "new-era" if eras else "new-case", era.name)


def _same(a: list[Draw], b: list[Draw]) -> bool:
    return len(a) == len(b) and all(
        x.sha256 == y.sha256 and x.dtype == y.dtype and x.shape == y.shape for x, y in zip(a, b))


class Ledger:
    """All ledger files under one root, read and validated up front."""

    def __init__(self, root: Path, files: dict[str, LedgerFile]) -> None:
        self.root = root
        self.files = files
        self._pending: list[tuple[str, str, str, dict[str, Any], list[Draw]]] = []

    @classmethod
    def load(cls, root: Path) -> "Ledger":
        root = Path(root)
        if not root.is_dir():
            raise LedgerError(root, "", "no ledger directory here (pass --ledger DIR)")
        files = {}
        for path in sorted(root.glob("*.json")):
            lf = read_file(path)
            # Long draws' full values are read and checked now, so that a missing, pickled or
            # tampered array is bad input up front rather than a surprise mid-run.
            for case_id, eras in lf.cases.items():
                for era in eras:
                    for i, draw in enumerate(era.draws):
                        if draw.values is None:
                            entry = f"{path.name}: case {case_id!r} era {era.name} draw {i}"
                            draw.values = load_array(root, draw, entry=entry)
                            if draw.values.reshape(-1)[:HEAD].tobytes() != draw.head.tobytes():
                                raise LedgerError(path, entry.partition(": ")[2],
                                                  "head does not match the stored values "
                                                  "(hand-edited or corrupted)")
            files[lf.backend] = lf
        return cls(root, files)

    def eras(self, backend: str, case_id: str) -> list[Era]:
        lf = self.files.get(backend)
        return lf.cases.get(case_id, []) if lf else []

    def provenance(self, backend: str, label: str) -> dict[str, Any]:
        lf = self.files.get(backend)
        return lf.environments.get(label, {}) if lf else {}

    def full(self, draw: Draw, *, entry: str = "") -> np.ndarray:
        return draw.values if draw.values is not None else load_array(self.root, draw,
                                                                      entry=entry)

    def record(self, backend: str, case_id: str, label: str, provenance: dict[str, Any],
               arrays: list[np.ndarray]) -> Recorded:
        """Add one environment's draws in memory; :meth:`save` writes them."""
        draws = [Draw.of(a) for a in arrays]
        lf = self.files.setdefault(backend, LedgerFile(file_for(self.root, backend), backend))
        result = _record_into(lf, case_id, label, provenance, draws)
        if result.outcome in ("new-case", "new-era", "joined"):
            self._pending.append((backend, case_id, label, provenance, draws))
        return result

    def merge(self, other: "Ledger") -> list[Recorded]:
        """Record every environment of another ledger (a shard) into this one, era by era.

        The same rules as recording apply: an environment joins the era with its values, new
        values append an era, and a recorded environment with other values is a conflict.
        """
        results = []
        for backend, lf in sorted(other.files.items()):
            for case_id, eras in sorted(lf.cases.items()):
                for era in eras:
                    arrays = [other.full(d) for d in era.draws]
                    for label in sorted(era.environments):
                        results.append(self.record(backend, case_id, label,
                                                   lf.environments[label], arrays))
        return results

    def save(self) -> int:
        """Write pending recordings; returns how many files changed.

        Under a lock, each file is read again and the pending recordings are applied to what
        is on disk now, so concurrent recorders add to each other's work instead of losing it.
        """
        if not self._pending:
            return 0
        changed = 0
        with _locked(self.root):
            by_backend: dict[str, list] = {}
            for item in self._pending:
                by_backend.setdefault(item[0], []).append(item)
            for backend, items in by_backend.items():
                path = file_for(self.root, backend)
                lf = read_file(path) if path.exists() else LedgerFile(path, backend)
                for _, case_id, label, provenance, draws in items:
                    _record_into(lf, case_id, label, provenance, draws)
                    for d in draws:
                        if d.size > SHORT:
                            self._write_array(d)
                text = (_dump(lf.to_json()) + "\n").encode()
                if not path.exists() or path.read_bytes() != text:
                    _atomic_write(path, text)
                    changed += 1
                self.files[backend] = lf
        self._pending.clear()
        return changed

    def _write_array(self, draw: Draw) -> None:
        path = array_path(self.root, draw.sha256)
        if path.exists():
            return
        import io

        buf = io.BytesIO()
        # Canonical little-endian bytes, so the file is the same on every platform.
        a = draw.values.astype(draw.values.dtype.newbyteorder("<"), copy=False)
        np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
        _atomic_write(path, buf.getvalue())
