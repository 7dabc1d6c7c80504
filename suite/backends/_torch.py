"""What the torch backends share: the call table, dtypes, devices and provenance."""

from __future__ import annotations

import importlib.util
import os
from typing import Any, ClassVar

import numpy as np

from suite.backends._lists import ListArgs
from suite.backends.base import Adapter, CallSpec
from suite.catalog import DType, Make


def _torch() -> Any:
    import torch

    return torch


def _gen(h: Any) -> dict[str, Any]:
    """``generator=`` for a torch.Generator stream; nothing for the global stream."""
    return {} if h is None or _is_module(h) else {"generator": h}


def _is_module(h: Any) -> bool:
    return getattr(h, "__name__", None) == "torch"


class _Factory:
    """A factory call (``torch.rand(5)``) made on the adapter's device."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(_torch(), self.name)(*args, device=device, **kwargs, **_gen(h))


def _inplace(name: str):
    def fn(h: Any, *size: Any, device: str = "cpu", dtype: Any = None, **kwargs: Any) -> Any:
        t = _torch().empty(*size, device=device, dtype=dtype)
        return getattr(t, name)(**kwargs, **_gen(h))
    return fn


def _on_input(name: str):
    def fn(h: Any, x: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(_torch(), name)(x, *args, **kwargs, **_gen(h))
    return fn


def _inplace_either(name: str):
    """An in-place Tensor sampler, on ``torch.empty(size, dtype=...)`` or on a tensor argument.

    ``normal_(1000,dtype=float64)`` fills a new empty tensor; ``random_(ones(5),0,10)`` calls
    ``torch.Tensor.random_(torch.ones(5), 0, 10)``: the tensor form carries the method's own
    arguments (``p``, ``from``/``to``, ``lambd``), which the size form has no room for.
    """
    on_size = _inplace(name)

    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        if args and isinstance(args[0], _torch().Tensor):
            x, *rest = args
            return getattr(x, name)(*rest, **kwargs, **_gen(h))
        return on_size(h, *args, device=device, **kwargs)
    return fn


class _InplaceTemplate(str):
    """The snippet of :func:`_inplace_either`, in the form its first argument asks for.

    A rendered tensor argument starts with ``torch.`` (``TorchAdapter.render_make``); a size
    never does.
    """

    def __new__(cls, name: str) -> "_InplaceTemplate":
        self = super().__new__(cls, f"torch.empty({{args}}{{d}}).{name}({{g0}})")
        self.on_tensor = f"torch.Tensor.{name}({{args}}{{g}})"
        return self

    def format(self, *args: Any, **fields: Any) -> str:
        if str(fields.get("args", "")).startswith("torch."):
            return self.on_tensor.format(*args, **fields)
        return str.format(self, *args, **fields)

    def format_map(self, fields: Any) -> str:
        return self.format(**fields)


def _init(name: str):
    """A ``torch.nn.init`` initializer, which fills its tensor argument in place."""
    def fn(h: Any, x: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(_torch().nn.init, name)(x, *args, **kwargs, **_gen(h))
    return fn


def _functional(name: str):
    """A ``torch.nn.functional`` sampler: no generator= argument, so the default generator."""
    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(_torch().nn.functional, name)(*args, **kwargs)
    return fn


def _params(args: tuple, device: str) -> list:
    # Plain-number parameters would make CPU tensors: put them on the adapter's device.
    return [a if device == "cpu" or not isinstance(a, (int, float)) else
            _torch().as_tensor(a, device=device) for a in args]


def _distribution(name: str):
    """``torch.distributions.<name>(*params).sample(shape)``; the last argument is the shape.

    Distributions take no generator=: they draw from the default generator of the parameters'
    device."""
    def fn(h: Any, *args: Any, device: str = "cpu") -> Any:
        *params, shape = args
        return getattr(_torch().distributions, name)(*_params(params, device)).sample(shape)
    return fn


def _dataloader_order(h: Any, n: int, *, device: str = "cpu") -> Any:
    # The order a shuffling DataLoader yields range(n) in: the loader draws a base seed, then its
    # RandomSampler draws the permutation, both from generator= (the default generator if None).
    torch = _torch()
    return torch.cat(list(torch.utils.data.DataLoader(range(n), shuffle=True, **_gen(h))))


def _random_split(h: Any, n: int, lengths: Any, *, device: str = "cpu") -> Any:
    # The indices of the first split of range(n); generator= defaults to the default generator.
    torch = _torch()
    return torch.tensor(torch.utils.data.random_split(range(n), lengths, **_gen(h))[0].indices)


#: In-place Tensor samplers: on a size (``normal_(1000,dtype=float64)``, a new empty tensor) or on
#: a tensor argument with the method's own arguments (``geometric_(ones(5),0.3)``).
TENSOR_INPLACE = ("normal_", "uniform_", "exponential_", "random_", "cauchy_", "log_normal_",
                  "geometric_", "bernoulli_")
#: ``torch.nn.init`` initializers that take generator= (torch >= 2.10); call names get an
#: ``init_`` prefix (``init_normal_``), apart from the Tensor methods of the same name.
INIT = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
        "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")
#: ``torch.nn.functional`` samplers without generator=: the default generator only.
FUNCTIONAL = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
              "feature_alpha_dropout", "gumbel_softmax")
#: ``torch.distributions`` classes sampled with ``.sample(shape)``; call names ``<Name>_sample``.
DISTRIBUTIONS = ("Normal", "Uniform", "Bernoulli", "Categorical", "Exponential", "Gamma", "Beta",
                 "Poisson", "Dirichlet", "MultivariateNormal")

TORCH_CALLS = {
    **{name: CallSpec(_Factory(name), f"torch.{name}({{args}}{{d}}{{g}})")
       for name in ("rand", "randn", "randint", "randperm", "normal")},
    **{name: CallSpec(_inplace_either(name), _InplaceTemplate(name)) for name in TENSOR_INPLACE},
    **{name: CallSpec(_on_input(name), f"torch.{name}({{args}}{{g}})")
       for name in ("bernoulli", "multinomial", "poisson", "binomial", "rand_like", "randn_like",
                    "randint_like", "rrelu", "rrelu_")},
    **{f"init_{name}": CallSpec(_init(name), f"torch.nn.init.{name}({{args}}{{g}})")
       for name in INIT},
    **{name: CallSpec(_functional(name), f"torch.nn.functional.{name}({{args}})")
       for name in FUNCTIONAL},
    **{f"{name}_sample": CallSpec(_distribution(name), f"*p, n = ({{args}},); "
                                  f"torch.distributions.{name}({{p}}).sample(n)")
       for name in DISTRIBUTIONS},
    "dataloader_order": CallSpec(
        _dataloader_order,
        "torch.cat(list(torch.utils.data.DataLoader(range({args}), shuffle=True{g})))"),
    "random_split": CallSpec(
        _random_split,
        "n, lengths = {args}; torch.tensor(torch.utils.data.random_split(range(n), lengths{g})[0]"
        ".indices)"),
}
#: Calls without generator=: they exist on the default generator (``torch:<device>``) only.
NO_GENERATOR = frozenset(FUNCTIONAL) | {f"{name}_sample" for name in DISTRIBUTIONS}
#: Calls that take generator= but also draw from the default generator, so that their values
#: are not a function of the generator's seed: nn.init.sparse_ draws its values from generator=
#: and the zeroed rows from torch.randperm(rows) without it (torch 2.13, torch/nn/init.py).
GENERATOR_LEAKS = frozenset({"init_sparse_"})


class TorchAdapter(ListArgs, Adapter):
    """Base for the torch backends; the device is a parameter, never assumed."""

    library = "torch"
    imports: ClassVar[str] = "import torch"
    # manual_seed takes [-2**63, 2**64 - 1]; negative seeds wrap to 2**64 + s.
    seed_range = (0, 2**64 - 1)

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("torch") is None:
            return "torch is not installed"
        torch = _torch()
        kind = self.device.split(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            return "no CUDA device (torch.cuda.is_available() is False)"
        if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            return "no MPS device (torch.backends.mps.is_available() is False)"
        return None

    def provenance_keys(self) -> tuple[str, ...]:
        if self.device == "cpu":
            # float32 randn and friends differ between ATen's CPU kernels (pytorch#155552).
            return ("torch", "torch_cpu_capability", "system", "machine")
        # CUDA streams follow the GPU model and its multiprocessor count (pytorch#143086).
        return ("torch", "gpu", "gpu_sms", "system", "machine")

    def environment_variables(self) -> dict[str, str]:
        # ATen picks its CPU kernels (and so float32 normal values) by this variable.
        value = os.environ.get("ATEN_CPU_CAPABILITY")
        return {"ATEN_CPU_CAPABILITY": value} if value and self.device == "cpu" else {}

    def call_context(self) -> dict[str, Any]:
        return {"device": self.device}

    def make(self, maker: Make) -> Any:
        args = [self._value(a) for a in maker.args]
        return getattr(_torch(), maker.name)(*args, device=self.device)

    def dtype(self, dtype: DType) -> Any:
        return getattr(_torch(), dtype.name)

    def render_make(self, maker: Make) -> str:
        args = ", ".join(self._text(a) for a in maker.args)
        dev = "" if self.device == "cpu" else f", device={self.device!r}"
        return f"torch.{maker.name}({args}{dev})"

    def render_dtype(self, dtype: DType) -> str:
        return f"torch.{dtype.name}"

    def template_fields(self, handle: str) -> dict[str, str]:
        gen = handle != "torch"
        return {"g": f", generator={handle}" if gen else "", "g0": f"generator={handle}" if gen else "",
                "d": "" if self.device == "cpu" else f", device={self.device!r}",
                # distribution parameters (see _distribution)
                "p": "*p" if self.device == "cpu" else
                     f"*(x if isinstance(x, torch.Tensor) else torch.as_tensor(x, device="
                     f"{self.device!r}) for x in p)"}

    def to_numpy(self, value: Any) -> np.ndarray:
        return value.detach().cpu().numpy()

    def canonical_state(self, state: Any) -> Any:
        return state.cpu().numpy().tobytes()
