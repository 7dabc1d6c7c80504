"""Tests for the golden ledger: round trip, eras, append-only history, determinism."""

import json

import numpy as np
import pytest

from rngsuite.checks import engine, recording
from rngsuite.core.ledger import HEAD, SHORT, Ledger, array_path, file_for
from rngsuite.core.settings import BadInput

from conftest import SMALL_CASES, tree_digest


def _draws(n=5, seed=0, dtype=np.float64):
    return [np.random.default_rng(seed).random(n).astype(dtype)]


def test_record_then_verify_round_trip(small_golden, catalog, backends):
    """What record writes, a fresh load verifies as conforming, bit for bit."""
    ledger = Ledger.load(small_golden)
    for case_id in SMALL_CASES:
        case = catalog[case_id]
        verdict = engine.check(case, backends[case.backend], ledger)
        assert verdict.status == "conforms", verdict.message()


def test_values_are_stored_exactly(small_golden):
    """Short draws keep every value exactly; long ones a digest, a head and the full array."""
    data = json.loads(file_for(small_golden, "torch:cpu").read_text())
    short = data["cases"]["torch:cpu:rand(5)@17"][0]["draws"][0]
    assert (short["dtype"], short["shape"], len(short["values"])) == ("float32", [5], 5)
    import torch

    torch.manual_seed(17)
    assert np.float32(short["values"]).tobytes() == torch.rand(5).numpy().tobytes()
    long = data["cases"]["torch:cpu:rand(1000)@17"][0]["draws"][0]
    assert "values" not in long and len(long["head"]) == HEAD
    stored = np.load(array_path(small_golden, long["sha256"]), allow_pickle=False)
    torch.manual_seed(17)
    assert stored.tobytes() == torch.rand(1000).numpy().tobytes()
    assert 5 <= SHORT < 1000


def test_new_environment_with_same_values_joins_the_era(empty_ledger):
    """A second environment producing the same values is added to the existing era."""
    empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"}, _draws())
    result = empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-2", {"numpy": "2"},
                                 _draws())
    assert (result.outcome, result.era) == ("joined", "A")
    empty_ledger.save()
    era = Ledger.load(empty_ledger.root).eras("numpy.random", "numpy.random:x(5)@1")
    assert [(e.name, e.environments) for e in era] == [("A", ["env-1", "env-2"])]


def test_new_values_append_an_era_and_never_touch_the_old_one(empty_ledger):
    """Different values from a new environment become era B; era A stays byte for byte."""
    root = empty_ledger.root
    empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"}, _draws())
    empty_ledger.save()
    before = json.loads(file_for(root, "numpy.random").read_text())["cases"]
    ledger = Ledger.load(root)
    result = ledger.record("numpy.random", "numpy.random:x(5)@1", "env-2", {"numpy": "2"},
                           _draws(seed=1))
    assert (result.outcome, result.era) == ("new-era", "B")
    ledger.save()
    after = json.loads(file_for(root, "numpy.random").read_text())["cases"]
    assert after["numpy.random:x(5)@1"][0] == before["numpy.random:x(5)@1"][0]
    assert [e["era"] for e in after["numpy.random:x(5)@1"]] == ["A", "B"]


def test_a_recorded_environment_is_never_rewritten(empty_ledger):
    """Other values from an environment already recorded are a conflict, and nothing is written."""
    empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"}, _draws())
    empty_ledger.save()
    snapshot = tree_digest(empty_ledger.root)
    ledger = Ledger.load(empty_ledger.root)
    result = ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"},
                           _draws(seed=1))
    assert result.outcome == "conflict"
    assert ledger.save() == 0
    assert tree_digest(empty_ledger.root) == snapshot


def test_recording_twice_changes_no_byte(small_golden, catalog, backends):
    """Recording the same environment again is a no-op on disk."""
    snapshot = tree_digest(small_golden)
    ledger = Ledger.load(small_golden)
    for case_id in SMALL_CASES:
        case = catalog[case_id]
        result = recording.record(engine.check(case, backends[case.backend], ledger), ledger)
        assert result.outcome == "unchanged"
    assert ledger.save() == 0
    assert tree_digest(small_golden) == snapshot


