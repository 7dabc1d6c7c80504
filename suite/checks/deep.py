"""Deep-stream checks: digests of long draws in bounded memory, and windows far into a stream
reached by jump-ahead instead of drawing everything before them.

A deep case (:class:`rngsuite.core.catalog.DeepCase`, rows ``[[deep]]`` of the catalog) is the
values ``start .. start+length-1`` of a call repeated on a stream seeded as the catalog seeds its
backend. The draw is made in chunks into a reusable buffer and hashed as it goes, so memory stays
at one chunk whatever the length; the digest is that of the canonical little-endian bytes of all
the values concatenated (what :func:`rngsuite.core.compare.canonical_bytes` gives for the whole
draw), so the chunk size never changes it. The digest is XXH3-128 (``ledger.DIGEST``), chosen by
measurement (docs/benchmarks.md). It detects changes; it is not a defence against forgery: the
committed file is the trust anchor, as for the rest of the ledger.

A window's start is reached without drawing what comes before it where the bit generator
allows: NumPy's ``PCG64``/``PCG64DXSM.advance`` (one step per 64-bit word), ``Philox.advance``
(one step per 4-word block, the rest drawn), and MT19937 -- NumPy's and torch's CPU generator --
by ``x**k mod phi(x)`` applied to the state, the characteristic-polynomial jump of
:mod:`rngsuite.reference.mt19937` generalised from ``2**128`` to any distance (the state is read
and written through ``MT19937.state`` and ``torch.Generator.get_state``/``set_state``). Other
streams (``SFC64``) draw and discard in chunks: slow, but the same values. torch's CUDA streams
are not deep-checked: their Philox offset advances per kernel launch by an amount set by the
launch geometry, so a chunked draw is not one long draw, and a value position has no offset.

The digests are eras in ``golden/deep/digests.json``, a file of the ledger
(:class:`rngsuite.core.ledger.Digest`); a deep case is judged, reported and recorded as every
catalog case is (:mod:`rngsuite.checks.verdict`, :mod:`rngsuite.checks.recording`).
"""

from __future__ import annotations

import contextlib
import hashlib
import shlex
import struct
import sys
import time
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from rngsuite.checks import conditions
from rngsuite.checks.engine import record_command
from rngsuite.checks.verdict import Verdict, judge, reproduce_line
from rngsuite.core.progress import Bar
from rngsuite.core import provenance as prov
from rngsuite.core.catalog import SAMPLER_CHUNK, Case, DeepCase
from rngsuite.core.compare import canonical_bytes, np_dtype, ulp_distances
from rngsuite.core.ledger import ALGORITHMS, BLOCK, DEEP, DIGEST, HEAD, Digest, Ledger
from rngsuite.reference.mt19937 import MTState, advance as mt_advance

#: Values per chunk: 512 KiB of uint64, so a chunk is hashed while it is still in cache.
CHUNK = 1 << 16
_N = 624  # MT19937 words per block


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
    """:func:`~rngsuite.core.compare.canonical_bytes` of ``a``, without a copy where the memory
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


class _CallStream(Stream):
    """A long draw of a catalog call (``binomial(100,0.5,{n})``) on any backend, through the
    backend protocol: ``open`` once, then ``run`` the call for ``n`` values again and again."""

    def __init__(self, backend: Any, case: DeepCase) -> None:
        backend.check(Case(backend.name, (case.seed,), case.steps_for(1), backend.device))
        self.backend, self.case = backend, case
        self.handle = backend.open([case.seed])[0]

    def draw(self, n: int) -> np.ndarray:
        (step,) = self.case.steps_for(n)
        return np.asarray(self.backend.run(self.handle, step))


def absent(case: DeepCase, backend: Any) -> str | None:
    """Why the deep case cannot be drawn here (the backend cannot run, or the installed release
    has no such call: binomialvariate before Python 3.12), or None."""
    reason = backend.unavailable()
    if reason is None and case.sampler:
        reason = next((r for step in case.steps_for(1) if (r := backend.absent(step))), None)
    return reason


def open_stream(case: DeepCase, backends: dict[str, Any], chunk: int = CHUNK) -> Stream:
    """The case's stream, freshly seeded the way the catalog seeds its backend."""
    backend = backends.get(case.backend)
    if backend is None:
        raise LookupError(f"unknown backend {case.backend!r} in deep case {case.id}")
    if case.sampler:
        return _CallStream(backend, case)
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
    blocks: bytes = b""  # CRC-32 of each BLOCK values (ledger.Digest.blocks)


def _chunks(total: int, chunk: int) -> Iterable[int]:
    while total > 0:
        n = min(chunk, total)
        yield n
        total -= n


class BlockCRCs:
    """The CRC-32 of each run of ``size`` values, fed chunk by chunk of any length."""

    def __init__(self, size: int = BLOCK) -> None:
        self.size, self.crcs, self.crc, self.filled = size, [], 0, 0

    def update(self, values: np.ndarray) -> None:
        i, n = 0, len(values)
        while i < n:
            take = min(self.size - self.filled, n - i)
            self.crc = zlib.crc32(canonical_view(values[i:i + take]), self.crc)
            self.filled, i = self.filled + take, i + take
            if self.filled == self.size:
                self.crcs.append(self.crc)
                self.crc, self.filled = 0, 0

    def finish(self) -> bytes:
        if self.filled:
            self.crcs.append(self.crc)
        return np.asarray(self.crcs, dtype="<u4").tobytes()


