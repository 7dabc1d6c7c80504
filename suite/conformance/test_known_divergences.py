"""Known divergences are real: each row's witness example still shows what the row claims, so
a row that a release has made obsolete fails here instead of silently excusing nothing."""

from __future__ import annotations

from rngsuite.pytest_plugin.property_checks import WITNESS_CHECKS


def test_known_divergence_shows_on_its_witness(divergence_witness):
    """The row's witness example matches its condition and still diverges as the row says."""
    backend, row, call = divergence_witness
    result = WITNESS_CHECKS[row.guarantee](backend, row.witness, call)
    assert result is not None and result[0] is row, (
        f"the witness {row.witness} of the known divergence {row.guarantee} on {backend.name} "
        f"({row.condition}) does not match its own row")
    known, differed = result
    if row.expect == "may-differ":
        assert differed, (
            f"known divergence no longer shows: {row.guarantee} on {backend.name} "
            f"({row.condition}) held on its witness {row.witness}; if a release fixed it, limit "
            f"the row with `when` to the releases before, or remove it ({row.source})")