def test_concurrent_recorders_lose_nothing(empty_ledger):
    """Two recorders that loaded the same ledger both keep their work when they save."""
    root = empty_ledger.root
    first, second = Ledger.load(root), Ledger.load(root)
    first.record("numpy.random", "numpy.random:x(5)@1", "env-1", {}, _draws())
    second.record("numpy.random", "numpy.random:x(5)@2", "env-2", {}, _draws(seed=2))
    second.record("numpy.random", "numpy.random:x(5)@1", "env-2", {}, _draws(seed=3))
    first.save()
    second.save()
    merged = Ledger.load(root)
    assert [e.environments for e in merged.eras("numpy.random", "numpy.random:x(5)@1")] == \
        [["env-1"], ["env-2"]]
    assert merged.eras("numpy.random", "numpy.random:x(5)@2")[0].environments == ["env-2"]


def test_changed_stream_in_a_recorded_environment_fails_with_the_details(small_golden, catalog,
                                                                        backends, monkeypatch):
    """A recorded environment whose draw moved by one ULP gets a 'changed' verdict that explains."""
    import torch

    rand = torch.rand
    monkeypatch.setattr(torch, "rand", lambda *a, **k: torch.nextafter(
        rand(*a, **k), torch.tensor(2.0)))
    ledger = Ledger.load(small_golden)
    case = catalog["torch:cpu:rand(1000)@17"]
    verdict = engine.check(case, backends[case.backend], ledger)
    assert verdict.status == "changed" and verdict.comparison.kind == "within-ulp"
    message = verdict.message()
    for needle in ("torch:cpu:rand(1000)@17: stream changed", "seed: 17", "torch 2.", "era A",
                   "1000 of 1000 elements differ, max 1 ULP", "first at index 0: recorded 0.4342",
                   # (Under ATEN_CPU_CAPABILITY the line starts with that variable.)
                   "python -c 'import torch; torch.manual_seed(17); "
                   "print(torch.rand(1000))'"):
        assert needle in message, message
    assert "\n  reproduce: " in message, message


def test_unknown_environment_matching_an_era_passes(small_golden, catalog, backends, monkeypatch):
    """An environment new to the ledger passes when it draws a recorded era's values."""
    from rngsuite.core import provenance

    env = dict(provenance.environment("cpu"), torch="99.0")
    monkeypatch.setattr(provenance, "environment", lambda device="cpu": env)
    ledger = Ledger.load(small_golden)
    case = catalog["torch:cpu:rand(5)@17"]
    verdict = engine.check(case, backends[case.backend], ledger)
    assert (verdict.status, verdict.era.name, verdict.label.split("/")[0]) == \
        ("matches", "A", "torch-99.0")


def test_second_environment_joins_long_draws_on_disk(small_golden, catalog, backends,
                                                     monkeypatch):
    """Recording a new environment into a ledger with long draws keeps heads and arrays intact."""
    from rngsuite.core import provenance

    snapshot = tree_digest(small_golden)
    env = dict(provenance.environment("cpu"), torch="99.0")
    monkeypatch.setattr(provenance, "environment", lambda device="cpu": env)
    ledger = Ledger.load(small_golden)
    case = catalog["torch:cpu:rand(1000)@17"]
    assert recording.record(engine.check(case, backends[case.backend], ledger), ledger).outcome \
        == "joined"
    assert ledger.save() == 1
    after = tree_digest(small_golden)
    assert {k for k in after if after[k] != snapshot.get(k)} == {"torch-cpu.json"}
    reloaded = Ledger.load(small_golden)
    (era,) = reloaded.eras("torch:cpu", case.id)
    assert era.environments[-1].startswith("torch-99.0/")
    assert engine.check(case, backends[case.backend], reloaded).status == "conforms"


def test_long_draws_with_the_same_bytes_keep_their_own_dtype_and_shape(empty_ledger):
    """Long draws with equal bytes but other shapes or dtypes each load as recorded: the first
    takes <sha256>.npy, the others a file named by their dtype and shape too."""
    values = np.random.default_rng(0).integers(0, 2, 1000).astype(np.uint8)
    empty_ledger.record("numpy.random", "numpy.random:x(1000)@1", "env", {}, [values])
    empty_ledger.record("numpy.random", "numpy.random:y(10,100)@1", "env", {},
                        [values.reshape(10, 100)])
    empty_ledger.record("numpy.random", "numpy.random:z(1000)@1", "env", {},
                        [values.astype(bool)])
    empty_ledger.save()
    sha = empty_ledger.eras("numpy.random", "numpy.random:x(1000)@1")[0].values[0].sha256
    assert sorted(p.name for p in (empty_ledger.root / "arrays").iterdir()) == [
        f"{sha}-bool-1000.npy", f"{sha}-uint8-10x100.npy", f"{sha}.npy"]
    ledger = Ledger.load(empty_ledger.root)
    for case_id, want in (("numpy.random:x(1000)@1", values),
                          ("numpy.random:y(10,100)@1", values.reshape(10, 100)),
                          ("numpy.random:z(1000)@1", values.astype(bool))):
        (era,) = ledger.eras("numpy.random", case_id)
        got = ledger.full(era.values[0])
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


