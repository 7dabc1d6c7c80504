"""Tests for ``python -m rngsuite doctor``: each way a ledger can be wrong, found and said exactly."""

import io
import json
import shutil

import numpy as np
import pytest

from rngsuite.core.catalog import load_catalog
from rngsuite.core.compare import digest
from rngsuite.tools.doctor import check
from rngsuite.core.ledger import array_path, deep_path, file_for, read_file
from rngsuite.core.store import dump

from conftest import ROOT, run_cli, tree_digest

GOLDEN = ROOT / "golden"
BACKEND = "torch.Generator:cpu"
LONG_TWO_ERAS = f"{BACKEND}:WeightedRandomSampler(arange(1000),100,replacement=False)@0"
TWO_CALLS = f"{BACKEND}:rand(3,4);rand(3,4)@17"
SHORT_CASE = f"{BACKEND}:rand(5)@17"


@pytest.fixture
def subset(tmp_path):
    """A copy of the committed ledger's torch.Generator:cpu file and the arrays it refers to."""
    root = tmp_path / "golden"
    (root / "arrays").mkdir(parents=True)
    source = file_for(GOLDEN, BACKEND)
    shutil.copy(source, root / source.name)
    for sha in _long_shas(json.loads(source.read_text())):
        shutil.copy(array_path(GOLDEN, sha), array_path(root, sha))
    return root


def _long_shas(data):
    return [d["sha256"] for eras in data["cases"].values() for era in eras for d in era["draws"]
            if "head" in d]


def _doctor(root):
    """Doctor's lines (problems, then the summary) and exit code, against this backend's cases."""
    findings = check(root, catalog=[c for c in load_catalog() if c.backend == BACKEND])
    return [str(p) for p in findings.problems], findings.summary(), findings.exit_code


def _path(root):
    return file_for(root, BACKEND)


def _load(root):
    return json.loads(_path(root).read_text())


def _save(root, data):
    """Write the JSON as rngsuite writes it, so only the intended breakage differs."""
    _path(root).write_text(dump(data) + "\n")


def _edit(root, change):
    data = _load(root)
    change(data)
    _save(root, data)


def _unique_long(data):
    """(case id, sha256) of a long draw whose array no other draw shares."""
    shas = _long_shas(data)
    for case_id, eras in data["cases"].items():
        for d in eras[0]["draws"]:
            if "head" in d and shas.count(d["sha256"]) == 1 and len(eras) == 1:
                return case_id, d["sha256"]
    raise AssertionError("no unshared long draw")


def _entry(case_id, era="A", draw=0):
    return f"case {case_id!r} era {era} draw {draw}"


def test_committed_golden_is_clean():
    """doctor on the committed golden/ finds nothing wrong and exits 0."""
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"doctor: {GOLDEN}: clean: "), line


def test_clean_subset_reports_nothing(subset):
    """A faithful copy of one backend's file and its arrays is clean: exit 0, one summary line."""
    lines, summary, code = _doctor(subset)
    assert (lines, code) == ([], 0)
    envs = len(_load(subset)["environments"])
    assert summary.startswith(f"doctor: {subset}: clean: 1 ledger files, {envs} environments, ")


def test_doctor_writes_nothing(subset):
    """doctor only reads: the ledger is byte for byte the same afterwards, and no lock is taken."""
    before = tree_digest(subset)
    _doctor(subset)
    assert tree_digest(subset) == before and not (subset / ".lock").exists()


def test_truncated_json(subset):
    """A truncated file is one 'not valid JSON' line at the place the text ends."""
    text = _path(subset).read_text()
    _path(subset).write_text(text[:len(text) // 2])
    try:
        json.loads(text[:len(text) // 2])
    except json.JSONDecodeError as exc:
        where, msg = f"line {exc.lineno} column {exc.colno}", exc.msg
    assert _doctor(subset)[::2] == (
        [f"{_path(subset)}: {where}: not valid JSON ({msg}); truncated or hand-edited?"], 2)


def test_hand_edited_value(subset):
    """A value edited by hand no longer matches its digest."""
    _edit(subset, lambda d: d["cases"][SHORT_CASE][0]["draws"][0]["values"].__setitem__(0, 0.5))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(SHORT_CASE)}: values do not "
                                     "match their sha256 (hand-edited or corrupted)"], 2)


def test_hand_edited_digest(subset):
    """A digest edited by hand no longer matches the values."""
    _edit(subset, lambda d: d["cases"][SHORT_CASE][0]["draws"][0].__setitem__("sha256", "0" * 64))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(SHORT_CASE)}: values do not "
                                     "match their sha256 (hand-edited or corrupted)"], 2)


