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

import hashlib
import json
import os
import sys
import sysconfig
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from rngsuite.core.catalog import Case
from rngsuite.core.ledger import Ledger
from rngsuite.core.regimes import in_band, load_regimes
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
    """A dispatch mode that notes every op tagged nondeterministic_seeded."""

    def __init__(self, note: Callable[[Draw], None]) -> None:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        bands = size_bands()
        seeded = torch.Tag.nondeterministic_seeded

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                if seeded in func.tags:
                    t = out if isinstance(out, torch.Tensor) else next(
                        (x for x in (out if isinstance(out, (tuple, list)) else ())
                         if isinstance(x, torch.Tensor)), None)
                    if t is None and args and isinstance(args[0], torch.Tensor):
                        t = args[0]
                    gen = "explicit" if kwargs.get("generator") is not None else "default"
                    if t is None:
                        note(Draw("torch", func.name(), generator=gen))
                    else:
                        note(Draw("torch", func.name(), str(t.dtype).replace("torch.", ""),
                                  _band(t.numel(), bands),
                                  "contiguous" if t.is_contiguous() else "strided",
                                  t.device.type, gen))
                return out

        self.mode = Mode()

    def __enter__(self):
        self.mode.__enter__()
        return self

    def __exit__(self, *exc):
        return self.mode.__exit__(*exc)


#: Generator/RandomState attributes that are not draws.
_NOT_DRAWS = {"bit_generator", "spawn", "get_state", "set_state", "seed", "jumped"}
#: Python random methods that are not draws (seeding and state).
_NOT_RANDOM_DRAWS = {"seed", "getstate", "setstate", "__init__", "__init_subclass__"}


def _result(out: Any) -> tuple[str, str]:
    dtype = getattr(out, "dtype", None)
    return (str(dtype) if dtype is not None else type(out).__name__,
            "array" if getattr(out, "ndim", 0) else "scalar")


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
                    dtype, size = _result(out)
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
                    dtype, size = _result(out)
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
               show: bool = True) -> Trace:
    """Call ``fn(*args)`` once, noting every random draw it makes in this process (``show``:
    a running count on a terminal)."""
    from rngsuite.core.progress import Bar

    trace = Trace()
    # A long function shows how many draws it has made so far (on a terminal only).
    bar = Bar(desc="tracing: random draws seen", total=None, unit="draw") if show else None

    def note(draw: Draw) -> None:
        trace.draws[draw] += 1
        trace.sites.setdefault(draw, Counter())[call_site(sys._getframe(1))] += 1
        if bar is not None:
            bar.update()

    tracers = [_PythonTracer(note, trace)]
    if torch_too and "torch" in sys.modules:
        tracers.insert(0, _TorchTracer(note))
    for t in tracers:
        t.__enter__()
    try:
        fn(*args)
    finally:
        for t in reversed(tracers):
            t.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    return trace


# ---------------------------------------------------------------------------- the catalog
def torch_case_ops(cases: list[Case], backends: dict) -> dict[tuple, list[tuple]]:
    """Each catalog torch case's traced draws (op, dtype, size band, layout), as an index from
    that key to the (backend, case id, only this kind of draw) triples that make such a draw."""
    from rngsuite.core.progress import progress

    index: dict[tuple, list[tuple[str, str]]] = {}
    for case in progress(cases, desc="tracing the catalog's torch cases", unit="case"):
        backend = backends[case.backend]
        try:
            trace = run_traced(backend.draw, case, show=False)
        except Exception:  # noqa: BLE001 -- a case the installed torch refuses maps to nothing
            continue
        keys = {(d.op, d.dtype, d.size, d.layout) for d in trace.draws if d.library == "torch"}
        for key in keys:
            # A case that makes only this kind of draw is evidence about it alone; one that
            # makes others too (a DataLoader's seeds and its shuffle) is weaker evidence.
            # (A case whose DataLoader starts workers draws in them too, untraced; threads are
            # the backends' own seeding helper.)
            alone = len(keys) == 1 and not trace.workers
            index.setdefault(key, []).append((case.backend, case.id, alone))
    return index


