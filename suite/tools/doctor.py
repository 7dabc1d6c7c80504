"""``python -m rngsuite doctor``: check the golden ledger's integrity and say exactly what is wrong.

Every other command stops at the first bad entry it reads (exit 2); doctor reads everything and
reports every problem, including those no other command would notice:

* every ``<backend>.json`` parses strictly (UTF-8 JSON, no NaN/Infinity, no key twice in one
  object), is an rngsuite ledger of a format version this rngsuite reads, and is byte for byte
  as rngsuite writes it (anything else was edited by hand or by another tool);
* every draw: a known dtype, a shape, a digest, values exactly of the dtype; short draws' values
  and long draws' array files agree with the digest (recomputed), the dtype and the shape, and a
  long draw's head with its array;
* ``arrays/``: every file is ``<sha256>.npy``, is referenced by some draw (orphans are reported),
  holds nothing after the array's data, and is never unpickled; temporary files left by an
  interrupted write are reported;
* eras: named A, B, C… in order; each lists at least one environment; no environment is in two
  eras of one case; no two eras of a case hold the same draws; each era has one draw per call of
  its catalog case;
* provenance: every environment an era names has a record; each record has the fields its
  backend's labels are made of (and the ones recorded for every environment), its label is what
  those fields make, its device is the backend's; no record is left that no era uses;
* the catalog: catalog cases with no recording, and recordings of no catalog case (stale).

Each problem is one line, ``FILE: ENTRY: what is wrong``, then a summary line. Exit status, by
the CLI's conventions: 0 clean; 2 the ledger's data is damaged or inconsistent (bad input); 1 the
data is sound but does not match the catalog (a case not recorded, or a stale recording) -- what
``verify`` would fail on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from rngsuite.checks import conditions
from rngsuite.core import provenance as prov
from rngsuite.core.ledger import (DRAWS, HEAD, Draw, deep_path, file_for, load_array, read_deep,
                                  read_draw, same_draws)
from rngsuite.core.store import (TEMPORARY_PREFIX, TEMPORARY_SUFFIX, BadConstant, LedgerError,
                                 era_name, parse_file, parse_json)

INTEGRITY, COVERAGE = "integrity", "coverage"
#: Fields every environment's provenance has held since format version 1, whatever its backend.
RECORDED_FIELDS = ("python", "system", "os", "machine", "isa", "device")
# <sha256>.npy, or <sha256>-<dtype>-<shape>.npy (ledger.alternate_path).
_ARRAY_NAME = re.compile(r"^([0-9a-f]{64})(?:-[a-z0-9]+-(?:\d+(?:x\d+)*|scalar))?\.npy$")
#: Problems doctor keeps and prints in full; past it, only counted ("and N more"): a damaged
#: 10 MB file once made 2.6 million lines, which no one reads and which cost gigabytes.
SHOWN = 200
# What store.atomic_write writes before replacing a file.
_TEMPORARY = re.compile(rf"^{re.escape(TEMPORARY_PREFIX)}.+{re.escape(TEMPORARY_SUFFIX)}$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located by file and entry."""

    path: Path
    entry: str
    what: str
    kind: str = INTEGRITY  # integrity: damaged or inconsistent data; coverage: vs the catalog

    def __str__(self) -> str:
        where = f"{self.path}: {self.entry}" if self.entry else str(self.path)
        return f"{where}: {self.what}"


@dataclass
class Findings:
    """What doctor found in one ledger, and how much it checked."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    environments: int = 0
    cases: int = 0
    eras: int = 0
    draws: int = 0
    arrays: int = 0
    #: Problems past the first SHOWN, by kind: counted, not kept.
    more: dict[str, int] = field(default_factory=dict)

    def add(self, path: Path | str, entry: str, what: str, kind: str = INTEGRITY) -> None:
        self._keep(Problem(Path(path), entry, what, kind))

    def error(self, exc: LedgerError) -> None:
        self._keep(Problem(exc.path, exc.entry, exc.problem))

    def _keep(self, problem: Problem) -> None:
        if len(self.problems) < SHOWN:
            self.problems.append(problem)
        else:
            self.more[problem.kind] = self.more.get(problem.kind, 0) + 1

    @property
    def exit_code(self) -> int:
        if self.more.get(INTEGRITY) or any(p.kind == INTEGRITY for p in self.problems):
            return 2
        return 1 if self.problems else 0

    def lines(self) -> list[str]:
        """One line per problem kept, then how many more were found."""
        more = sum(self.more.values())
        return [str(p) for p in self.problems] + (
            [f"... and {more:,} more problem{'s' if more > 1 else ''} (the first {SHOWN} are "
             "shown)"] if more else [])

    def summary(self) -> str:
        checked = (f"{self.files} ledger files, {self.environments} environments, {self.cases} "
                   f"cases, {self.eras} eras, {self.draws} draws, {self.arrays} arrays checked")
        if not self.problems:
            return f"doctor: {self.root}: clean: {checked}"
        n = len(self.problems) + sum(self.more.values())
        integrity = sum(p.kind == INTEGRITY for p in self.problems) + self.more.get(INTEGRITY, 0)
        files = len({p.path for p in self.problems})
        return (f"doctor: {self.root}: {n} problem{'s' if n > 1 else ''} ({integrity} integrity, "
                f"{n - integrity} catalog coverage) in {files} file{'s' if files > 1 else ''}; "
                f"{checked}")


def _devices(backend_names: list[str]) -> list[str]:
    """The devices the ledger's backends draw on (``torch:cuda`` -> cuda), CPU always."""
    devices = ["cpu"]
    for name in backend_names:
        device = name.split(":", 1)[1] if ":" in name else "cpu"
        if device.split(":")[0] in ("cuda", "mps") and device not in devices:
            devices.append(device)
    return devices


