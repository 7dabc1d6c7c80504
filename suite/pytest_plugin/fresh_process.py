"""A second Python process for the resume property: it restores a checkpoint taken here into a
stream of its own and draws on, as a training job resumed on another day does.

The checkpoint travels as a training loop's does: the library's state object (``get_state``),
pickled by this run and read back by its own child, never a file of the ledger. Before
restoring, the child seeds the stream with another seed, so a restore that leaves anything of
the stream's old state in place shows.

    python -m rngsuite.pytest_plugin.fresh_process [DEVICE...]   (started by FreshProcess)

The session starts it as soon as it has collected a test marked ``fresh_process``, so that the
child imports torch and the other libraries while the first tests run, not when the first
resume waits for it.
"""

from __future__ import annotations

import atexit
import pickle
import struct
import subprocess
import sys
from typing import Any, BinaryIO

from rngsuite.core.provenance import emulated

_LENGTH = struct.Struct("<Q")


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the other process closed the pipe")
    (n,) = _LENGTH.unpack(head)
    # Bytes this run's own parent or child process wrote into a pipe: never a file.
    return pickle.loads(stream.read(n))


def shared(devices: tuple[str, ...] = ("cpu",)) -> "FreshProcess":
    """The run's one child process, started at first use (with the backends of ``devices``
    ready) and stopped when the run ends."""
    global _SHARED
    if emulated():
        # The host kernel cannot start the emulated interpreter without binfmt_misc (which
        # would change the host): every restore in a fresh process is skipped there.
        import pytest

        pytest.skip("restoring in a fresh process is not run under QEMU user-mode emulation")
    if _SHARED is None or _SHARED.proc.poll() is not None:
        _SHARED = FreshProcess(devices)
        atexit.register(_SHARED.close)
    return _SHARED


_SHARED: "FreshProcess | None" = None


class FreshProcess:
    """The child process, started once and given one resume after another."""

    def __init__(self, devices: tuple[str, ...] = ("cpu",)) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, *devices],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def resume(self, backend: Any, saved: Any, calls: list[str], *, how: str = "state",
               other_seed: int, spawn: tuple[str, int, str] | None = None) -> list:
        """Restore ``saved`` (``backend.save(stream, how)``) into the child's own stream of the
        same backend, first seeded with ``other_seed``, and draw ``calls`` (catalog syntax)
        there; with ``spawn = (kind, n, probe)``, also the probe of each of n children spawned
        after them. Returns the arrays, in order."""
        _send(self.proc.stdin, (backend.name, backend.device, saved, how, calls, other_seed,
                                spawn))
        ok, value = _receive(self.proc.stdout)
        if not ok:
            raise RuntimeError(f"the fresh process failed: {value}")
        return value

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def _serve(devices: list[str]) -> None:
    from rngsuite.backends import registry
    from rngsuite.core.catalog import parse_call

    backends: dict[tuple[str, str], Any] = {}
    # Ready before the first request: every backend's library imported and a stream opened
    # once (importing torch alone takes seconds). A backend that fails here is left to fail
    # at its first request, where the parent reports it; a device without one is skipped.
    for device in devices:
        for name, backend in registry([device]).items():
            backends[name, device] = backend
            if backend.unavailable() is None:
                try:
                    backend.open([1])
                except Exception:  # noqa: BLE001 -- reported at the first real request
                    pass
    while True:
        try:
            name, device, saved, how, calls, other_seed, spawn = _receive(sys.stdin.buffer)
        except EOFError:
            return
        try:
            if (name, device) not in backends:
                backends[name, device] = registry([device])[name]
            backend = backends[name, device]
            stream = backend.open([other_seed])[0]
            stream = backend.restore(stream, saved, how)
            out = [backend.run(stream, parse_call(c)) for c in calls]
            if spawn is not None:
                kind, n, probe = spawn
                out += [backend.run(child, parse_call(probe))
                        for child in backend.children(stream, kind, n)]
            _send(sys.stdout.buffer, (True, out))
        except Exception as exc:  # said to the parent, which fails the example with it
            _send(sys.stdout.buffer, (False, f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    _serve(sys.argv[1:])
