"""Fault: ``torch.rand`` returns values one ULP above the true draw (a drifting transform)."""

import torch

_rand = torch.rand


def _one_ulp_up(*args, **kwargs):
    out = _rand(*args, **kwargs)
    return torch.nextafter(out, torch.full_like(out, float("inf")))


torch.rand = _one_ulp_up
