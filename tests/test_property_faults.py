"""Each property, run for real against a library with one fault of its kind, must fail."""

import os
import subprocess
import sys

import pytest

from conftest import FAULTS, ROOT

# fault plugin -> (catalog cases whose backends the properties run on, pytest -k expression,
#                  the tests that must fail)
FAULTS_CAUGHT = {
    "torch_seed_seeds_numpy": ("torch:cpu:rand(5)@17", "test_a_stream_never_moves_another",
                               ["test_a_stream_never_moves_another[torch:cpu] - AssertionError: isolation: torch:cpu: changed the state of numpy.random"]),
    "randomstate_shared": ("numpy.RandomState:rand(5)@17", "isolation or interleaved",
                           ["test_a_stream_never_moves_another[numpy.RandomState] - AssertionError: isolation: numpy.RandomState: changed the state of numpy.RandomState",
                            "test_interleaved_streams_equal_their_solo_streams[numpy.RandomState]"]),
    "torch_set_state_noop": ("torch:cpu:rand(5)@17", "checkpoint",
                             ["test_checkpoint_resumes_exactly[torch:cpu]",
                              "test_checkpoint_keeps_the_cached_gaussian[torch:cpu]"]),
    "torch_rand_restarts": ("torch*:cpu:rand(5)@17", "test_draws_continue_the_stream",
                            ["test_draws_continue_the_stream[torch:cpu]",
                             "test_draws_continue_the_stream[torch.Generator:cpu]"]),
    "torch_rand_ignores_generator": ("torch.Generator:cpu:rand(5)@17", "equivalent or never_moves",
                                     ["test_a_stream_never_moves_another[torch.Generator:cpu] - AssertionError: "
                                      "isolation: torch.Generator:cpu: changed the state of torch:cpu"]),
    "generator_spawn_identical": ("numpy.Generator(PCG64):random(5)@17", "children",
                                  ["test_children_are_independent_and_reproducible"
                                   "[numpy.Generator(PCG64):Generator.spawn]"]),
    "numpy_restore_drops_gauss": ("numpy.random:rand(5)@17", "cached_gaussian",
                                  ["test_checkpoint_keeps_the_cached_gaussian[numpy.random]"]),
}


def _run_properties(case: str, expression: str, plugin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAULTS), str(ROOT)]),
           "RNGSUITE_HYPOTHESIS_PROFILE": "ci", "COLUMNS": "400"}
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suite"), "-q", "-p", "no:cacheprovider",
            "-k", expression, "-rf", "--case", case, "-p", plugin]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


@pytest.mark.parametrize("fault", sorted(FAULTS_CAUGHT))
def test_property_catches_its_fault(fault):
    """With the fault, the property of its kind fails and names itself. (Without it the same
    properties pass: they are part of every `pytest suite` run.)"""
    case, expression, must_fail = FAULTS_CAUGHT[fault]
    faulty = _run_properties(case, expression, fault)
    assert faulty.returncode == 1, faulty.stdout[-3000:]
    failed = [line for line in faulty.stdout.splitlines() if line.startswith("FAILED")]
    for test in must_fail:
        assert any(test in line for line in failed), (test, failed)
