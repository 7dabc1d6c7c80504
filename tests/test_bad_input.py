"""The bad-input table: every input that once passed silently, hung, lost recordings, wrote
outside its place or ended in a traceback, fed to the real command. Each row checks the exit
code, the one line that says what is wrong, and that nothing changed that should not have
(the hashes of every file before and after). docs/faults.md keeps the table with its figures."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_cli, tree_digest

GOOD = """\
import numpy as np

def good(seed):
    return np.random.default_rng(seed).random(5)

def long(seed):
    return np.random.default_rng(seed).random(100)

def special(seed):
    a = np.random.default_rng(seed).random(6)
    a[1], a[2], a[3] = np.inf, -np.inf, np.nan
    a.view(np.uint64)[4] = 0x7FF8_0000_0000_0BAD  # a NaN with a payload: data, kept exactly
    return a
"""
BAD = """\
import signal, sys, time

def exits(seed):
    sys.exit(0)

def interrupts(seed):
    raise KeyboardInterrupt

def hangs(seed):
    time.sleep(10**6)

def swallows(seed):
    try:
        time.sleep(10**6)
    except Exception:  # the deadline is not an Exception: a stream cannot swallow it
        return 1

def deaf(seed):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as native code would be
    time.sleep(10**6)
"""


def _project(root: Path, *functions: str, ledger: str = "rng_golden", extra: str = "") -> Path:
    """A project declaring ``module:function`` streams at seed 1."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.py").write_text(GOOD)
    (root / "bad.py").write_text(BAD)
    streams = "".join(f'[[tool.rngsuite.streams]]\nfunction = "{f}"\nseeds = [1]\n'
                      for f in functions)
    (root / "pyproject.toml").write_text(f'[tool.rngsuite]\nledger = "{ledger}"\n{extra}'
                                         + streams)
    return root


def _one_line(result: subprocess.CompletedProcess, code: int, said: str) -> str:
    """The command exited ``code`` with exactly one line on stderr, containing ``said``, and
    no traceback anywhere."""
    assert result.returncode == code, (result.returncode, result.stdout[-2000:],
                                       result.stderr[-2000:])
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.stderr
    return lines[0]


def _failed(result: subprocess.CompletedProcess, said: str) -> None:
    """A failed stream: exit 1, one FAILED line naming it, no traceback."""
    assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and said in failed[0], result.stdout


# ----------------------------------------------------------------------------- containment
@pytest.mark.parametrize("ledger", ["../../../etc", "/etc", "../outside"])
def test_a_project_ledger_outside_the_project_is_refused(tmp_path, ledger):
    """[tool.rngsuite] ledger that resolves outside the project: one line, exit 2, nothing
    written anywhere (record once wrote mymod.json and .lock into /etc)."""
    project = _project(tmp_path / "a" / "b" / "p", "good:good", ledger=ledger)
    before = tree_digest(tmp_path)
    result = run_cli("record", cwd=project)
    _one_line(result, 2, "resolves to")
    assert "outside the project" in result.stderr
    assert tree_digest(tmp_path) == before
    assert not (Path("/etc") / "good.json").exists()


def test_a_symlink_out_of_the_ledger_is_never_written_through(tmp_path):
    """arrays/ linked to a folder outside the ledger: record refuses in one line, the folder
    outside stays empty."""
    project = _project(tmp_path / "p", "good:long")
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "rng_golden").mkdir()
    (project / "rng_golden" / "arrays").symlink_to(outside)
    _one_line(run_cli("record", cwd=project), 2, "outside the ledger")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_ledger_files_keep_the_umask_s_mode(tmp_path, umask, mode):
    """Every file record writes -- the ledger file and a long draw's array -- has the mode the
    umask gives a new file (mkstemp alone made them 0600: unreadable to a team's CI)."""
    project = _project(tmp_path / "p", "good:good", "good:long")
    result = subprocess.run([sys.executable, "-m", "rngsuite", "record"], cwd=project,
                            capture_output=True, text=True, timeout=300,
                            preexec_fn=lambda: os.umask(umask))
    assert result.returncode == 0, result.stdout + result.stderr
    written = [p for p in (project / "rng_golden").rglob("*") if p.is_file()]
    assert {p.name.rsplit(".", 1)[-1] for p in written} >= {"json", "npy"}
    assert {oct(p.stat().st_mode & 0o777) for p in written if p.name != ".lock"} == {oct(mode)}


