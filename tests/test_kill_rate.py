"""The kill rate: the real suite, run against each injected RNG fault (``tests/faults/``), fails
and names the goldens and properties that caught it; without faults the same selections pass.

One table, one row per fault module. Each row narrows the run (``--case`` globs, which also
narrow the properties to those cases' backends, and a pytest ``-k`` expression) to what catches
the fault, so the whole table runs in a few minutes; ``caught_by`` lists the tests whose FAILED
lines the run must show, ``says`` phrases of the failures that tell why they failed. What else
catches each fault (reference models, seed facts, DataLoader checks...) is in the README table,
observed with ``--case`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conftest import FAULTS, run_cli

# Each row runs the real suite in a fresh interpreter: CI runs the table
# (python -m pytest tests -m faults -n 2); python -m pytest tests alone leaves it out.
pytestmark = pytest.mark.faults


@dataclass(frozen=True)
class Fault:
    """One injected fault: where to look, and what must catch it."""

    cases: tuple[str, ...]
    select: str
    caught_by: tuple[str, ...]
    says: tuple[str, ...]


KILL_TABLE = {
    # --- seeding ---------------------------------------------------------------------------
    "torch_seed_ignored": Fault(
        ("torch:cpu:rand(5)@17",), "golden or same_seed",
        ("test_golden[torch:cpu:rand]", "test_same_seed_same_stream[torch:cpu]"),
        ("torch:cpu:rand(5)@17: stream changed",)),
    "seedsequence_low_32_bits": Fault(
        ("numpy.default_rng:random_raw(5)@4294967313",
         "numpy.Generator(PCG64):random_raw(5)@18446744073709551633"), "golden or distinct_seeds",
        ("test_golden[numpy.default_rng:random_raw]",
         "test_golden[numpy.Generator(PCG64):random_raw]",
         "test_distinct_seeds_distinct_streams[numpy.default_rng]",
         "test_distinct_seeds_distinct_streams[numpy.Generator(PCG64)]"),
        ("numpy.default_rng:random_raw(5)@4294967313: stream changed",
         "distinct_seeds: numpy.default_rng: the two streams are identical")),
    "np_seed_plus_one": Fault(
        ("numpy.random:rand(5)@17",), "golden or equivalent",
        ("test_golden[numpy.random:rand]",
         "test_equivalent_entry_points_agree[numpy.random == numpy.RandomState]"),
        ("numpy.random:rand(5)@17: stream changed",)),
    # --- isolation -------------------------------------------------------------------------
    "randomstate_shared": Fault(
        ("numpy.RandomState:rand(5)@17",), "isolation or interleaved",
        ("test_a_stream_never_moves_another[numpy.RandomState]",
         "test_interleaved_streams_equal_their_solo_streams[numpy.RandomState]"),
        ("isolation: numpy.RandomState: changed the state of numpy.RandomState",)),
    "torch_seed_seeds_numpy": Fault(
        ("torch:cpu:rand(5)@17",), "never_moves",
        ("test_a_stream_never_moves_another[torch:cpu]",),
        ("isolation: torch:cpu: changed the state of numpy.random",)),
    "torch_rand_ignores_generator": Fault(
        ("torch.Generator:cpu:rand(5)@17",), "never_moves",
        ("test_a_stream_never_moves_another[torch.Generator:cpu]",),
        ("isolation: torch.Generator:cpu: changed the state of torch:cpu",)),
    "generator_spawn_identical": Fault(
        ("numpy.Generator(PCG64):random(5)@17",), "children",
        ("test_children_are_independent_and_reproducible[numpy.Generator(PCG64):Generator.spawn]",),
        ("children: numpy.Generator(PCG64): the two streams are identical",)),
    "torch_fork_rng_noop": Fault(
        ("torch:cpu:rand(5)@17",), "fork",
        ("test_fork_restores_the_global_state[torch:cpu-returns]",
         "test_fork_restores_the_global_state[torch:cpu-raises]"),
        ("fork: torch:cpu: state not restored on exit",)),
    # --- a change in a rare branch only (numpy#31238): the long draws see it --------------
    "numpy_binomial_rare_branch": Fault(
        ("numpy.default_rng:binomial(*",), "golden or deep_stream",
        ("test_deep_stream[numpy.default_rng:binomial(100,0.5,{n})(10**6)@17]",),
        ("first difference in values",)),
    # --- continuation and checkpoints ------------------------------------------------------
    "torch_rand_restarts": Fault(
        ("torch*:cpu:rand(5)@17",), "draws_continue",
        ("test_draws_continue_the_stream[torch:cpu]",
         "test_draws_continue_the_stream[torch.Generator:cpu]"),
        ("continues: torch:cpu: the two streams are identical",)),
    "torch_set_state_noop": Fault(
        ("torch:cpu:rand(5)@17",), "resumed_stream or cached_gaussian",
        ("test_a_resumed_stream_goes_on_as_the_uninterrupted_one[torch:cpu]",
         "test_checkpoint_keeps_the_cached_gaussian[torch:cpu]"),
        ("resume: torch:cpu: draw 1 differs", "checkpoint: torch:cpu: draw 1 differs")),
    "mt19937_restore_one_off": Fault(
        ("numpy.Generator(MT19937):random(5)@17",), "resumed_stream",
        ("test_a_resumed_stream_goes_on_as_the_uninterrupted_one[numpy.Generator(MT19937)]",),
        ("resume: numpy.Generator(MT19937): draw 1 differs",)),
    "numpy_restore_drops_gauss": Fault(
        ("numpy.random:rand(5)@17",), "cached_gaussian",
        ("test_checkpoint_keeps_the_cached_gaussian[numpy.random]",),
        ("checkpoint: numpy.random: draw 1 differs",)),
    # --- transforms, dtypes and shapes (the goldens) ---------------------------------------
    "torch_rand_one_ulp": Fault(
        ("torch*:cpu:rand(5)@17",), "golden",
        ("test_golden[torch:cpu:rand]", "test_golden[torch.Generator:cpu:rand]"),
        ("within 8 ULP: 5 of 5 elements differ, max 1 ULP",)),
    "numpy_standard_normal_one_ulp": Fault(
        ("numpy.Generator(PCG64):standard_normal(*",), "golden",
        ("test_golden[numpy.Generator(PCG64):standard_normal]",),
        ("numpy.Generator(PCG64):standard_normal(5)@17: stream changed",
         "within 8 ULP: 5 of 5 elements differ, max 1 ULP")),
    "torch_rand_float64_from_float32": Fault(
        ("torch*:cpu:rand(5,dtype=float64)@17",), "golden",
        ("test_golden[torch:cpu:rand]", "test_golden[torch.Generator:cpu:rand]"),
        ("torch:cpu:rand(5,dtype=float64)@17: stream changed",)),
    "torch_randint_int32": Fault(
        ("torch*:cpu:randint(0,10,(5,))@17",), "golden",
        ("test_golden[torch:cpu:randint]",
         "test_golden[torch.Generator:cpu:randint]"),
        ("dtype changed: recorded int64[5], got int32[5]",)),
    "torch_rand_shape_dependent": Fault(
        ("torch*:cpu:rand(3,4)@17",), "golden or shape_keeps",
        ("test_golden[torch:cpu:rand]", "test_golden[torch.Generator:cpu:rand]",
         "test_shape_keeps_the_stream[torch:cpu]",
         "test_shape_keeps_the_stream[torch.Generator:cpu]"),
        ("shape: torch:cpu: draw 1 differs",)),
    "torch_restore_position_only": Fault(
        ("torch:cpu:rand(5)@17",), "resumed_stream",
        ("test_a_resumed_stream_goes_on_as_the_uninterrupted_one[torch:cpu]",),
        ("resume: torch:cpu: draw 1 differs", "restored in a fresh process")),
    # --- threads ---------------------------------------------------------------------------
    "torch_rand_thread_dependent": Fault(
        ("torch*:cpu:rand(5)@17",), "grain_size",
        ("test_every_call_draws_the_same_above_the_grain_size[torch:cpu]",
         "test_every_call_draws_the_same_above_the_grain_size[torch.Generator:cpu]"),
        ("threads: torch:cpu: draw 1 differs", "rand(40000) with 1 threads vs 4 threads")),
    # --- the DataLoader's contracts ---------------------------------------------------------
    "dataloader_generator_leaks": Fault(
        ("torch:cpu:dataloader_consumption(8)@17",), "isolates or golden",
        ("test_a_generator_isolates_the_loader_from_the_global_stream[0]",
         "test_a_generator_isolates_the_loader_from_the_global_stream[2]",
         "test_golden[torch:cpu:dataloader_consumption]"),
        ("a loader with generator= moved the global generator",
         "torch:cpu:dataloader_consumption(8)@17: stream changed")),
    # --- regimes: faults that only a regime's own case sees ----------------------------------
    "torch_half_normal_rounds_down": Fault(
        ("torch*:cpu:normal_(*",), "golden",
        ("test_golden[torch:cpu:normal_]", "test_golden[torch.Generator:cpu:normal_]"),
        ("torch:cpu:normal_(20,dtype=float16)@17: stream changed",
         "torch:cpu:normal_(20,dtype=bfloat16)@17: stream changed")),
    "numpy_scalar_path_skips": Fault(
        ("numpy.default_rng:random(*",), "golden",
        ("test_golden[numpy.default_rng:random]",),
        ("numpy.default_rng:random(size=None)@17: stream changed",)),
    "numpy_uint16_from_uint32": Fault(
        ("numpy.Generator(PCG64):integers(*",), "golden",
        ("test_golden[numpy.Generator(PCG64):integers]",),
        ("numpy.Generator(PCG64):integers(0,100,21,dtype=uint16)@17: stream changed",)),
    "numpy_seed_wraps_negative": Fault(
        ("numpy.random:rand(5)@17", "numpy.RandomState:rand(5)@17"), "refusals",
        ("test_seed_refusals[numpy.random]", "test_seed_refusals[numpy.RandomState]"),
        ("numpy.random: seed -17", "accepted now")),
    "torch_transposed_fills_index_order": Fault(
        ("torch*:cpu:uniform_*",), "golden",
        ("test_golden[torch:cpu:uniform_transposed]",
         "test_golden[torch.Generator:cpu:uniform_transposed]"),
        ("torch:cpu:uniform_transposed(4,5)@17: stream changed",)),
    # --- compiled code (the compiled tier; --case selects its backends) -----------------------
    "inductor_fallback_random_ignored": Fault(
        ("torch.compile[inductor,fallback_random]:cpu:rand(5)@17",),
        "golden or compiled_draws_what_eager",
        ("test_golden[torch.compile[inductor,fallback_random]:cpu:rand]",
         "test_compiled_draws_what_eager_draws[torch.compile[inductor,fallback_random]:cpu]"),
        ("torch.compile[inductor,fallback_random]:cpu:rand(5)@17: stream changed",
         "compiled_equals_eager: torch.compile[inductor,fallback_random]:cpu: draw 1 differs")),
    "compiled_draw_keeps_state": Fault(
        ("torch.compile[aot_eager]:cpu:rand(5);rand(5)@17",),
        "golden or move_the_generator",
        ("test_golden[torch.compile[aot_eager]:cpu:rand]",
         "test_compiled_draws_move_the_generator_on[torch.compile[aot_eager]:cpu]"),
        ("torch.compile[aot_eager]:cpu:rand(5);rand(5)@17: stream changed",
         "compiled_advances: torch.compile[aot_eager]:cpu: the two streams are identical")),
    # --- a release that lost a sampler -----------------------------------------------------
    "torch_drops_vonmises": Fault(
        ("torch:cpu:VonMises_sample(0.0,4.0,(5,))@17",), "golden",
        ("test_golden[torch:cpu:VonMises_sample]",),
        ("no torch.distributions.VonMises in torch ", "yet torch 2.0.1",
         "removed or renamed in this release?")),
}

#: Modules in tests/faults/ that are not faults by themselves: tests/test_faults.py combines
#: them with faults (a release newer than every recorded one).
SCENARIOS = {"torch_next_release"}

ENV = {"RNGSUITE_HYPOTHESIS_PROFILE": "ci", "COLUMNS": "400"}


def verify(cases, select: str, *plugins: str):
    """``python -m rngsuite verify`` over the cases and tests selected, with the faults installed."""
    args = [a for glob in cases for a in ("--case", glob)]
    return run_cli("verify", *args, plugins=plugins, pytest_args=("-k", select), env=ENV)


def failed_tests(stdout: str) -> set[str]:
    """The test names (``test_golden[backend:call]``) of the run's FAILED lines."""
    return {line.split(" ", 1)[1].split(" - ", 1)[0].split("::", 1)[-1]
            for line in stdout.splitlines() if line.startswith("FAILED ")}


