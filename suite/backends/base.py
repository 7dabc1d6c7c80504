"""The adapter protocol every backend implements, and the shared machinery behind it.

A backend turns a catalog :class:`~suite.catalog.Case` into arrays: it seeds one stream per seed
(``open``), runs each call on its stream (``run``), and writes the one-line snippet that
reproduces the case by hand (``snippet``). Properties and golden checks talk only to this
protocol, so none of them branches on a backend's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from suite.catalog import Call, Case, CatalogError, DType, Make


@dataclass(frozen=True)
class CallSpec:
    """How one call runs on a stream, and how it reads in a snippet.

    ``fn(handle, *args, **kwargs)`` returns the draw. ``template`` is the snippet text: ``{h}`` is
    the stream's expression, ``{args}`` the rendered arguments; backends may add their own fields.
    Statements before the value are separated by ``;`` (``x = {args}; {h}.shuffle(x); x``).
    """

    fn: Callable[..., Any]
    template: str


@runtime_checkable
class Backend(Protocol):
    """What every backend adapter provides."""

    name: str
    library: str
    device: str
    max_streams: int

    def unavailable(self) -> str | None:
        """Why this backend cannot run here, or None when it can."""

    def provenance_keys(self) -> tuple[str, ...]:
        """The environment fields this backend's streams can depend on."""

    def supports(self, call: Call) -> bool:
        """Whether the call exists on this backend."""

    def draw(self, case: Case) -> list[np.ndarray]:
        """Seed the case's streams and return one array per step, in order."""

    def snippet(self, case: Case) -> str:
        """The Python program (one line) that prints the case's draws."""
        """A one-line Python program that reproduces the case's draws."""


class Adapter:
    """Shared implementation of :class:`Backend` over a table of :class:`CallSpec`."""

    name: str
    library: str
    device: str = "cpu"
    max_streams: ClassVar[int] = 1
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

    def template_fields(self, handle: str) -> dict[str, str]:
        """Extra snippet fields (torch adds its ``generator=`` and ``device=`` arguments)."""
        return {}

    # -- shared ---------------------------------------------------------------------------------
    def unavailable(self) -> str | None:
        return None

    def provenance_keys(self) -> tuple[str, ...]:
        return (self.library, "system", "machine")

    def supports(self, call: Call) -> bool:
        return call.name in self.calls

    def _spec(self, case: Case, call: Call) -> CallSpec:
        spec = self.calls.get(call.name)
        if spec is None:
            raise CatalogError(f"{case.id}: {self.name} has no call {call.name!r} "
                               f"(it has {', '.join(sorted(self.calls))})")
        return spec

    def _value(self, arg: Any) -> Any:
        if isinstance(arg, Make):
            return self.make(arg)
        if isinstance(arg, DType):
            return self.dtype(arg)
        if isinstance(arg, tuple):
            return tuple(self._value(a) for a in arg)
        return arg

    def _text(self, arg: Any) -> str:
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
        context = self.call_context()
        out = []
        for call in case.steps:
            spec = self.calls[call.name]
            handle = handles[call.stream]
            # Arguments are rebuilt for every repetition: calls such as shuffle work in place.
            def once() -> Any:
                args = [self._value(a) for a in call.args]
                kwargs = {k: self._value(v) for k, v in call.kwargs}
                return spec.fn(handle, *args, **kwargs, **context)
            if call.repeat == 1:
                out.append(self.to_numpy(once()))
            else:
                out.append(self.stack([once() for _ in range(call.repeat)]))
        return out

    def snippet(self, case: Case) -> str:
        """The Python program (one line) that prints the case's draws."""
        self.check(case)
        setup, handles = self.seed_snippet(case.seeds)
        lines = [self.imports, setup] if self.imports else [setup]
        for call in case.steps:
            spec = self.calls[call.name]
            handle = handles[call.stream]
            args = ", ".join([self._text(a) for a in call.args]
                             + [f"{k}={self._text(v)}" for k, v in call.kwargs])
            text = spec.template.format(h=handle, args=args, **self.template_fields(handle))
            *statements, value = [s.strip() for s in text.split(";")]
            if call.repeat != 1:
                if statements:
                    raise CatalogError(f"{case.id}: {call.name} cannot be repeated with '*'")
                value = f"[{value} for _ in range({call.repeat})]"
            lines.extend(statements)
            lines.append(f"print({value})")
        return "; ".join(line for line in lines if line)
