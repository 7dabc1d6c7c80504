"""Deep streams against their recorded digests: long draws, and windows far into a stream
reached by jump-ahead (``suite/checks/deep.py``; goldens in ``golden/deep/digests.json``).

Cases of up to 10**7 values run in every run; longer ones (10**8, 10**9) only in the nightly
tier (the ``deep_case`` input). ``--case`` narrows them like the catalog's cases; under
``--record`` they are recorded.
"""

from __future__ import annotations

from rngsuite.checks import deep


def test_deep_stream(deep_case, rngsuite):
    """A long draw, or a window deep in a seeded stream, has the digest recorded for this
    environment (or, in an environment not yet recorded, some recorded era's digest)."""
    rngsuite.settle(deep.check(deep_case, rngsuite.ledger, rngsuite.backends))
