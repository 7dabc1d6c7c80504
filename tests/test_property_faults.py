"""Each property, run for real against a library with one fault of its kind, must fail."""

import os
import subprocess
import sys

import pytest

from conftest import FAULTS, ROOT

# fault plugin -> (pytest -k expression selecting the properties, the tests that must fail)
FAULTS_CAUGHT = {
    "torch_seed_seeds_numpy": ("test_a_stream_never_moves_another and torch",
                               ["test_a_stream_never_moves_another[torch:cpu->numpy.random]"]),
    "randomstate_shared": ("RandomState and (isolation or interleaved)",
                           ["test_a_stream_never_moves_another[numpy.RandomState->numpy.RandomState]",
                            "test_interleaved_streams_equal_their_solo_streams[numpy.RandomState]"]),
    "torch_set_state_noop": ("checkpoint and torch:cpu",
                             ["test_checkpoint_resumes_exactly[torch:cpu]",
                              "test_checkpoint_keeps_the_cached_gaussian[torch:cpu]"]),
    "torch_rand_restarts": ("test_draws_continue_the_stream and torch",
                            ["test_draws_continue_the_stream[torch:cpu]",
                             "test_draws_continue_the_stream[torch.Generator:cpu]"]),
    "torch_rand_ignores_generator": ("(equivalent or never_moves) and torch",
                                     ["test_a_stream_never_moves_another[torch.Generator:cpu->torch:cpu]"]),
    "generator_spawn_identical": ("children and Generator.spawn",
                                  # default_rng builds its Generator in C, out of the fault's reach
                                  ["test_children_are_independent_and_reproducible"
                                   "[numpy.Generator(PCG64):Generator.spawn]"]),
    "numpy_restore_drops_gauss": ("cached_gaussian and numpy.random",
                                  ["test_checkpoint_keeps_the_cached_gaussian[numpy.random]"]),
}


def _run_properties(expression: str, plugin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAULTS), str(ROOT)]),
           "RNGSUITE_HYPOTHESIS_PROFILE": "ci", "COLUMNS": "400"}
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suite"), "-q", "-p", "no:cacheprovider",
            "-k", expression, "-rf",
            # One golden case keeps collection short; the properties are what is tested here.
            "--case", "numpy.random:randn(5);randn(5)@17", "-p", plugin]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


@pytest.mark.parametrize("fault", sorted(FAULTS_CAUGHT))
def test_property_catches_its_fault(fault):
    """With the fault, the property of its kind fails and names itself. (Without it the same
    properties pass: they are part of every `pytest suite` run.)"""
    expression, must_fail = FAULTS_CAUGHT[fault]
    faulty = _run_properties(expression, fault)
    assert faulty.returncode == 1, faulty.stdout[-3000:]
    failed = [line for line in faulty.stdout.splitlines() if line.startswith("FAILED")]
    for test in must_fail:
        assert any(test in line for line in failed), (test, failed)
