"""rngsuite: a conformance suite for seeded random numbers across NumPy, PyTorch and Python."""

__version__ = "0.1.0"
