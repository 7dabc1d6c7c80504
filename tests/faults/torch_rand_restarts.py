"""Fault: every ``torch.rand`` call restarts its generator from its seed."""

import torch

_rand = torch.rand


def _restarting(*args, generator=None, **kwargs):
    gen = generator if generator is not None else torch.default_generator
    gen.manual_seed(gen.initial_seed())
    return _rand(*args, generator=generator, **kwargs)


torch.rand = _restarting