def test_merging_shards_equals_recording_here(tmp_path, small_golden):
    """Shards recorded elsewhere merge into a ledger as if recorded there; merging is idempotent."""
    import shutil

    from conftest import run_cli

    shard = tmp_path / "shard"
    shutil.copytree(small_golden, shard)
    other = Ledger.load(shard)
    other.record("numpy.random", "numpy.random:x(1000)@1", "numpy-9.9/Linux/x86_64",
                 {"numpy": "9.9"}, [np.arange(1000.0)])
    other.record("torch:cpu", "torch:cpu:rand(5)@17", "torch-9.9/AVX2/Linux/x86_64",
                 {"torch": "9.9"}, [np.zeros(5, np.float32)])
    other.save()
    before = tree_digest(small_golden)
    first = run_cli("merge", "--ledger", str(small_golden), str(shard))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 new-case" in first.stdout and "1 new-era" in first.stdout
    merged = Ledger.load(small_golden)
    assert [e.name for e in merged.eras("torch:cpu", "torch:cpu:rand(5)@17")] == ["A", "B"]
    assert merged.eras("numpy.random", "numpy.random:x(1000)@1")[0].values[0].values[999] == 999
    again = tree_digest(small_golden)
    assert again != before
    assert run_cli("merge", "--ledger", str(small_golden), str(shard)).returncode == 0
    assert tree_digest(small_golden) == again


_RECORDER = """
import sys, time
from pathlib import Path
import numpy as np
from rngsuite.core.ledger import Ledger

root, me, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ledger = Ledger.load(root)
values = lambda seed, size: [np.random.default_rng(seed).random(size)]
# Its own cases (one long, with an array), and one case every recorder draws: the recorders
# with even numbers draw the same values (they join one era), the odd ones their own (new eras).
ledger.record("numpy.random", f"numpy.random:own(5)@{me}", f"env-{me}", {"n": me}, values(me, 5))
ledger.record("numpy.random", f"numpy.random:own(1000)@{me}", f"env-{me}", {"n": me},
              values(me, 1000))
ledger.record("numpy.random", "numpy.random:shared(5)@0", f"env-{me}", {"n": me},
              values(0 if me % 2 == 0 else 100 + me, 5))
(root.parent / f"ready-{me}").touch()
while not (root.parent / "go").exists():  # every recorder has loaded before any one saves
    time.sleep(0.01)
ledger.save()
"""


