"""Tests that bad golden files are refused: exit 2, one line naming file and entry, nothing lost."""

import io
import json
import shutil

import numpy as np
import pytest

from rngsuite.core.ledger import LedgerError, array_path, file_for

from conftest import run_cli, tree_digest


def _edit_json(root, backend, change):
    path = file_for(root, backend)
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=1))
    return path


def _truncate(root):
    path = file_for(root, "torch:cpu")
    path.write_bytes(path.read_bytes()[:-200])
    return path, "line"


def _wrong_dtype(root):
    def change(d):
        d["cases"]["torch:cpu:rand(5)@17"][0]["draws"][0]["dtype"] = "float33"
    return _edit_json(root, "torch:cpu", change), "case 'torch:cpu:rand(5)@17' era A draw 0"


def _nan_value(root):
    path = file_for(root, "torch:cpu")
    text = path.read_text()
    data = json.loads(text)
    third = json.dumps(data["cases"]["torch:cpu:rand(5)@17"][0]["draws"][0]["values"][2])
    start = text.index('"torch:cpu:rand(5)@17"')
    at = text.index(third, start)
    path.write_text(text[:at] + "NaN" + text[at + len(third):])
    return path, "case 'torch:cpu:rand(5)@17' era A draw 0 values[2]: NaN where a number was recorded"


def _hand_edited_value(root):
    def change(d):
        d["cases"]["torch:cpu:rand(5)@17"][0]["draws"][0]["values"][0] = 0.5
    return _edit_json(root, "torch:cpu", change), "values do not match their sha256"


class _Canary:
    """Unpickling this creates the file ``unpickled`` next to the ledger: proof that it ran."""

    def __init__(self, root):
        self.marker = root.parent / "unpickled"

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _long_array(root, backend="torch:cpu", case="torch:cpu:rand(1000)@17"):
    data = json.loads(file_for(root, backend).read_text())
    return array_path(root, data["cases"][case][0]["draws"][0]["sha256"])


def _pickled_array(root):
    path = _long_array(root)
    buf = io.BytesIO()
    np.save(buf, np.array([_Canary(root)] * 3, dtype=object), allow_pickle=True)
    path.write_bytes(buf.getvalue())
    return path, "holds pickled Python objects; golden files are data and are never unpickled"


def _pickle_file(root):
    import pickle

    path = _long_array(root)
    path.write_bytes(pickle.dumps([_Canary(root)]))
    return path, "holds pickled Python objects; golden files are data and are never unpickled"


def _truncated_array(root):
    path = _long_array(root)
    path.write_bytes(path.read_bytes()[:-100])
    return path, "case 'torch:cpu:rand(1000)@17' era A draw 0: not a valid .npy file"


def _corrupted_array(root):
    path = _long_array(root)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    return path, "draw 0: contents do not match the recorded sha256"


def _overwritten_array(root):
    path = _long_array(root)
    path.write_bytes(bytes(range(256)) * 8)
    return path, "not a .npy file (no NumPy header: overwritten or corrupted?)"


def _hand_edited_head(root):
    def change(d):
        d["cases"]["torch:cpu:rand(1000)@17"][0]["draws"][0]["head"][0] = 0.5
    return _edit_json(root, "torch:cpu", change), \
        "case 'torch:cpu:rand(1000)@17' era A draw 0: head does not match the stored values"


def _hand_edited_digest(root):
    def change(d):
        d["cases"]["torch:cpu:rand(5)@17"][0]["draws"][0]["sha256"] = "0" * 64
    return _edit_json(root, "torch:cpu", change), \
        "case 'torch:cpu:rand(5)@17' era A draw 0: values do not match their sha256"


def _duplicate_key(root):
    path = file_for(root, "torch:cpu")
    text = path.read_text()
    at = text.index('"dtype": ', text.index('"torch:cpu:rand(5)@17":'))
    path.write_text(text[:at] + '"dtype": "float64", ' + text[at:])
    return path, "case 'torch:cpu:rand(5)@17' era A draw 0: key 'dtype' appears twice"


