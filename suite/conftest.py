"""Loads the rngsuite pytest plugin for ``pytest suite`` and ``python -m suite verify``."""

from suite.pytest_plugin.plugin import (pytest_addoption, pytest_configure, pytest_generate_tests,  # noqa: F401
                          pytest_report_header, pytest_sessionfinish, pytest_terminal_summary,
                          rngsuite)