def test_concurrent_recorder_processes_lose_nothing(empty_ledger):
    """Recorders in separate processes that all loaded before any saved keep all their work."""
    import subprocess
    import sys
    import time

    from conftest import ROOT

    root, n = empty_ledger.root, 6
    procs = [subprocess.Popen([sys.executable, "-c", _RECORDER, str(root), str(i), str(n)],
                              cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
             for i in range(n)]
    deadline = time.monotonic() + 120
    while not all((root.parent / f"ready-{i}").exists() for i in range(n)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    (root.parent / "go").touch()
    assert [p.wait(timeout=120) for p in procs] == [0] * n
    ledger = Ledger.load(root)
    for i in range(n):
        for case in (f"numpy.random:own(5)@{i}", f"numpy.random:own(1000)@{i}"):
            assert [e.environments for e in ledger.eras("numpy.random", case)] == [[f"env-{i}"]]
    shared = ledger.eras("numpy.random", "numpy.random:shared(5)@0")
    assert sorted(label for e in shared for label in e.environments) == \
        [f"env-{i}" for i in range(n)]
    even = next(e for e in shared if "env-0" in e.environments)
    assert sorted(even.environments) == [f"env-{i}" for i in range(0, n, 2)]
    assert len(shared) == 1 + n // 2  # the even recorders' era, and one per odd recorder
    assert len(list((root / "arrays").iterdir())) == n
    assert not [p for p in root.rglob("*.tmp")]


_CRASHER = """
import os, signal, sys
from pathlib import Path
import numpy as np
from rngsuite.core.ledger import Ledger

ledger = Ledger.load(Path(sys.argv[1]))
ledger.record("numpy.random", "numpy.random:x(5)@1", "env-2", {"numpy": "2"},
              [np.random.default_rng(7).random(5)])
# Die the hard way (power cut, OOM killer) in the middle of the write: the new bytes are in the
# temporary file, not yet moved over the ledger file.
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
ledger.save()
"""


def test_a_recorder_killed_mid_write_leaves_the_old_file_intact(empty_ledger):
    """A recorder killed mid-write leaves the ledger file as it was, readable; others go on."""
    import signal
    import subprocess
    import sys

    from conftest import ROOT
    from rngsuite.tools.doctor import check

    root = empty_ledger.root
    empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"}, _draws())
    empty_ledger.save()
    path = file_for(root, "numpy.random")
    before = path.read_bytes()
    result = subprocess.run([sys.executable, "-c", _CRASHER, str(root)], cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)
    assert result.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    (era,) = Ledger.load(root).eras("numpy.random", "numpy.random:x(5)@1")
    assert era.environments == ["env-1"]
    (leftover,) = [p for p in root.iterdir() if p.name.endswith(".tmp")]
    assert f"{leftover}: a temporary file left by an interrupted write (or one in progress): " \
        "not part of the ledger; the next record or merge into this ledger removes it" in [
            str(p) for p in check(root, catalog=False).problems]
    # The dead recorder's lock died with it: the next recorder saves.
    again = Ledger.load(root)
    again.record("numpy.random", "numpy.random:x(5)@1", "env-2", {"numpy": "2"}, _draws(seed=7))
    assert again.save() == 1
    assert [e.environments for e in Ledger.load(root).eras("numpy.random",
                                                            "numpy.random:x(5)@1")] == \
        [["env-1"], ["env-2"]]
    assert not leftover.exists()  # the next writer, holding the lock, removed the dead one's


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(empty_ledger, monkeypatch):
    """A write that fails (disk full) raises, leaves the ledger file as it was and cleans up."""
    import os

    import pytest

    root = empty_ledger.root
    empty_ledger.record("numpy.random", "numpy.random:x(5)@1", "env-1", {"numpy": "1"}, _draws())
    empty_ledger.save()
    path = file_for(root, "numpy.random")
    before = path.read_bytes()
    ledger = Ledger.load(root)
    ledger.record("numpy.random", "numpy.random:x(5)@1", "env-2", {"numpy": "2"}, _draws(seed=7))

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(BadInput, match="cannot be written \\(No space left on device\\); the "
                                       "file is as it was"):
        ledger.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in root.iterdir()) == [".lock", path.name]


def test_recording_under_xdist_loses_nothing_and_reports_the_whole_run(small_golden, catalog):
    """verify --record under xdist: every worker's recordings land; the report counts them all."""
    from fnmatch import fnmatchcase

    from conftest import run_cli

    globs = ["numpy.default_rng:random(5)@*", "torch:cpu:randn(5)@*"]
    chosen = [c for c in catalog.values() if any(fnmatchcase(c.id, g) for g in globs)]
    result = run_cli("verify", "--record", "--ledger", str(small_golden),
                     *(f"--case={g}" for g in globs), "--", "-n", "2", "-k", "test_golden")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| numpy.default_rng |" in result.stdout and "| torch:cpu " in result.stdout
    # torch:cpu:randn(5)@17 is in the small ledger already.
    assert f"recorded {len(chosen)} cases into {small_golden}: {len(chosen) - 1} new-case, " \
        "1 unchanged;" \
        in result.stdout, result.stdout
    ledger = Ledger.load(small_golden)
    assert all(ledger.eras(c.backend, c.id) for c in chosen) and len(chosen) >= 10


@pytest.mark.parametrize("n", [5, 1000])
@pytest.mark.parametrize("dtype", ["bfloat16", "complex64", "complex128", "float16", "bool"])
def test_every_catalog_dtype_round_trips_exactly(empty_ledger, dtype, n):
    """Short draws (JSON values) and long ones (.npy arrays, never pickled) of each dtype load
    back with the same dtype, shape and bits."""
    from rngsuite.core.compare import np_dtype

    rng = np.random.default_rng(3)
    values = rng.standard_normal((n, 2)) @ np.array([1.0, 1j]) if "complex" in dtype \
        else rng.standard_normal(n)
    draw = np.asarray(values).astype(np_dtype(dtype))
    empty_ledger.record("torch:cpu", f"torch:cpu:x({n})@1", "env", {}, [draw])
    empty_ledger.save()
    (era,) = Ledger.load(empty_ledger.root).eras("torch:cpu", f"torch:cpu:x({n})@1")
    got = Ledger.load(empty_ledger.root).full(era.values[0])
    assert got.dtype == draw.dtype and got.shape == draw.shape
    assert got.tobytes() == draw.tobytes()
