"""Fault: a compiled function draws without moving the default generator on (it restores the
state it found), so every compiled call repeats the one before."""

import torch

_compile = torch.compile


def _keeping(fn=None, **options):
    compiled = _compile(fn, **options)

    def call(*args, **kwargs):
        state = torch.get_rng_state()
        out = compiled(*args, **kwargs)
        torch.set_rng_state(state)
        return out
    return call


torch.compile = _keeping