def test_every_fault_module_is_in_the_table():
    """Every fault module in tests/faults/ has a row, so the kill rate counts every fault."""
    modules = {p.stem for p in FAULTS.glob("*.py")}
    assert modules - SCENARIOS == set(KILL_TABLE)


@pytest.mark.parametrize("fault", sorted(KILL_TABLE))
def test_the_suite_catches_the_fault(fault):
    """With the fault injected, the real suite exits 1 and its FAILED lines name the goldens
    and properties of the fault's row, failing for the row's reason."""
    row = KILL_TABLE[fault]
    result = verify(row.cases, row.select, fault)
    out = result.stdout
    assert result.returncode == 1, out[-3000:] + result.stderr[-3000:]
    failed = failed_tests(out)
    missing = [test for test in row.caught_by if test not in failed]
    assert not missing, (missing, sorted(failed))
    unsaid = [phrase for phrase in row.says if phrase not in out]
    assert not unsaid, (unsaid, out[-3000:])


def test_without_faults_every_selection_passes():
    """Without faults, the table's selections (all at once) pass: each failure above is the
    fault's doing."""
    cases = sorted({glob for row in KILL_TABLE.values() for glob in row.cases})
    select = " or ".join(sorted({f"({row.select})" for row in KILL_TABLE.values()}))
    result = verify(cases, select)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not failed_tests(result.stdout)


def test_the_rare_branch_fault_needs_the_long_draws():
    """The same rare-branch fault passes every short case of binomial: with the long draws
    turned off (RNGSUITE_DEEP=no-long) nothing catches it, which is why they run in every
    verify."""
    result = run_cli("verify", "--case", "numpy.default_rng:binomial(*",
                     plugins=("numpy_binomial_rare_branch",),
                     pytest_args=("-k", "golden or deep_stream"),
                     env={**ENV, "RNGSUITE_DEEP": "no-long"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout and not failed_tests(result.stdout)
