"""Fault: ``torch.randint`` without ``dtype=`` returns int32 instead of int64 (the same values,
silently another dtype)."""

import torch

_randint = torch.randint


def _int32(*args, dtype=None, **kwargs):
    if dtype is None:
        return _randint(*args, **kwargs).to(torch.int32)
    return _randint(*args, dtype=dtype, **kwargs)


torch.randint = _int32
