"""Fault: ``torch.set_rng_state`` restores the CPU generator's read position but keeps the key
it already has -- invisible when a checkpoint goes back into the same stream before the next
twist, wrong as soon as it is restored into a generator seeded otherwise (a resumed job)."""

import torch

_set = torch.set_rng_state


def _position_only(new_state):
    state = torch.get_rng_state().clone()
    # CPUGeneratorImplState: the_initial_seed (8 bytes), left, seeded (4 each), next (8), then
    # the key; the position is left and next.
    state[8:12] = new_state[8:12]
    state[16:24] = new_state[16:24]
    _set(state)


torch.set_rng_state = _position_only