class _Doctor:
    def __init__(self, root: Path, findings: Findings, backends: dict[str, Any],
                 catalog: dict[str, Any] | None) -> None:
        self.root, self.f, self.backends, self.catalog = root, findings, backends, catalog
        self.referenced: set[str] = set()
        #: A file whose draws could not all be read: arrays may look unreferenced that are not.
        self.unread = False
        self.bad_arrays: set[str] = set()  # arrays a draw could not load (said for that draw)
        self._arrays: dict[tuple[str, str, tuple[int, ...]], Any] = {}
        #: backend -> the case ids its file records (absent: no usable file).
        self.recorded: dict[str, set[str]] = {}

    # -- one ledger file ---------------------------------------------------------------------
    def check_file(self, path: Path, data: Any) -> None:
        f = self.f
        before = len(f.problems)
        try:  # the header: format, version, backend, environments
            header = parse_file({**data, "cases": {}} if isinstance(data, dict) else data, path,
                                DRAWS)
        except LedgerError as exc:
            f.error(exc)
            self.unread = True
            return
        if not isinstance(data.get("cases"), dict):
            f.add(path, "cases", "must map case ids to lists of eras")
            self.unread = True
            return
        backend, envs = header.header["backend"], header.environments
        b = self.backends.get(backend)
        if b is None and self.catalog is not None:  # (a user's ledger has no backends)
            f.add(path, "backend", f"{backend!r} is not a backend of this rngsuite "
                                   "(suite/backends): a stale file, or one of a newer rngsuite?",
                  COVERAGE)
        cases = data["cases"]
        self.recorded[backend] = set(cases)
        used: set[str] = set()
        for case_id, eras_raw in cases.items():
            self.check_case(path, backend, case_id, eras_raw, envs, used)
        for label, record in envs.items():
            f.environments += 1
            self.check_environment(path, backend, b, label, record, used)
        if len(f.problems) == before:
            # Sound, yet not as rngsuite writes it: an edit no digest covers (provenance, order).
            try:
                text = parse_file(data, path, DRAWS).text()
            except LedgerError as exc:  # the reader refuses what doctor let through: say so
                f.error(exc)
                return
            actual = path.read_text(encoding="utf-8")
            if text != actual:
                line = next((i for i, (x, y) in enumerate(
                    zip(text.splitlines(), actual.splitlines()), 1) if x != y),
                    min(len(text.splitlines()), len(actual.splitlines())) + 1)
                f.add(path, f"line {line}", "not as rngsuite writes it: hand-edited, or written "
                                            "by another tool")

    def check_environment(self, path: Path, backend: str, b: Any, label: str, record: dict,
                          used: set[str]) -> None:
        f, entry = self.f, f"environment {label!r}"
        for key, value in record.items():
            if isinstance(value, BadConstant):
                f.add(path, entry, f"provenance field {key!r} is {value.text}, not a value")
        if label not in used:
            f.add(path, entry, "is in no era of any case: provenance of nothing (hand-edited?)")
        missing = [k for k in RECORDED_FIELDS if k not in record]
        if missing:
            f.add(path, entry, f"provenance lacks {', '.join(missing)} (recorded for every "
                               "environment)")
        if b is None:
            return
        keys = b.provenance_keys()
        lacking = [k for k in keys if record.get(k) is None]
        if lacking:
            f.add(path, entry, f"provenance lacks {', '.join(lacking)}, which {backend} "
                               f"labels are made of ({'/'.join(keys)})")
        elif label not in {prov.label(record, k) for k in conditions.possible_keys(b)}:
            # (A case whose stream depends on a condition -- conditions.toml -- has that field
            # in its label too.)
            f.add(path, entry, f"label does not match its provenance: its {'/'.join(keys)} "
                               f"make {prov.label(record, keys)!r}")
        if "device" in record and record["device"] != b.device:
            f.add(path, entry, f"provenance says device {record['device']!r}; {backend} draws "
                               f"on {b.device!r}")

    def check_case(self, path: Path, backend: str, case_id: str, eras_raw: Any,
                   envs: dict[str, Any], used: set[str]) -> None:
        f, where = self.f, f"case {case_id!r}"
        f.cases += 1
        if not case_id.startswith(backend + ":"):
            f.add(path, where, f"is not a case of backend {backend}")
        case = self.catalog.get(case_id) if self.catalog is not None else None
        if self.catalog is not None and case is None and backend in self.backends:
            f.add(path, where, "recorded, but no catalog case has this id: stale (renamed or "
                               "removed from suite/data/catalog.toml?)", COVERAGE)
        if not isinstance(eras_raw, list) or not eras_raw:
            f.add(path, where, "must list at least one era")
            self.unread = True
            return
        home: dict[str, str] = {}
        eras: list[tuple[str, list[Draw] | None]] = []
        for i, era_raw in enumerate(eras_raw):
            f.eras += 1
            expected = era_name(i)
            name = era_raw.get("era") if isinstance(era_raw, dict) else None
            this = f"era {expected}" if name == expected else f"era #{i + 1}"
            if name != expected:
                f.add(path, f"{where} era #{i + 1}", f"era is {name!r}, expected {expected!r}")
                if not isinstance(era_raw, dict):
                    self.unread = True
                    continue
            era_where = f"{where} {this}"
            env_list = era_raw.get("environments")
            if not isinstance(env_list, list) or not env_list:
                f.add(path, era_where, "must list the environments that produced it")
                env_list = env_list if isinstance(env_list, list) else []
            for label in env_list:
                if not isinstance(label, str):
                    f.add(path, era_where, f"{label!r} is not an environment label")
                    continue
                used.add(label)
                if label not in envs:
                    f.add(path, era_where, f"environment {label!r} has no provenance")
                if label in home:
                    f.add(path, era_where, f"environment {label!r} is listed twice" if
                          home[label] == this else f"environment {label!r} is in two eras "
                          f"({home[label]} and {this})")
                else:
                    home[label] = this
            eras.append((this, self.check_draws(path, case, era_raw.get("draws"), era_where)))
        for j, (later, draws) in enumerate(eras):
            earlier = next((e for e, d in eras[:j] if d is not None and draws is not None
                            and same_draws(d, draws)), None)
            if earlier is not None:
                f.add(path, f"{where} {later}", f"has the same draws as {earlier}: one set of "
                                                "values is one era")

    def check_draws(self, path: Path, case: Any, draws_raw: Any, era_where: str
                    ) -> list[Draw] | None:
        """The era's draws, checked; None when any is unusable."""
        f = self.f
        if not isinstance(draws_raw, list) or not draws_raw:
            f.add(path, era_where, "must list its draws")
            self.unread = True
            return None
        draws: list[Draw] | None = []
        for j, raw in enumerate(draws_raw):
            f.draws += 1
            entry = f"{era_where} draw {j}"
            sha = raw.get("sha256") if isinstance(raw, dict) else None
            if isinstance(sha, str):
                self.referenced.add(sha)  # even when the draw is unusable: its array is not orphan
            else:
                self.unread = True
            try:
                draw = read_draw(raw, path, entry)
                if draw.values is None:
                    self.check_long(path, draw, entry)
            except LedgerError as exc:
                f.error(exc)
                draws = None
                continue
            if draws is not None:
                draws.append(draw)
        if case is not None and len(draws_raw) != len(case.steps):
            f.add(path, era_where, f"has {len(draws_raw)} draw{'s' if len(draws_raw) > 1 else ''}"
                                   f"; its catalog case makes {len(case.steps)} call"
                                   f"{'s' if len(case.steps) > 1 else ''}")
        return draws

    def check_long(self, path: Path, draw: Draw, entry: str) -> None:
        """A long draw's array file: present, not a pickle, the digest, dtype, shape and head."""
        self.referenced.add(draw.sha256)
        key = (draw.sha256, draw.dtype, draw.shape)
        if key not in self._arrays:
            try:  # as Ledger.load reads it, with the entry named the same way
                self._arrays[key] = load_array(self.root, draw, entry=f"{path.name}: {entry}")
            except LedgerError as exc:
                self._arrays[key] = exc
                self.bad_arrays.add(draw.sha256)
        values = self._arrays[key]
        if isinstance(values, LedgerError):
            # The array's own problem, once per draw that needs it, each with its entry.
            raise LedgerError(values.path, f"{path.name}: {entry}", values.problem)
        if values.reshape(-1)[:HEAD].tobytes() != draw.head.tobytes():
            raise LedgerError(path, entry, "head does not match the stored values "
                                           "(hand-edited or corrupted)")

    # -- arrays/ and stray files -------------------------------------------------------------
    def check_arrays(self) -> None:
        f, folder = self.f, self.root / "arrays"
        for p in sorted(self.root.iterdir()):
            if _TEMPORARY.match(p.name):
                f.add(p, "", _STALE)
            elif p.suffix == ".json" and not p.is_file():
                f.add(p, "", "named like a ledger file but not a file (a directory, or a link "
                             "to nothing): rngsuite cannot read it")
        if not folder.is_dir():
            return
        for p in sorted(folder.iterdir()):
            if _TEMPORARY.match(p.name):
                f.add(p, "", _STALE)
                continue
            m = _ARRAY_NAME.match(p.name)
            if not p.is_file() or p.is_symlink() or not m:
                f.add(p, "", "not a file named <sha256>.npy: not part of the ledger")
                continue
            f.arrays += 1
            if m.group(1) not in self.referenced:
                if not self.unread:  # else the draws that refer to it may be unreadable
                    f.add(p, "", "orphan: no draw refers to it (an interrupted recording, or "
                                 "its case was removed by hand)")
                continue
            extra = 0 if m.group(1) in self.bad_arrays else _bytes_after_data(p)
            if extra:
                f.add(p, "", f"has {extra} bytes after the array's data: appended to, or not "
                             "written by rngsuite")

    def check_catalog(self) -> None:
        """Catalog cases of the ledger's backends and devices that no file records."""
        if self.catalog is None:
            return
        absent: dict[str, int] = {}
        for case_id, case in self.catalog.items():
            have = self.recorded.get(case.backend)
            path = file_for(self.root, case.backend)
            if have is None and not path.exists():
                absent[case.backend] = absent.get(case.backend, 0) + 1
            elif have is not None and case_id not in have:
                self.f.add(path, f"case {case_id!r}", "in the catalog but not recorded (python "
                                                      f"-m rngsuite record --case '{case_id}')",
                           COVERAGE)
        for backend, n in absent.items():
            self.f.add(file_for(self.root, backend), "", f"missing: none of the {n} catalog "
                       f"cases of {backend} is recorded (python -m rngsuite record --case "
                       f"'{backend}:*')", COVERAGE)


