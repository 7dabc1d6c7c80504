"""``rngsuite trace module:function``: which random draws a user's code makes, and which of
them an upgrade changes.

The function runs once under two tracers:

* torch: a ``TorchDispatchMode`` that keeps every op tagged ``torch.Tag.nondeterministic_seeded``
  (the tag ATen puts on each op that draws from a generator), with its overload
  (``aten::bernoulli_.float``), the result's dtype, size, layout and device, and whether it drew
  from the default generator or an explicit ``torch.Generator``. Composite calls reach the mode
  decomposed, so ``F.dropout`` shows as the ``bernoulli_`` it draws with.
* NumPy, Python's ``random`` and pandas: the interpreter's profiling hook (``sys.setprofile``):
  a call of a ``Generator``/``RandomState`` method or of a ``random.Random`` method (C calls:
  their arguments are not visible to the hook, so their size is not known), a call of a
  function of ``random.py``, and ``DataFrame.sample``/``Series.sample``.

Draws in other processes (a DataLoader's workers) and other threads are not traced; the
report says so when the function started workers.

Each traced draw is then mapped to the catalog cases that make the same draw -- for torch the
same op overload, dtype, size band (the kernels' switches, from ``regimes.toml``) and layout,
found by tracing the catalog's own torch cases with the same mode; for the others the same
method of the same kind of generator -- and joined with the ledger: ``--from torch==2.6 --to
torch==2.7`` says, per draw, *changed* (a matching case's recorded values differ between the two
releases, in some recorded conditions), *unchanged* (every matching case was recorded at both
releases with the same values) or *unknown* (no case recorded at both: never reported as
safe).
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from rngsuite.core.catalog import Case
from rngsuite.core.ledger import Ledger
from rngsuite.core.regimes import in_band, load_regimes
from rngsuite.core.provenance import natural_key
from rngsuite.tools.report import Spec, call_name, releases_by_conditions

#: The torch backends whose catalog cases a traced torch draw is matched with: the default
#: generator and explicit generators run the same kernels.
TORCH_BACKENDS = {"default": ("torch:{device}", "torch.Generator:{device}"),
                  "explicit": ("torch.Generator:{device}", "torch:{device}")}


@dataclass(frozen=True)
class Draw:
    """One traced random draw."""

    library: str  # torch | numpy | python | pandas
    op: str  # aten::bernoulli_.float | Generator(PCG64).normal | RandomState.rand | ...
    dtype: str = "-"
    size: str = "-"  # the size band (torch), or "-" where the tracer cannot see the size
    layout: str = "-"  # contiguous | strided
    device: str = "-"
    generator: str = "-"  # torch: default | explicit; NumPy: global | own


@dataclass
class Trace:
    """What a run of the function drew, in order of first draw."""

    draws: Counter = field(default_factory=Counter)
    #: Per kind of draw, where the user's code made it: ``dropout (train.py:63)``.
    sites: dict = field(default_factory=dict)
    workers: int = 0  # DataLoader iterators that started worker processes
    threads: int = 0  # threads the function started (their draws are not traced)
    #: Per kind of torch draw, the digests of what it produced (kept only when asked).
    outputs: dict = field(default_factory=dict)
    #: The names of the other torch ops run (kept only when outputs are asked for).
    computed: set = field(default_factory=set)


# ---------------------------------------------------------------------------- the tracers
#: rngsuite's own folder, the standard library's and site-packages': frames in them are not
#: the user's code.
_OURS = str(Path(__file__).resolve().parent.parent)
_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")})
#: torch's dispatch plumbing, which no user calls by name.
_PLUMBING = ("_python_dispatch.py", "_ops.py", "overrides.py", "_compile.py")


def call_site(frame) -> str:
    """Where a draw came from, for a person: the public library function the user's code
    called to make it, and the user's line -- ``dropout (train.py:63)``, ``kaiming_uniform_
    (train.py:47)``, or ``(train.py:12)`` for a direct call such as ``torch.rand``."""
    api = None
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith((_OURS, "<frozen")):
            frame = frame.f_back
            continue
        if name.startswith(_LIBRARIES):
            code = frame.f_code.co_name
            if api is None and not name.endswith(_PLUMBING) and not code.startswith("_"):
                api = code
            frame = frame.f_back
            continue
        where = f"({Path(name).name}:{frame.f_lineno})"
        return f"{api} {where}" if api else where
    return api or "?"


def size_bands() -> list[str]:
    """torch's size bands: the kernels' switches (``regimes.toml``'s torch size axis), and 0."""
    for axis in load_regimes().axes:
        if axis.library == "torch" and axis.axis == "size":
            return ["0..1", *(value.name for value in axis.values)]
    return ["0.."]


def _band(n: int, bands: list[str]) -> str:
    return next((name for name in bands if in_band(n, name)), str(n))


class _TorchTracer:
    """A dispatch mode that notes every op tagged nondeterministic_seeded that moved a
    generator. The tag marks ops that *may* draw: attention with ``dropout_p=0``, dropout with
    ``p=0`` draw nothing, so the generator's state is compared around each such op (the CPU
    default generator, or the explicit one the op was given) and an op that left it where it
    was is not a draw. ``outputs`` (the catalog's tracing): each draw's output digests too."""

    def __init__(self, note: Callable[..., None], *, outputs: bool = False) -> None:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        bands = size_bands()
        seeded = torch.Tag.nondeterministic_seeded
        computed = self.computed = set()  # the other ops run (outputs=True): see case_draws

        def state(generator: Any) -> Any:
            try:
                return generator.get_state()
            except (RuntimeError, AttributeError):  # a generator that cannot say: assume drawn
                return None

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                if seeded not in func.tags:
                    if outputs:
                        computed.add(func._schema.name.split("::")[-1])
                    return func(*args, **kwargs)
                explicit = kwargs.get("generator")
                generator = explicit if explicit is not None else torch.default_generator
                before = state(generator)
                out = func(*args, **kwargs)
                tensors = [x for x in (out if isinstance(out, (tuple, list)) else (out,))
                           if isinstance(x, torch.Tensor)]
                t = tensors[0] if tensors else (
                    args[0] if args and isinstance(args[0], torch.Tensor) else None)
                on_cpu = t is None or t.device.type == "cpu"
                if on_cpu and before is not None and torch.equal(before, state(generator)):
                    return out  # drew nothing: p=0, dropout_p=0, eval mode
                gen = "explicit" if explicit is not None else "default"
                if t is None:
                    draw = Draw("torch", func.name(), generator=gen)
                else:
                    draw = Draw("torch", func.name(), str(t.dtype).replace("torch.", ""),
                                _band(t.numel(), bands),
                                "contiguous" if t.is_contiguous() else "strided",
                                t.device.type, gen)
                if outputs:
                    note(draw, [_digest(x) for x in (tensors or [t] if t is not None else [])])
                else:
                    note(draw)
                return out

        self.mode = Mode()

    def __enter__(self):
        self.mode.__enter__()
        return self

    def __exit__(self, *exc):
        return self.mode.__exit__(*exc)


def _digest(t: Any) -> str:
    """A tensor's values' digest, as the ledger takes it (its canonical bytes)."""
    from rngsuite.core.compare import digest
    from rngsuite.core.values import tensor_array

    return digest(tensor_array(t))


#: Generator/RandomState attributes that are not draws.
_NOT_DRAWS = {"bit_generator", "spawn", "get_state", "set_state", "seed", "jumped"}
#: Python random methods that are not draws (seeding and state).
_NOT_RANDOM_DRAWS = {"seed", "getstate", "setstate", "__init__", "__init_subclass__"}


def _result(out: Any, args: tuple = ()) -> tuple[str, str]:
    """A NumPy draw's dtype and size, from what it returned (its arguments are not visible to
    the tracer): an array's dtype and element count; a Python number's NumPy type; an in-place
    draw (``shuffle``), which returns None, the array it shuffled."""
    import numpy as np

    if out is None and args and hasattr(args[0], "dtype"):
        return str(args[0].dtype), f"{np.size(args[0])} (in place)"
    if isinstance(out, (bool, int, float, complex)):
        return np.asarray(out).dtype.name, "scalar"
    dtype = getattr(out, "dtype", None)
    if dtype is None:
        return type(out).__name__, "-"
    return str(dtype), str(np.size(out)) if getattr(out, "ndim", 0) else "scalar"


class _PythonTracer:
    """NumPy's generators (traced subclasses handed out while the function runs: Cython
    methods never reach the profiling hook), NumPy's legacy global functions, Python's random
    (the profiling hook) and pandas' sample."""

    def __init__(self, note: Callable[[Draw], None], trace: Trace) -> None:
        import random as random_module

        import numpy as np

        self.note, self.trace, self.np = note, trace, np
        self.random_file = random_module.__file__
        self.system = random_module.SystemRandom
        self.global_random = random_module._inst
        self.global_rs = np.random.mtrand._rand
        # Libraries' own private Random instances (tempfile's names, sympy's) draw as they
        # import: not the user's streams. Their draws are kept only on the global instance.
        paths = sysconfig.get_paths()
        self.library_dirs = tuple({paths[k] for k in ("stdlib", "purelib", "platlib")})
        self.previous = None
        self.saved: dict[str, Any] = {}

    def _traced_class(self, base: type, kind: Callable[[Any], str]) -> type:
        note = self.note
        global_rs = self.global_rs

        depth = [0]

        def wrap(name: str, method: Callable) -> Callable:
            def traced(obj, *args, **kwargs):
                # Only the outermost call: permutation calls shuffle on the same generator.
                depth[0] += 1
                try:
                    out = method(obj, *args, **kwargs)
                finally:
                    depth[0] -= 1
                if depth[0] == 0:
                    dtype, size = _result(out, args)
                    note(Draw("numpy", f"{kind(obj)}.{name}", dtype, size,
                              generator="global" if obj is global_rs else "own"))
                return out
            traced.__name__ = name
            return traced

        namespace = {name: wrap(name, getattr(base, name)) for name in dir(base)
                     if not name.startswith("_") and name not in _NOT_DRAWS
                     and callable(getattr(base, name))}

        # isinstance(x, np.random.Generator) stays true for generators made before the trace.
        class Meta(type(base)):
            def __instancecheck__(cls, obj):
                return isinstance(obj, base)

            def __subclasscheck__(cls, sub):
                return issubclass(sub, base)

        return Meta(f"Traced{base.__name__}", (base,), namespace)

    def _patch_numpy(self) -> None:
        np, random = self.np, self.np.random
        generator = self._traced_class(
            random.Generator, lambda g: f"Generator({type(g.bit_generator).__name__})")
        state = self._traced_class(random.RandomState, lambda g: "RandomState")
        default_rng = random.default_rng

        def traced_default_rng(*args, **kwargs):
            made = default_rng(*args, **kwargs)
            return generator(made.bit_generator)

        patches = {"default_rng": traced_default_rng, "Generator": generator,
                   "RandomState": state}
        note = self.note
        for name in dir(random):
            fn = getattr(random, name)
            if getattr(fn, "__self__", None) is self.global_rs and name not in _NOT_DRAWS:
                def legacy(*args, _fn=fn, _name=name, **kwargs):
                    out = _fn(*args, **kwargs)
                    dtype, size = _result(out, args)
                    note(Draw("numpy", f"RandomState.{_name}", dtype, size, generator="global"))
                    return out
                patches[name] = legacy
        for name, value in patches.items():
            self.saved[name] = getattr(random, name)
            setattr(random, name, value)
        del np

    def _mine(self, owner: Any, caller) -> bool:
        """A Python random draw worth listing: the global generator's, or any generator's
        called from code outside the standard library and site-packages (the user's)."""
        if owner is None or owner is self.global_random:
            return True
        if isinstance(owner, self.system):
            return False
        return not caller.f_code.co_filename.startswith(self.library_dirs)

    def hook(self, frame, event, arg) -> None:
        if event == "c_call":
            owner = getattr(arg, "__self__", None)
            name = getattr(arg, "__name__", "?")
            if owner is not None and type(owner).__module__ == "random" and \
                    self._mine(owner, frame) and \
                    frame.f_code.co_filename != self.random_file and \
                    not name.startswith("_") and name not in _NOT_RANDOM_DRAWS:
                self.note(Draw("python", f"Random.{name}"))
        elif event == "call":
            code = frame.f_code
            if code.co_filename == self.random_file:
                caller = frame.f_back
                owner = frame.f_locals.get("self")
                if caller is not None and caller.f_code.co_filename != self.random_file \
                        and not caller.f_code.co_filename.startswith("<frozen") \
                        and not code.co_name.startswith("_") \
                        and code.co_name not in _NOT_RANDOM_DRAWS \
                        and self._mine(owner, caller):
                    self.note(Draw("python", f"Random.{code.co_name}"))
            elif code.co_name == "sample" and "pandas" in code.co_filename and \
                    code.co_filename.endswith("generic.py"):
                # Named as the catalog names the call: DataFrame_sample, Series_sample.
                kind = type(frame.f_locals.get("self")).__name__
                self.note(Draw("pandas", f"{kind}_sample"))
            elif code.co_name == "__init__" and code.co_filename.endswith("dataloader.py") \
                    and type(frame.f_locals.get("self")).__name__ == \
                    "_MultiProcessingDataLoaderIter":
                self.trace.workers += 1

    def __enter__(self):
        self._patch_numpy()
        self.previous = sys.getprofile()
        self._start = threading.Thread.start
        tracer = self

        def start(thread, *a, **k):
            # Threads the user's code starts are counted (their draws are not traced); a
            # library's own (multiprocessing's queue feeders under a DataLoader) are not.
            caller = sys._getframe(1).f_code.co_filename
            if not caller.startswith((_OURS, "<frozen") + _LIBRARIES):
                tracer.trace.threads += 1
            return tracer._start(thread, *a, **k)

        threading.Thread.start = start
        sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self.previous)
        threading.Thread.start = self._start
        for name, value in self.saved.items():
            setattr(self.np.random, name, value)
        self.saved.clear()
        return False


