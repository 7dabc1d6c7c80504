"""Which public sampling calls of the installed libraries no catalog row calls.

The public sampling API is found by introspecting the installed libraries, not from a list kept
here, so a new release's new sampler shows up as uncovered by itself:

* NumPy: the public methods of ``RandomState`` and ``Generator`` and the functions ``np.random``
  exports, less the names that draw nothing (the call tables' exclusion lists, in
  ``suite/backends/numpy_randomstate.py``, ``numpy_global.py`` and
  ``numpy_generator.py``);
* torch: public ``torch`` functions that take ``generator=`` -- by their docstring, or by an ATen
  operator schema with a ``Generator`` argument (``torch.binomial`` has no docstring); in-place
  ``Tensor`` methods found the same way; ``nn.init`` functions with a ``generator`` parameter;
  ``torch.distributions`` classes that implement ``sample``/``rsample``; ``torch.utils.data``
  callables with a ``generator`` parameter;
* ``torch.nn.functional`` samplers take no ``generator=``, so nothing marks them: they are listed
  by hand below, and only those the installed torch has are reported;
* Python: the public methods of ``random.Random``;
* pandas: public methods of ``DataFrame``, ``Series`` and the ``pandas.api.typing`` classes that
  take ``random_state``.

A call counts as covered when a catalog row of one of the library's backends calls it
(``python -m rngsuite list`` shows the rows). Catalog call names map to library names by the
catalog's conventions: ``init_normal_`` is ``nn.init.normal_``, ``Normal_sample`` is
``distributions.Normal``, ``DataFrame_sample`` is ``DataFrame.sample``.

Calls are one measure; the regimes inside each call (dtypes, sizes, shapes, layouts, spans,
parameters, seed forms) are counted by :mod:`rngsuite.tools.regimes` on the same libraries.

Use::

    python -c 'from rngsuite.tools.coverage import coverage_table; print(coverage_table())'
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from rngsuite.core.catalog import Case, glob_match, load_catalog


# -- exclusions: public names that draw nothing -----------------------------------------------
#: torch functions that take or mention a generator but draw nothing: seeding, state, and the
#: factory of DataLoader workers' generators.
TORCH_NOT_SAMPLING = frozenset({"manual_seed", "seed", "initial_seed", "get_rng_state",
                                "set_rng_state", "thread_safe_generator"})
#: torch.distributions classes with a sampler that are not distributions of their own: none yet
#: (the wrappers Independent, MixtureSameFamily, TransformedDistribution do draw, and are kept).
DISTRIBUTIONS_NOT_SAMPLING: frozenset[str] = frozenset()
#: torch.nn.functional calls that draw from the default generator (no generator= marks them).
#: rrelu/rrelu_ are left out: they call torch.rrelu/rrelu_, listed under "torch".
FUNCTIONAL_SAMPLERS = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                       "feature_alpha_dropout", "gumbel_softmax", "fractional_max_pool2d",
                       "fractional_max_pool3d")
#: Public torch functions that draw from the default generator and take no generator=, so no
#: docstring marks them (found by `report --trace-coverage`: the op is tagged
#: nondeterministic_seeded): the op torch.compile graphs use for dropout.
TORCH_SEEDED_WITHOUT_GENERATOR = ("native_dropout",)
#: Catalog call names that are not the library's name and follow no prefix/suffix convention.
#: Catalog calls of two torch ops in one function: the op they are named after last.
TORCH_ALIASES = {"rand_then_randn": "randn", "python_seeded": None}
ALIASES = {"dataloader_order": "DataLoader", "dataloader_consumption": "DataLoader",
           "dataloader_epochs": "DataLoader", "dataloader_worker_seeds": "DataLoader"}

_GENERATOR_ARG = re.compile(r"\bgenerator\s*(=|\(:class:)")


def _documents_generator(obj: object) -> bool:
    doc = getattr(obj, "__doc__", None)
    return isinstance(doc, str) and bool(_GENERATOR_ARG.search(doc))


def _has_parameter(obj: object, name: str) -> bool:
    try:
        return name in inspect.signature(obj).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _aten_with_generator() -> set[str]:
    """ATen operator names whose schema has a Generator argument (``binomial``, ``rrelu``...)."""
    import torch

    names = set()
    for schema in torch._C._jit_get_all_schemas():
        if schema.name.startswith("aten::") and any(
                "Generator" in str(arg.type) for arg in schema.arguments):
            names.add(schema.name.split("::", 1)[1])
    return names


# -- discovery, one function per library --------------------------------------------------------
def _numpy_legacy() -> list[str]:
    from rngsuite.backends.numpy_global import module_functions
    from rngsuite.backends.numpy_randomstate import legacy_methods

    return sorted(set(legacy_methods()) | set(module_functions()))


def _numpy_generator() -> list[str]:
    from rngsuite.backends.numpy_generator import generator_methods

    return generator_methods()


def _torch_functions() -> list[str]:
    import torch

    candidates = {n for n in dir(torch) if _documents_generator(getattr(torch, n, None))}
    candidates |= _aten_with_generator()
    candidates |= {n for n in TORCH_SEEDED_WITHOUT_GENERATOR if hasattr(torch, n)}
    return sorted(n for n in candidates
                  if not n.startswith("_") and n not in TORCH_NOT_SAMPLING
                  and callable(getattr(torch, n, None)) and not inspect.isclass(getattr(torch, n))
                  and not inspect.ismodule(getattr(torch, n)))


def _tensor_inplace() -> list[str]:
    import torch

    candidates = {n for n in dir(torch.Tensor) if _documents_generator(getattr(torch.Tensor, n))}
    candidates |= _aten_with_generator()
    return sorted(n for n in candidates if n.endswith("_") and not n.startswith("_")
                  and callable(getattr(torch.Tensor, n, None)))


def _nn_init() -> list[str]:
    import torch.nn.init as init

    return sorted(n for n in dir(init) if not n.startswith("_")
                  and inspect.isfunction(getattr(init, n)) and _has_parameter(getattr(init, n),
                                                                                "generator"))


def _nn_functional() -> list[str]:
    import torch.nn.functional as F

    return sorted(n for n in FUNCTIONAL_SAMPLERS if callable(getattr(F, n, None)))


def _distributions() -> list[str]:
    import torch.distributions as D

    found = []
    for name in dir(D):
        cls = getattr(D, name)
        if (name.startswith("_") or not inspect.isclass(cls) or name in DISTRIBUTIONS_NOT_SAMPLING
                or not issubclass(cls, D.Distribution) or cls is D.Distribution):
            continue
        own = [k for k in cls.__mro__ if k is not D.Distribution and issubclass(k, D.Distribution)]
        if any("sample" in k.__dict__ or "rsample" in k.__dict__ for k in own):
            found.append(name)
    return sorted(found)


def _utils_data() -> list[str]:
    import torch.utils.data as data

    return sorted(n for n in dir(data) if not n.startswith("_")
                  and callable(getattr(data, n)) and _has_parameter(getattr(data, n), "generator"))


def _torch_func() -> list[str]:
    """torch.func's transforms that take a ``randomness=`` (vmap, jacfwd): how a batch draws."""
    import torch.func

    return sorted(n for n in dir(torch.func) if not n.startswith("_")
                  and _has_parameter(getattr(torch.func, n), "randomness"))


