"""The adapter protocol every backend implements, and the shared machinery behind it.

A backend turns a catalog :class:`~rngsuite.core.catalog.Case` into arrays: it seeds one stream per seed
(``open``), runs each call on its stream (``run``), and writes the one-line snippet that
reproduces the case by hand (``snippet``). Properties and golden checks talk only to this
protocol, so none of them branches on a backend's name.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import pickle
import string
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from rngsuite.core.catalog import Call, Case, CatalogError, DType, List, Make, Seed


def _made(arg: Any) -> bool:
    """Whether a catalog argument becomes a mutable library object (a list, a tensor, an array)."""
    if isinstance(arg, (List, Make)):
        return True
    return isinstance(arg, tuple) and any(_made(a) for a in arg)


@dataclass(frozen=True)
class CallSpec:
    """How one call runs on a stream, and how it reads in a snippet.

    ``fn(handle, *args, **kwargs)`` returns the draw. ``template`` is the snippet text: ``{h}`` is
    the stream's expression, ``{args}`` the rendered arguments; backends may add their own fields.
    Statements before the value are separated by ``;`` (``x = {args}; {h}.shuffle(x); x``).
    """

    fn: Callable[..., Any]
    template: str
    #: The handle's own method the call is, where it is one (Python's ``random``): a repeated
    #: call binds it once instead of going through ``fn`` for every value (a third of the cost
    #: of a million ``gammavariate`` calls).
    method: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What every backend adapter provides."""

    name: str
    library: str
    device: str
    max_streams: int
    owner: str | None
    seed_range: tuple[int, int]
    spawn_kinds: tuple[str, ...]
    checkpoints: tuple[str, ...]
    threaded: bool
    tier: str | None

    def unavailable(self) -> str | None:
        """Why this backend cannot run here, or None when it can."""

    def provenance_keys(self) -> tuple[str, ...]:
        """The environment fields this backend's streams can depend on."""

    def supports(self, call: Call) -> bool:
        """Whether the call exists on this backend, in the installed release."""

    def absent(self, call: Call) -> str | None:
        """Why the installed release cannot make the call (it is newer, or gone), or None."""

    def draw(self, case: Case) -> list[np.ndarray]:
        """Seed the case's streams and return one array per step, in order."""

    def snippet(self, case: Case) -> str:
        """A one-line Python program that prints the case's draws."""

    def environment_variables(self) -> dict[str, str]:
        """Variables set here that change this backend's streams (part of the repro line)."""

    def open(self, seeds: Sequence[int]) -> list[Any]:
        """Seed one stream per seed and return their handles."""

    def run(self, handle: Any, call: Call) -> np.ndarray:
        """One call on an open stream."""

    def save(self, handle: Any, how: str) -> Any:
        """A checkpoint of the stream, taken one of the ``checkpoints`` ways."""

    def restore(self, handle: Any, saved: Any, how: str) -> Any:
        """The stream resumed from a checkpoint."""

    def fingerprint(self, handle: Any) -> str:
        """A digest of the stream's whole state."""

    def children(self, handle: Any, how: str, n: int) -> list[Any]:
        """Child streams derived by one of ``spawn_kinds``."""

    def fork(self) -> Any:
        """A context manager restoring the global state on exit, or None."""

    def requested_shape(self, call: Call, draw: np.ndarray) -> tuple[int, ...] | None:
        """The shape one call asked for (None: no size, the scalar path), given its draw."""

    def with_size(self, call: Call, size: Any) -> Call | None:
        """The call with its size argument replaced (None: the call has no size argument)."""

    def threads(self, n: int) -> Any:
        """A context manager under which the library draws with ``n`` threads."""


#: Where a seed form's constructor lives, for a snippet (an entropy list needs none).
_SEED_NAMESPACE = {"numpy-int": "np.", "SeedSequence": "np.random.",
                   "bit-generator": "np.random.", "generator": "np.random."}