def run_traced(fn: Callable[..., Any], *args: Any, torch_too: bool = True,
               show: bool = True, outputs: bool = False) -> Trace:
    """Call ``fn(*args)`` once, noting every random draw it makes in this process (``show``:
    a running count on a terminal; ``outputs``: each torch draw's output digests too)."""
    from rngsuite.core.progress import Bar

    trace = Trace()
    # A long function shows how many draws it has made so far (on a terminal only).
    bar = Bar(desc="tracing: random draws seen", total=None, unit="draw") if show else None

    def note(draw: Draw, digests: list[str] | None = None) -> None:
        if digests is not None:
            trace.outputs.setdefault(draw, set()).update(digests)
        trace.draws[draw] += 1
        trace.sites.setdefault(draw, Counter())[call_site(sys._getframe(1))] += 1
        if bar is not None:
            bar.update()

    tracers = [_PythonTracer(note, trace)]
    if torch_too and "torch" in sys.modules:
        tracers.insert(0, _TorchTracer(note, outputs=outputs))
    for t in tracers:
        t.__enter__()
    try:
        fn(*args)
    finally:
        for t in reversed(tracers):
            t.__exit__(None, None, None)
        trace.computed = next((t.computed for t in tracers if isinstance(t, _TorchTracer)),
                              set())
        if bar is not None:
            bar.close()
    return trace


