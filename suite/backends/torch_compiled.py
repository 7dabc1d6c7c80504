"""torch's default generator drawn inside ``torch.compile``d code:
``torch.manual_seed(s); torch.compile(lambda: torch.<call>(...), backend=...)()``.

One backend per compiler (``aot_eager``, ``inductor``) and ``fallback_random`` setting, with
ids such as ``torch.compile[inductor]:cpu:rand(5)@17`` and
``torch.compile[inductor,fallback_random]:cpu:rand(5)@17``. By design a compiled random op need
not draw what eager draws (pytorch#118735, #141645: "intended behavior"): Inductor generates
its own Philox-based kernels, seeded from the default generator. With
``torch._inductor.config.fallback_random = True`` it calls ATen's eager kernels instead, and
the compiled stream is promised to be eager's.

Each call is compiled once per backend (``fullgraph=True``: a graph break, which would quietly
run the op eagerly, is an error; ``dynamic=False``: a size is a constant, as in most training
code, never a symbol that a later call could turn on). Every call gets a code object of its
own, so dynamo's per-code cache never reaches its recompile limit -- past which torch runs the
function eagerly, and a compiled backend would silently draw eager's stream.
"""

from __future__ import annotations

import contextlib
import functools
import os
import types
from typing import Any, Callable

import numpy as np

from rngsuite.backends._torch import TORCH_CALLS, torch_module
from rngsuite.backends.base import CallSpec
from rngsuite.backends.torch_global import TorchGlobal
from rngsuite.core.catalog import Call, CatalogError
from rngsuite.core.provenance import cxx_compiler

#: The compilers: dynamo + AOTAutograd with eager kernels, and dynamo + Inductor.
COMPILERS = ("aot_eager", "inductor")

#: The calls drawn inside compiled code. Distributions, samplers and DataLoaders are Python
#: objects that dynamo does not trace whole (a graph break), and ``nn.init`` draws into a
#: parameter in place before any training step: neither is what a compiled step draws.
COMPILED_CALLS = (
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
    "normal", "bernoulli", "multinomial", "poisson",
    "uniform_", "normal_", "exponential_", "bernoulli_", "random_", "geometric_", "cauchy_",
    "log_normal_",
    "uniform_strided", "normal_strided", "bernoulli_strided", "exponential_strided",
    "uniform_transposed", "normal_transposed", "bernoulli_transposed",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "rrelu", "gumbel_softmax",
    # Two ops in one graph (the scheduler may reorder them), and Python's random seeded inside
    # the compiled function.
    "rand_then_randn", "python_seeded",
)


#: Calls compiled with graph breaks allowed: dynamo does not trace ``random.seed`` (it is a
#: skipped function), so a user's compiled function breaks its graph there and goes on.
GRAPH_BREAKS = frozenset({"python_seeded"})


