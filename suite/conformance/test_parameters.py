"""Parameters: a sampler refuses, with its documented error, the parameters it documents as
refused (``suite/data/branches.toml [[refused]]``); the parameters it accepts are the catalog's
branch and edge cases, checked as goldens."""

from __future__ import annotations

from rngsuite.core.catalog import Case, parse_steps


def test_parameter_refusals(parameter_refusals):
    """Every call whose parameters an entry point documents as refused (a negative count, a
    probability outside [0, 1], an empty range) is still refused with that error: a release
    that starts accepting one draws some stream nobody chose."""
    backend, refusals = parameter_refusals
    wrong = []
    for refusal in refusals:
        where = f"{backend.name}: {refusal.call} ({refusal.source})"
        try:
            drawn = backend.draw(Case(backend.name, (17,), parse_steps(refusal.call),
                                      backend.device))
        except Exception as exc:  # noqa: BLE001 -- the refusal under test
            if type(exc).__name__ not in refusal.raises or not refusal.match.search(str(exc)):
                wrong.append(f"{where}: expected {' or '.join(refusal.raises)} matching "
                             f"{refusal.match.pattern!r}, got {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{where}: accepted now (first values {drawn[0].reshape(-1)[:3]}), "
                         f"documented as refused with {' or '.join(refusal.raises)}")
    assert not wrong, "\n".join(wrong)