# ---------------------------------------------------------------------------- the catalog
def case_draws(cases: list[Case], backends: dict, *, show: bool = True
               ) -> dict[str, list[list]]:
    """Each catalog torch case's traced draws: case id -> ``[op, dtype, size band, layout,
    alone]`` per kind of draw it makes, where ``alone`` says the case is evidence about that
    draw by itself."""
    from rngsuite.core.compare import digest
    from rngsuite.core.progress import progress

    out: dict[str, list[list]] = {}
    chosen = progress(cases, desc="tracing the catalog's torch cases", unit="case") if show \
        else cases
    for case in chosen:
        backend = backends[case.backend]
        drawn: list = []
        try:
            with warnings.catch_warnings():  # the catalog's own edge cases warn (0-element init)
                warnings.simplefilter("ignore")
                trace = run_traced(lambda: drawn.extend(backend.draw(case)), show=False,
                                   outputs=True)
        except Exception:  # noqa: BLE001 -- a case the installed torch refuses maps to nothing
            out[case.id] = []
            continue
        results = {digest(a) for a in drawn}
        draws = [d for d in trace.draws if d.library == "torch"]
        keys = sorted({(d.op, d.dtype, d.size, d.layout) for d in draws})
        # Arithmetic can leave the values as drawn by chance (trunc_normal_'s clamp on 24
        # values that all lie inside its bounds): a case that runs any op beyond making its
        # inputs, viewing and copying is never taken as isolating its draw.
        computes = bool(trace.computed - PLUMBING_OPS)
        entries = []
        for key in keys:
            # A case is evidence about this draw alone only where it makes no other kind of
            # draw, and what it returns is what the draw produced: a case that computes after
            # drawing (orthogonal_'s QR after normal_, trunc_normal_'s erfinv after uniform_,
            # dropout's scaling of its bernoulli_ mask) is evidence about its whole expression.
            # (A case whose DataLoader starts workers draws in them too, untraced.)
            made = set().union(*(trace.outputs.get(d, set()) for d in draws
                                 if (d.op, d.dtype, d.size, d.layout) == key))
            alone = len(keys) == 1 and not trace.workers and bool(results) and \
                results <= made and not computes
            entries.append([*key, alone])
        out[case.id] = entries
    return out


