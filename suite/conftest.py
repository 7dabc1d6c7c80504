"""Loads the rngsuite pytest plugin (its hooks and fixtures) for ``pytest suite`` and
``python -m suite verify``."""

from suite.pytest_plugin.plugin import *  # noqa: F401,F403
