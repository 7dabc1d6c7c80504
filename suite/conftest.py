"""Loads the rngsuite pytest plugin (its hooks and fixtures) for ``pytest suite`` and
``python -m rngsuite verify``."""

from rngsuite.pytest_plugin.plugin import *  # noqa: F401,F403
