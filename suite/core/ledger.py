"""The golden ledger: every recorded stream, its eras, and where each era was seen.

Layout (documented for people in ``golden/README.md``):

* ``golden/<backend>.json`` -- one store file per backend (:mod:`rngsuite.core.store`). ``cases``
  maps a case id to its list of eras; an era holds the draws (dtype, shape, SHA-256 of the
  canonical little-endian bytes, and the values themselves -- all of them for short draws, the
  first few for long ones) and the labels of the environments seen producing it;
  ``environments`` maps each label to its full provenance record.
* ``golden/arrays/<sha256>.npy`` -- the full values of each long draw, named by their digest,
  loaded with ``allow_pickle=False``.
* ``golden/deep/digests.json`` -- the deep-stream digests: a store file whose eras hold one
  digest of a long draw (dtype, length, digest, first values).

The ledger is append-only: recording adds an environment to the era it matches, or appends a
new era; it never changes or drops a recorded era. Golden files are data: they are parsed as
JSON and ``.npy`` without pickle, and anything malformed is a :class:`LedgerError` that names
the file and the entry.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rngsuite.core.catalog import CatalogError, DeepCase, parse_deep_id
from rngsuite.core.compare import (DTYPES, canonical_bytes, digest, np_dtype, storable,
                                   to_json_values)
from rngsuite.core.store import (EraFile, LedgerError, Pending, Recorded, atomic_write,
                                 check_values, inside, parse_json, parse_file, save)

__all__ = ["ALGORITHMS", "BLOCK", "DEEP", "DIGEST", "Digest", "Draw", "HEAD", "Ledger",
           "LedgerError", "SHORT", "alternate_path", "array_file", "array_path", "deep_path",
           "file_for", "load_array", "read_draw", "read_file", "same_draws"]

#: Draws with at most this many elements keep every value in the JSON file.
SHORT = 32
#: Long draws (and deep digests) keep this many leading values in the JSON file, for people.
HEAD = 8
_SHA = re.compile(r"^[0-9a-f]{64}$")


def library_of(backend: str) -> str:
    """The library a backend or case id draws from: ``numpy.Generator(PCG64)`` -> ``numpy``,
    ``torch:cpu:rand(5)@17`` -> ``torch``, ``pandas(int)`` -> ``pandas``."""
    return re.match(r"[a-z]*", backend).group() or backend


def file_for(root: Path, backend: str) -> Path:
    """``torch:cpu`` -> ``golden/torch-cpu.json``."""
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", backend).strip("-")
    return root / f"{slug}.json"


def array_path(root: Path, sha: str) -> Path:
    return root / "arrays" / f"{sha}.npy"


# ------------------------------------------------------------------------------------ draws
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
            out["values"] = to_json_values(self.values)
        else:
            # A file re-read for merging holds only the head of long draws; that is enough.
            first = self.values.reshape(-1)[:HEAD] if self.values is not None else self.head
            out["head"] = to_json_values(first)
        return out


def read_draw(raw: Any, path: Path, entry: str) -> Draw:
    """One draw of an era, checked: a known dtype, a shape, a digest, values exactly of the
    dtype, and short draws' values against the digest."""
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
    array = check_values(listed, dtype, path, f"{entry} {key}")
    if key == "values":
        array = array.reshape(shape)
        if digest(array) != sha:
            raise LedgerError(path, entry, "values do not match their sha256 "
                                           "(hand-edited or corrupted)")
        return Draw(dtype, tuple(shape), sha, values=array)
    return Draw(dtype, tuple(shape), sha, head=array)


def same_draws(a: list[Draw], b: list[Draw]) -> bool:
    """Whether two eras' draws are the same values (digest, dtype and shape, draw by draw)."""
    return len(a) == len(b) and all(
        x.sha256 == y.sha256 and x.dtype == y.dtype and x.shape == y.shape for x, y in zip(a, b))


class DrawsCodec:
    """A backend's ledger file: its eras hold one draw per call of the case."""

    format, version, what, cases_are = "rngsuite-ledger", 1, "an rngsuite ledger", "case ids"

    def read_header(self, data: dict, path: Path) -> dict:
        backend = data.get("backend")
        if not isinstance(backend, str) or file_for(path.parent, backend).name != path.name:
            raise LedgerError(path, "backend", f"{backend!r} does not belong in {path.name}")
        return {"backend": backend}

    def read_case(self, case_id: str, header: dict, path: Path) -> None:
        if not case_id.startswith(header["backend"] + ":"):
            raise LedgerError(path, f"case {case_id!r}",
                              f"is not a case of backend {header['backend']}")

    def read_values(self, raw: dict, path: Path, where: str, case: Any) -> list[Draw]:
        draws = raw.get("draws")
        if not isinstance(draws, list) or not draws:
            raise LedgerError(path, where, "must list its draws")
        return [read_draw(d, path, f"{where} draw {j}") for j, d in enumerate(draws)]

    def write_values(self, values: list[Draw]) -> dict:
        return {"draws": [d.to_json() for d in values]}

    same = staticmethod(same_draws)


