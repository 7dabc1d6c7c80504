"""Fault: ``torch.rand`` ignores its ``generator=`` argument and draws from the default one."""

import torch

_rand = torch.rand


def _ignoring(*args, generator=None, **kwargs):
    return _rand(*args, **kwargs)


torch.rand = _ignoring
