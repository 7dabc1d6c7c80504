"""A small seeded training loop, written the way an ML team writes one: a model whose weights
torch initialises, dropout, a shuffled DataLoader with two worker processes that augment with
NumPy (seeded per worker, as PyTorch's reproducibility notes recommend), a NumPy train/validation
split, and a torch.Generator for the loader's order.

Each function takes the seed (and returns what a team would compare between two runs): the
streams rngsuite checks are declared in pyproject.toml and checked by tests/test_train.py.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Points(Dataset):
    """64 points of 4 features; each read adds NumPy noise drawn in the worker that reads it."""

    def __init__(self, n: int = 64) -> None:
        self.x = torch.arange(n * 4, dtype=torch.float32).reshape(n, 4) / (n * 4)
        self.y = (self.x.sum(dim=1) > 2).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        noise = np.random.normal(0.0, 0.05, size=4).astype(np.float32)
        return self.x[i] + torch.from_numpy(noise), self.y[i]


def seed_worker(worker_id: int) -> None:
    # torch seeds each worker with base_seed + worker_id; NumPy's global generator is seeded
    # from it (https://pytorch.org/docs/stable/notes/randomness.html#dataloader).
    np.random.seed(torch.initial_seed() % 2**32)


def loader(seed: int) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(Points(), batch_size=8, shuffle=True, num_workers=2,
                      worker_init_fn=seed_worker, generator=generator)


def model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 2))


def init_weights(seed: int) -> dict:
    """The model's initial weights (nn.Linear's kaiming-uniform init)."""
    torch.manual_seed(seed)
    return model().state_dict()


def split(seed: int) -> dict:
    """A NumPy train/validation split of the 64 points."""
    order = np.random.default_rng(seed).permutation(64)
    return {"train": order[:48], "validation": order[48:]}


def first_batch(seed: int) -> dict:
    """The first batch the loader yields: its order, and the workers' NumPy noise."""
    x, y = next(iter(loader(seed)))
    return {"x": x, "y": y}


def dropout_masks(seed: int) -> torch.Tensor:
    """What dropout zeroes in a training-mode forward pass of 8 examples."""
    torch.manual_seed(seed)
    return nn.functional.dropout(torch.ones(8, 16), 0.25)


def train(seed: int, steps: int = 4) -> dict:
    """Four steps of SGD: the losses and the weights after them."""
    torch.manual_seed(seed)
    net = model()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    losses = []
    for step, (x, y) in enumerate(loader(seed)):
        if step == steps:
            break
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return {"losses": torch.stack(losses), "weights": net.state_dict()}