def cached_torch_index(cases: list[Case], backends: dict) -> dict[tuple, list[tuple]]:
    """:func:`torch_case_ops`, kept in the user's cache folder (``$XDG_CACHE_HOME/rngsuite``,
    else ``~/.cache/rngsuite``) per torch release and catalog: tracing the catalog's torch
    cases takes about half a minute, the same answer every time. A cache that cannot be read
    is rebuilt (it is a cache, never input)."""
    import torch

    from rngsuite.core.settings import DATA

    digest = hashlib.sha256()
    for name in ("catalog.toml", "regimes.toml"):
        digest.update((DATA / name).read_bytes())
    digest.update("\n".join(sorted(c.id for c in cases)).encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rngsuite"
    path = base / f"trace-torch-v4-{torch.__version__}-{digest.hexdigest()[:16]}.json"
    try:
        raw = json.loads(path.read_text())
        return {tuple(k.split("|")): [tuple(p) for p in v] for k, v in raw.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    index = torch_case_ops(cases, backends)
    try:
        base.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"|".join(k): v for k, v in index.items()}))
    except OSError:
        pass  # a read-only home: trace again next time
    return index


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


# ---------------------------------------------------------------------------- the ledger
def upgrade_status(ledger: Ledger, store: str, case_id: str, old: Spec, new: Spec
                   ) -> tuple[str, list[str]]:
    """One case across an upgrade: ("changed", the conditions where it changed and the first
    recorded release with the new values), ("unchanged", conditions), or ("unrecorded", [])
    when no recorded conditions hold both releases."""
    lf = ledger.file(store)
    if lf is None or case_id not in lf.cases:
        return "unrecorded", []
    eras = lf.cases[case_id]
    era_of = {env: era for era in eras for env in era.environments}
    changed, same = [], []
    for rest, versions in releases_by_conditions(lf.environments, old.package).items():
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
    if changed:
        return "changed", changed
    return ("unchanged", same) if same else ("unrecorded", [])


def _short(rest: str) -> str:
    return rest.split("/")[0] if rest else rest


def report(trace: Trace, ledger: Ledger, cases: list[Case], torch_index: dict, *,
           old: Spec | None = None, new: Spec | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per traced draw kind: calls, the cases that cover it, and -- with an upgrade --
    changed/unchanged/unknown with the evidence; and the notes below the table."""
    rows, notes = [], []
    for draw, calls in trace.draws.items():
        matched = matching_cases(draw, cases, torch_index)
        sites = trace.sites.get(draw, Counter()).most_common()
        called = "; ".join(site for site, _ in sites[:2]) + (
            f" and {len(sites) - 2} more" if len(sites) > 2 else "")
        row = {"called as": called, "library": draw.library, "op": draw.op,
               "dtype": draw.dtype, "size": draw.size, "layout": draw.layout,
               "generator": draw.generator, "calls": calls, "catalog cases": len(matched)}
        if old is not None:
            if draw.library != old.package and not (draw.library == "python"
                                                    and old.package == "python"):
                row["upgrade"] = f"not {old.package}'s draw: unchanged by this upgrade"
                row["evidence"] = ""
            else:
                statuses = [(cid, alone, *upgrade_status(ledger, store, cid, old, new))
                            for store, cid, alone in matched]
                # A change is the draw's only where the case makes this draw alone; a case that
                # makes others too and did not change is evidence that this one did not.
                changed = [(cid, where) for cid, alone, s, where in statuses
                           if s == "changed" and alone]
                mixed = [cid for cid, alone, s, _ in statuses if s == "changed" and not alone]
                same = [cid for cid, _, s, _ in statuses if s == "unchanged"]
                if changed:
                    where = sorted({w for _, ws in changed for w in ws})
                    firsts = sorted({w.split("(first ")[-1].rstrip(")") for w in where})
                    conds = sorted({_short(w.split(" (first")[0]) for w in where})
                    row["upgrade"] = (f"changed in {', '.join(firsts)} "
                                      f"({', '.join(conds)})")
                    row["evidence"] = f"{changed[0][0]}" + (
                        f" and {len(changed) - 1} more" if len(changed) > 1 else "")
                elif mixed:
                    row["upgrade"] = ("unknown: the cases that make this draw make others too, "
                                      "and changed")
                    row["evidence"] = mixed[0] + (f" and {len(mixed) - 1} more"
                                                  if len(mixed) > 1 else "")
                elif same:
                    row["upgrade"] = (f"unchanged: {len(same)} case"
                                      f"{'s' if len(same) > 1 else ''} recorded at both")
                    row["evidence"] = same[0]
                else:
                    row["upgrade"] = ("unknown: no case recorded at both releases covers it"
                                      if matched else "unknown: no catalog case covers it")
                    row["evidence"] = ""
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
    return pd.DataFrame(rows), notes


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