def draw(case: DeepCase, backends: dict[str, Any], *, algorithm: str = DIGEST,
         chunk: int = CHUNK, jump: bool = True) -> DeepDraw:
    """Seed, reach ``case.start`` (jumping where the stream can, else drawing), then draw
    ``case.length`` values chunk by chunk, hashing each chunk's canonical bytes (and each block's
    CRC). A long draw of a sampler always draws :data:`SAMPLER_CHUNK` values a call: its chunk
    is part of its definition. A backend with a global stream gets it back as it was."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    if case.sampler:
        chunk = SAMPLER_CHUNK
    begin = time.perf_counter()
    backend = backends.get(case.backend)
    fork = backend.fork() if backend is not None else None
    with fork if fork is not None else contextlib.nullcontext():
        stream = open_stream(case, backends, chunk)
        how = "start"
        walk = case.start if case.start and not (jump and stream.jump_method is not None) else 0
        # 10**8 values and more take seconds to minutes: a bar on a terminal (silent elsewhere).
        bar = Bar(desc=case.id, total=walk + case.length, unit="value")
        if case.start:
            if walk == 0:
                stream.jump(case.start)
                how = f"jump: {stream.jump_method}"
            else:
                for n in _chunks(case.start, chunk):
                    stream.draw(n)
                    bar.update(n)
                how = "drawn"
        h, blocks = hasher(algorithm), BlockCRCs()
        head: np.ndarray | None = None
        for n in _chunks(case.length, chunk):
            values = stream.draw(n)
            if head is None:
                head = values.reshape(-1)[:HEAD].copy()
            elif head.size < HEAD:
                head = np.concatenate([head, values.reshape(-1)[:HEAD - head.size]])
            h.update(canonical_view(values))
            blocks.update(values)
            bar.update(n)
        bar.close()
    head = np.empty(0) if head is None else head  # a draw of no values
    return DeepDraw(case, algorithm, str(head.dtype), case.length, h.hexdigest(), head, how,
                    time.perf_counter() - begin, blocks.finish())


# ------------------------------------------------------------------------------------ verdicts
def ulp_note(recorded: Any, got: Any, dtype: str) -> str:
    """`` (N ULP)`` between two values of a float dtype; nothing for integers."""
    kind = np_dtype(dtype)
    if kind.kind not in "fc":
        return ""
    distance = ulp_distances(np.asarray([recorded], dtype=kind), np.asarray([got], dtype=kind))
    return f" ({float(distance[0]):g} ULP)"


def check(case: DeepCase, ledger: Ledger, backends: dict[str, Any], *,
          chunk: int = CHUNK) -> Verdict:
    """Draw the deep case here and judge it against its recorded digests, as every golden is
    judged; a changed verdict gives both digests and where the first values part."""
    backend = backends.get(case.backend)
    if backend is None:
        raise LookupError(f"unknown backend {case.backend!r} in deep case {case.id}")
    algorithm = ledger.deep.header["digest"]
    drawn = draw(case, backends, algorithm=algorithm, chunk=chunk)
    env = prov.environment(backend.device)
    # A long draw's label carries the CPU conditions its call depends on (conditions.toml), as
    # a catalog case's does; a bare stream's call is in no row.
    keys = conditions.label_keys(case, backend, env)
    values = Digest(drawn.dtype, drawn.length, drawn.digest, drawn.head.tolist(), drawn.blocks)
    verdict = Verdict(case, backend, DEEP, "unrecorded", prov.label(env, keys), env,
                      values=values, recorded=ledger.deep.environments,
                      seed_note=f"values {case.start} to {case.start + case.length - 1} of "
                                f"{case.call} ({drawn.how})",
                      reproduce=reproduce_line(f"python -m rngsuite deep verify --case "
                                               f"{shlex.quote(case.id)}", python=False),
                      record_command=record_command(backend, case.id, deep=True))
    verdict.seconds = drawn.seconds
    judge(verdict, ledger.eras(DEEP, case.id), lambda era: era.values.same(values),
          closest=lambda eras: eras[-1])
    if verdict.status == "changed":
        shown: Digest = verdict.era.values
        verdict.detail = [f"  {algorithm}: recorded {shown.digest} ({shown.dtype}, "
                          f"{shown.length} values), got {values.digest} ({values.dtype}, "
                          f"{values.length})"]
        k = next((i for i, (a, b) in enumerate(zip(shown.head, values.head)) if a != b), None)
        parting = shown.parting(values, case.start)
        if shown.dtype != values.dtype:
            verdict.detail.append(f"  dtype changed: {shown.dtype} -> {values.dtype}")
        elif k is None and parting is not None:
            first, where = parting
            verdict.detail.append(
                f"  first difference in {where}: the {first - case.start} values before it "
                f"are equal; the first {len(values.head)} values are equal")
        elif k is None:
            verdict.detail.append(f"  the first {len(values.head)} values are equal: the stream "
                                  "parts later (narrow the window to find where)")
        else:
            verdict.detail.append(f"  first difference at value {case.start + k}: recorded "
                                  f"{shown.head[k]!r}, got {values.head[k]!r}"
                                  f"{ulp_note(shown.head[k], values.head[k], values.dtype)}")
    return verdict