def test_hand_edited_dtype(subset):
    """A dtype edited by hand no longer fits the values listed."""
    value = _load(subset)["cases"][SHORT_CASE][0]["draws"][0]["values"][0]
    _edit(subset, lambda d: d["cases"][SHORT_CASE][0]["draws"][0].__setitem__("dtype", "int32"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(SHORT_CASE)} values[0]: "
                                     f"{value!r} is not a int32 value"], 2)


def test_hand_edited_head_of_a_long_draw(subset):
    """A long draw's head edited by hand disagrees with its array."""
    case_id, _ = _unique_long(_load(subset))
    _edit(subset, lambda d: d["cases"][case_id][0]["draws"][0]["head"].__setitem__(0, 7))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(case_id)}: head does not match "
                                     "the stored values (hand-edited or corrupted)"], 2)


def test_corrupted_array(subset):
    """One flipped bit in an array file: its contents no longer match the digest it is named by."""
    case_id, sha = _unique_long(_load(subset))
    path = array_path(subset, sha)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert _doctor(subset)[::2] == ([f"{path}: {_path(subset).name}: {_entry(case_id)}: contents "
                                     "do not match the recorded sha256"], 2)


def test_truncated_array(subset):
    """A truncated .npy file is refused as not a valid .npy file, naming the draw."""
    case_id, sha = _unique_long(_load(subset))
    path = array_path(subset, sha)
    path.write_bytes(path.read_bytes()[:-100])
    lines, _, code = _doctor(subset)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"{path}: {_path(subset).name}: {_entry(case_id)}: not a valid "
                               ".npy file (truncated: "), lines[0]


def test_garbage_array(subset):
    """Bytes that are no .npy file at all are said to be that, not mistaken for a pickle."""
    case_id, sha = _unique_long(_load(subset))
    path = array_path(subset, sha)
    path.write_bytes(bytes(range(256)) * 8)
    assert _doctor(subset)[::2] == ([f"{path}: {_path(subset).name}: {_entry(case_id)}: not a "
                                     ".npy file (no NumPy header: overwritten or corrupted?)"], 2)


class _Canary:
    """Unpickling this creates a file: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_array_is_refused_and_never_unpickled(subset, tmp_path):
    """An object array (a pickle inside .npy) is refused, and the pickle never runs."""
    case_id, sha = _unique_long(_load(subset))
    path, marker = array_path(subset, sha), tmp_path / "unpickled"
    buf = io.BytesIO()
    np.save(buf, np.array([_Canary(marker)] * 3, dtype=object), allow_pickle=True)
    path.write_bytes(buf.getvalue())
    assert _doctor(subset)[::2] == ([f"{path}: {_path(subset).name}: {_entry(case_id)}: holds "
                                     "pickled Python objects; golden files are data and are "
                                     "never unpickled"], 2)
    assert not marker.exists()


def test_missing_array(subset):
    """A long draw whose array file is gone."""
    case_id, sha = _unique_long(_load(subset))
    array_path(subset, sha).unlink()
    assert _doctor(subset)[::2] == ([f"{array_path(subset, sha)}: {_path(subset).name}: "
                                     f"{_entry(case_id)}: is missing: the long draw's values "
                                     "are not in arrays/"], 2)


def test_orphan_array(subset):
    """An array no draw refers to is reported as an orphan."""
    values = np.arange(100.0)
    path = array_path(subset, digest(values))
    np.save(path, values, allow_pickle=False)
    assert _doctor(subset)[::2] == ([f"{path}: orphan: no draw refers to it (an interrupted "
                                     "recording, or its case was removed by hand)"], 2)


def test_array_not_named_by_its_digest(subset):
    """A file in arrays/ that is not <sha256>.npy is not part of the ledger."""
    path = subset / "arrays" / "values.npy"
    np.save(path, np.arange(3.0), allow_pickle=False)
    assert _doctor(subset)[::2] == ([f"{path}: not a file named <sha256>.npy: not part of the ledger"],
                                    2)


def test_bytes_appended_to_an_array(subset):
    """Bytes after an array's data, which np.load ignores, are reported for the draw."""
    case_id, sha = _unique_long(_load(subset))
    path = array_path(subset, sha)
    path.write_bytes(path.read_bytes() + b"junk")
    assert _doctor(subset)[::2] == ([f"{path}: {_path(subset).name}: {_entry(case_id)}: has 4 "
                                     "bytes after the array's data: appended to, or not written "
                                     "by rngsuite"], 2)