# --------------------------------------------------------------------------- nothing silent
@pytest.mark.parametrize("function,said", [
    ("bad:exits", "bad:exits(1) exited (sys.exit(0))"),
    ("bad:interrupts", "bad:interrupts(1) raised KeyboardInterrupt"),
    ("bad:hangs", "bad:hangs(1) did not return within 2 s (--timeout)"),
    ("bad:swallows", "bad:swallows(1) did not return within 2 s (--timeout)"),
], ids=["sys.exit(0)", "KeyboardInterrupt", "sleeps forever", "swallows exceptions"])
def test_a_stream_that_exits_or_hangs_fails_alone_and_the_others_are_recorded(tmp_path,
                                                                              function, said):
    """A stream that calls sys.exit(0), raises KeyboardInterrupt or never returns is a failed
    stream: named in one line, exit 1, within its timeout -- and the good streams declared
    around it are recorded (record once exited 0 with no output, or hung)."""
    project = _project(tmp_path / "p", "good:good", function, "good:special")
    start = time.monotonic()
    result = run_cli("record", "--timeout", "2", cwd=project)
    assert time.monotonic() - start < 60
    _failed(result, said)
    assert "2 new-case" in result.stdout and "1 failed stream, not recorded" in result.stdout
    verify = run_cli("verify", "--timeout", "2", cwd=project)
    _failed(verify, said)
    assert "good:good@1: conforms" in verify.stdout and "good:special@1: conforms" in \
        verify.stdout


def test_a_stream_deaf_to_the_deadline_stops_the_command_without_writing(tmp_path):
    """A stream stuck where no signal reaches (native code): after its timeout and a grace of
    10 s the command stops, exit 3, one line, nothing written -- never a hang."""
    project = _project(tmp_path / "p", "good:good", "bad:deaf")
    start = time.monotonic()
    result = run_cli("record", "--timeout", "1", cwd=project)
    assert time.monotonic() - start < 60
    _one_line(result, 3, "stream 'bad:deaf@1': bad:deaf(1) did not return within 1 s and "
                         "cannot be interrupted")
    assert not (project / "rng_golden").exists()


