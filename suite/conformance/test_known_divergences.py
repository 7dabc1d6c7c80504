"""Known divergences are real: each row's witness example still shows what the row claims, so
a row that a release has made obsolete fails here instead of silently excusing nothing."""

from __future__ import annotations

from suite.conformance.test_continuation import check_chunking, check_continues, check_layout
from suite.conformance.test_seed_equivalence import check_distinct_seeds

CHECKS = {
    "chunking": lambda backend, w, call: check_chunking(backend, call, w["n"], w["k"], w["seed"]),
    "distinct_seeds": lambda backend, w, call: check_distinct_seeds(backend, w["a"], w["b"]),
    "continues": lambda backend, w, call: check_continues(backend, w["seed"]),
    "layout": lambda backend, w, call: check_layout(backend, call, w["n"], w["seed"]),
}


def test_known_divergence_shows_on_its_witness(divergence_witness):
    """The row's witness example matches its condition and still diverges as the row says."""
    backend, row, call = divergence_witness
    result = CHECKS[row.guarantee](backend, row.witness, call)
    assert result is not None and result[0] is row, (
        f"the witness {row.witness} of the known divergence {row.guarantee} on {backend.name} "
        f"({row.condition}) does not match its own row")
    known, differed = result
    if row.expect == "may-differ":
        assert differed, (
            f"known divergence no longer shows: {row.guarantee} on {backend.name} "
            f"({row.condition}) held on its witness {row.witness}; if a release fixed it, limit "
            f"the row with `when` to the releases before, or remove it ({row.source})")
