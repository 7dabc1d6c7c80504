"""Sampler branches as data (suite/data/branches.toml): the file reads, its conditions choose
branches from a call's arguments as the library's source does, and the catalog reaches every
branch of the installed libraries."""

from __future__ import annotations

import pytest

from conftest import NEWER_CALLS
from rngsuite.core.branches import BranchError, load_branches
from rngsuite.core.catalog import parse_call
from rngsuite.tools.branches import branch_coverage


def _branch(library: str, call: str, name: str):
    return next(b for b in load_branches().of(library) if b.call == call and b.name.startswith(name))


@pytest.mark.parametrize("call, taken", [
    ("binomial(100,0.5,1000)", "BTPE, p <= 1/2, mode < 100"),
    ("binomial(1000,0.4,1000)", "BTPE, p <= 1/2, mode >= 100"),
    ("binomial(10,0.3,1000)", "inversion, p <= 1/2"),
    ("binomial(10,0.9,1000)", "inversion of q"),
    ("binomial(0,0.3,5)", "n = 0 or p = 0"),
])
def test_a_condition_takes_the_branch_numpy_takes(call, taken):
    """Generator.binomial's branches split on n*min(p, 1-p) against 30 and on the mode, as
    distributions.c does: each call takes exactly its branch."""
    rows = [b for b in load_branches().of("numpy Generator") if b.call == "binomial"]
    took = [b.name for b in rows if b.takes(parse_call(call))]
    assert len(took) == 1 and took[0].startswith(taken), took


def test_tensor_arguments_and_defaults_bind():
    """A tensor argument reaches a condition as its values (full((n,),v) as [v]; arange as its
    list) and a parameter the call leaves out as its default."""
    zero = _branch("torch", "multinomial", "a zero weight")
    assert zero.takes(parse_call("multinomial(arange(0.0,4.0),2)"))
    assert not zero.takes(parse_call("multinomial(ones(10),2)"))
    inv = _branch("numpy Generator", "standard_exponential", "inversion")
    assert inv.takes(parse_call("standard_exponential(1000,method='inv')"))
    assert not inv.takes(parse_call("standard_exponential(1000)"))


def test_every_branch_of_the_installed_libraries_is_reached():
    """Every branch listed for NumPy, torch's CPU samplers and Python's random is reached by a
    catalog case (a long draw where the random values choose it), and every sampling call of
    the installed releases is described."""
    coverage = branch_coverage()
    assert not [r.branch.id for r in coverage.unreached]
    assert not {lib: calls for lib, calls in coverage.undescribed.items() if calls}


@pytest.mark.parametrize("text, says", [
    ('[[sampler]]\nlibrary = "x"\ncall = "c"\nsource = "s"\nparams = ["n"]\n'
     'branches = [{name = "a", when = "m > 1"}]\n', "names 'm', not a parameter"),
    ('[[sampler]]\nlibrary = "x"\ncall = "c"\nsource = "s"\nparams = ["n"]\n'
     'branches = [{name = "a", when = "__import__(\'os\')"}]\n', "calls something other"),
    ('[[sampler]]\nlibrary = "x"\ncall = "c"\nparams = ["n"]\n'
     'branches = [{name = "a", when = "n > 1"}]\n', "needs library, call and source"),
])
def test_a_bad_row_is_named(tmp_path, text, says):
    """A branches row that cannot be used is one error naming the file, the row and why."""
    path = tmp_path / "branches.toml"
    path.write_text(text)
    with pytest.raises(BranchError, match="branches.toml: \\[\\[sampler\\]\\] #1") as info:
        load_branches(path)
    assert says in str(info.value)


def test_a_bad_refusal_row_is_named(tmp_path):
    """A [[refused]] row whose call does not parse, or that lacks a field, is one error naming
    the file and the row."""
    path = tmp_path / "branches.toml"
    path.write_text('[[refused]]\nbackends = ["numpy.RandomState"]\ncalls = ["binomial(-1,"]\n'
                    'raises = ["ValueError"]\nsource = "s"\n')
    with pytest.raises(BranchError, match=r"branches.toml: \[\[refused\]\] #1: .*binomial"):
        load_branches(path)
    path.write_text('[[refused]]\nbackends = ["numpy.RandomState"]\ncalls = ["binomial(-1,0.5)"]\n'
                    'source = "s"\n')
    with pytest.raises(BranchError, match=r"\[\[refused\]\] #1: lacks raises"):
        load_branches(path)


def test_every_refusal_row_names_a_call_of_its_backends():
    """Each [[refused]] call exists on at least one backend its row names (in some release):
    a row that names no real call would check nothing."""
    from rngsuite.backends import registry
    from rngsuite.core.catalog import parse_steps

    backends = registry()
    for row in load_branches().refused:
        mine = [b for name, b in backends.items() if row.applies_to(name)]
        assert mine, row
        steps = parse_steps(row.call)
        assert any(all(s.name in b.calls or s.name in NEWER_CALLS for s in steps)
                   for b in mine), row.call