DRAWS = DrawsCodec()


def read_file(path: Path) -> EraFile:
    """Parse and validate one backend's ledger file; never executes or unpickles anything."""
    return parse_file(parse_json(path), path, DRAWS)


#: The header ``np.save`` writes for the arrays rngsuite records (format 1.0, a little-endian
#: or byte-order-free numeric array in C order), read without NumPy's general parser.
_OUR_HEADER = re.compile(r"\{'descr': '([<|][biufc](?:1|2|4|8|16))', 'fortran_order': False, "
                         r"'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


class _Truncated(ValueError):
    pass


def _read_ours(data: bytes) -> np.ndarray | None:
    """The array of a ``.npy`` file's bytes when they are exactly what rngsuite writes, else
    None (then NumPy's reader, with its errors, decides); :class:`_Truncated` when the header is
    ours but the data is short."""
    if data[:8] != b"\x93NUMPY\x01\x00":
        return None
    end = 10 + int.from_bytes(data[8:10], "little")
    m = _OUR_HEADER.fullmatch(data[10:end].decode("latin-1"))
    if m is None:
        return None
    dtype = np.dtype(m.group(1))
    shape = tuple(int(n) for n in m.group(2).replace(" ", "").split(",") if n)
    nbytes = math.prod(shape) * dtype.itemsize
    if len(data) - end < nbytes:
        raise _Truncated(f"truncated: {len(data) - end} of the array's {nbytes} bytes")
    # Bytes after the array's data are ignored here as by np.load; doctor reports them.
    return np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=end).reshape(shape)


def alternate_path(root: Path, draw: Draw) -> Path:
    """Where a long draw's array lives when another draw of other dtype or shape, with the same
    bytes, took ``<sha256>.npy`` first (dropout3d's (10,100,1,1,1) draw holds the bytes of
    dropout's [1000]): ``<sha256>-<dtype>-<shape as AxB>.npy``."""
    dims = "x".join(map(str, draw.shape)) or "scalar"
    return root / "arrays" / f"{draw.sha256}-{draw.dtype}-{dims}.npy"


def stored_as(draw: Draw) -> tuple[str, tuple[int, ...]]:
    """The dtype (as ``.npy`` headers spell it) and shape a draw's array file holds."""
    dtype = np.dtype(np.uint16) if draw.dtype == "bfloat16" else np_dtype(draw.dtype)
    return dtype.newbyteorder("<").str if dtype.itemsize > 1 else dtype.str, draw.shape


def array_header(path: Path) -> tuple[str, tuple[int, ...], int] | None:
    """A ``.npy`` file's (dtype, shape, offset of the data), read from its first bytes only;
    None where it is not a ``.npy`` header rngsuite writes."""
    with open(path, "rb") as fh:
        start = fh.read(10)
        if start[:8] != b"\x93NUMPY\x01\x00":
            return None
        end = 10 + int.from_bytes(start[8:10], "little")
        m = _OUR_HEADER.fullmatch(fh.read(end - 10).decode("latin-1"))
    if m is None:
        return None
    shape = tuple(int(n) for n in m.group(2).replace(" ", "").split(",") if n)
    return m.group(1), shape, end


def array_file(root: Path, draw: Draw) -> Path:
    """The file holding a long draw's values: its alternate name where that exists, else
    ``<sha256>.npy``."""
    alt = alternate_path(root, draw)
    return alt if alt.exists() else array_path(root, draw.sha256)


