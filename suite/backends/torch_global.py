"""torch's default generator on a device: ``torch.manual_seed(s); torch.<call>(...)``."""

from __future__ import annotations

from typing import Any, Sequence

from suite.backends._torch import TORCH_CALLS, TorchAdapter, _torch


class TorchGlobal(TorchAdapter):
    """The default generator, seeded by ``torch.manual_seed`` (which seeds every device)."""

    calls = TORCH_CALLS

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        self.name = f"torch:{device}"

    def open(self, seeds: Sequence[int]) -> list[Any]:
        torch = _torch()
        torch.manual_seed(seeds[0])
        return [torch]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        return f"torch.manual_seed({seeds[0]})", ["torch"]


def backends(device: str) -> list[TorchGlobal]:
    return [TorchGlobal(device)]
