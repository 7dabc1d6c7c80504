"""Fault: ``torch.random.fork_rng`` does not restore the global state on exit."""

import contextlib

import torch.random


@contextlib.contextmanager
def _not_restoring(devices=None, enabled=True, *args, **kwargs):
    yield


torch.random.fork_rng = _not_restoring
