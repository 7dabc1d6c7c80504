"""rngsuite in a user's project: their values flattened and judged, the rng_golden fixture,
streams declared in [tool.rngsuite], and every way their input can be bad."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from rngsuite.core.values import NotStorable, flatten

from conftest import run_cli, tree_digest


# ---------------------------------------------------------------------------- values
def test_a_nested_value_flattens_to_named_arrays_in_a_fixed_order():
    """A batch, a state_dict, lists of numbers: leaves named by their path, dict keys sorted
    (so how a dict was built does not matter), tensors as their exact values."""
    a = {"b": torch.ones(2, dtype=torch.bfloat16), "a": [1.5, 2.5], "c": (np.arange(3), 7)}
    b = {"c": (np.arange(3), 7), "a": [1.5, 2.5], "b": torch.ones(2, dtype=torch.bfloat16)}
    leaves = flatten(a)
    assert [name for name, _ in leaves] == ["['a']", "['b']", "['c'][0]", "['c'][1]"]
    assert [str(x.dtype) for _, x in leaves] == ["float64", "bfloat16", "int64", "int64"]
    assert leaves[3][1].shape == ()
    assert all(x.tobytes() == y.tobytes() for (_, x), (_, y) in zip(leaves, flatten(b)))


def test_sampled_rows_and_bytes_are_values_too():
    """DataFrame.sample's result is stored as the rows it picked (the index) and its columns;
    random.randbytes as unsigned bytes."""
    import pandas as pd

    frame = pd.DataFrame({"a": np.arange(10), "b": np.linspace(0, 1, 10)}).sample(
        3, random_state=1)
    leaves = dict(flatten({"rows": frame, "bytes": b"\x01\xff"}))
    assert leaves["['rows'].index"].tolist() == frame.index.tolist()
    assert leaves["['rows'][column 'b']"].dtype == np.float64
    assert leaves["['bytes']"].tolist() == [1, 255]


@pytest.mark.parametrize("value,said", [
    (np.array([object()]), "dtype object"),
    ({"x": (i for i in range(3))}, "['x'] is a generator"),
    ([2**70, 1], "dtype object"),
    ("abc", "is a str"),
    (None, "is None"),
    ({"m": {}}, "['m'] is an empty dict"),
    ([np.array(["a"])], "[0] is an array of dtype <U1"),
], ids=["object array", "generator", "huge int", "string", "None", "empty dict", "strings"])
def test_a_value_that_cannot_be_stored_is_refused_naming_where(value, said):
    """What is not numbers is refused, naming the path of the first such leaf."""
    with pytest.raises(NotStorable, match=None) as info:
        flatten(value)
    assert said in str(info.value)


# ---------------------------------------------------------------------------- a project
TRAIN = """\
import numpy as np, torch

def batch(seed):
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.randn(4, 3, generator=g), "noise": np.random.default_rng(seed).normal(size=3)}

def broken(seed):
    raise ValueError("the data folder is missing")

def unstorable(seed):
    return {"x": (i for i in range(seed))}
