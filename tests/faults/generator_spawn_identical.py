"""Fault: ``Generator.spawn`` returns children that are copies of one child."""

import copy

import numpy as np


class _Generator(np.random.Generator):
    def spawn(self, n_children):
        first = super().spawn(1)[0]
        return [copy.deepcopy(first) for _ in range(n_children)]


np.random.Generator = _Generator
