"""The real suite, run against injected RNG faults, must fail and say what changed: the full
explanation of a changed stream (tests/test_kill_rate.py checks that every fault is caught)."""

import pytest

from conftest import GOLDENS_ONLY, run_cli

# Each runs the real suite in a fresh interpreter: CI runs them (python -m pytest tests -m faults).
pytestmark = pytest.mark.faults

#: Each fault's cases, and the tests that catch it (the goldens; the notebooks for the seed).
CASES = {
    "np_seed_plus_one": (["numpy.random:*"], ("-k", "test_golden or notebooks")),
    "torch_rand_one_ulp": (["torch:cpu:rand(*", "torch.Generator:cpu:rand(*"], GOLDENS_ONLY),
}


@pytest.mark.parametrize("fault", sorted(CASES))
def test_control_run_passes(fault):
    """Without the fault, the same selection of the suite passes (so a failure means the fault)."""
    globs, selection = CASES[fault]
    args = [a for glob in globs for a in ("--case", glob)]
    result = run_cli("verify", *args, pytest_args=selection)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_seed_off_by_one_is_caught():
    """np.random.seed(s) seeding s+1 fails every numpy.random case, with a full explanation."""
    result = run_cli("verify", "--case", "numpy.random:*", plugins=("np_seed_plus_one",),
                     pytest_args=CASES["np_seed_plus_one"][1])
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "numpy.random:randn(5);randn(5)@17: stream changed" in out
    assert "seed: 17" in out and "running:   numpy " in out and "recorded:  era A" in out
    assert "different:" in out and "first at index 0: recorded " in out
    assert ("reproduce: python -c 'import numpy as np; np.random.seed(17); "
            "print(np.random.randn(5)); print(np.random.randn(5))'") in out
    # The notebook check catches it too, independently of the ledger.
    assert "FAILED" in out and "test_printed_values_still_drawn" in out


def test_torch_rand_one_ulp_is_caught():
    """torch.rand moved by one ULP fails as 'within 8 ULP' with max 1 ULP, on both torch backends."""
    result = run_cli("verify", "--case", "torch:cpu:rand(*", "--case",
                     "torch.Generator:cpu:rand(*", plugins=("torch_rand_one_ulp",),
                     pytest_args=GOLDENS_ONLY)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    for case in ("torch:cpu:rand(5)@17", "torch.Generator:cpu:rand(1000,dtype=float64)@42"):
        assert f"{case}: stream changed" in out
    assert "within 8 ULP: 5 of 5 elements differ, max 1 ULP; first at index 0" in out
    assert "(1 ULP)" in out
    assert "passed" not in out.splitlines()[-1] or "failed" in out.splitlines()[-1]


def test_a_new_release_that_changes_a_stream_names_the_last_release_that_agreed():
    """On a release newer than every recorded one, a changed stream names the newest recorded
    release in the same conditions (the last that agreed) and is compared with its era."""
    result = run_cli("verify", "--case", "torch:cpu:rand(5)@17",
                     plugins=("torch_next_release", "torch_rand_one_ulp"), pytest_args=GOLDENS_ONLY)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "torch:cpu:rand(5)@17: stream changed" in out
    assert "running:   torch 2.99.0+cpu" in out
    assert "last release that agreed: torch 2.15.0" in out, out
    assert "newer than every recorded release" in out
    assert "within 8 ULP: 5 of 5 elements differ, max 1 ULP" in out


def test_a_new_release_that_keeps_the_streams_matches():
    """On a release newer than every recorded one, unchanged streams match their eras (and
    record mode would add the release to them)."""
    result = run_cli("verify", "--case", "torch:cpu:rand*", "--case", "torch:cpu:randn*",
                     plugins=("torch_next_release",), pytest_args=GOLDENS_ONLY)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "| torch:cpu " in out and "changed" in out
    row = next(line for line in out.splitlines() if line.startswith("| torch:cpu "))
    conforms, matches, changed = (int(c) for c in row.split("|")[2:5])
    assert conforms == 0 and matches > 0 and changed == 0, row
