"""Fault: ``torch.rand`` fills a multi-dimensional tensor in another order (last dimension
slowest), so ``rand(a, b)`` is no longer ``rand(a * b).reshape(a, b)``; 1-D draws are
unchanged and the stream after the call is too."""

import torch

_rand = torch.rand


def _by_columns(*size, **kwargs):
    if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
        size = tuple(size[0])
    if "size" in kwargs:
        size = tuple(kwargs.pop("size"))
    if len(size) < 2 or "out" in kwargs:
        return _rand(size, **kwargs)
    flipped = _rand(tuple(reversed(size)), **kwargs)
    return flipped.permute(*reversed(range(len(size)))).contiguous()


torch.rand = _by_columns
