"""Parameters: a sampler refuses, with its documented error, the parameters it documents as
refused (``suite/data/branches.toml [[refused]]``); the parameters it accepts are the catalog's
branch and edge cases, checked as goldens."""

from __future__ import annotations

from rngsuite.core.catalog import Case, parse_steps
from rngsuite.pytest_plugin.property_checks import check_refusals


def test_parameter_refusals(parameter_refusals):
    """Every call whose parameters an entry point documents as refused (a negative count, a
    probability outside [0, 1], an empty range) is still refused with that error: a release
    that starts accepting one draws some stream nobody chose."""
    backend, refusals = parameter_refusals
    check_refusals(backend, refusals,
                   lambda row: backend.draw(Case(backend.name, (17,), parse_steps(row.call),
                                                 backend.device))[0],
                   lambda row: row.call)