@functools.lru_cache(maxsize=None)
def _inductor_builds() -> str | None:
    """Why Inductor cannot build its random kernels here, or None: one tiny draw compiled once.
    (With ATEN_CPU_CAPABILITY=default, torch 2.13's Inductor picks no vector ISA, and the
    scalar code of its random kernels does not build -- "'at::vec' has not been declared":
    34 of the catalog's 44 calls fail.)"""
    torch = torch_module()
    import torch._inductor.config as inductor_config

    # Built afresh: Inductor's on-disk caches can hand back kernels built under other kernels
    # (an AVX-512 run's), and the probe then says yes where nothing builds.
    fresh = (inductor_config.patch(force_disable_caches=True)
             if hasattr(inductor_config, "force_disable_caches") else contextlib.nullcontext())
    try:
        with fresh:
            torch.compile(_fresh_code(_probe, "probe"), backend="inductor", fullgraph=True,
                          dynamic=False)()
    except Exception as exc:  # noqa: BLE001 -- whatever the build raised, said in one line
        detail = next((line[line.index("error:"):].strip() for line in str(exc).splitlines()
                       if "error:" in line),
                      str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        capability = os.environ.get("ATEN_CPU_CAPABILITY")
        where = f" with ATEN_CPU_CAPABILITY={capability}" if capability else ""
        return f"Inductor cannot build CPU code here{where}: {detail[:200]}"
    return None


def _probe() -> Any:
    # Sizes below and above Inductor's 8- and 16-wide vector loops: with no vector ISA, torch
    # 2.7 builds the first and not the second, torch 2.13 neither.
    torch = torch_module()
    return torch.rand(5), torch.rand(17), torch.randn(17)


#: Inductor's cache folder as the user set it, read before torch (which sets the variable to
#: its default the first time it builds anything) can.
_USER_CACHE = os.environ.get("TORCHINDUCTOR_CACHE_DIR")


def separate_inductor_cache() -> dict[str, str]:
    """Give Inductor a cache folder per CPU capability, unless the user chose one; the
    variable it set, for a snippet to set too.

    Inductor's on-disk caches (its precompiled header among them) are not keyed by the ATen CPU
    capability. After an AVX-512 run in the same folder, on an AVX-512 machine: every build
    under ATEN_CPU_CAPABILITY=default failed with "'at::vec' has not been declared", and under
    ATEN_CPU_CAPABILITY=avx2 a compiled ``torch.rand(17)`` returned its first 8 values and
    then garbage (-3.46e+33, 4.58e-41, ...: memory never written). With a folder of their own
    the same builds succeed and draw eager's values. So each capability gets its own folder
    beside Inductor's default one, set when a compiled backend is made, before any build."""
    if _USER_CACHE:
        return {}
    import getpass
    import tempfile

    from rngsuite.core.provenance import environment

    capability = str(environment("cpu").get("torch_cpu_capability") or "unknown")
    folder = os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}-"
                          + capability.replace(" ", "_"))
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
    return {"TORCHINDUCTOR_CACHE_DIR": folder}


def _fresh_code(fn: Callable[..., Any], tag: str) -> Callable[..., Any]:
    """``fn`` with a code object of its own (dynamo caches compiled code per code object)."""
    code = fn.__code__.replace(co_name=f"{fn.__code__.co_name}_{tag}")
    return types.FunctionType(code, fn.__globals__, code.co_name, fn.__defaults__,
                              fn.__closure__)


