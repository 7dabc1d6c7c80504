"""Tests for the version matrix: the index's answer, the pairing rules, tox.ini, and --check.

``tests/data/index.json`` is what the package index and the resolver answered when tox.ini was
last generated (``python -m rngsuite matrix --save tests/data/index.json --tox``), so these
tests run without a network and tox.ini is checked against the answer it was made from.
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_cli
from rngsuite.core.ledger import Ledger
from rngsuite.core.settings import DEFAULT_LEDGER
from rngsuite.tools import matrix

SNAPSHOT = ROOT / "tests" / "data" / "index.json"


@pytest.fixture(scope="module")
def rules() -> matrix.Rules:
    """matrix.toml, the rules the matrix is made with."""
    return matrix.load_rules()


@pytest.fixture(scope="module")
def snap() -> matrix.Snapshot:
    """The index's answer tox.ini was generated from."""
    return matrix.Snapshot.read(SNAPSHOT)


@pytest.fixture(scope="module")
def envs(rules, snap) -> list[matrix.Env]:
    return matrix.environments(rules, snap)


def test_tox_ini_is_what_matrix_prints(rules, snap, envs):
    """tox.ini's environment list, labels, pins and commands are the generated block, unedited."""
    assert matrix.tox_generated(ROOT / "tox.ini") == matrix.tox_block(rules, envs)


def test_a_numpy_without_wheels_for_a_python_is_not_paired_with_it(snap, envs):
    """NumPy 2.5 has no CPython 3.11 wheels: it runs on 3.12 and later, never on 3.11; NumPy
    1.26 has no 3.13 wheels."""
    assert "3.11" not in snap.wheels["numpy"]["2.5.5"]
    pairs = {(e.python, e.releases["numpy"]) for e in envs if e.varies == "numpy"}
    assert ("3.12", "2.5.5") in pairs and ("3.11", "2.5.5") not in pairs
    assert not any(p == "3.13" and v.startswith("1.26") for p, v in pairs)


def test_every_torch_gets_a_numpy_it_can_load(rules, envs):
    """torch < 2.3 cannot load NumPy 2: every environment's pair passes the loads rule, and the
    torch environments of a Python share one NumPy."""
    torch_envs = [e for e in envs if e.varies == "torch"]
    assert torch_envs
    for env in torch_envs:
        assert rules.can_load(env.releases["torch"], env.releases["numpy"]), env.name
    for python in {e.python for e in torch_envs}:
        assert len({e.releases["numpy"] for e in torch_envs if e.python == python}) == 1
    assert not rules.can_load("2.2.2", "2.0.2") and rules.can_load("2.3.1", "2.0.2")


def test_each_numpy_gets_the_pandas_the_resolver_chose(snap, envs):
    """pandas rides with each NumPy as the resolver answered, pinned by minor in tox.ini."""
    for env in envs:
        if env.varies != "numpy":
            continue
        pins = [f"{lib}=={matrix._minor_spec(v)}" for lib, v in env.releases.items()]
        assert env.rides["pandas"] == snap.rides["pandas"][matrix._ride_key(env.python, pins)]


def test_wheel_names_give_their_cpython_versions():
    """A wheel's tags say which CPython it installs on; free-threaded, other platforms and
    sdists count for none."""
    assert matrix._cpythons("numpy-2.5.5-cp312-cp312-manylinux_2_27_x86_64."
                            "manylinux_2_28_x86_64.whl") == {"3.12"}
    assert matrix._cpythons("torch-2.9.1-cp314-cp314t-manylinux_2_28_x86_64.whl") == set()
    assert matrix._cpythons("torch-2.9.1-cp313-cp313-win_amd64.whl") == set()
    assert matrix._cpythons("numpy-2.5.5.tar.gz") == set()


def _recorded(snap, rules) -> matrix.Recorded:
    """A ledger summary holding exactly what the snapshot's matrix needs."""
    releases: dict = {lib: {} for lib in matrix.LIBRARIES}
    pandas, pythons = set(), set()
    for env in matrix.environments(rules, snap):
        for lib, version in env.releases.items():
            releases[lib].setdefault(version, set()).update(
                {"AVX512", "AVX2", "DEFAULT"} if lib == "torch" else {""})
        for package, version in env.rides.items():
            releases[package].setdefault(version, set()).add("")
            pandas.add((version, env.releases["numpy"]))
        pythons.add(env.python)
    return matrix.Recorded(releases, pandas, pythons)


