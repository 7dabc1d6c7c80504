"""Fault: ``torch.rand`` above the parallel grain size depends on the thread count (the chunks
threads fill come back in another order), as a parallelised kernel that hands each thread its
own slice of one stream would."""

import torch

_rand = torch.rand


def _by_threads(*args, **kwargs):
    out = _rand(*args, **kwargs)
    if torch.get_num_threads() > 1 and out.numel() >= 32768:
        half = out.numel() // 2
        out = torch.cat([out.reshape(-1)[half:], out.reshape(-1)[:half]]).reshape(out.shape)
    return out


torch.rand = _by_threads