#: Non-random ops a case may run and still isolate its draw: making its inputs (ones, full),
#: views, copies and conversions -- nothing that computes on the drawn values.
PLUMBING_OPS = frozenset({
    "ones", "zeros", "full", "empty", "empty_strided", "empty_like", "ones_like", "zeros_like",
    "full_like", "arange", "eye", "fill_", "zero_", "scalar_tensor", "lift_fresh",
    "lift_fresh_copy", "_to_copy", "to", "copy_", "clone", "contiguous", "detach", "alias",
    "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided", "t", "transpose",
    "permute", "expand", "select", "slice", "unsqueeze", "squeeze", "flatten", "resize_",
    "set_", "_local_scalar_dense", "item", "is_nonzero", "view_as_real", "view_as_complex",
    "_conj", "resolve_conj", "resolve_neg", "numpy_T", "mT", "unbind", "split", "chunk",
    "narrow", "index_select", "_index_put_impl_", "index", "stack", "cat", "new_empty",
    "new_ones", "new_zeros", "new_full", "new_empty_strided", "dim", "sym_size", "sym_numel",
})


def torch_cases(cases: list[Case]) -> list[Case]:
    """The catalog's CPU torch cases: what a traced torch draw is joined with."""
    return [c for c in cases if c.backend in ("torch:cpu", "torch.Generator:cpu")]


