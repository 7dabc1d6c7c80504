"""Fault: ``Tensor.uniform_`` on a transposed (non-contiguous) tensor fills it in index order
where torch fills memory order (TensorIterator walks the memory); contiguous and strided
outputs are untouched, so only a golden of a transposed output (``uniform_transposed(4,5)``)
sees it."""

import torch

_uniform_ = torch.Tensor.uniform_


def _index_order(self, *args, **kwargs):
    if self.dim() >= 2 and not self.is_contiguous() and self.mT.is_contiguous():
        filled = _uniform_(torch.empty(self.shape, dtype=self.dtype, device=self.device),
                           *args, **kwargs)
        with torch.no_grad():
            self.copy_(filled)
        return self
    return _uniform_(self, *args, **kwargs)


torch.Tensor.uniform_ = _index_order
