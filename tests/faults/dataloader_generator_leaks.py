"""Fault: a DataLoader given ``generator=`` still takes a draw from the global generator when an
epoch begins, so that the loader is no longer isolated from the global stream."""

import torch
from torch.utils.data import dataloader

_init = dataloader._BaseDataLoaderIter.__init__


def _leaking(self, loader):
    _init(self, loader)
    torch.empty((), dtype=torch.int64).random_()


dataloader._BaseDataLoaderIter.__init__ = _leaking
