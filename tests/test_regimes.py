"""Tests for regimes as data and regime coverage: what the installed libraries accept is found by
trying, and a regime no catalog row covers shows up by name."""

import re
from dataclasses import replace

import pytest

from rngsuite.core.catalog import CATALOG_PATH, load_catalog
from rngsuite.core.regimes import RegimeError, load_regimes
from rngsuite.tools.regimes import regime_coverage, regime_table


@pytest.fixture(scope="module")
def coverage():
    return regime_coverage()


def test_the_installed_libraries_have_no_uncovered_regime(coverage):
    """Every regime the installed NumPy, torch, Python and pandas accept has a catalog case (or,
    for a refused seed form, a documented refusal)."""
    assert not coverage.uncovered, regime_table(coverage)
    assert not coverage.notes, coverage.notes


def test_accepted_regimes_are_found_by_trying_the_library(coverage):
    """Which dtypes a call takes is the library's answer, not a list kept here."""
    def accepted(library, call, axis):
        return {r.value for r in coverage.regimes
                if (r.library, r.call, r.axis) == (library, call, axis) and r.accepted}

    assert accepted("numpy Generator", "random", "dtype") == {"float32", "float64"}
    assert {"float16", "bfloat16", "float32", "float64", "complex64", "complex128"} \
        == accepted("torch", "rand", "dtype")
    assert "bool" in accepted("numpy Generator", "integers", "dtype")
    # Every NumPy sampler with a size is a shape regime, the scalar path included.
    assert "scalar" in accepted("numpy Generator", "zipf", "shape")
    refused = {r.value for r in coverage.regimes if r.library == "python.random" and r.refused}
    assert {"numpy-int", "entropy", "SeedSequence"} <= refused


def test_a_regime_row_taken_out_of_the_catalog_shows_up(tmp_path, coverage):
    """Calls removed from a copy of the catalog leave exactly their regimes uncovered."""
    text = CATALOG_PATH.read_text()
    # The zipf row taken is default_rng's (the Generator's); RandomState's has one of its own.
    # rand(17,dtype=float16) twice: a compiled case and its eager twin.
    for pattern, count in ((r'"rand\(20,dtype=\{float\}\)", ', 1),
                           (r'"rand\(17,dtype=float16\)",\s*', 2),
                           (r'"randn\(20,dtype=\{complex\}\)",', 1),
                           (r'"integers\(0,2,21,dtype=bool\)",\s*', 1),
                           (r'"zipf\(2\.0,\{size\}\)",(?=\n\])', 1)):
        text, n = re.subn(pattern, "", text)
        assert n == count, pattern
    copy = tmp_path / "catalog.toml"
    copy.write_text(text)
    after = regime_coverage(load_catalog(path=copy))
    labels = {f"{r.library}: {r.label}" for r in after.uncovered}
    assert labels == {
        "torch: rand dtype=float16", "torch: rand dtype=bfloat16",
        "torch: randn dtype=complex64", "torch: randn dtype=complex128",
        "numpy Generator: integers dtype=bool",
        *(f"numpy Generator: zipf shape={s}" for s in ("scalar", "0-d", "2-d", "3-d", "empty"))}
    assert "uncovered" in regime_table(after)


def test_a_refused_seed_form_needs_its_refusal_row(coverage):
    """A seed form a backend refuses is covered only by a documented refusal."""
    regimes = load_regimes()
    fewer = replace(regimes, refusals=tuple(r for r in regimes.refusals
                                            if not r.applies_to("python.Random")))
    after = regime_coverage(load_catalog(), regimes=fewer)
    missing = {r.label for r in after.uncovered if r.library == "python.Random"}
    assert "seed seed=numpy-int (refused: needs a [[refusal]] row)" in missing


@pytest.mark.parametrize("text, says", [
    ('[[axis]]\nlibrary = "torch"\naxis = "colour"\n', "[[axis]] #1: axis 'colour' is not one"),
    ('[[axis]]\nlibrary = "torch"\naxis = "dtype"\nvalues = "all"\n[axis.probes]\nrand = "rand(5)"\n',
     "rand: a probe is a call text with {value}"),
    ('[[axis]]\nlibrary = "torch"\naxis = "size"\nvalues = ["1-16"]\n'
     '[axis.probes]\nrand = "rand({value})"\n', "band '1-16' is not lo..hi"),
    ('[[axis]]\nlibrary = "torch"\naxis = "parameters"\n[axis.probes]\n'
     'normal = [{name = "x", match = "(", probe = "normal(0.0,1.0,(5,))"}]\n',
     "normal #1: match is not a regular expression"),
    ('[[refusal]]\nbackends = ["torch:*"]\nseeds = ["2**64"]\n', "[[refusal]] #1: lacks raises"),
])
def test_bad_regime_rows_are_named(tmp_path, text, says):
    """A regimes file entry that cannot be used is an error naming the file and the entry."""
    path = tmp_path / "regimes.toml"
    path.write_text(text)
    with pytest.raises(RegimeError) as info:
        load_regimes(path)
    assert str(path) in str(info.value) and says in str(info.value)
