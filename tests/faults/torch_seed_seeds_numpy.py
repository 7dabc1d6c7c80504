"""Fault: ``torch.manual_seed`` also seeds NumPy's global stream (one library seeding another)."""

import numpy as np
import torch

_manual_seed = torch.manual_seed


def _seeds_both(seed):
    np.random.seed(int(seed) % 2**32)
    return _manual_seed(seed)


torch.manual_seed = _seeds_both
