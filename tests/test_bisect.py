"""Tests for bisect: the search, and the draws it reads back from another environment."""

import json
import math

import numpy as np

from rngsuite.tools.bisect import arrays_from_json, bisect, choose

from conftest import run_cli

VERSIONS = [f"2.{i}.0" for i in range(15)]


def _draws_changing_at(first_new: int, calls: list):
    def draw(version):
        calls.append(version)
        era = 1 if VERSIONS.index(version) >= first_new else 0
        return [np.full(5, era, dtype=np.float32)]
    return draw


def test_bisect_finds_the_first_changed_release_in_log_n_probes():
    """With one change anywhere in 15 releases, the search names it and its predecessor,
    probing about log2(15) releases."""
    for first_new in range(1, len(VERSIONS)):
        calls = []
        result = bisect(VERSIONS, _draws_changing_at(first_new, calls))
        assert (result.before, result.after) == (VERSIONS[first_new - 1], VERSIONS[first_new])
        assert len(calls) <= math.ceil(math.log2(len(VERSIONS))) + 2
        assert len(set(calls)) == len(calls)  # no release installed twice


def test_bisect_without_change_says_so():
    """The same draws everywhere: no release is named, and only the two ends are probed."""
    calls = []
    result = bisect(VERSIONS, _draws_changing_at(len(VERSIONS), calls))
    assert result.after is None and calls == [VERSIONS[0], VERSIONS[-1]]


def test_draw_prints_values_bisect_reads_back_exactly(catalog, backends):
    """python -m rngsuite draw gives every value exactly, dtype and shape kept."""
    case_id = "torch:cpu:rand(3,4)@42"
    out = run_cli("draw", "--case", case_id)
    assert out.returncode == 0
    (got,) = arrays_from_json(out.stdout)
    (want,) = backends["torch:cpu"].draw(catalog[case_id])
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    assert json.loads(out.stdout)[0]["case"] == case_id


def test_bisect_unknown_case_exits_2():
    """An unknown case is bad input."""
    result = run_cli("bisect", "torch:cpu:nosuch(5)@1", "--package", "torch")
    assert result.returncode == 2 and "unknown case" in result.stderr


def test_releases_are_the_newest_patch_of_each_minor_or_every_patch():
    """Bisect searches the newest patch of each minor release; with --patches every release in
    the range, so that the exact release within a changed minor can be named."""
    finals = ["2.11.0", "2.12.0", "2.10.0", "2.12.1", "2.9.1", "2.9.0", "2.13.0"]
    assert choose(finals) == ["2.9.1", "2.10.0", "2.11.0", "2.12.1", "2.13.0"]
    assert choose(finals, since="2.11", until="2.12.1", patches=True) == \
        ["2.11.0", "2.12.0", "2.12.1"]
    assert choose(finals, since="2.10", until="2.12") == ["2.10.0", "2.11.0"]