class TorchCompiled(TorchGlobal):
    """The default generator, drawn inside a function compiled by ``torch.compile``."""

    calls = {k: TORCH_CALLS[k] for k in COMPILED_CALLS if k in TORCH_CALLS}
    #: Threads, forks and checkpoints of the default generator are the eager backend's.
    threaded = False
    #: Compiling takes seconds a call (Inductor builds C++): the compiled tier, not every verify.
    tier = "compiled"
    #: Calls whose draws come from another library's stream (Python's random), not torch's
    #: generator: compared with eager, left out of the properties about torch's generator.
    foreign = frozenset({"python_seeded"})

    def __init__(self, device: str = "cpu", *, compiler: str = "inductor",
                 fallback_random: bool = False) -> None:
        super().__init__(device)
        # Before anything is built in this process: Inductor's paths, once used, stay.
        separate_inductor_cache()
        if compiler not in COMPILERS:
            raise ValueError(f"no compiler {compiler!r} (one of {', '.join(COMPILERS)})")
        self.compiler, self.fallback_random = compiler, fallback_random
        tag = compiler + (",fallback_random" if fallback_random else "")
        self.name = f"torch.compile[{tag}]:{device}"
        self._compiled: dict[str, Callable[..., Any]] = {}

    @property
    def promises_eager(self) -> bool:
        """Whether torch promises this compiled stream is eager's (``fallback_random``)."""
        return self.fallback_random

    def eager_twin(self) -> TorchGlobal:
        """The eager backend this one compiles: the same calls on the same default generator."""
        return TorchGlobal(self.device)

    def compile_function(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Any function compiled as this backend compiles (graph breaks allowed: a Python or
        NumPy draw, or a ``generator=``, may break the graph), run under its settings."""
        key = f"{fn.__module__}.{fn.__qualname__}"
        if key not in self._compiled:
            self._compiled[key] = torch_module().compile(
                _fresh_code(fn, f"f{len(self._compiled)}"), backend=self.compiler, dynamic=False)
        compiled = self._compiled[key]

        def run(*args: Any, **kwargs: Any) -> Any:
            with self._config():
                return compiled(*args, **kwargs)
        return run

    def unavailable(self) -> str | None:
        reason = super().unavailable()
        if reason is not None:
            return reason
        torch = torch_module()
        try:
            from torch._dynamo.eval_frame import check_if_dynamo_supported

            check_if_dynamo_supported()
            if self.compiler == "inductor":
                from torch._dynamo.eval_frame import check_if_inductor_supported

                check_if_inductor_supported()
        except (ImportError, RuntimeError) as exc:
            return f"torch.compile does not run here (torch {torch.__version__}: {exc})"
        if self.compiler == "inductor" and self.device == "cpu":
            if cxx_compiler() is None:
                return "Inductor needs a C++ compiler for the CPU (no g++, c++ or clang++ found)"
            return _inductor_builds()
        return None

    def environment_variables(self) -> dict[str, str]:
        variables = super().environment_variables()
        if variables.get("ATEN_CPU_CAPABILITY"):
            # A snippet under other kernels builds into their own cache folder, as the check did.
            variables.update(separate_inductor_cache())
        return variables

    def provenance_keys(self) -> tuple[str, ...]:
        keys = super().provenance_keys()
        if self.compiler == "inductor" and self.device == "cpu":
            # Inductor's CPU kernels are C++ it generates and builds here: its randn's
            # transcendental functions are the compiler's and its vector ISA's.
            return (*keys[:2], "cxx", *keys[2:])
        return keys

    def _config(self) -> Any:
        import torch._inductor.config as inductor_config

        return inductor_config.patch(fallback_random=self.fallback_random)

    def compiled(self, call: Call, spec: CallSpec) -> Callable[..., Any]:
        """The call's compiled function (made once): it takes the call's arguments."""
        key = str(call)
        if key not in self._compiled:
            torch, fn, device = torch_module(), spec.fn, self.device

            def body(*args: Any, **kwargs: Any) -> Any:
                return fn(torch, *args, device=device, **kwargs)

            self._compiled[key] = torch.compile(_fresh_code(body, str(len(self._compiled))),
                                                backend=self.compiler,
                                                fullgraph=call.name not in GRAPH_BREAKS,
                                                dynamic=False)
        return self._compiled[key]

    def run(self, handle: Any, call: Call) -> np.ndarray:
        spec = self.calls.get(call.name)
        if spec is None:
            raise CatalogError(f"{self.name} has no call {call.name!r}")
        compiled = self.compiled(call, spec)

        def once() -> Any:
            args = [self._value(a) for a in call.args]
            kwargs = {k: self._value(v) for k, v in call.kwargs}
            with self._config():
                return compiled(*args, **kwargs)

        if call.repeat == 1:
            return self.to_numpy(once())
        return self.stack([once() for _ in range(call.repeat)])

    imports = "import torch; import torch._inductor.config"

    def seed_snippet(self, seeds: Any) -> tuple[str, list[str]]:
        setup, handles = super().seed_snippet(seeds)
        return f"torch._inductor.config.fallback_random = {self.fallback_random}; {setup}", handles

    def snippet_value(self, value: str, call: Call) -> str:
        # A call's statements stay before the compiled lambda (python_seeded's random.seed
        # runs inside the compiled function in the check, eagerly in the snippet: same values).
        return (f"torch.compile(lambda: {value}, backend={self.compiler!r}, "
                f"fullgraph={call.name not in GRAPH_BREAKS}, dynamic=False)()")


def backends(device: str) -> list[TorchCompiled]:
    return [TorchCompiled(device, compiler=c, fallback_random=f)
            for c in COMPILERS for f in (False, True)]
