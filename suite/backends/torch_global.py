"""torch's default generator on a device: ``torch.manual_seed(s); torch.<call>(...)``."""

from __future__ import annotations

from typing import Any, Sequence

from rngsuite.backends._torch import TORCH_CALLS, TorchAdapter, manual_seed, torch_module


class TorchGlobal(TorchAdapter):
    """The default generator, seeded by ``torch.manual_seed`` (which seeds every device)."""

    calls = TORCH_CALLS

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        self.name = f"torch:{device}"
        self.owner = f"torch.default:{device}"

    def _cuda(self) -> tuple[bool, int | None]:
        kind, _, index = self.device.partition(":")
        return kind == "cuda", int(index) if index else None

    def get_state(self, handle: Any) -> Any:
        torch = torch_module()
        is_cuda, index = self._cuda()
        if is_cuda:
            return torch.cuda.get_rng_state(index if index is not None else "cuda")
        return torch.get_rng_state()

    def set_state(self, handle: Any, state: Any) -> None:
        torch = torch_module()
        is_cuda, index = self._cuda()
        if is_cuda:
            torch.cuda.set_rng_state(state, index if index is not None else "cuda")
        else:
            torch.set_rng_state(state)

    def fork(self) -> Any:
        torch = torch_module()
        is_cuda, index = self._cuda()
        # fork_rng always forks the CPU state; devices= adds accelerators.
        devices = [index or 0] if is_cuda else []
        return torch.random.fork_rng(devices=devices)

    def open(self, seeds: Sequence[int]) -> list[Any]:
        manual_seed(self.seed_value(seeds[0]))
        return [torch_module()]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        return f"torch.manual_seed({self.seed_text(seeds[0])})", ["torch"]


def backends(device: str) -> list[TorchGlobal]:
    return [TorchGlobal(device)]