def test_temporary_file_of_an_interrupted_write(subset):
    """A temporary file left by a write that never finished is reported, the ledger intact."""
    path = subset / f".{_path(subset).name}.k2j4_x.tmp"
    path.write_text(_path(subset).read_text()[:100])
    assert _doctor(subset)[::2] == ([f"{path}: a temporary file left by an interrupted write "
                                     "(or one in progress): not part of the ledger; the next "
                                     "record or merge into this ledger removes it"], 2)


def test_newer_format_version(subset):
    """A file of a newer format version is refused with what to do about it."""
    _edit(subset, lambda d: d.__setitem__("version", 2))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: version: format version 2 is newer than "
                                     "this rngsuite reads (1); upgrade rngsuite"], 2)


def test_not_a_ledger(subset):
    """A JSON file in the ledger directory that is not a ledger file."""
    path = subset / "notes.json"
    path.write_text('{"todo": []}\n')
    assert _doctor(subset)[::2] == ([f"{path}: not an rngsuite ledger (expected \"format\": "
                                     "\"rngsuite-ledger\")"], 2)


def test_duplicate_key(subset):
    """A key twice in one object (a bad merge) is refused: JSON readers would keep the last."""
    text = _path(subset).read_text()
    start = text.index(json.dumps(SHORT_CASE) + ":")
    at = text.index('"dtype": ', start)
    _path(subset).write_text(text[:at] + '"dtype": "float64",\n     ' + text[at:])
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(SHORT_CASE)}: key 'dtype' "
                                     "appears twice in one object (hand-edited, or a bad "
                                     "merge?); a JSON reader would silently keep the last"], 2)


def test_nan_value(subset):
    """NaN where a value was recorded is named down to the value's index."""
    text = _path(subset).read_text()
    data = json.loads(text)
    third = json.dumps(data["cases"][SHORT_CASE][0]["draws"][0]["values"][2])
    at = text.index(third, text.index(json.dumps(SHORT_CASE) + ":"))
    _path(subset).write_text(text[:at] + "NaN" + text[at + len(third):])
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: {_entry(SHORT_CASE)} values[2]: NaN "
                                     "where a number was recorded (a non-finite float is "
                                     'written "inf", "-inf" or "nan:<bits>")'], 2)


def test_environment_in_two_eras(subset):
    """One environment in two eras of a case: which values did it draw?"""
    label = _load(subset)["cases"][LONG_TWO_ERAS][0]["environments"][0]

    def change(d):
        d["cases"][LONG_TWO_ERAS][1]["environments"].append(label)
    _edit(subset, change)
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {LONG_TWO_ERAS!r} era B: "
                                     f"environment {label!r} is in two eras (era A and era B)"],
                                    2)


def test_two_eras_with_the_same_draws(subset):
    """Two eras of a case holding identical draws: one set of values is one era."""
    def change(d):
        eras = d["cases"][LONG_TWO_ERAS]
        eras[1]["draws"] = eras[0]["draws"]
    before = set(_long_shas(_load(subset)))
    _edit(subset, change)
    for sha in before - set(_long_shas(_load(subset))):
        array_path(subset, sha).unlink()  # era B's own values: no longer referenced
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {LONG_TWO_ERAS!r} era B: has the "
                                     "same draws as era A: one set of values is one era"], 2)


def test_era_without_environments(subset):
    """Every era lists at least one environment that produced it."""
    _edit(subset, lambda d: d["cases"][LONG_TWO_ERAS][1].__setitem__("environments", []))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {LONG_TWO_ERAS!r} era B: must list "
                                     "the environments that produced it"], 2)


