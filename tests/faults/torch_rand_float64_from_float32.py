"""Fault: ``torch.rand(..., dtype=float64)`` draws float32 values and casts them up (24 random
bits per value instead of 53)."""

import torch

_rand = torch.rand


def _from_float32(*args, dtype=None, **kwargs):
    if dtype is torch.float64:
        return _rand(*args, dtype=torch.float32, **kwargs).to(torch.float64)
    return _rand(*args, dtype=dtype, **kwargs)


torch.rand = _from_float32
