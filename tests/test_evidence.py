"""Tests for what a run says about the depth of its evidence on releases and conditions the
ledger never recorded."""

from __future__ import annotations

import pytest

from rngsuite.core.ledger import Ledger
from rngsuite.core.settings import DEFAULT_LEDGER
from rngsuite.tools.evidence import branches_reached, evidence_lines


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The library ledger."""
    return Ledger.load(DEFAULT_LEDGER)


def test_an_unseen_release_names_what_it_was_compared_with(ledger):
    """A NumPy release the ledger never held: the paragraph names it as never recorded, the
    recorded releases and conditions it was compared with, and the counts of its verdicts."""
    unseen = [("numpy.default_rng", "numpy-9.0.0/Linux/x86_64", "matches", "a"),
              ("numpy.default_rng", "numpy-9.0.0/Linux/x86_64", "matches", "b"),
              ("numpy.default_rng", "numpy-9.0.0/Linux/x86_64", "changed", "c")]
    lines = evidence_lines(unseen, ledger, reached={"numpy.default_rng": (7, 120)})
    assert lines[0].startswith("numpy.default_rng: numpy 9.0.0 was never recorded. Compared "
                               "with numpy 1.23.5–")
    assert "2 of 3 cases and long draws match a recorded era, 1 changed, 0 never recorded" \
        in lines[0]
    assert "the matching ones reach 7 of 120 sampler branches of its calls" in lines[0]
    assert lines[-1].startswith('Read "matches" here as evidence of this depth')


def test_an_unseen_condition_of_a_recorded_release_says_so(ledger):
    """A recorded torch release under kernels it was never recorded at is told apart from an
    unseen release."""
    unseen = [("torch:cpu", "torch-2.13.0+cpu/SVE512/Linux/x86_64", "matches", "a")]
    (line, _) = evidence_lines(unseen, ledger)
    assert line.startswith("torch:cpu: torch 2.13.0+cpu is recorded, but not at "
                           "SVE512/Linux/x86_64.")


def test_nothing_unseen_says_nothing(ledger):
    """A run whose every label is recorded prints no evidence paragraph."""
    assert evidence_lines([], ledger) == []


def test_a_long_draw_counts_for_its_backend(ledger):
    """A long draw judged in the deep store is told under its own backend, beside its cases."""
    unseen = [("numpy.default_rng", "numpy-9.0.0/Linux/x86_64", "matches",
               "numpy.default_rng:binomial(1000,0.4,{n})(10**6)@17"),
              ("numpy.default_rng", "numpy-9.0.0/Linux/x86_64", "matches", "a")]
    (line, _) = evidence_lines(unseen, ledger)
    assert line.startswith("numpy.default_rng: numpy 9.0.0 was never recorded.")
    assert "2 of 2 cases and long draws match" in line


def test_branches_reached_counts_only_the_cases_given():
    """The branch count is of the cases given: none reach nothing; a backend's total is its
    libraries' branches (RandomState: NumPy's legacy calls, not Generator's)."""
    none = branches_reached([], [], ["numpy.RandomState", "numpy.default_rng"])
    assert set(none) == {"numpy.RandomState", "numpy.default_rng"}
    assert all(hit == 0 and total > 0 for hit, total in none.values())
    assert none["numpy.RandomState"][1] != none["numpy.default_rng"][1]


def test_a_recorded_label_whose_long_draws_are_not_says_so(ledger):
    """A label the backend's file holds, met by a long draw the deep store lacks under it, is
    named as such -- not as an unseen release."""
    label = sorted(ledger.file("torch:cpu").environments)[0]
    (line, _) = evidence_lines([("torch:cpu", label, "matches", "torch:cpu:rand(10**6)@17")],
                               ledger)
    assert line.startswith(f"torch:cpu: {label}'s long draws were never recorded.")
