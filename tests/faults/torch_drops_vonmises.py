"""Fault: a release without ``torch.distributions.VonMises`` (a sampler removed or renamed)."""

import torch.distributions

del torch.distributions.VonMises