def _index(entries: dict[str, list[list]], cases: list[Case]) -> dict[tuple, list[tuple]]:
    index: dict[tuple, list[tuple]] = {}
    for case in cases:
        for *key, alone in entries.get(case.id, []):
            index.setdefault(tuple(key), []).append((case.backend, case.id, alone))
    return index


def torch_case_ops(cases: list[Case], backends: dict) -> dict[tuple, list[tuple]]:
    """Each catalog torch case's traced draws (op, dtype, size band, layout), as an index from
    that key to the (backend, case id, only this kind of draw) triples that make such a draw."""
    return _index(case_draws(cases, backends, show=False), cases)


#: The per-case tables shipped with rngsuite, one per torch release (``trace --write-index``).
SHIPPED = "trace_index"


def shipped_path(version: str) -> Path:
    from rngsuite.core.settings import DATA

    return DATA / SHIPPED / f"torch-{version}.json"


def read_entries(path: Path) -> dict[str, list[list]]:
    """A per-case trace table (shipped or cached); empty where it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    cases = raw.get("cases") if isinstance(raw, dict) else None
    return cases if isinstance(cases, dict) else {}


def cached_torch_index(cases: list[Case], backends: dict) -> dict[tuple, list[tuple]]:
    """:func:`torch_case_ops`, per case: the table rngsuite ships for the installed torch
    release (``suite/data/trace_index/``), then the user's cache folder (``$XDG_CACHE_HOME/
    rngsuite``, else ``~/.cache/rngsuite``); only the cases neither holds are traced, and added
    to the cache. A first trace on a shipped release traces nothing of the catalog; a catalog
    that grows costs only its new cases. A cache that cannot be read is rebuilt (it is a
    cache, never input)."""
    import torch

    version = torch.__version__
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rngsuite"
    cache = base / f"trace-torch-v7-{version}.json"
    known = {**read_entries(shipped_path(version)), **read_entries(cache)}
    missing = [c for c in cases if c.id not in known]
    if missing:
        known.update(case_draws(missing, backends))
        try:
            base.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"torch": version, "cases": known}))
        except OSError:
            pass  # a read-only home: trace them again next time
    return _index(known, cases)


def write_index(cases: list[Case], backends: dict) -> Path:
    """The per-case table of the installed torch release, written where rngsuite ships it."""
    import torch

    path = shipped_path(torch.__version__)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = case_draws(cases, backends)
    # One case a line: a catalog change is a readable diff.
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(entries.items())]
    path.write_text(f'{{"torch": {json.dumps(torch.__version__)}, "cases": {{\n'
                    + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    return path


def matching_cases(draw: Draw, cases: list[Case], torch_index: dict) -> list[tuple[str, str, bool]]:
    """The catalog cases that make the same draw: (backend, case id, whether the case makes
    only that kind of draw -- so that a change of the case is a change of the draw)."""
    if draw.library == "torch":
        found = torch_index.get((draw.op, draw.dtype, draw.size, draw.layout), [])
        return list(dict.fromkeys((b, i, only) for b, i, only in found))
    kind, _, method = draw.op.rpartition(".")
    if draw.library == "numpy":
        if kind == "RandomState":
            stores = ("numpy.random", "numpy.RandomState") if draw.generator == "global" \
                else ("numpy.RandomState", "numpy.random")
        else:
            bitgen = kind[len("Generator("):-1]
            stores = (f"numpy.Generator({bitgen})",) + (("numpy.default_rng",)
                                                         if bitgen == "PCG64" else ())
    elif draw.library == "python":
        stores = ("python.random", "python.Random")
    else:
        stores = ("pandas(int)", "pandas(RandomState)", "pandas(Generator)")
    return [(c.backend, c.id, True) for c in cases if c.backend in stores and
            ";" not in c.id and call_name(c.backend, c.id) == method]


def seeded_overloads() -> list[str]:
    """Every op overload the installed torch tags ``nondeterministic_seeded``, read from its
    op registry (so the list follows the release, never a copy of it)."""
    import torch

    seeded = torch.Tag.nondeterministic_seeded
    found = set()
    for schema in torch._C._jit_get_all_schemas():
        namespace, _, name = schema.name.partition("::")
        if namespace != "aten":
            continue
        try:
            op = getattr(getattr(torch.ops.aten, name), schema.overload_name or "default")
        except (AttributeError, RuntimeError):
            continue
        if seeded in op.tags:
            found.add(op.name() if schema.overload_name else f"aten::{name}")
    return sorted(found)


def _why_no_case(overload: str) -> str:
    """Why a seeded overload has no isolating case, read from the dispatcher and torch's Python
    API: a composite, an op with no CPU kernel, or one no public eager call reaches."""
    import torch

    def has(op: str, key: str) -> bool:
        try:
            return torch._C._dispatch_has_kernel_for_dispatch_key(op, key)
        except RuntimeError:  # an overload-less name that is no op of its own
            return False

    name, _, variant = overload.partition(".")
    base = name.split("::")[1]
    if has(overload, "CompositeImplicitAutograd"):
        return "composite: it runs as the ops it is made of, which the trace lists instead"
    kernels = ("CPU", "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional")
    if not any(has(overload, key) or has(name, key) for key in kernels) or base.startswith(
            ("_cudnn", "_fused_dropout", "_lstm_mps", "_triton", "miopen", "_flash",
             "_efficient", "_fill_mem_eff")):
        return "no CPU kernel (CUDA, MPS, cuDNN or MIOpen only)"
    public = any(hasattr(where, base) for where in (torch, torch.Tensor, torch.nn.functional))
    if not public or base.startswith("_"):
        return ("internal: no public eager call names it (a kernel a public call dispatches "
                "to, which the trace lists as the draws it makes, or a functional form "
                "torch.compile's functionalization uses)")
    return "no isolating catalog case yet"


def unreachable() -> dict[str, tuple[str, str]]:
    """``trace_ops.toml``: overload -> (why no eager call reaches it, the probe that shows it)."""
    import tomllib

    from rngsuite.core.settings import DATA, BadInput

    path = DATA / "trace_ops.toml"
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("unreachable", [])
    out = {}
    for i, row in enumerate(rows):
        if not (isinstance(row, dict) and isinstance(row.get("overloads"), list)
                and isinstance(row.get("probe"), str) and isinstance(row.get("why"), str)):
            raise BadInput(f"{path}: unreachable[{i}]: needs overloads, probe and why")
        for overload in row["overloads"]:
            out[overload] = (row["why"], row["probe"])
    return out


def _still_fails(probe: str) -> bool:
    """Whether a row's probe call still fails as an unreachable overload's must."""
    import torch

    try:
        eval(probe, {"torch": torch})  # noqa: S307 -- our own data table's call, not input
    except (TypeError, AttributeError, RuntimeError):
        return True
    return False


def coverage(index: dict[tuple, list[tuple]]) -> pd.DataFrame:
    """Trace coverage: each seeded overload of the installed torch, with the (dtype, size band)
    pairs a catalog case isolates (returns that draw and nothing else), or why none does --
    from the dispatcher (composite, GPU-only, internal) or ``trace_ops.toml`` (no eager call
    reaches it, shown by a probe that must still fail; a row whose probe now works is stale)."""
    table = unreachable()
    isolated: dict[str, set[str]] = {}
    for (op, dtype, size, _layout), entries in index.items():
        if any(alone for _, _, alone in entries):
            isolated.setdefault(op, set()).add(f"{dtype} {size}")
    rows = []
    for overload in seeded_overloads():
        pairs = sorted(isolated.get(overload, ()))
        if pairs:
            status = "covered"
        elif overload in table:
            why, probe = table[overload]
            status = (f"unreachable: {why}" if _still_fails(probe) else
                      f"STALE trace_ops.toml row: `{probe}` works now; add a catalog case")
        else:
            status = _why_no_case(overload)
        rows.append({"overload": overload,
                     "isolating cases for": ", ".join(pairs) if pairs else "-",
                     "status": status})
    return pd.DataFrame(rows, columns=["overload", "isolating cases for", "status"])


def coverage_markdown(frame: pd.DataFrame) -> str:
    import torch

    tally = Counter(s if s == "covered" else s.split(":")[0].split(" (")[0]
                    for s in frame["status"])
    head = (f"# Trace coverage, torch {torch.__version__}: {len(frame)} overloads tagged "
            "nondeterministic_seeded; " + ", ".join(f"{n} {k}" for k, n in tally.most_common()))
    return head + "\n\n" + frame.to_markdown(index=False) + "\n"


# ---------------------------------------------------------------------------- the ledger
def upgrade_status(ledger: Ledger, store: str, case_id: str, old: Spec, new: Spec, *,
                   here: set[str] | None = None) -> tuple[str, list[str], list[str]]:
    """One case across an upgrade: its status -- "changed" (in some recorded conditions),
    "unchanged", or "unrecorded" when no recorded conditions hold both releases -- the
    conditions where it changed (``rest (first 2.7.1)``), and those where it kept its values.

    Conditions are compared label for label; with ``here`` (this machine's fields), this
    machine's label at each release is compared too, whatever fields each carries: a case's
    label may name a condition at one release and not the other (torch 2.6's bernoulli_ drew
    through MKL, so its labels end in ``/MKL``; 2.7's do not)."""
    lf = ledger.file(store)
    if lf is None or case_id not in lf.cases:
        return "unrecorded", [], []
    eras = lf.cases[case_id]
    era_of = {env: era for era in eras for env in era.environments}
    changed, same = [], []
    groups = releases_by_conditions(lf.environments, old.package)
    for rest, versions in groups.items():
        olds = [lab for ver, lab in versions if old.matches(ver) and lab in era_of]
        news = [lab for ver, lab in versions if new.matches(ver) and lab in era_of]
        if not olds or not news:
            continue
        a, b = era_of[olds[-1]], era_of[news[-1]]
        if a is b:
            same.append(rest)
            continue
        start = [lab for _, lab in versions].index(olds[-1])
        first = next((ver for ver, lab in versions[start + 1:] if era_of.get(lab) is b), "?")
        changed.append(f"{rest} (first {old.package} {first})")
    if here is not None:
        mine = [(ver, rest, lab) for rest, versions in groups.items() if _here(rest, here)
                for ver, lab in versions if lab in era_of]

        def at(spec: Spec):
            found = [(len(rest.split("/")), natural_key(ver), rest, lab)
                     for ver, rest, lab in mine if spec.matches(ver)]
            return max(found)[2:] if found else None
        a, b = at(old), at(new)
        if a and b and not any(r == b[0] for r in same) and \
                not any(c.startswith(b[0] + " (") for c in changed):
            if era_of[a[1]] is era_of[b[1]]:
                same.append(b[0])
            else:
                changed.append(f"{b[0]} (first {old.package} {new.version})")
    status = "changed" if changed else "unchanged" if same else "unrecorded"
    return status, changed, same


def here_conditions() -> set[str]:
    """The fields this machine's labels are made of, any backend's and condition's (its CPU
    capability, OS, machine, vendor, BLAS): a recorded condition all of whose fields are here
    is this machine's."""
    from rngsuite.backends import registry
    from rngsuite.checks import conditions
    from rngsuite.core import provenance as prov

    env = prov.environment("cpu")
    fields: set[str] = set()
    for backend in registry(["cpu"]).values():
        for keys in conditions.possible_keys(backend):
            fields.update(prov.label(env, keys).split("/")[1:])
    return fields


def _here(rest: str, here: set[str]) -> bool:
    return set(rest.split(" (first")[0].split("/")) <= here


def _short(rest: str) -> str:
    return rest.split("/")[0] if rest else rest


def report(trace: Trace, ledger: Ledger, cases: list[Case], torch_index: dict, *,
           old: Spec | None = None, new: Spec | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per traced draw kind: calls, the cases that cover it, and -- with an upgrade --
    changed/unchanged/unknown with the evidence; and the notes below the table."""
    rows, notes = [], []
    here = here_conditions() if old is not None else set()
    for draw, calls in trace.draws.items():
        matched = matching_cases(draw, cases, torch_index)
        sites = trace.sites.get(draw, Counter()).most_common()
        called = "; ".join(site for site, _ in sites[:2]) + (
            f" and {len(sites) - 2} more" if len(sites) > 2 else "")
        row = {"called as": called, "library": draw.library, "op": draw.op,
               "dtype": draw.dtype, "size": draw.size, "layout": draw.layout,
               "device": draw.device, "generator": draw.generator, "calls": calls,
               "catalog cases": len(matched)}
        if old is not None:
            if draw.library != old.package and not (draw.library == "python"
                                                    and old.package == "python"):
                row["upgrade"] = f"not {old.package}'s draw: unchanged by this upgrade"
                row["evidence"] = ""
            else:
                apis = {site.split(" (")[0] for site in trace.sites.get(draw, ())
                        if not site.startswith("(")}
                row.update(_upgrade_row(ledger, matched, old, new, here, apis))
        rows.append(row)
    if trace.workers:
        notes.append(f"{trace.workers} DataLoader iterator(s) started worker processes: draws "
                     "inside the workers are not traced (their seeds come from the main "
                     "process's draw, which is).")
    if trace.threads:
        notes.append(f"{trace.threads} thread(s) started: their draws are not traced.")
    if any(r["library"] in ("numpy", "python", "pandas") for r in rows):
        notes.append("NumPy, Python and pandas draws map to every catalog case of the same "
                     "method (their size regimes are not told apart). NumPy generators made "
                     "before the function ran are not traced.")
    return _merged(pd.DataFrame(rows)), notes


def _merged(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per kind of draw as shown: the device column only where draws were made on
    more than one kind of device, and rows that would read the same merged (calls summed)."""
    if not len(frame):
        return frame
    if frame["device"].nunique() <= 1:
        frame = frame.drop(columns=["device"])
    keys = [c for c in frame.columns if c not in ("calls", "called as")]
    merged = frame.groupby(keys, sort=False, dropna=False).agg(
        calls=("calls", "sum"),
        **{"called as": ("called as", lambda v: "; ".join(dict.fromkeys(
            "; ".join(v).split("; "))))}).reset_index()
    return merged[list(frame.columns)]


def _api(case_id: str, backend: str) -> str:
    """The public call a catalog case makes, as a trace names what the user called:
    ``init_trunc_normal_`` -> ``trunc_normal_``."""
    name = call_name(backend, case_id)
    return name[len("init_"):] if name.startswith("init_") else name


def _upgrade_row(ledger: Ledger, matched: list[tuple[str, str, bool]], old: Spec, new: Spec,
                 here: set[str], apis: set[str] = frozenset()) -> dict[str, str]:
    """One draw's fate across the upgrade on *this* machine (its conditions), with the changes
    seen only under other conditions in their own column -- an aarch64 SVE256 era is never this
    x86-64 machine's change.

    A change is evidence when the case isolates the draw, or makes the same public call the
    user's code made (``trunc_normal_`` for a draw called as ``trunc_normal_``: what that call
    computes around its draw is the user's too). A case that does more than draw and is not the
    user's call (the DataLoader cases, which also draw in their workers) proves nothing about
    this draw by changing."""
    statuses = [(cid, alone or _api(cid, store) in apis,
                 *upgrade_status(ledger, store, cid, old, new, here=here))
                for store, cid, alone in matched]

    def split(items: list[str]) -> tuple[list[str], list[str]]:
        return [w for w in items if _here(w, here)], [w for w in items if not _here(w, here)]
    changed_here, changed_else, other_here, same_here, same_else = [], [], [], [], []
    for cid, telling, _, changed, same in statuses:
        mine, other = split(changed)
        if mine and telling:
            changed_here.append((cid, mine))
        elif mine:
            other_here.append(cid)
        if other and telling:
            changed_else.append((cid, other))
        if not mine:
            (same_here if split(same)[0] else same_else if same else []).append(cid)
    elsewhere = sorted({_short(w.split(" (first")[0]) for _, ws in changed_else for w in ws})
    row = {"elsewhere": f"changed on {', '.join(elsewhere)} only" if elsewhere and not
           changed_here else ""}
    if changed_here:
        where = sorted({w for _, ws in changed_here for w in ws})
        firsts = sorted({w.split("(first ")[-1].rstrip(")") for w in where})
        conds = sorted({_short(w.split(" (first")[0]) for w in where})
        row["upgrade"] = f"changed in {', '.join(firsts)} ({', '.join(conds)})"
        row["evidence"] = changed_here[0][0] + (
            f" and {len(changed_here) - 1} more" if len(changed_here) > 1 else "")
    elif same_here:
        row["upgrade"] = (f"unchanged: {len(same_here)} case{'s' if len(same_here) > 1 else ''} "
                          "recorded at both, in this machine's conditions")
        row["evidence"] = same_here[0]
    elif other_here:
        row["upgrade"] = ("unknown: only cases that do more than this draw were recorded at "
                          "both, and changed")
        row["evidence"] = other_here[0] + (f" and {len(other_here) - 1} more"
                                           if len(other_here) > 1 else "")
    elif same_else and not changed_else:
        row["upgrade"] = ("unchanged: recorded at both in other conditions only (not this "
                          "machine's)")
        row["evidence"] = same_else[0]
    else:
        row["upgrade"] = ("unknown: not recorded at both releases in this machine's conditions"
                          if matched else "unknown: no catalog case covers it")
        row["evidence"] = ""
    return row


def markdown(frame: pd.DataFrame, notes: list[str], title: str) -> str:
    lines = [f"# {title}", ""]
    lines.append(frame.to_markdown(index=False) if len(frame) else "No random draw traced.")
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def prediction(frame: pd.DataFrame) -> tuple[str, list[str]]:
    """A whole function's fate across the upgrade, from its draws: "changed" when any draw
    changed, else "unknown" when any draw's fate is unknown, else "unchanged"; and the draws
    that decide it."""
    if "upgrade" not in frame or not len(frame):
        return "unchanged", []
    def ops(prefix: str) -> list[str]:
        return [f"{r.op} ({r.dtype}, {r.size})" for r in frame.itertuples()
                if r.upgrade.startswith(prefix)]
    for verdict in ("changed", "unknown"):
        if found := ops(verdict):
            return verdict, found
    return "unchanged", []
