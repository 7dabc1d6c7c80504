"""``torch.Generator`` objects on a device, passed as ``generator=`` to every call."""

from __future__ import annotations

from typing import Any, Sequence

from rngsuite.backends._torch import (GENERATOR_LEAKS, NO_GENERATOR, TORCH_CALLS, TorchAdapter,
                                      torch_module)


class TorchGenerator(TorchAdapter):
    """``g = torch.Generator(device=d); g.manual_seed(s); torch.<call>(..., generator=g)``."""

    max_streams = 26
    # Dropout variants and torch.distributions take no generator= argument, and init_sparse_
    # draws from the default generator too: they exist only on the default generator.
    calls = {k: v for k, v in TORCH_CALLS.items() if k not in NO_GENERATOR | GENERATOR_LEAKS}
    passes_generator = True

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        self.name = f"torch.Generator:{device}"

    @property
    def checkpoints(self) -> tuple[str, ...]:
        # A torch.Generator pickles (and so deep-copies) only in newer releases (not in 2.0):
        # before, the state API is its one checkpoint.
        import pickle

        try:
            pickle.dumps(torch_module().Generator(device=self.device))
        except TypeError:
            return ("state",)
        return super().checkpoints

    def get_state(self, handle: Any) -> Any:
        return handle.get_state()

    def set_state(self, handle: Any, state: Any) -> None:
        handle.set_state(state)

    def open(self, seeds: Sequence[int]) -> list[Any]:
        torch = torch_module()
        return [torch.Generator(device=self.device).manual_seed(self.seed_value(s)) for s in seeds]

    def seed_snippet(self, seeds: Sequence[int]) -> tuple[str, list[str]]:
        names = self.stream_names(seeds, "g")
        return "; ".join(f"{n} = torch.Generator(device={self.device!r}).manual_seed({self.seed_text(s)})"
                         for n, s in zip(names, seeds)), names


def backends(device: str) -> list[TorchGenerator]:
    return [TorchGenerator(device)]