def test_check_passes_when_everything_is_recorded(rules, snap):
    """A ledger holding every release, condition, pandas pair and Python: nothing missing."""
    result = matrix.check(rules, snap, _recorded(snap, rules))
    assert result.ok and not result.missing and not result.newer, result


def test_check_names_a_new_release_and_what_is_missing(rules, snap):
    """A release newer than every recorded one fails the check by name; so does a recorded
    release that lacks a CPU condition, each with the command that records it."""
    recorded = _recorded(snap, rules)
    newest = snap.newest("torch")
    del recorded.releases["torch"][newest]
    recorded.releases["torch"]["2.7.1"].discard("AVX2")
    result = matrix.check(rules, snap, recorded)
    assert not result.ok
    assert any(line.startswith(f"torch {newest} is newer than every recorded torch")
               for line in result.newer)
    everything = result.missing + result.not_here
    assert any(f.what.startswith(f"torch {newest} (CPython") for f in everything)
    avx2 = [f for f in everything if f.what == "torch 2.7.1 at torch_cpu_capability=AVX2"]
    assert avx2 and avx2[0].command.startswith("ATEN_CPU_CAPABILITY=avx2 tox -e ")


def test_check_says_why_a_python_without_interpreter_is_not_run(rules, snap, monkeypatch):
    """Python's own random on a CPython no interpreter here runs is listed as not run, with
    that reason, and does not fail the check."""
    recorded = _recorded(snap, rules)
    recorded.pythons.discard("3.14")
    monkeypatch.setattr(matrix, "_interpreter", lambda python: None if python == "3.14" else "x")
    result = matrix.check(rules, snap, recorded)
    assert result.ok
    assert [f.why_not_here for f in result.not_here] == ["no CPython 3.14 interpreter here"]


def test_the_ledger_summary_reads_releases_conditions_and_pairs(rules):
    """What the ledger holds, read from its provenance: NumPy 2.5, torch 2.0 at each capability
    (2.0's "NO AVX" read as DEFAULT), pandas with its NumPy, Python's random per CPython."""
    recorded = matrix.Recorded.of(Ledger.load(DEFAULT_LEDGER), rules)
    assert "2.5.5" in recorded.releases["numpy"]
    assert {"AVX2", "DEFAULT"} <= recorded.releases["torch"]["2.0.1"]
    assert ("3.0.6", "1.26.4") in recorded.pandas
    assert {"3.11", "3.12", "3.13"} <= recorded.pythons


def test_matrix_cli_reads_a_snapshot_and_exits_by_the_check(tmp_path):
    """``matrix --snapshot`` prints the environments; ``--check`` against a ledger lacking a
    new release exits 1 and names it; a snapshot that is not one is exit 2 in one line."""
    result = run_cli("matrix", "--snapshot", str(SNAPSHOT))
    assert result.returncode == 0, result.stderr
    assert "py312-numpy25-torch213" in result.stdout
    data = json.loads(SNAPSHOT.read_text())
    data["wheels"]["numpy"]["9.0.0"] = ["3.12"]
    newer = tmp_path / "index.json"
    newer.write_text(json.dumps(data))
    result = run_cli("matrix", "--snapshot", str(newer), "--check")
    assert result.returncode == 1
    assert "NEW RELEASE: numpy 9.0.0 is newer than every recorded numpy" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = run_cli("matrix", "--snapshot", str(bad))
    assert result.returncode == 2 and "bad.json: not an index snapshot" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_ledger_summary_counts_cases_missing_at_a_condition(small_golden, rules):
    """A torch release recorded at one capability lacks its cases at the others: each is a gap
    naming the backend and the cases, the capability it was recorded at none."""
    from rngsuite.core import provenance as prov

    recorded = matrix.Recorded.of(Ledger.load(small_golden), rules)
    env = prov.environment("cpu")
    version = str(prov.release(env["torch"]))
    here = prov.CONDITION_ALIASES.get(env["torch_cpu_capability"].replace(" ", "_"),
                                      env["torch_cpu_capability"].replace(" ", "_"))
    assert ("torch", version, here) not in recorded.gaps
    others = [v for v in ("AVX512", "AVX2", "DEFAULT") if v != here]
    for value in others:
        gap = recorded.gaps[("torch", version, value)]
        assert "torch:cpu:rand(5)@17" in gap["torch:cpu"]
