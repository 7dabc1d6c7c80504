"""A small attention model, written the way a team writes one: token embeddings initialised
with ``trunc_normal_`` (as GPT-style models do), an ``orthogonal_`` output projection,
``nn.MultiheadAttention`` with attention dropout, ``F.scaled_dot_product_attention`` with
``dropout_p`` in training and none in evaluation, and batches of random token ids drawn with
``torch.randint(high, size)``.

Each function takes the seed and returns what a team would compare between two runs; the
streams are declared in pyproject.toml.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, WIDTH, HEADS, LENGTH = 50, 16, 2, 8


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, HEADS, dropout=0.1, batch_first=True)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.out = nn.Linear(WIDTH, VOCAB, bias=False)
        nn.init.trunc_normal_(self.embed.weight, std=0.02)
        nn.init.orthogonal_(self.out.weight)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        x = x + self.attn(x, x, x, need_weights=False)[0]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        split = lambda t: t.view(t.shape[0], LENGTH, HEADS, -1).transpose(1, 2)  # noqa: E731
        y = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True,
                                           dropout_p=0.2 if self.training else 0.0)
        return self.out(x + y.transpose(1, 2).reshape(x.shape))


def init_weights(seed: int) -> dict:
    """The initial weights: trunc_normal_ embeddings, orthogonal_ output, default Linears."""
    torch.manual_seed(seed)
    return Block().state_dict()


def tokens(seed: int) -> torch.Tensor:
    """A batch of 4 sequences of random token ids: randint(high, size)."""
    torch.manual_seed(seed)
    return torch.randint(VOCAB, (4, LENGTH))


def attention_dropout(seed: int) -> torch.Tensor:
    """What attention dropout does to one training-mode forward pass."""
    torch.manual_seed(seed)
    q = torch.ones(1, HEADS, LENGTH, WIDTH // HEADS)
    return F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)


def eval_forward(seed: int) -> torch.Tensor:
    """An evaluation-mode forward pass: no dropout draws, only the initialisation's."""
    torch.manual_seed(seed)
    net = Block().eval()
    with torch.no_grad():
        return net(torch.arange(LENGTH).repeat(2, 1) % VOCAB)


def train(seed: int, steps: int = 3) -> dict:
    """Three steps of next-token training on random tokens: the losses and final weights."""
    torch.manual_seed(seed)
    net = Block()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        ids = torch.randint(VOCAB, (4, LENGTH))
        logits = net(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return {"losses": torch.stack(losses), "weights": net.state_dict()}
