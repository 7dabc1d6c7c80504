"""A user's project: the streams its ``pyproject.toml`` declares, run and judged.

::

    [tool.rngsuite]
    ledger = "rng_golden"            # the project's own ledger (default rng_golden/)

    [[tool.rngsuite.streams]]
    function = "train:first_batch"   # module:function, imported from the project's folder
    seeds = [17, 3]                  # each call is function(seed)
    devices = ["cpu"]                # optional: function(seed, device=...) for each

``rngsuite verify`` in the project (or below it) checks every declared stream against the
project's ledger, ``rngsuite record`` records them; ids are ``train:first_batch@17`` (with a
device, ``train:first_batch:cuda@17``), one ledger file per module. Every stream is run and
judged before anything is written: a stream that cannot be imported or called, raises, or
returns something the ledger cannot store stops the command in one line naming it, exit 2.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shlex
import signal
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from rngsuite.checks.streams import Stream
from rngsuite.core.catalog import glob_match
from rngsuite.core.settings import BadInput

CONFIG = "pyproject.toml"
DEFAULT_LEDGER = "rng_golden"
#: Seconds a stream may take before it is a failed stream (``--timeout``): a stream is one
#: seeded draw -- a batch, an initialisation --, not a training run.
DEFAULT_TIMEOUT = 120.0
#: Seconds past the timeout before a stream stuck in native code (which no signal reaches)
#: stops the whole command, exit 3, with nothing written.
GRACE = 10.0


class StreamFailed(Exception):
    """A declared stream that failed: it could not be imported, raised, exited, timed out, or
    returned what the ledger cannot store. The message names it, in one line."""
_KEYS = {"function", "seeds", "devices", "library"}


@dataclass(frozen=True)
class Declared:
    """One ``[[tool.rngsuite.streams]]`` entry."""

    function: str  # module:function
    seeds: tuple[int, ...]
    devices: tuple[str, ...] = ()
    library: str = "torch"  # whose upgrades messages measure against


@dataclass(frozen=True)
class Project:
    root: Path
    ledger: Path
    streams: tuple[Declared, ...]
    config: Path


def _table(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML ({exc})") from None
    table = data.get("tool", {}).get("rngsuite")
    if table is not None and not isinstance(table, dict):
        raise BadInput(f"{path}: [tool.rngsuite] must be a table")
    return table


def find(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.rngsuite]`` table."""
    for folder in (start, *start.parents):
        path = folder / CONFIG
        if path.is_file() and _table(path) is not None:
            return path
    return None


def ledger_dir(root: Path) -> Path | None:
    """The ledger ``[tool.rngsuite]`` names in ``root/pyproject.toml`` (the pytest plugin's
    default), or None; :class:`BadInput` where it lies outside the project."""
    path = Path(root) / CONFIG
    table = _table(path) if path.is_file() else None
    if table is None:
        return None
    return within(Path(root), str(table.get("ledger", DEFAULT_LEDGER)), f"{path}: [tool.rngsuite]")


def within(root: Path, name: str, where: str) -> Path:
    """``root/name``, refused in one line when it resolves (``..``, an absolute path, a
    symlink) outside the project: a project's configuration never makes rngsuite write into
    ``/etc`` or a neighbour's folder. ``--ledger DIR`` on the command line is the way to name
    a ledger elsewhere."""
    folder = Path(root) / name
    if not folder.resolve().is_relative_to(Path(root).resolve()):
        raise BadInput(f"{where} ledger: {name!r} resolves to {folder.resolve()}, outside the "
                       f"project {Path(root).resolve()}; a project's ledger lives inside it "
                       "(or pass --ledger DIR)")
    return folder