_STALE = ("a temporary file left by an interrupted write (or one in progress): not part of "
          "the ledger; the next record or merge into this ledger removes it")


def _bytes_after_data(path: Path) -> int:
    """How many bytes a .npy file holds after its array's data (np.load ignores them)."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:
                return 0
            shape, _, dtype = read(fh)
            end = fh.tell() + math.prod(shape) * dtype.itemsize
        return max(path.stat().st_size - end, 0)
    except (ValueError, EOFError, OSError):
        return 0  # unreadable: the draw that refers to it says so


def check(root: Path | str, *, catalog: bool | Iterable[Any] = True) -> Findings:
    """Check the ledger under root, and against the catalog's cases for the ledger's devices
    (``catalog=False``: not against the catalog; a list of cases: against those)."""
    from rngsuite.backends import registry
    from rngsuite.core.catalog import load_catalog

    root = Path(root)
    findings = Findings(root)
    if not root.is_dir():
        findings.add(root, "", "no ledger directory here (pass --ledger DIR)")
        return findings
    parsed, unread = [], False
    for path in sorted(p for p in root.glob("*.json") if p.is_file()):
        findings.files += 1
        try:
            parsed.append((path, parse_json(path)))
        except LedgerError as exc:
            findings.error(exc)
            unread = True
    names = [d["backend"] for _, d in parsed
             if isinstance(d, dict) and isinstance(d.get("backend"), str)]
    devices = _devices(names)
    backends = registry(devices)
    if catalog is True and names and not any(n in backends for n in names):
        # A ledger of a user's own streams (the rng_golden fixture, [tool.rngsuite]): its
        # files are modules and test files, not backends, and the catalog is not its business.
        catalog = False
    if catalog is True:
        catalog = load_catalog(devices=devices)
    cases = {c.id: c for c in catalog} if catalog is not False else None
    doctor = _Doctor(root, findings, backends, cases)
    doctor.unread = unread
    for path, data in parsed:
        doctor.check_file(path, data)
    doctor.check_arrays()
    doctor.check_catalog()
    _check_deep(root, findings)
    return findings


def _check_deep(root: Path, findings: Findings) -> None:
    """The deep-stream digests (``deep/digests.json``), read by the same strict reader the
    ``deep`` command uses: each problem is one line naming the file and the entry."""
    path = deep_path(root)
    if not path.exists():
        return
    findings.files += 1
    try:
        read_deep(path)
    except LedgerError as exc:
        findings.error(exc)
