"""Fault: ``torch.set_rng_state`` does nothing (a restore that does not restore)."""

import torch

torch.set_rng_state = lambda new_state: None
