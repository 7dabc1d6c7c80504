"""Fault: ``torch._inductor.config.fallback_random`` is silently ignored -- compiled code draws
with Inductor's own kernels although the user asked for eager's stream."""

import torch._inductor.config as config

# The config module refuses new attributes: the fault goes on its class, for this module only.
_ConfigModule = type(config)
_patch = _ConfigModule.patch


def _ignoring(self, *args, **changes):
    if self is config:
        changes.pop("fallback_random", None)
    return _patch(self, *args, **changes)


_ConfigModule.patch = _ignoring
