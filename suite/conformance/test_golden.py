"""Seed equivalence against the ledger: every catalog stream, checked bit for bit."""


def test_golden(golden_cases, rngsuite):
    """Every seeded stream of one call on one backend reproduces the era recorded for this
    environment, bit for bit."""
    rngsuite.check(golden_cases)