@functools.lru_cache(maxsize=None)
def _thread_pools() -> Any:
    """The process's thread pools, found once (threadpoolctl scans the loaded libraries: a few
    milliseconds, too much to repeat for every draw)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class Adapter:
    """Shared implementation of :class:`Backend` over a table of :class:`CallSpec`."""

    name: str
    library: str
    device: str = "cpu"
    max_streams: ClassVar[int] = 1
    #: Whether the library can draw with several threads (thread pools, intra-op threads).
    threaded: ClassVar[bool] = True
    #: A backend whose checks cost far more than their draws (compiling) runs only in its tier
    #: (``python -m rngsuite verify --compiled``); None: in every verify.
    tier: ClassVar[str | None] = None
    #: The global state this backend draws from ("numpy.random"), or None for independent objects.
    owner: str | None = None
    #: Seeds every entry point of this backend accepts, inclusive.
    seed_range: ClassVar[tuple[int, int]] = (0, 2**32 - 1)
    #: Ways to derive child streams (``children``), e.g. "Generator.spawn".
    spawn_kinds: ClassVar[tuple[str, ...]] = ()
    calls: ClassVar[Mapping[str, CallSpec]] = {}
    #: Statement(s) that import the library in a snippet.
    imports: ClassVar[str] = ""

    # -- to be provided by each backend -------------------------------------------------------
    def open(self, seeds: Sequence[int]) -> list[Any]:
        """Seed one stream per seed and return their handles."""
        raise NotImplementedError

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        """Statements that seed the streams, and each stream's expression."""
        raise NotImplementedError

    def seed_value(self, seed: "int | Seed") -> Any:
        """A catalog seed as the library takes it: an int as it is; a :class:`Seed` form built
        with NumPy (a NumPy integer, an entropy list, a SeedSequence, a bit generator, a
        Generator), whichever library is seeded with it -- whether it accepts it is the point."""
        if not isinstance(seed, Seed):
            return seed
        if seed.kind == "numpy-int":
            return getattr(np, seed.type)(seed.value)
        if seed.kind == "entropy":
            return list(seed.value)
        if seed.kind == "SeedSequence":
            entropy = list(seed.value) if isinstance(seed.value, tuple) else seed.value
            return np.random.SeedSequence(entropy, spawn_key=seed.spawn_key)
        if seed.kind == "bit-generator":
            return getattr(np.random, seed.type)(seed.value)
        if seed.kind == "generator":
            return np.random.default_rng(seed.value)
        raise CatalogError(f"{self.name}: no seed form {seed.kind!r}")

    def seed_text(self, seed: "int | Seed") -> str:
        """The seed as Python source in a snippet (``np.uint32(17)``, ``[17,3]``): the catalog's
        own text of the form, which is Python, with the NumPy namespace it is built in."""
        if not isinstance(seed, Seed):
            return repr(seed)
        return _SEED_NAMESPACE.get(seed.kind, "") + str(seed)

    @staticmethod
    def stream_names(seeds: Sequence[int], prefix: str) -> list[str]:
        """Snippet names of the streams: ``g`` for one, ``ga``, ``gb``... for several."""
        if len(seeds) == 1:
            return [prefix]
        return [f"{prefix}{string.ascii_lowercase[i]}" for i in range(len(seeds))]

    def make(self, maker: Make) -> Any:
        """Build an array argument with this backend's library."""
        raise NotImplementedError

    def dtype(self, dtype: DType) -> Any:
        raise NotImplementedError

    def render_make(self, maker: Make) -> str:
        raise NotImplementedError

    def render_dtype(self, dtype: DType) -> str:
        raise NotImplementedError

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)

    def stack(self, values: list[Any]) -> np.ndarray:
        """The draws of a repeated call (``random()*5``) as one array."""
        return np.stack([self.to_numpy(v) for v in values])

    def environment_variables(self) -> dict[str, str]:
        """Variables set here that change this backend's streams (part of the repro line)."""
        return {}

    def call_context(self) -> dict[str, Any]:
        """Keyword arguments every call of this backend receives (torch: its device)."""
        return {}

    def snippet_value(self, value: str, call: Call) -> str:
        """A call's value expression as the snippet evaluates it (a compiled backend wraps it
        in ``torch.compile``)."""
        return value

    def template_fields(self, handle: str) -> dict[str, str]:
        """Extra snippet fields (torch adds its ``generator=`` and ``device=`` arguments)."""
        return {}

    # -- shared ---------------------------------------------------------------------------------
    def unavailable(self) -> str | None:
        return None

    def provenance_keys(self) -> tuple[str, ...]:
        return (self.library, "system", "machine")

    def supports(self, call: Call) -> bool:
        return self.absent(call) is None

    def absent(self, call: Call) -> str | None:
        if call.name in self.calls:
            return None
        from rngsuite.core.provenance import environment

        return f"no {call.name} in {self.library} {environment(self.device).get(self.library)}"

    def _spec(self, case: Case, call: Call) -> CallSpec:
        spec = self.calls.get(call.name)
        if spec is None:
            raise CatalogError(f"{case.id}: {self.name} has no call {call.name!r} "
                               f"(it has {', '.join(sorted(self.calls))})")
        return spec

    def _value(self, arg: Any) -> Any:
        if isinstance(arg, List):  # [..] in the catalog: the library gets a list
            return [self._value(a) for a in arg]
        if isinstance(arg, Make):
            return self.make(arg)
        if isinstance(arg, DType):
            return self.dtype(arg)
        if isinstance(arg, tuple):
            return tuple(self._value(a) for a in arg)
        return arg

    def _text(self, arg: Any) -> str:
        if isinstance(arg, List):
            return f"[{', '.join(self._text(a) for a in arg)}]"
        if isinstance(arg, Make):
            return self.render_make(arg)
        if isinstance(arg, DType):
            return self.render_dtype(arg)
        if isinstance(arg, tuple):
            inner = ", ".join(self._text(a) for a in arg)
            return f"({inner},)" if len(arg) == 1 else f"({inner})"
        return repr(arg)

    def check(self, case: Case) -> None:
        if len(case.seeds) > self.max_streams:
            raise CatalogError(f"{case.id}: {self.name} has one global stream; "
                               f"it cannot take {len(case.seeds)} seeds")
        for call in case.steps:
            self._spec(case, call)

    def draw(self, case: Case) -> list[np.ndarray]:
        self.check(case)
        handles = self.open(case.seeds)
        return [self.run(handles[call.stream], call) for call in case.steps]

    def run(self, handle: Any, call: Call) -> np.ndarray:
        """One call on an open stream, as an array."""
        spec = self.calls.get(call.name)
        if spec is None:
            raise CatalogError(f"{self.name} has no call {call.name!r}")
        context = self.call_context()

        # Made inputs (tensors, arrays, lists) are rebuilt for every repetition: calls such as
        # shuffle work in place. Plain arguments are built once: Python's random draws one
        # number a call, 1,000 repetitions a case, and rebuilding them was a third of its cost.
        def build() -> tuple[list, dict]:
            return ([self._value(a) for a in call.args],
                    {**{k: self._value(v) for k, v in call.kwargs}, **context})

        if call.repeat == 1:
            args, kwargs = build()
            return self.to_numpy(spec.fn(handle, *args, **kwargs))
        if any(_made(a) for a in call.args) or any(_made(v) for _, v in call.kwargs):
            return self.stack([spec.fn(handle, *a, **k) for a, k in
                               (build() for _ in range(call.repeat))])
        args, kwargs = build()
        if spec.method is not None:
            bound = getattr(handle, spec.method)
            return self.stack([bound(*args, **kwargs) for _ in range(call.repeat)])
        return self.stack([spec.fn(handle, *args, **kwargs) for _ in range(call.repeat)])

    # -- stream state: checkpoints, fingerprints, children ----------------------------------------
    def get_state(self, handle: Any) -> Any:
        """The stream's state, as the library's own get-state call returns it."""
        raise NotImplementedError

    def set_state(self, handle: Any, state: Any) -> None:
        raise NotImplementedError

    @property
    def checkpoints(self) -> tuple[str, ...]:
        """Ways to checkpoint a stream: the state API, and for objects pickle and deepcopy."""
        return ("state",) if self.owner else ("state", "pickle", "deepcopy")

    def save(self, handle: Any, how: str) -> Any:
        if how == "state":
            return copy.deepcopy(self.get_state(handle))
        if how == "pickle":
            return pickle.dumps(handle)
        if how == "deepcopy":
            return copy.deepcopy(handle)
        raise ValueError(f"{self.name}: no checkpoint {how!r}")

    def restore(self, handle: Any, saved: Any, how: str) -> Any:
        """Resume from a checkpoint; returns the handle to draw from (a new one for copies)."""
        if how == "state":
            self.set_state(handle, copy.deepcopy(saved))
            return handle
        if how == "pickle":
            # Bytes this process made in save(), never a file: golden data is not read this way.
            return pickle.loads(saved)
        if how == "deepcopy":
            return copy.deepcopy(saved)
        raise ValueError(f"{self.name}: no checkpoint {how!r}")

    def fingerprint(self, handle: Any) -> str:
        """A digest of the stream's whole state: equal exactly when the states are equal."""
        state = self.canonical_state(self.get_state(handle))
        return hashlib.sha256(pickle.dumps(state)).hexdigest()

    def canonical_state(self, state: Any) -> Any:
        """The state as plain picklable values (torch turns its tensors into bytes)."""
        return state

    def children(self, handle: Any, how: str, n: int) -> list[Any]:
        """n child streams made from a stream by one of ``spawn_kinds``."""
        raise ValueError(f"{self.name}: no children by {how!r}")

    def fork(self) -> Any:
        """A context manager that restores this backend's global state on exit, if it has one."""
        return None

    def requested_shape(self, call: Call, draw: np.ndarray) -> tuple[int, ...] | None:
        """The shape one call asked for: here its draw's shape (a repeated call's draws are
        stacked along a first axis); backends whose calls say more override it."""
        return tuple(draw.shape[1:] if call.repeat != 1 else draw.shape)

    def with_size(self, call: Call, size: Any) -> Call | None:
        """The call with its size argument replaced; None here (no generic way to find it)."""
        return None

    def threads(self, n: int) -> Any:
        """A context manager under which the library draws with ``n`` threads: every thread pool
        loaded in the process -- BLAS (NumPy's ``multivariate_normal`` goes through LAPACK),
        OpenMP -- is limited to ``n`` by threadpoolctl (which can lower a pool, not raise it)."""
        return _thread_pools().limit(limits=n)

    def snippet(self, case: Case) -> str:
        """The Python program (one line) that prints the case's draws."""
        self.check(case)
        setup, handles = self.seed_snippet(case.seeds)
        lines = [self.imports, setup] if self.imports else [setup]
        if any(isinstance(s, Seed) for s in case.seeds) and "numpy as np" not in self.imports:
            lines.insert(0, "import numpy as np")  # the seed form is built with NumPy
        for call in case.steps:
            spec = self.calls[call.name]
            handle = handles[call.stream]
            pos = ", ".join(self._text(a) for a in call.args)
            kw = ", ".join(f"{k}={self._text(v)}" for k, v in call.kwargs)
            args = ", ".join(x for x in (pos, kw) if x)
            text = spec.template.format(h=handle, args=args, pos=pos, kw=kw,
                                        kw_=f", {kw}" if kw else "",
                                        **self.template_fields(handle))
            *statements, value = [s.strip() for s in text.split(";")]
            value = self.snippet_value(value, call)
            if call.repeat != 1:
                if statements:
                    raise CatalogError(f"{case.id}: {call.name} cannot be repeated with '*'")
                value = f"[{value} for _ in range({call.repeat})]"
            lines.extend(statements)
            lines.append(f"print({value})")
        return "; ".join(line for line in lines if line)