def test_eras_out_of_order(subset):
    """Eras are named A, B, C... in order."""
    _edit(subset, lambda d: d["cases"][LONG_TWO_ERAS][1].__setitem__("era", "C"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {LONG_TWO_ERAS!r} era #2: era is "
                                     "'C', expected 'B'"], 2)


def test_environment_without_provenance(subset):
    """An era naming an environment with no provenance record."""
    _edit(subset, lambda d: d["cases"][SHORT_CASE][0]["environments"].append("nowhere"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {SHORT_CASE!r} era A: environment "
                                     "'nowhere' has no provenance"], 2)


def test_provenance_lacks_a_label_field(subset):
    """A provenance record without a field the backend's labels are made of."""
    label = sorted(_load(subset)["environments"])[0]
    _edit(subset, lambda d: d["environments"][label].pop("torch_cpu_capability"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: environment {label!r}: provenance lacks "
                                     f"torch_cpu_capability, which {BACKEND} labels are made of "
                                     "(torch/torch_cpu_capability/system/machine)"], 2)


def test_provenance_lacks_a_recorded_field(subset):
    """A provenance record without a field every environment records (the OS)."""
    label = sorted(_load(subset)["environments"])[0]
    _edit(subset, lambda d: d["environments"][label].pop("os"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: environment {label!r}: provenance lacks "
                                     "os (recorded for every environment)"], 2)


def test_label_that_its_provenance_does_not_make(subset):
    """A label whose fields disagree with its provenance record (an edited capability)."""
    label = next(k for k in sorted(_load(subset)["environments"]) if "/AVX2/" in k)

    def change(d):
        d["environments"][label]["torch_cpu_capability"] = "AVX512"
    _edit(subset, change)
    want = label.replace("/AVX2/", "/AVX512/")
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: environment {label!r}: label does not "
                                     "match its provenance: its torch/torch_cpu_capability/"
                                     f"system/machine make {want!r}"], 2)


def test_provenance_of_another_device(subset):
    """A CPU backend's environment recorded as a CUDA one."""
    label = sorted(_load(subset)["environments"])[0]
    _edit(subset, lambda d: d["environments"][label].__setitem__("device", "cuda"))
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: environment {label!r}: provenance says "
                                     f"device 'cuda'; {BACKEND} draws on 'cpu'"], 2)


def test_environment_in_no_era(subset):
    """A provenance record no era uses."""
    def change(d):
        label = sorted(d["environments"])[0]
        record = dict(d["environments"][label], torch="9.9.9")
        d["environments"][label.replace(label.split("/")[0], "torch-9.9.9")] = record
    _edit(subset, change)
    label = "torch-9.9.9/" + sorted(_load(subset)["environments"])[0].split("/", 1)[1]
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: environment {label!r}: is in no era of "
                                     "any case: provenance of nothing (hand-edited?)"], 2)


def test_era_with_a_draw_missing(subset):
    """An era with fewer draws than its catalog case makes calls."""
    _edit(subset, lambda d: d["cases"][TWO_CALLS][0]["draws"].pop())
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {TWO_CALLS!r} era A: has 1 draw; "
                                     "its catalog case makes 2 calls"], 2)


def test_reformatted_file(subset):
    """A file rewritten by another tool (same data, other layout) is not as rngsuite writes it."""
    _path(subset).write_text(json.dumps(_load(subset), indent=2) + "\n")
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: line 2: not as rngsuite writes it: "
                                     "hand-edited, or written by another tool"], 2)


def test_stale_recording_exits_1(subset):
    """A recorded case the catalog no longer has is stale: a coverage problem, exit 1."""
    lf = read_file(_path(subset))
    stale = f"{BACKEND}:rand(6)@17"
    lf.cases[stale] = lf.cases[SHORT_CASE]
    _path(subset).write_text(lf.text())
    lines, summary, code = _doctor(subset)
    assert (lines, code) == ([f"{_path(subset)}: case {stale!r}: recorded, but no catalog case "
                              "has this id: stale (renamed or removed from suite/data/catalog.toml?)"],
                             1)
    assert "1 problem (0 integrity, 1 catalog coverage) in 1 file;" in summary