def load(path: Path) -> Project:
    """The project of a ``pyproject.toml``; :class:`BadInput` naming the file and the entry."""
    table = _table(path) or {}
    where = f"{path}: [tool.rngsuite]"
    unknown = sorted(set(table) - {"ledger", "streams"})
    if unknown:
        raise BadInput(f"{where}: unknown key {unknown[0]!r} (ledger, streams)")
    ledger = table.get("ledger", DEFAULT_LEDGER)
    if not isinstance(ledger, str) or not ledger:
        raise BadInput(f"{where} ledger: {ledger!r} is not a folder name")
    within(path.parent, ledger, where)
    raw = table.get("streams", [])
    if not isinstance(raw, list):
        raise BadInput(f"{where} streams: must be an array of tables ([[tool.rngsuite.streams]])")
    declared = []
    for i, entry in enumerate(raw):
        here = f"{where} streams[{i}]"
        if not isinstance(entry, dict):
            raise BadInput(f"{here}: must be a table")
        extra = sorted(set(entry) - _KEYS)
        if extra:
            raise BadInput(f"{here}: unknown key {extra[0]!r} ({', '.join(sorted(_KEYS))})")
        fn = entry.get("function")
        if not (isinstance(fn, str) and fn.count(":") == 1 and all(fn.split(":"))):
            raise BadInput(f"{here} function: {fn!r} is not 'module:function'")
        seeds = entry.get("seeds")
        if not (isinstance(seeds, list) and seeds and all(
                isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
            raise BadInput(f"{here} seeds: {seeds!r} is not a non-empty list of integers")
        devices = entry.get("devices", [])
        if not (isinstance(devices, list) and all(isinstance(d, str) and d for d in devices)):
            raise BadInput(f"{here} devices: {devices!r} is not a list of device names")
        library = entry.get("library", "torch")
        if library not in ("torch", "numpy", "python", "pandas"):
            raise BadInput(f"{here} library: {library!r} is not torch, numpy, python or pandas")
        declared.append(Declared(fn, tuple(seeds), tuple(devices), library))
        first = next((j for j, d in enumerate(declared[:-1]) if d.function == fn), None)
        if first is not None:
            raise BadInput(f"{here} function: {fn!r} is declared twice (streams[{first}] too); "
                           "list all its seeds and devices in one entry")
        for name, items in (("seeds", seeds), ("devices", devices)):
            twice = next((x for k, x in enumerate(items) if x in items[:k]), None)
            if twice is not None:
                raise BadInput(f"{here} {name}: {twice!r} is listed twice")
    return Project(path.parent, path.parent / ledger, tuple(declared), path)


@dataclass(frozen=True)
class Run:
    """One call of a declared stream: a seed, and a device where the entry lists devices."""

    declared: Declared
    seed: int
    device: str | None

    @property
    def id(self) -> str:
        where = f":{self.device}" if self.device else ""
        return f"{self.declared.function}{where}@{self.seed}"

    @property
    def module(self) -> str:
        return self.declared.function.split(":")[0]

    @property
    def name(self) -> str:
        return self.declared.function.split(":")[1]

    def program(self) -> str:
        device = f", device={self.device!r}" if self.device else ""
        return f"from {self.module} import {self.name}; print({self.name}({self.seed}{device}))"

    def stream(self) -> Stream:
        return Stream(self.id, self.module, (self.seed,),
                      reproduce=f"python -c {shlex.quote(self.program())}",
                      record_command=f"rngsuite record --stream {shlex.quote(self.id)}")


def runs(project: Project, globs: list[str]) -> list[Run]:
    """Every (stream, seed, device) call the project declares, those matching ``globs`` when
    any are given; a glob that matches nothing is bad input."""
    found = [Run(d, seed, device) for d in project.streams for seed in d.seeds
             for device in (d.devices or (None,))]
    if not globs:
        return found
    chosen = [r for r in found if any(glob_match(r.id, g) for g in globs)]
    if not chosen:
        raise BadInput(f"{project.config}: no declared stream matches "
                       f"{', '.join(globs)} (it declares {', '.join(r.id for r in found)})")
    return chosen


@contextlib.contextmanager
def importable(project: Project) -> Iterator[None]:
    """The project's folder (and its src/ layout) first on ``sys.path`` while its streams
    are imported, as ``python -c`` in the project would find them."""
    paths = [str(project.root / "src"), str(project.root)]
    sys.path[:0] = paths
    try:
        yield
    finally:
        for p in paths:
            if p in sys.path:
                sys.path.remove(p)


def function(run: Run) -> Callable[..., Any]:
    """The stream's function, imported; :class:`StreamFailed` naming the stream when its
    module cannot be imported or has no such function."""
    try:
        with _guarded(run, f"importing {run.module!r} did not finish"):
            module = importlib.import_module(run.module)
    except (StreamFailed, UserInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 -- whatever importing the user's module raises
        if isinstance(exc, _TimedOut):
            raise StreamFailed(str(exc)) from None
        raise StreamFailed(f"stream {run.id!r}: cannot import module {run.module!r} "
                           f"({type(exc).__name__}: {_first(exc)})") from None
    fn = getattr(module, run.name, None)
    if not callable(fn):
        raise StreamFailed(f"stream {run.id!r}: module {run.module!r} has no function "
                           f"{run.name!r}")
    return fn


def call(run: Run, *, fn: Callable[..., Any] | None = None, seeded: bool = True,
         timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The stream's value for its seed (and device), or ``fn()`` unseeded; :class:`StreamFailed`
    naming the stream when it cannot be imported or called, raises (``SystemExit`` and
    ``KeyboardInterrupt`` too), or does not return within ``timeout`` seconds."""
    fn = fn or function(run)
    args = (run.seed,) if seeded else ()
    shown = f"{run.declared.function}({', '.join(map(str, args))})"
    try:
        with _guarded(run, f"{shown} did not return", timeout=timeout):
            return fn(*args, device=run.device) if run.device else fn(*args)
    except (StreamFailed, UserInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 -- the user's function failed: say so, in one line
        if isinstance(exc, _TimedOut):
            raise StreamFailed(str(exc)) from None
        what = f"exited (sys.exit({exc.code!r}))" if isinstance(exc, SystemExit) else \
            f"raised {type(exc).__name__}: {_first(exc)}"
        raise StreamFailed(f"stream {run.id!r}: {shown} {what}") from None


class _TimedOut(BaseException):
    """Raised into a stream's code at its deadline: a BaseException, so that the stream's own
    ``except Exception`` does not swallow it."""


class UserInterrupt(KeyboardInterrupt):
    """Ctrl-C pressed while a stream ran: the person wants to stop -- not a failed stream, as a
    ``KeyboardInterrupt`` the stream raises itself is."""


@contextlib.contextmanager
def _guarded(run: Run, doing: str, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Run a stream's code with a deadline: SIGALRM raises in the stream's Python code at
    ``timeout`` seconds; a watchdog ends the process (exit 3, one line, nothing written) when
    native code ignores it for ``GRACE`` more. A real Ctrl-C still stops the command."""
    main = threading.current_thread() is threading.main_thread()
    if not main or timeout <= 0:
        yield
        return
    def on_alarm(signum, frame):
        raise _TimedOut(f"stream {run.id!r}: {doing} within {timeout:g} s (--timeout); "
                           "stopped")

    def on_int(signum, frame):
        raise UserInterrupt()

    def stuck():
        print(f"rngsuite: error: stream {run.id!r}: {doing} within {timeout:g} s and cannot be "
              f"interrupted (stuck in native code?); stopped after {timeout + GRACE:g} s, "
              "nothing written", file=sys.stderr, flush=True)
        os._exit(3)

    watchdog = threading.Timer(timeout + GRACE, stuck)
    watchdog.daemon = True
    old_alarm = signal.signal(signal.SIGALRM, on_alarm)
    old_int = signal.signal(signal.SIGINT, on_int)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    watchdog.start()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        watchdog.cancel()
        signal.signal(signal.SIGALRM, old_alarm)
        signal.signal(signal.SIGINT, old_int)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