"""


def _project(root: Path, streams: str, train: str = TRAIN) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.rngsuite]\nledger = \"rng_golden\"\n" + streams)
    (root / "train.py").write_text(train)
    return root


BATCH = '[[tool.rngsuite.streams]]\nfunction = "train:batch"\nseeds = [17, 3]\n'


def test_declared_streams_are_recorded_then_verified_then_a_change_fails(tmp_path):
    """In a project, verify fails on unrecorded streams, record records them into the
    project's ledger, verify then passes, and a changed stream fails with the 3 a.m. message
    (seed, both environments, the first differing leaf and index, the reproduce line)."""
    project = _project(tmp_path / "p", BATCH)
    first = run_cli("verify", cwd=project)
    assert first.returncode == 1 and "train:batch@17: no golden recorded" in first.stdout
    assert "record it: rngsuite record --stream train:batch@17" in first.stdout
    recorded = run_cli("record", cwd=project)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert (project / "rng_golden" / "train.json").is_file()
    again = run_cli("verify", cwd=project)
    assert again.returncode == 0 and "2 conforms" in again.stdout, again.stdout
    (project / "train.py").write_text(TRAIN.replace("normal(size=3)", "normal(size=3) * 2"))
    changed = run_cli("verify", "--stream", "*@17", cwd=project)
    assert changed.returncode == 1
    out = changed.stdout
    assert "train:batch@17: stream changed" in out and "seed: 17" in out
    assert "(['noise']): different" in out and "first at index 0: recorded" in out
    assert "reproduce: python -c 'from train import batch; print(batch(17))'" in out
    assert "train:batch@3" not in out  # --stream chose one


@pytest.mark.parametrize("streams,said", [
    ('[[tool.rngsuite.streams]]\nfunction = "train.batch"\nseeds = [1]\n',
     "[tool.rngsuite] streams[1] function: 'train.batch' is not 'module:function'"),
    ('[[tool.rngsuite.streams]]\nfunction = "train:batch"\nseeds = ["17"]\n',
     "[tool.rngsuite] streams[1] seeds: ['17'] is not a non-empty list of integers"),
], ids=["not module:function", "seeds not integers"])
@pytest.mark.parametrize("command", ["verify", "record"])
def test_a_bad_entry_stops_with_one_line_exit_2_and_nothing_written(tmp_path, streams, said,
                                                                     command):
    """A bad [tool.rngsuite] entry: one line naming the file and entry, exit 2, before any
    stream runs -- nothing written, the good stream declared before it not recorded either."""
    project = _project(tmp_path / "p", BATCH + streams)
    result = run_cli(command, cwd=project)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (project / "rng_golden").exists()


@pytest.mark.parametrize("streams,said", [
    ('[[tool.rngsuite.streams]]\nfunction = "nosuch:batch"\nseeds = [1]\n',
     "stream 'nosuch:batch@1': cannot import module 'nosuch' (ModuleNotFoundError"),
    ('[[tool.rngsuite.streams]]\nfunction = "train:nosuch"\nseeds = [1]\n',
     "stream 'train:nosuch@1': module 'train' has no function 'nosuch'"),
    ('[[tool.rngsuite.streams]]\nfunction = "train:broken"\nseeds = [1]\n',
     "stream 'train:broken@1': train:broken(1) raised ValueError: the data folder is missing"),
    ('[[tool.rngsuite.streams]]\nfunction = "train:unstorable"\nseeds = [2]\n',
     "stream 'train:unstorable@2': ['x'] is a generator"),
], ids=["unknown module", "unknown function", "raises", "unstorable"])
@pytest.mark.parametrize("command", ["verify", "record"])
def test_a_failed_stream_is_named_and_the_others_still_run(tmp_path, streams, said, command):
    """A stream that cannot be imported, raises, or returns what cannot be stored fails alone:
    one FAILED line naming it, exit 1, and the good streams are still checked (verify) or
    recorded (record)."""
    project = _project(tmp_path / "p", BATCH + streams)
    result = run_cli(command, cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and said in failed[0], result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    if command == "record":
        assert "2 new-case" in result.stdout and "1 failed stream, not recorded" in result.stdout
        again = run_cli("verify", "--stream", "train:batch@*", cwd=project)
        assert again.returncode == 0 and "2 conforms" in again.stdout, again.stdout
    else:
        assert "train:batch@17: no golden recorded" in result.stdout
        assert not (project / "rng_golden").exists()


def test_report_and_doctor_read_a_project_ledger(tmp_path):
    """report and doctor, run in the project, read its ledger (not the library's), and doctor
    does not hold a user's files against the library's catalog."""
    project = _project(tmp_path / "p", BATCH)
    assert run_cli("record", cwd=project).returncode == 0
    doctor = run_cli("doctor", cwd=project)
    assert doctor.returncode == 0 and "clean" in doctor.stdout, doctor.stdout
    report = run_cli("report", cwd=project)
    assert report.returncode == 0 and "train:batch@17" in report.stdout


def test_the_library_ledger_a_wheel_carries_is_read_only(tmp_path):
    """Recording into the ledger installed with rngsuite is refused in one line, exit 2."""
    from rngsuite.core.settings import PACKAGED_LEDGER

    result = run_cli("record", "--case", "numpy.random:rand(5)@17", "--ledger",
                     str(PACKAGED_LEDGER), cwd=tmp_path)
    assert result.returncode == 2 and "read-only" in result.stderr, result.stderr


# ---------------------------------------------------------------------------- the fixture
TESTS = """\
import train

def test_batch(rng_golden):
    rng_golden.check(train.batch(17), seed=17)

def test_two_values(rng_golden):
    rng_golden.check(train.batch(3)["x"], name="x", seed=3)
    rng_golden.check(train.batch(3)["noise"], name="noise", seed=3)
"""


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           "-p", "no:cacheprovider", *args], cwd=project, capture_output=True,
                          text=True, timeout=300)


def test_rng_golden_fails_unrecorded_records_on_request_then_catches_a_change(tmp_path):
    """The fixture: an unrecorded value fails with the command that records it;
    --rngsuite-record records into the project's ledger; a changed value then fails with the
    3 a.m. message naming the test, the seed and the first differing index."""
    project = _project(tmp_path / "p", "")
    (project / "test_train.py").write_text(TESTS)
    first = _pytest(project)
    assert first.returncode == 1 and "no golden recorded" in first.stdout
    assert "--rngsuite-record" in first.stdout
    recorded = _pytest(project, "--rngsuite-record")
    assert recorded.returncode == 0, recorded.stdout
    assert "recorded 3 cases" in recorded.stdout
    assert _pytest(project).returncode == 0
    (project / "train.py").write_text(TRAIN.replace("normal(size=3)", "normal(size=3) + 1e-9"))
    changed = _pytest(project)
    assert changed.returncode == 1
    assert "test_train.py::test_two_values[noise]: stream changed" in changed.stdout
    assert "seed: 3" in changed.stdout and "first at index" in changed.stdout


def test_rng_golden_refuses_an_unstorable_value_and_writes_nothing(tmp_path):
    """A value the ledger cannot store fails its test in one line naming the stream, even in
    record mode, and nothing is written."""
    project = _project(tmp_path / "p", "")
    (project / "test_bad.py").write_text(
        "def test_gen(rng_golden):\n    rng_golden.check({'g': (i for i in range(3))})\n")
    result = _pytest(project, "--rngsuite-record")
    assert result.returncode == 1
    assert "rng_golden: stream 'test_bad.py::test_gen': ['g'] is a generator" in result.stdout
    assert not (project / "rng_golden").exists()


UNRELATED = """\
import sys
import pytest

def test_passes():
    assert 1 + 1 == 2

def test_fails():
    assert [1, 2] == [1, 3]

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_rngsuite_imported_nothing():
    assert not [m for m in sys.modules if m.startswith(("rngsuite.checks", "rngsuite.core",
                                                         "torch", "numpy"))]
"""


def test_installing_rngsuite_changes_no_other_project_s_test_run(tmp_path):
    """rngsuite's plugin is installed (an entry point) and loaded in every pytest run, yet an
    unrelated project's run -- outcomes, output, exit code -- is the same with it blocked
    (-p no:rngsuite), and it imported none of rngsuite's machinery, NumPy or torch."""
    project = tmp_path / "unrelated"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'unrelated'\nversion = '0'\n")
    (project / "test_unrelated.py").write_text(UNRELATED)
    plugins = _pytest(project, "--trace-config", "--co")
    assert "rngsuite.pytest_plugin.user" in plugins.stdout, plugins.stdout[-2000:]

    def run(*extra):
        result = _pytest(project, "-p", "no:hypothesispytest", *extra)
        tail = [line.split(" in ")[0] for line in result.stdout.splitlines()]
        return result.returncode, tail

    with_plugin, without = run(), run("-p", "no:rngsuite")
    assert with_plugin == without
    assert with_plugin[0] == 1 and "1 failed, 2 passed, 1 skipped" in with_plugin[1][-1]


def test_the_fixture_is_documented():
    """pytest --fixtures lists rng_golden with its one-line use."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--fixtures", "-p", "no:randomly",
                             "-q", "tests/test_compare.py"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=300)
    assert "rng_golden" in result.stdout and "rng_golden.check(value, seed=17)" in \
        textwrap.dedent(result.stdout)


def test_rng_golden_names_a_damaged_ledger_file_in_one_line(tmp_path):
    """A hand-broken file in the project's ledger fails the checking test in one line naming
    the file, and is left as it was."""
    project = _project(tmp_path / "p", "")
    (project / "test_train.py").write_text(TESTS)
    assert _pytest(project, "--rngsuite-record").returncode == 0
    broken = project / "rng_golden" / "test_train.py.json"
    broken.write_text(broken.read_text()[:-40])
    before = tree_digest(project / "rng_golden")
    result = _pytest(project)
    assert result.returncode == 1
    assert f"rng_golden: {broken}: " in result.stdout and "Traceback" not in result.stdout
    assert tree_digest(project / "rng_golden") == before
