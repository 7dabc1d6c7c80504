"""Seed equivalence against the ledger: every catalog stream, checked bit for bit."""


def test_golden(golden_case, rngsuite):
    """A seeded stream reproduces the era recorded for this environment, bit for bit."""
    rngsuite.check(golden_case)