def test_unrecorded_catalog_case_exits_1(subset):
    """A catalog case with no recording is a coverage problem, exit 1."""
    lf = read_file(_path(subset))
    del lf.cases[SHORT_CASE]
    _path(subset).write_text(lf.text())
    assert _doctor(subset)[::2] == ([f"{_path(subset)}: case {SHORT_CASE!r}: in the catalog but "
                                     f"not recorded (python -m rngsuite record --case "
                                     f"'{SHORT_CASE}')"], 1)


def test_every_problem_is_reported_not_only_the_first(subset):
    """Several problems in several places: one line each, and the summary counts them."""
    case_id, sha = _unique_long(_load(subset))
    _edit(subset, lambda d: d["cases"][SHORT_CASE][0]["draws"][0]["values"].__setitem__(0, 0.5))
    array_path(subset, sha).unlink()
    (subset / "arrays" / "stray.bin").write_bytes(b"x")
    lines, summary, code = _doctor(subset)
    assert code == 2 and len(lines) == 3, lines
    assert [line.split(": ")[0] for line in lines] == [
        str(array_path(subset, sha)), str(_path(subset)), str(subset / "arrays" / "stray.bin")]
    assert "3 problems (3 integrity, 0 catalog coverage) in 3 files;" in summary


def test_every_refused_corruption_is_found_naming_the_same_entry(small_golden):
    """What every command refuses (tests/test_bad_golden.py), doctor reports with file and entry."""
    from test_bad_golden import CORRUPTIONS

    for corrupt in CORRUPTIONS:
        root = small_golden.parent / corrupt.__name__
        shutil.copytree(small_golden, root)
        path, entry = corrupt(root)
        lines = [str(p) for p in check(root, catalog=False).problems]
        assert any(line.startswith(str(path)) and entry in line for line in lines), \
            (corrupt.__name__, lines)


def test_cli_exit_codes_and_output(tmp_path):
    """The command: one line per problem, then the summary; exit 2 on damage, 1 on coverage."""
    root = tmp_path / "golden"
    shutil.copytree(GOLDEN, root, ignore=shutil.ignore_patterns(".lock", "deep"))
    path = file_for(root, BACKEND)
    lf = read_file(path)
    del lf.cases[SHORT_CASE]
    path.write_text(lf.text())
    result = run_cli("doctor", "--ledger", str(root))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[:-1] == [
        f"{path}: case {SHORT_CASE!r}: in the catalog but not recorded (python -m rngsuite record "
        f"--case '{SHORT_CASE}')"]
    assert result.stdout.splitlines()[-1].startswith(f"doctor: {root}: 1 problem (0 integrity")

    (root / "arrays" / "stray.npy").write_bytes(b"x")
    result = run_cli("doctor", "--ledger", str(root))
    assert result.returncode == 2 and result.stderr == "", result.stdout + result.stderr
    assert f"{root / 'arrays' / 'stray.npy'}: not a file named <sha256>.npy: not part of the ledger" \
        in result.stdout.splitlines()


def test_missing_ledger_directory_exits_2(tmp_path):
    """doctor pointed at no directory says so, exit 2."""
    result = run_cli("doctor", "--ledger", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == (f"{tmp_path / 'nowhere'}: no ledger directory here "
                                             "(pass --ledger DIR)")


def test_deep_digests_are_checked_too(subset):
    """doctor reads deep/digests.json with the ledger's strict reader: a hand-edited
    digest or a newer format is one line naming the file and the entry, exit 2."""
    target = deep_path(subset)
    target.parent.mkdir()
    text = deep_path(GOLDEN).read_text()
    target.write_text(text)
    assert _doctor(subset)[2] == 0
    data = json.loads(text)
    case, eras = next(iter(data["cases"].items()))
    eras[0]["digest"] = eras[0]["digest"][:-1]
    target.write_text(json.dumps(data))
    problems, _, code = _doctor(subset)
    assert code == 2 and len(problems) == 1, problems
    assert problems[0].startswith(f"{target}: case {case!r} era A: digest "), problems
    target.write_text(json.dumps({**data, "version": 99}))
    problems, _, code = _doctor(subset)
    assert code == 2 and problems == [f"{target}: version: format version 99 is newer than this "
                                      "rngsuite reads (1); upgrade rngsuite"], problems
