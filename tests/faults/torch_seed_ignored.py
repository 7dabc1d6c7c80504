"""Fault: ``torch.manual_seed`` ignores its seed (the default generator keeps drawing on)."""

import torch


def _ignored(seed):
    return torch.default_generator


torch.manual_seed = _ignored