def load_array(root: Path, draw: Draw, *, entry: str = "") -> np.ndarray:
    """The full values of a long draw, from ``arrays/``, checked whole: the file's dtype and
    shape are the draw's (what the digest of the bytes alone does not cover), its size is what
    they make (a larger file is refused before it is read), and its bytes match the digest."""
    if draw.values is not None:
        return draw.values
    path = array_file(root, draw)
    try:
        size = path.stat().st_size
        header = array_header(path) if path.is_file() else None
        if header is not None:
            want = stored_as(draw)
            if (header[0], header[1]) != want:
                raise LedgerError(path, entry, f"holds {header[0]}{list(header[1])}, recorded as "
                                               f"{draw.dtype}{list(draw.shape)} ({want[0]}"
                                               f"{list(want[1])} in the file): substituted?")
            expected = header[2] + draw.size * np.dtype(header[0]).itemsize
            if size > expected:  # refused before reading: its size is not the array's
                raise LedgerError(path, entry, f"has {size - expected:,} bytes after the array's "
                                               "data: appended to, or not written by rngsuite")
        elif size > MAX_ARRAY_BYTES:
            raise LedgerError(path, entry, f"is {size / 2**20:,.0f} MiB without an rngsuite .npy "
                                           "header: not a long draw's array")
        data = path.read_bytes()
    except FileNotFoundError:
        raise LedgerError(path, entry, "is missing: the long draw's values are not in "
                                       "arrays/") from None
    except OSError as exc:
        raise LedgerError(path, entry, f"cannot be read ({exc.strerror})") from None
    try:
        a = _read_ours(data)
        if a is None:
            a = np.load(io.BytesIO(data), allow_pickle=False)
    except _Truncated as exc:
        raise LedgerError(path, entry, f"not a valid .npy file ({exc})") from None
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            # np.load takes any file without NumPy's magic bytes for a pickle: say which it is.
            start = data[:6]
            if start == b"\x93NUMPY" or start[:1] == b"\x80":
                raise LedgerError(path, entry, "holds pickled Python objects; golden files are "
                                               "data and are never unpickled") from None
            raise LedgerError(path, entry, "not a .npy file (no NumPy header: overwritten or "
                                           "corrupted?)") from None
        raise LedgerError(path, entry, f"not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise LedgerError(path, entry, f"not a valid .npy file ({exc})") from None
    return _as_recorded(a, draw, path, entry)


#: A file in arrays/ without rngsuite's header larger than this is refused unread.
MAX_ARRAY_BYTES = 2**20


def _as_recorded(a: np.ndarray, draw: Draw, path: Path, entry: str) -> np.ndarray:
    want = np_dtype(draw.dtype)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biufc" \
            or a.nbytes != draw.size * want.itemsize:
        got = f"{getattr(a, 'dtype', type(a).__name__)}{list(getattr(a, 'shape', ()))}"
        raise LedgerError(path, entry, f"holds {got}, recorded as {draw.dtype}{list(draw.shape)}")
    if digest(a) != draw.sha256:
        raise LedgerError(path, entry, "contents do not match the recorded sha256")
    values = np.frombuffer(canonical_bytes(a), dtype=want.newbyteorder("<"))
    return values.astype(want).reshape(draw.shape)


# ------------------------------------------------------------------------------ deep digests
#: The digest deep goldens are recorded with: XXH3-128, chosen by measurement
#: (docs/benchmarks.md): it costs a deep check a few percent, where SHA-256 would halve its speed.
DIGEST = "xxh3_128"
#: Hex digits of each algorithm's digest.
ALGORITHMS = {"xxh3_128": 32, "sha256": 64, "blake2b": 128}
#: The name the deep digests go by among the ledger's files (no backend has it).
DEEP = "deep"


def deep_path(root: Path | str) -> Path:
    """The deep goldens under a ledger root: ``golden/deep/digests.json``."""
    # A subdirectory: every golden/*.json is a backend's file.
    return Path(root) / "deep" / "digests.json"


@dataclass
class Digest:
    """A deep draw as recorded: dtype, length, the digest of its canonical bytes, first values,
    and (recorded since long draws of samplers came in) the CRC-32 of each block of ``BLOCK``
    values, so that a changed stream is narrowed to the first block that differs."""

    dtype: str
    length: int
    digest: str
    head: list[Any]
    blocks: bytes | None = None  # little-endian uint32 CRC-32s, one per block of BLOCK values

    def same(self, other: "Digest") -> bool:
        return (self.dtype, self.length, self.digest) == (other.dtype, other.length, other.digest)

    def first_block_differing(self, other: "Digest") -> int | None:
        """The index of the first block whose CRC differs (None: either has no blocks, or
        every block agrees)."""
        if self.blocks is None or other.blocks is None:
            return None
        mine = np.frombuffer(self.blocks, dtype="<u4")
        theirs = np.frombuffer(other.blocks, dtype="<u4")
        n = min(mine.size, theirs.size)
        differ = np.flatnonzero(mine[:n] != theirs[:n])
        return int(differ[0]) if differ.size else (n if mine.size != theirs.size else None)

    def parting(self, other: "Digest", start: int = 0) -> tuple[int, str] | None:
        """Where ``other`` parts from this draw, for people: the first value of the first
        differing block (counted from ``start``, the draw's first value) and ``values A to B
        (block k of N)``; None where the blocks cannot tell."""
        block = self.first_block_differing(other)
        if block is None:
            return None
        first = start + block * BLOCK
        last = min(first + BLOCK, start + self.length) - 1
        return first, (f"values {first} to {last} (block {block + 1} of "
                       f"{-(-self.length // BLOCK)})")


#: Values per block of a deep digest's block CRCs (a million values: 977 blocks, 3.9 KB).
BLOCK = 1024


class DigestsCodec:
    """The deep digests file: its eras hold one :class:`Digest`."""

    format, version, what, cases_are = "rngsuite-deep", 1, "rngsuite deep goldens", \
        "deep case ids"

    def read_header(self, data: dict, path: Path) -> dict:
        algorithm = data.get("digest")
        if algorithm not in ALGORITHMS:
            raise LedgerError(path, "digest", f"{algorithm!r} is not a digest this rngsuite "
                                              f"computes ({', '.join(ALGORITHMS)})")
        return {"digest": algorithm}

    def read_case(self, case_id: str, header: dict, path: Path) -> tuple[DeepCase, str]:
        try:
            return parse_deep_id(case_id), header["digest"]
        except CatalogError as exc:
            raise LedgerError(path, f"case {case_id!r}", str(exc)) from None

    def read_values(self, raw: dict, path: Path, where: str, case: Any) -> Digest:
        case, algorithm = case
        dtype, length, dig, head = (raw.get(k) for k in ("dtype", "length", "digest", "head"))
        if dtype not in DTYPES:
            raise LedgerError(path, where, f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        if not isinstance(length, int) or isinstance(length, bool) or length != case.length:
            raise LedgerError(path, where, f"length {length!r} is not the case's {case.length}")
        hex_digits = ALGORITHMS[algorithm]
        if not (isinstance(dig, str) and re.fullmatch(f"[0-9a-f]{{{hex_digits}}}", dig)):
            raise LedgerError(path, where, f"digest {dig!r} is not {hex_digits} lowercase hex "
                                           f"digits ({algorithm})")
        want = min(HEAD, length)
        if not isinstance(head, list) or len(head) != want:
            raise LedgerError(path, where, f"head must list the first {want} values")
        blocks = None
        if "blocks" in raw:
            text, count = raw["blocks"], -(-length // BLOCK)
            try:
                blocks = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
            except binascii.Error:
                blocks = b""
            if len(blocks) != 4 * count:
                raise LedgerError(path, where, f"blocks must be the base64 of {count} CRC-32s "
                                               f"(one per {BLOCK} values)")
        return Digest(dtype, length, dig, check_values(head, dtype, path, f"{where} head").tolist(),
                      blocks)

    def write_values(self, values: Digest) -> dict:
        out = {"dtype": values.dtype, "length": values.length, "digest": values.digest,
               "head": list(values.head)}
        if values.blocks is not None:
            out["blocks"] = base64.b64encode(values.blocks).decode("ascii")
        return out

    @staticmethod
    def same(a: Digest, b: Digest) -> bool:
        return a.same(b)


DIGESTS = DigestsCodec()


def read_deep(path: Path | str) -> EraFile:
    """The deep digests file (an empty one when there is none yet), validated."""
    path = Path(path)
    if not path.exists():
        return EraFile(path, DIGESTS, {"digest": DIGEST})
    return parse_file(parse_json(path), path, DIGESTS)


# ------------------------------------------------------------------------------------ the ledger
class Ledger:
    """Every store file under one root -- one per backend, and the deep digests -- read and
    validated up front; recordings wait in memory until :meth:`save`."""

    def __init__(self, root: Path, files: dict[str, EraFile], deep: EraFile) -> None:
        self.root = root
        self.files = files
        self.deep = deep
        self._pending: dict[str, list[Pending]] = {}

    @classmethod
    def load(cls, root: Path, *, missing_ok: bool = False) -> "Ledger":
        """Read and check every file under ``root``; an absent ``root`` is an error, or, with
        ``missing_ok`` (a user's ledger before its first recording), an empty ledger."""
        root = Path(root)
        if not root.is_dir():
            if missing_ok and not root.exists():
                return cls(root, {}, read_deep(deep_path(root)))
            raise LedgerError(root, "", "no ledger directory here (pass --ledger DIR)")
        files, arrays = {}, {}
        for path in sorted(root.glob("*.json")):
            lf = read_file(path)
            # Long draws' full values are read and checked now, so that a missing, pickled or
            # tampered array is bad input up front rather than a surprise mid-run; an array
            # several draws share is read once.
            for case_id, eras in lf.cases.items():
                for era in eras:
                    for i, draw in enumerate(era.values):
                        if draw.values is None:
                            entry = f"{path.name}: case {case_id!r} era {era.name} draw {i}"
                            key = (draw.sha256, draw.dtype, draw.shape)
                            if key not in arrays:
                                arrays[key] = load_array(root, draw, entry=entry)
                            draw.values = arrays[key]
                            if draw.values.reshape(-1)[:HEAD].tobytes() != draw.head.tobytes():
                                raise LedgerError(path, entry.partition(": ")[2],
                                                  "head does not match the stored values "
                                                  "(hand-edited or corrupted)")
            files[lf.header["backend"]] = lf
        return cls(root, files, read_deep(deep_path(root)))

    def file(self, store: str) -> EraFile | None:
        """A backend's file, or the deep digests (``DEEP``); None for a backend not recorded."""
        return self.deep if store == DEEP else self.files.get(store)

    def eras(self, store: str, case_id: str) -> list:
        lf = self.file(store)
        return lf.cases.get(case_id, []) if lf else []

    def provenance(self, store: str, label: str) -> dict[str, Any]:
        lf = self.file(store)
        return lf.environments.get(label, {}) if lf else {}

    def full(self, draw: Draw, *, entry: str = "") -> np.ndarray:
        return draw.values if draw.values is not None else load_array(self.root, draw,
                                                                      entry=entry)

    def record(self, store: str, case_id: str, label: str, provenance: dict[str, Any],
               values: Any) -> Recorded:
        """Add one environment's values in memory -- a backend's draws (arrays), or a deep
        case's :class:`Digest` (``store=DEEP``); :meth:`save` writes them."""
        if store == DEEP:
            lf = self.deep
        else:
            values = [Draw.of(a) for a in values]
            lf = self.files.setdefault(store, EraFile(file_for(self.root, store), DRAWS,
                                                      {"backend": store}))
        result = lf.record(case_id, label, provenance, values)
        if result.outcome in ("new-case", "new-era", "joined"):
            self._pending.setdefault(store, []).append((case_id, label, provenance, values))
        return result

    def merge(self, other: "Ledger") -> list[Recorded]:
        """Record every environment of another ledger (a shard) into this one, era by era.

        The same rules as recording apply: an environment joins the era with its values, new
        values append an era, and a recorded environment with other values is a conflict.
        """
        results = []
        stores = [(b, lf) for b, lf in sorted(other.files.items())] + [(DEEP, other.deep)]
        for store, lf in stores:
            for case_id, eras in sorted(lf.cases.items()):
                for era in eras:
                    values = era.values if store == DEEP else [other.full(d) for d in era.values]
                    for label in sorted(era.environments):
                        results.append(self.record(store, case_id, label,
                                                   lf.environments[label], values))
        return results

    def save(self) -> int:
        """Write pending recordings; returns how many files changed.

        Under a lock, each file is read again and the pending recordings are applied to what
        is on disk now, so concurrent recorders add to each other's work instead of losing it.
        """
        changed = 0
        if self._pending:
            self.root.mkdir(parents=True, exist_ok=True)
        for store, items in self._pending.items():
            if store == DEEP:
                written, did = save(self.root, self.deep.path, DIGESTS, self.deep.header, items)
                self.deep = written
            else:
                written, did = save(self.root, file_for(self.root, store), DRAWS,
                                    {"backend": store}, items, before_write=self._write_arrays)
                self.files[store] = written
            changed += did
        self._pending.clear()
        return changed

    def _write_arrays(self, draws: list[Draw]) -> None:
        for draw in draws:
            if draw.size <= SHORT:
                continue
            path = array_path(self.root, draw.sha256)
            if path.exists():
                if path.is_file() and (array_header(path) or ())[:2] == stored_as(draw):
                    continue
                path = alternate_path(self.root, draw)  # the bytes of a draw of another shape
                if path.exists():
                    continue
            buf = io.BytesIO()
            # Canonical little-endian bytes, so the file is the same on every platform.
            a = storable(draw.values)
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
            np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
            inside(self.root, path)
            atomic_write(path, buf.getvalue())