def _func_name(call: str) -> str | None:
    return call.split("_", 1)[0] if call.startswith(("vmap_", "jacfwd_")) else None


def _python() -> list[str]:
    from rngsuite.backends.python_random import python_methods

    return python_methods()


def _pandas() -> list[str]:
    import pandas as pd
    import pandas.api.typing as typing

    classes = {"DataFrame": pd.DataFrame, "Series": pd.Series}
    classes.update((n, c) for n, c in vars(typing).items()
                   if inspect.isclass(c) and not n.startswith("_"))
    return sorted(f"{cname}.{m}" for cname, cls in classes.items() for m in dir(cls)
                  if not m.startswith("_") and callable(getattr(cls, m, None))
                  and _has_parameter(getattr(cls, m), "random_state"))


# -- the libraries ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Library:
    """One library's public sampling API and the backends whose rows cover it."""

    name: str
    discover: Callable[[], list[str]]
    backends: tuple[str, ...]  # globs on backend names
    name_of: Callable[[str], str | None] = lambda call: call  # catalog call -> library name

    def owns(self, backend: str) -> bool:
        """Whether a backend (by name) draws from this library."""
        return any(glob_match(backend, glob) for glob in self.backends)


def _init_name(call: str) -> str | None:
    return call[len("init_"):] if call.startswith("init_") else None


