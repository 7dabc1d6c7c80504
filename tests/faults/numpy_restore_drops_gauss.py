"""Fault: ``np.random.set_state`` drops the cached Gaussian of the polar method."""

import numpy as np

_set_state = np.random.set_state


def _forgetful(state):
    if isinstance(state, dict):
        state = {**state, "has_gauss": 0, "gauss": 0.0}
    else:
        state = (*state[:3], 0, 0.0)
    return _set_state(state)


np.random.set_state = _forgetful