def test_trace_stream_selects_a_project_s_streams(tmp_path):
    """trace --stream GLOB in a project traces the streams it matches (it once said "no
    pyproject.toml with [tool.rngsuite] here or above")."""
    project = _project(tmp_path / "p", "good:good", "good:long", "bad:exits")
    result = run_cli("trace", "--stream", "good:*", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "good:good@1:" in result.stdout and "good:long@1:" in result.stdout
    assert "bad:exits" not in result.stdout


def test_trace_names_a_failed_stream_and_traces_the_others(tmp_path):
    """trace over a project's streams: one that exits is a FAILED line, the others traced."""
    project = _project(tmp_path / "p", "good:good", "bad:exits")
    result = run_cli("trace", "--timeout", "5", cwd=project)
    _failed(result, "bad:exits(1) exited (sys.exit(0))")
    assert "good:good@1:" in result.stdout


@pytest.mark.parametrize("args,said", [
    (("verify", "--ulp", "-1"), "argument --ulp: '-1' is not a whole number of ULP"),
    (("verify", "--ulp", "99999999999999999999999"), "is not a whole number of ULP from 0"),
    (("verify", "--ulp", "1.5"), "'1.5' is not a whole number of ULP"),
    (("verify", "--device", ""), "--device '': '' is not cpu, cuda[:N], mps or all"),
    (("verify", "--device", "cpu,"), "--device 'cpu,': '' is not cpu, cuda[:N], mps or all"),
    (("verify", "--device", "cpu,cpu"), "--device 'cpu,cpu': 'cpu' is named twice"),
    (("record", "--device", "cuda:x"), "'cuda:x' is not cpu, cuda[:N], mps or all"),
    (("record", "--timeout", "-1"), "argument --timeout: '-1' is not a number of seconds"),
    (("record", "--timeout", "nan"), "argument --timeout: 'nan' is not a number of seconds"),
    (("deep", "verify", "--chunk", "0"), "argument --chunk: '0' is not a number of values"),
    (("report", "--from", "torch==banana", "--to", "torch==2.4"),
     "'banana' is not a release number"),
    (("report", "--ledger", ""), "argument --ledger: '' is not a folder"),
    (("report", "--html", ""), "--html '': name a file to write"),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_a_bad_option_value_is_one_line_exit_2(tmp_path, args, said):
    """Numeric and device options are validated: one line, exit 2, before anything runs."""
    ledger = tmp_path / "ledger"
    result = run_cli(*args, *(("--ledger", str(ledger)) if args[0] in ("record",) else ()))
    _one_line(result, 2, said)
    assert not ledger.exists()


def test_a_file_as_the_ledger_is_one_line(tmp_path):
    """--ledger naming a file, not a folder: one line, exit 2, the file untouched (it once said
    "read-only (Permission denied)")."""
    path = tmp_path / "afile"
    path.write_text("notes")
    _one_line(run_cli("record", "--ledger", str(path), "--case", "numpy.random:rand(5)@17"), 2,
              f"{path}: is a file, not a ledger folder")
    assert path.read_text() == "notes"


def test_a_downgrade_is_reported_as_a_downgrade():
    """report --from torch==2.13 --to torch==2.4 says "Downgrading", leads with the summary
    per call, and attributes each change to the release that brought it in (once it said
    "Upgrading")."""
    result = run_cli("report", "--from", "torch==2.13", "--to", "torch==2.4")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Downgrading torch 2.13 -> 2.4: ") and "Upgrading" not in out
    assert out.index("## Per call") < out.index("## Every case")
    up = run_cli("report", "--from", "torch==2.4", "--to", "torch==2.13").stdout
    assert up.startswith("# Upgrading torch 2.4 -> 2.13: ")
    # The same cases change either way, attributed to the same releases.
    assert out.split(": ", 1)[1].split("\n", 1)[0] == up.split(": ", 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize("streams,said", [
    ("", "declares no streams"),
    ('[[tool.rngsuite.streams]]\nfunction = "good:good"\nseeds = [1]\n'
     '[[tool.rngsuite.streams]]\nfunction = "good:good"\nseeds = [2]\n',
     "streams[1] function: 'good:good' is declared twice (streams[0] too)"),
    ('[[tool.rngsuite.streams]]\nfunction = "good:good"\nseeds = [1, 1]\n',
     "streams[0] seeds: 1 is listed twice"),
], ids=["zero streams", "a stream twice", "a seed twice"])
@pytest.mark.parametrize("command", ["verify", "record"])
def test_zero_or_duplicate_streams_are_refused(tmp_path, streams, said, command):
    """A project that declares no stream, or one stream twice, is refused in one line: it
    once passed, checking nothing or the same thing twice."""
    project = _project(tmp_path / "p")
    (project / "pyproject.toml").write_text('[tool.rngsuite]\nledger = "rng_golden"\n' + streams)
    _one_line(run_cli(command, cwd=project), 2, said)
    assert not (project / "rng_golden").exists()


# ------------------------------------------------------------------------------ nothing lost
def test_non_finite_values_are_recorded_exactly(tmp_path):
    """A stream returning inf, -inf, NaN and a NaN with a payload records (once: exit 3 with a
    traceback) and verifies: the ledger keeps each value's bits."""
    project = _project(tmp_path / "p", "good:special", "good:good")
    recorded = run_cli("record", cwd=project)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    values = json.loads((project / "rng_golden" / "good.json").read_text())
    (era,) = values["cases"]["good:special@1"]
    listed = era["draws"][0]["values"]
    assert listed[1:5] == ["inf", "-inf", "nan:7ff8000000000000", "nan:7ff8000000000bad"]
    verify = run_cli("verify", cwd=project)
    assert verify.returncode == 0 and "2 conforms" in verify.stdout, verify.stdout
    doctor = run_cli("doctor", "--ledger", str(project / "rng_golden"))
    assert doctor.returncode == 0, doctor.stdout
    # Another NaN is another stream: never "0 ULP apart", as NumPy's ULP rule would say.
    (project / "good.py").write_text(GOOD.replace("0BAD", "0BAE"))
    changed = run_cli("verify", cwd=project)
    assert changed.returncode == 1, changed.stdout
    assert "different: 1 of 6 elements differ" in changed.stdout and \
        "recorded nan (bits 7ff8000000000bad), got nan (bits 7ff8000000000bae)" in changed.stdout


RNG_TESTS = """\
import numpy as np

def test_before(rng_golden):
    rng_golden.check(np.random.default_rng(1).random(4))

def test_nan(rng_golden):
    a = np.random.default_rng(2).random(4)
    a[1] = np.nan
    rng_golden.check(a)

def test_twice(rng_golden):
    rng_golden.check(np.arange(3.0), name="x")
    rng_golden.check(np.arange(4.0), name="x")

def test_after(rng_golden):
    rng_golden.check({"w": np.random.default_rng(3).standard_normal(3), "inf": float("inf")})
"""


def test_rng_golden_loses_no_recording_of_a_session(tmp_path):
    """Under --rngsuite-record, a NaN/Inf value is recorded like any other (once, the session
    ended in a traceback and every recording was lost), and a name checked twice fails that
    test alone with nothing of it recorded; the other tests' values are all written."""
    (tmp_path / "pyproject.toml").write_text('[tool.rngsuite]\nledger = "rng_golden"\n')
    (tmp_path / "test_draws.py").write_text(RNG_TESTS)

    def pytest_run(*extra):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                               "-p", "no:cacheprovider", *extra], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    recorded = pytest_run("--rngsuite-record")
    out = recorded.stdout
    assert recorded.returncode == 1 and "Traceback" not in out, out
    assert "1 failed, 3 passed" in out and "'test_draws.py::test_twice[x]' is checked twice" in out
    data = json.loads((tmp_path / "rng_golden" / "test_draws.py.json").read_text())
    assert sorted(data["cases"]) == ["test_draws.py::test_after", "test_draws.py::test_before",
                                     "test_draws.py::test_nan"]
    again = pytest_run("-k", "not twice")
    assert again.returncode == 0 and "3 passed" in again.stdout, again.stdout


# ------------------------------------------------------------------ one line, not a traceback
@pytest.mark.parametrize("args,code,said", [
    (("report", "--html", "{tmp}/missing/page.html"), 2, "the folder {tmp}/missing does not exist"),
    (("report", "--findings", "{tmp}/missing/f.md"), 2, "the folder {tmp}/missing does not exist"),
    (("report", "--html", "{tmp}"), 2, "is a directory; name a file to write"),
    (("report", "--findings", "{tmp}"), 2, "is a directory; name a file to write"),
    (("matrix", "--snapshot", str(ROOT / "tests" / "data" / "index.json"), "--save",
      "{tmp}/missing/index.json"), 2, "the folder {tmp}/missing does not exist"),
    (("bisect", "torch:cpu:rand(5)@17", "--package", "torch", "--since", "banana"), 2,
     "--since 'banana': not a release number"),
    (("bisect", "torch:cpu:rand(5)@17", "--package", "torch", "--since", "2.9", "--until",
      "2.4"), 2, "--since 2.9 is after --until 2.4: the range is empty"),
], ids=["html into a missing folder", "findings into a missing folder", "html onto a folder",
        "findings onto a folder", "save into a missing folder", "bisect since banana",
        "bisect since after until"])
def test_a_bad_path_or_range_is_one_line_before_any_work(tmp_path, args, code, said):
    """Every path option and bisect's range: one line, checked before the work (once, 7,350
    lines of report came first, then a traceback)."""
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    before = tree_digest(tmp_path)
    result = run_cli(*args)
    _one_line(result, code, said.replace("{tmp}", str(tmp_path)))
    assert result.stdout == "" and tree_digest(tmp_path) == before


def _read_only(root: Path, *command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m rngsuite COMMAND`` with ``root`` mounted read-only (a user namespace: a real
    read-only file system, which permission bits cannot give a root user)."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a folder read-only")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("this machine allows no user namespaces (unshare -rm)")
    script = (f"mount --bind -o ro {root} {root} && cd {cwd} && exec {sys.executable} -m "
              f"rngsuite " + " ".join(f"'{a}'" for a in command))
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("command", [
    ("record", "--case", "numpy.random:rand(5)@17"),
    ("verify", "--record", "--case", "numpy.random:rand(5)@17"),
    ("merge", "{shard}"),
], ids=["record", "verify --record", "merge"])
def test_a_read_only_ledger_is_one_line_and_nothing_is_drawn(tmp_path, small_golden, command):
    """record, verify --record and merge into a ledger on a read-only file system: "the ledger
    at X is read-only", exit 2, before drawing (once: OSError: Read-only file system)."""
    shard = tmp_path / "shard"
    shutil.copytree(small_golden, shard)
    before = tree_digest(small_golden)
    args = [a.replace("{shard}", str(shard)) for a in command]
    result = _read_only(small_golden, *args, "--ledger", str(small_golden))
    _one_line(result, 2, f"the ledger at {small_golden} is read-only (Read-only file system)")
    assert tree_digest(small_golden) == before


# ------------------------------------------------------------------------ the data, whole
def _first_long(root: Path) -> tuple[str, Path]:
    """A backend file's name and the array of its first long draw of float64."""
    for path in sorted(root.glob("*.json")):
        data = json.loads(path.read_text())
        for eras in data["cases"].values():
            for draw in eras[0]["draws"]:
                if "head" in draw and draw["dtype"] == "float64":
                    return path.name, root / "arrays" / f"{draw['sha256']}.npy"
    raise AssertionError("no long float64 draw")


@pytest.mark.parametrize("substitute,said", [
    (lambda a: a.view(np.int64), "holds <i8[1000], recorded as float64[1000]"),
    (lambda a: a.reshape(10, 100), "holds <f8[10, 100], recorded as float64[1000]"),
], ids=["dtype", "shape"])
def test_a_substituted_dtype_or_shape_fails_doctor_and_verify(small_golden, substitute, said):
    """An array file rewritten with the same bytes as another dtype or shape: the digest of the
    bytes still matches, yet doctor and verify both refuse it (once both passed)."""
    _, path = _first_long(small_golden)
    np.save(path, substitute(np.load(path)), allow_pickle=False)
    doctor = run_cli("doctor", "--ledger", str(small_golden))
    assert doctor.returncode == 2 and said in doctor.stdout, doctor.stdout
    verify = run_cli("verify", "--ledger", str(small_golden), "--case", "numpy.random:*",
                     pytest_args=("-k", "test_golden"))
    assert verify.returncode == 2 and said in verify.stdout + verify.stderr


def test_doctor_flags_a_folder_named_like_a_ledger_file_and_cleans_stale_temporaries(
        small_golden, tmp_path):
    """A directory named *.json is not "clean"; a temporary a killed writer left is named by
    doctor and removed by the next recording (once flagged forever)."""
    (small_golden / "numpy.RandomState.json").mkdir()
    stale = small_golden / ".torch-cpu.json.x1y2z3.tmp"
    stale.write_text("{")
    doctor = run_cli("doctor", "--ledger", str(small_golden))
    assert doctor.returncode == 2, doctor.stdout
    assert f"{small_golden / 'numpy.RandomState.json'}: named like a ledger file but not a " \
           "file" in doctor.stdout
    assert f"{stale}: a temporary file left by an interrupted write" in doctor.stdout
    (small_golden / "numpy.RandomState.json").rmdir()
    record = run_cli("record", "--ledger", str(small_golden), "--case", "python.random:*@0")
    assert record.returncode == 0, record.stdout + record.stderr
    assert not stale.exists()


def _peak_rss_mb(result_usage_before: float) -> float:
    import resource

    return (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss - result_usage_before) / 1024


@pytest.mark.parametrize("what", ["ledger file", "array file"])
def test_an_oversized_golden_file_is_refused_fast_with_bounded_memory(small_golden, what):
    """A 200 MB golden file: doctor exits 2 in under 5 s with its size in the message, and a
    peak RSS near an ordinary run's (once: 23 GB and killed by the kernel)."""
    if what == "ledger file":
        path = small_golden / "numpy.random.json"
        with open(path, "ab") as fh:
            fh.truncate(200 * 2**20)
        said = "is 200 MiB; a ledger file is at most 64 MiB"
    else:
        _, path = _first_long(small_golden)
        with open(path, "ab") as fh:
            fh.truncate(200 * 2**20)
        said = "bytes after the array's data"
    script = textwrap.dedent(f"""
        import resource, subprocess, sys, time
        start = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "rngsuite", "doctor", "--ledger",
                            {str(small_golden)!r}], capture_output=True, text=True)
        took = time.monotonic() - start
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(r.returncode, round(took, 2), round(rss), len(r.stdout.splitlines()))
        sys.stdout.write(r.stdout)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    first, _, out = result.stdout.partition("\n")
    code, took, rss, lines = first.split()
    assert int(code) == 2 and said in out, result.stdout + result.stderr
    # (The small ledger lacks most catalog cases: doctor's coverage lines, capped, come too.)
    assert float(took) < 5 and int(rss) < 1024 and int(lines) <= 202, first


def test_a_damaged_file_s_problems_are_capped(tmp_path):
    """A ledger file with 50,000 bad cases prints 200 problems and "and N more", not one
    line each (once: 2.6 million lines)."""
    root = tmp_path / "golden"
    root.mkdir()
    (root / "numpy.random.json").write_text(json.dumps({
        "format": "rngsuite-ledger", "version": 1, "backend": "numpy.random",
        "environments": {}, "cases": {f"numpy.random:x{i}(5)@1": [] for i in range(50_000)}}))
    result = run_cli("doctor", "--ledger", str(root))
    lines = result.stdout.splitlines()
    assert result.returncode == 2 and len(lines) == 202, lines[-3:]
    assert re.fullmatch(r"\.\.\. and [\d,]+ more problems \(the first 200 are shown\)",
                        lines[-2]), lines[-2]
    assert re.match(rf"doctor: {re.escape(str(root))}: [\d,]+ problems", lines[-1])


def test_verify_refuses_an_oversized_ledger_file_naming_its_size(small_golden):
    """verify on a 200 MB ledger file: one line naming the file and its size, in seconds (once:
    27 s and 2.3 GB, naming the backend)."""
    path = small_golden / "numpy.random.json"
    with open(path, "ab") as fh:
        fh.truncate(200 * 2**20)
    start = time.monotonic()
    result = run_cli("record", "--ledger", str(small_golden), "--case", "numpy.random:rand(5)@17")
    assert time.monotonic() - start < 30
    _one_line(result, 2, f"{path}: is 200 MiB; a ledger file is at most 64 MiB")


# ------------------------------------------------------------------ reports that mean it
def test_from_and_to_narrow_the_html_and_findings_pages(tmp_path):
    """report --from/--to with --html and --findings writes the page of those two releases,
    not the whole ledger's (once both were ignored)."""
    html, md = tmp_path / "page.html", tmp_path / "findings.md"
    result = run_cli("report", "--from", "torch==2.6", "--to", "torch==2.7", "--html",
                     str(html), "--findings", str(md))
    assert result.returncode == 0, result.stderr
    page = html.read_text()
    heads = {h.split("<")[0] for h in page.split("<th class=release>")[1:]}
    assert heads == {"2.6.0", "2.7.1"}, heads
    text = md.read_text()
    assert "torch 2.5" not in text and "| 2.7.1 " in text
