"""rngsuite as a wheel: the package is `rngsuite` (never the generic `suite`), it carries the
library ledger, and it verifies from a directory outside the clone."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


def test_every_package_of_suite_is_in_the_wheel_list():
    """pyproject.toml lists its packages by hand (suite/ is mapped to rngsuite): the list is
    every folder of suite/ with an __init__.py, and the ledger."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {"rngsuite" + ("." + ".".join(p.parent.relative_to(ROOT / "suite").parts)
                           if p.parent != ROOT / "suite" else "")
             for p in (ROOT / "suite").rglob("__init__.py")}
    assert set(config["packages"]) == found | {"rngsuite.golden"}
    assert config["package-dir"] == {"rngsuite": "suite", "rngsuite.golden": "golden"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """rngsuite built as a wheel, as `pip wheel .` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    return next(out.glob("rngsuite-*.whl"))


def test_the_wheel_holds_rngsuite_and_its_ledger_and_no_package_named_suite(wheel):
    """Top-level names in the wheel: rngsuite and its metadata only; every ledger file of
    golden/ is inside, as rngsuite/golden/."""
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"rngsuite", wheel.name.split("-")[0] + "-"
                                                + wheel.name.split("-")[1] + ".dist-info"}
    golden = {p.relative_to(ROOT / "golden").as_posix() for p in (ROOT / "golden").rglob("*")
              if p.is_file() and p.name != ".lock"}
    packed = {n[len("rngsuite/golden/"):] for n in names if n.startswith("rngsuite/golden/")}
    assert golden == packed
    assert "rngsuite/pytest.ini" in names and "rngsuite/data/catalog.toml" in names


def test_the_installed_wheel_verifies_from_outside_the_clone(wheel, tmp_path):
    """Installed (not editable) into a folder and run from an empty directory elsewhere:
    rngsuite reads the ledger it carries, and the selected cases conform."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "from rngsuite.core.settings import "
                            "DEFAULT_LEDGER; print(DEFAULT_LEDGER)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, timeout=300)
    assert Path(where.stdout.strip()) == target / "rngsuite" / "golden", where.stderr
    result = subprocess.run([sys.executable, "-m", "rngsuite", "verify", "--case",
                             "numpy.random:rand*", "--case", "torch:cpu:rand(5)*"],
                            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