def _empty_file(root):
    path = file_for(root, "torch:cpu")
    path.write_bytes(b"")
    return path, "line 1 column 1: not valid JSON"


def _environment_in_two_eras(root):
    def change(d):
        eras = d["cases"]["torch:cpu:rand(5)@17"]
        eras.append(dict(eras[0], era="B"))
    return _edit_json(root, "torch:cpu", change), \
        "case 'torch:cpu:rand(5)@17' era B: environment"


def _newer_format(root):
    def change(d):
        d["version"] = 99
    return _edit_json(root, "torch:cpu", change), \
        "version: format version 99 is newer than this rngsuite reads (1); upgrade rngsuite"


def _not_a_ledger(root):
    path = root / "stray.json"
    path.write_text("[1, 2, 3]")
    return path, "not an rngsuite ledger"


def _missing_array(root):
    data = json.loads(file_for(root, "numpy.random").read_text())
    sha = data["cases"]["numpy.random:rand(1000)@17"][0]["draws"][0]["sha256"]
    path = array_path(root, sha)
    path.unlink()
    return path, "is missing"


def _era_without_provenance(root):
    def change(d):
        d["cases"]["torch:cpu:rand(5)@17"][0]["environments"].append("nowhere")
    return _edit_json(root, "torch:cpu", change), "environment 'nowhere' has no provenance"


CORRUPTIONS = [_truncate, _wrong_dtype, _nan_value, _hand_edited_value, _pickled_array,
               _newer_format, _not_a_ledger, _missing_array, _era_without_provenance,
               _pickle_file, _truncated_array, _corrupted_array, _overwritten_array,
               _hand_edited_head, _hand_edited_digest, _duplicate_key, _empty_file,
               _environment_in_two_eras]


def _refused(small_golden, corrupt, command):
    path, entry = corrupt(small_golden)
    before = tree_digest(small_golden)
    result = run_cli(*command, "--ledger", str(small_golden))
    assert result.returncode == 2, result.stdout + result.stderr
    output = (result.stdout + result.stderr).strip()
    lines = [line for line in output.splitlines() if path.name in line]
    assert len(lines) == 1, output
    assert entry in lines[0], lines[0]
    assert "Traceback" not in output
    assert tree_digest(small_golden) == before
    assert not (small_golden.parent / "unpickled").exists()


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_bad_golden_file_exits_2_naming_file_and_entry(small_golden, corrupt):
    """A corrupt golden file stops verify with exit 2 and one line; nothing is written."""
    _refused(small_golden, corrupt, ["verify", "--case", "numpy.random:randn*"])


@pytest.mark.parametrize("corrupt", [_hand_edited_value, _truncated_array],
                         ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("command", [["record"], ["report"], ["deep", "verify"],
                                     ["merge", "--ledger", "."]], ids=lambda c: c[0])
def test_every_command_reading_the_ledger_refuses_it_the_same_way(small_golden, corrupt,
                                                                   command):
    """Every other command that reads the ledger -- one reader, Ledger.load -- refuses a corrupt
    file or array the same way: exit 2, one line naming the file and the entry, nothing
    written."""
    if command[0] == "merge":  # the corrupt ledger as the shard merged into a sound one
        command = ["merge", str(small_golden), "--ledger"]
        sound = small_golden.parent / "sound"
        shutil.copytree(small_golden, sound)
        path, entry = corrupt(small_golden)
        result = run_cli(*command, str(sound))
        assert result.returncode == 2 and path.name in result.stderr and entry in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return
    _refused(small_golden, corrupt, command)


def test_ledger_error_names_file_and_entry(small_golden):
    """LedgerError's text is 'file: entry: problem'."""
    from rngsuite.core.ledger import Ledger

    path, _ = _wrong_dtype(small_golden)
    with pytest.raises(LedgerError) as info:
        Ledger.load(small_golden)
    assert str(info.value).startswith(f"{path}: case 'torch:cpu:rand(5)@17' era A draw 0: ")
