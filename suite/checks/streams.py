"""A user's own streams, judged like the library's cases.

A stream is whatever a user's code returns for a seed -- a batch, a ``state_dict``, a mask --
checked from their tests (the ``rng_golden`` fixture) or declared in their ``pyproject.toml``
(``[tool.rngsuite]``). Its value is flattened into named arrays (:mod:`rngsuite.core.values`)
and judged against the user's own ledger by the same comparison as a catalog case
(:func:`rngsuite.checks.engine.judge_draws`): the same eras, provenance labels, verdicts, 3 a.m.
messages and recording rules, so ``report``, ``doctor`` and ``merge`` read a user's ledger as
they read the library's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rngsuite.checks.engine import judge_draws
from rngsuite.checks.verdict import Verdict
from rngsuite.core import provenance as prov
from rngsuite.core.compare import DEFAULT_ULP
from rngsuite.core.ledger import Ledger
from rngsuite.core.settings import BadInput
from rngsuite.core.values import NotStorable, flatten

#: The environment a user's stream can depend on: any of the libraries it draws from, the CPU
#: kernels torch picks (AVX2/AVX-512/...), the OS and the architecture, and who made the CPU: a
#: stream that runs a model runs BLAS, and MKL picks its kernels by vendor -- the example
#: project's one training step gave weights 1 ULP apart on an Intel and an AMD CPU at the same
#: AVX2 kernels, a "changed" stream under one label (docs/using.md).
KEYS = ("python", "numpy", "torch", "torch_cpu_capability", "system", "machine", "cpu_vendor")


@dataclass(frozen=True)
class Stream:
    """One of a user's streams: its id (``train:first_batch@17``, or a test's node id), the
    ledger file it lives in (``store``: the module, or the test file), its seeds, and the two
    lines its messages end with."""

    id: str
    store: str
    seeds: tuple = ()
    reproduce: str = ""  # the command or program that shows the value by hand
    record_command: str = ""  # the command that records it
    steps: tuple[str, ...] = field(default=(), compare=False)  # the leaves' names


@dataclass(frozen=True)
class Source:
    """What a user's stream draws from, as a verdict names it: every library it may use, so a
    label changes when any of them does; an upgrade is judged against the last recorded
    ``library`` release (torch by default: the one that promises nothing across releases)."""

    library: str = "torch"
    device: str = "cpu"
    name: str = "streams"
    #: What a change under the same recorded conditions means, in the 3 a.m. message.
    same_conditions: str = "your code, or a library not in the label, changed under them"

    def provenance_keys(self) -> tuple[str, ...]:
        keys = KEYS if self.device == "cpu" else KEYS + ("gpu", "gpu_sms", "cuda")
        return keys

    def environment_variables(self) -> dict[str, str]:
        return {}


class Unstorable(BadInput):
    """A stream's value holds something the ledger cannot store: that stream fails, named."""


def leaves(stream: Stream, value) -> tuple[list[str], list]:
    """The value's leaves (names and arrays); :class:`Unstorable` naming the stream when it
    holds something the ledger cannot store."""
    try:
        pairs = flatten(value)
    except NotStorable as exc:
        raise Unstorable(f"stream {stream.id!r}: {exc}") from None
    return [name or "(the value)" for name, _ in pairs], [a for _, a in pairs]


def check(stream: Stream, value, ledger: Ledger, *, source: Source = Source(),
          ulp: int = DEFAULT_ULP) -> Verdict:
    """Judge a stream's value, made here, against its recorded eras in ``ledger``."""
    names, arrays = leaves(stream, value)
    env = prov.environment(source.device)
    label = prov.label(env, source.provenance_keys())
    case = replace(stream, steps=tuple(names))
    verdict = judge_draws(case, source, stream.store, arrays, ledger, label=label, env=env,
                          ulp=ulp, record_command=stream.record_command, steps=names)
    verdict.reproduce = stream.reproduce
    return verdict
