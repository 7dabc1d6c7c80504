"""What the torch backends share: the call table, dtypes, devices and provenance."""

from __future__ import annotations

import importlib.util
import os
from typing import Any, ClassVar

import numpy as np

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


def _dropout(h: Any, x: Any, p: float, *, device: str = "cpu") -> Any:
    # F.dropout takes no generator: it always draws from the device's default generator.
    return _torch().nn.functional.dropout(x, p)


TORCH_CALLS = {
    **{name: CallSpec(_Factory(name), f"torch.{name}({{args}}{{d}}{{g}})")
       for name in ("rand", "randn", "randint", "randperm", "normal")},
    **{name: CallSpec(_inplace(name), f"torch.empty({{args}}{{d}}).{name}({{g0}})")
       for name in ("normal_", "uniform_", "exponential_", "random_")},
    **{name: CallSpec(_on_input(name), f"torch.{name}({{args}}{{g}})")
       for name in ("bernoulli", "multinomial", "poisson")},
    "dropout": CallSpec(_dropout, "torch.nn.functional.dropout({args})"),
}


class TorchAdapter(Adapter):
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
                "d": "" if self.device == "cpu" else f", device={self.device!r}"}

    def to_numpy(self, value: Any) -> np.ndarray:
        return value.detach().cpu().numpy()

    def canonical_state(self, state: Any) -> Any:
        return state.cpu().numpy().tobytes()
