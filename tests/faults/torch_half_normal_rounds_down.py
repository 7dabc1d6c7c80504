"""Fault: ``Tensor.normal_`` in float16 and bfloat16 rounds each value one step toward zero (a
half-precision cast that truncates instead of rounding); float32 and float64 are untouched, so
only a golden of a half-precision draw sees it."""

import torch

_normal_ = torch.Tensor.normal_


def _truncating(self, *args, **kwargs):
    out = _normal_(self, *args, **kwargs)
    if self.dtype in (torch.float16, torch.bfloat16):
        with torch.no_grad():
            self.copy_(torch.nextafter(self, torch.zeros_like(self)))
    return out


torch.Tensor.normal_ = _truncating
