"""Helpers for testing rngsuite's own machinery: throwaway ledgers and CLI runs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rngsuite.backends import registry
from rngsuite.core.catalog import load_catalog
from rngsuite.core.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
FAULTS = Path(__file__).resolve().parent / "faults"
#: Catalog calls newer than some supported release: absent there (a backend's ``absent`` says
#: so), and skipped in one line by verify.
NEWER_CALLS = {"binomialvariate": "Python 3.12"}


def run_cli(*args: str, plugins: tuple[str, ...] = (), pytest_args: tuple[str, ...] = (),
            env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m rngsuite ARGS`` in a fresh interpreter; for ``verify``, ``pytest_args`` go
    to pytest. Fault ``plugins`` (modules of tests/faults/) are installed in the environment:
    a ``sitecustomize`` imports them at the start of every Python process the run starts (the
    resume property's fresh process too), and verify also loads them with ``-p``."""
    full_env = {**os.environ, **(env or {})}
    paths = [str(FAULTS), str(ROOT), full_env.get("PYTHONPATH", "")]
    with tempfile.TemporaryDirectory(prefix="rngsuite-faults-") as site:
        if plugins:
            Path(site, "sitecustomize.py").write_text("".join(f"import {p}\n" for p in plugins))
            paths.insert(0, site)
        full_env["PYTHONPATH"] = os.pathsep.join(paths)
        argv = [sys.executable, "-m", "rngsuite", *args]
        if plugins or pytest_args:
            argv += ["--", *pytest_args, *(f"-p{p}" for p in plugins)]
        return subprocess.run(argv, capture_output=True, text=True, env=full_env, cwd=cwd,
                              timeout=600)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root and its SHA-256: to show that nothing changed."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="session")
def catalog():
    """Every catalog case on the CPU, by id."""
    return {c.id: c for c in load_catalog()}


@pytest.fixture(scope="session")
def backends():
    """The CPU backends, by name."""
    return registry(["cpu"])


@pytest.fixture
def empty_ledger(tmp_path) -> Ledger:
    """A ledger with nothing recorded, in a temporary directory."""
    root = tmp_path / "golden"
    root.mkdir()
    return Ledger.load(root)


@pytest.fixture
def small_golden(tmp_path, catalog, backends) -> Path:
    """A temporary ledger holding a few real recordings: short and long draws, two backends."""
    from rngsuite.checks import engine, recording

    root = tmp_path / "golden"
    root.mkdir()
    ledger = Ledger.load(root)
    for case_id in SMALL_CASES:
        case = catalog[case_id]
        recording.record(engine.check(case, backends[case.backend], ledger), ledger)
    ledger.save()
    return root


#: For a verify whose point is the goldens (the record and verdict flow), not the properties.
GOLDENS_ONLY = ("-k", "test_golden")

SMALL_CASES = ("numpy.random:randn(5);randn(5)@17", "numpy.random:rand(1000)@17",
               "torch:cpu:rand(5)@17", "torch:cpu:rand(1000)@17", "torch:cpu:randn(5)@17",
               "torch.Generator:cpu:rand(5)@17")