def _distribution_name(call: str) -> str | None:
    return call[:-len("_sample")] if call.endswith("_sample") else None


def _inplace_name(call: str) -> str:
    # normal_strided(n) and normal_transposed(4,5) are Tensor.normal_ into non-contiguous
    # outputs (backends/_torch.py).
    for layout in ("strided", "transposed"):
        if call.endswith("_" + layout):
            return call[:-len(layout)]
    return call


def _pandas_name(call: str) -> str | None:
    return call.replace("_", ".", 1) if "_" in call else None


_TORCH = ("torch:*", "torch.Generator:*")
LIBRARIES = (
    Library("numpy.random legacy", _numpy_legacy, ("numpy.random", "numpy.RandomState")),
    Library("numpy Generator", _numpy_generator, ("numpy.default_rng", "numpy.Generator(*)")),
    Library("torch", _torch_functions, _TORCH, lambda call: TORCH_ALIASES.get(call, call)),
    Library("torch.Tensor in-place", _tensor_inplace, _TORCH, _inplace_name),
    Library("torch.nn.init", _nn_init, _TORCH, _init_name),
    Library("torch.nn.functional", _nn_functional, _TORCH),
    Library("torch.distributions", _distributions, _TORCH, _distribution_name),
    Library("torch.utils.data", _utils_data, _TORCH, lambda call: ALIASES.get(call, call)),
    Library("torch.func", _torch_func, _TORCH, _func_name),
    Library("python random", _python, ("python.*",)),
    Library("pandas", _pandas, ("pandas(*)",), _pandas_name),
)


def available(library: Library) -> list[str] | None:
    try:
        return library.discover()
    except ImportError:
        return None  # the library is not installed: nothing to cover


def covered(library: Library, cases: Iterable[Case]) -> set[str]:
    """The library names the catalog's rows for this library's backends call."""
    # Call names per backend first: a few dozen backends to match, not every case.
    calls: dict[str, set[str]] = {}
    for case in cases:
        calls.setdefault(case.backend, set()).update(step.name for step in case.steps)
    names = set()
    for backend, steps in calls.items():
        if library.owns(backend):
            names.update(n for step in steps if (n := library.name_of(step)) is not None)
    return names


def uncovered(cases: Iterable[Case] | None = None) -> dict[str, list[str]]:
    """Library -> its public sampling calls (installed version) that no catalog row calls."""
    cases = list(load_catalog() if cases is None else cases)
    out = {}
    for library in LIBRARIES:
        public = available(library)
        if public is not None:
            seen = covered(library, cases)
            out[library.name] = [n for n in public if n not in seen]
    return out


def coverage_table(cases: Iterable[Case] | None = None) -> str:
    """Markdown: per library, how many public sampling calls there are, how many the catalog
    covers, and the uncovered ones by name."""
    cases = list(load_catalog() if cases is None else cases)
    lines = ["| library | public sampling calls | covered | not covered |",
             "|:--|--:|--:|:--|"]
    for library in LIBRARIES:
        public = available(library)
        if public is None:
            lines.append(f"| {library.name} | – | – | not installed |")
            continue
        seen = covered(library, cases)
        missing = [n for n in public if n not in seen]
        listed = ", ".join(f"`{n}`" for n in missing) if missing else "–"
        lines.append(f"| {library.name} | {len(public)} | {len(public) - len(missing)} | "
                     f"{listed} |")
    return "\n".join(lines)
