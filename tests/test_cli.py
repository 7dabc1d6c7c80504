"""Tests for the command line: commands, exit codes, report."""

import os
import platform

import pytest

from conftest import GOLDENS_ONLY, run_cli, tree_digest
from rngsuite.core.catalog import load_catalog, select


def test_unknown_option_exits_2_in_one_line():
    """An unknown option is bad input: exit 2 and one error line, no traceback."""
    result = run_cli("verify", "--no-such-option")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("python -m rngsuite")
    assert "Traceback" not in result.stderr


def test_unknown_case_exits_2(small_golden):
    """A --case glob that matches nothing is bad input, for verify, record and list."""
    for command in ("verify", "record", "list"):
        args = [command, "--case", "nosuch:*"]
        if command != "list":
            args += ["--ledger", str(small_golden)]
        result = run_cli(*args)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "unknown case" in result.stdout + result.stderr


def test_unknown_device_exits_2():
    """A device that is not cpu, cuda or mps is bad input."""
    result = run_cli("list", "--device", "tpu")
    assert result.returncode == 2 and "'tpu' is not cpu, cuda[:N], mps or all" in result.stderr


def test_missing_ledger_directory_exits_2(tmp_path):
    """Pointing at a ledger that is not there is bad input, not an empty pass."""
    result = run_cli("report", "--ledger", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "no ledger directory" in result.stderr


def test_verify_passes_and_prints_the_report(small_golden):
    """verify over recorded cases exits 0 and prints the per-backend report table."""
    result = run_cli("verify", "--ledger", str(small_golden), "--case", "torch:cpu:rand(5)@17",
                     "--case", "numpy.random:rand(1000)@17", pytest_args=GOLDENS_ONLY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rngsuite report" in result.stdout
    assert "| torch:cpu " in result.stdout and "| numpy.random " in result.stdout


def test_unrecorded_case_fails_then_record_fixes_it(small_golden):
    """A case with no golden fails verify (exit 1); record adds it and verify then passes."""
    case = "numpy.default_rng:random(5)@42"
    first = run_cli("verify", "--ledger", str(small_golden), "--case", case,
                    pytest_args=GOLDENS_ONLY)
    assert first.returncode == 1 and "no golden recorded" in first.stdout
    recorded = run_cli("record", "--ledger", str(small_golden), "--case", case)
    assert recorded.returncode == 0 and "1 new-case" in recorded.stdout
    assert run_cli("verify", "--ledger", str(small_golden), "--case", case,
                   pytest_args=GOLDENS_ONLY).returncode == 0


def test_verify_record_mode_adds_without_failing(small_golden):
    """verify --record records unrecorded cases instead of failing on them."""
    case = "numpy.default_rng:random(5)@0"
    result = run_cli("verify", "--record", "--ledger", str(small_golden), "--case", case,
                     pytest_args=GOLDENS_ONLY)
    assert result.returncode == 0, result.stdout
    assert f"recorded 1 cases into {small_golden}: 1 new-case;" in result.stdout
    assert run_cli("verify", "--ledger", str(small_golden), "--case", case,
                   pytest_args=GOLDENS_ONLY).returncode == 0


def test_report_is_a_markdown_table_of_cases_by_environment(small_golden):
    """report prints cases x environments with era letters, and changes nothing."""
    before = tree_digest(small_golden)
    result = run_cli("report", "--ledger", str(small_golden))
    assert result.returncode == 0
    assert "## torch:cpu" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "torch:cpu:rand(5)@17" in line)
    assert row.replace(" ", "").endswith("|A|")
    assert tree_digest(small_golden) == before


def test_list_prints_every_case():
    """list prints one case id per line."""
    result = run_cli("list")
    assert result.returncode == 0
    assert "torch:cpu:randn(5)@17" in result.stdout.splitlines()


def test_a_call_the_release_lacks_skips_its_cases(small_golden, tmp_path):
    """A case whose call the installed release does not have (an older NumPy's Generator
    without wald, here) is skipped with one reason naming the call and the release: neither a
    failure nor a pass, and nothing is recorded."""
    (tmp_path / "numpy_without_wald.py").write_text(
        "from rngsuite.backends import numpy_generator\n"
        "del numpy_generator.GENERATOR_CALLS['wald']  # as a release without Generator.wald\n")
    before = tree_digest(small_golden)
    for mode in ((), ("--record",)):
        result = run_cli("verify", *mode, "--ledger", str(small_golden),
                         "--case", "numpy.default_rng:wald(*", plugins=("numpy_without_wald",),
                         pytest_args=GOLDENS_ONLY,
                         env={"PYTHONPATH": str(tmp_path), "PYTEST_ADDOPTS": "-rs"})
        out = result.stdout
        assert result.returncode == 0, out + result.stderr
        assert "SKIPPED [1] " in out and "numpy.default_rng: no wald in numpy " in out
        assert " failed" not in out
    assert tree_digest(small_golden) == before


def test_report_upgrade_options(small_golden):
    """report --from/--to answers for recorded releases and refuses unknown or lone ones."""
    ok = run_cli("report", "--ledger", str(small_golden), "--from", "torch==2", "--to", "torch==2")
    assert ok.returncode == 0 and "0 cases change" in ok.stdout
    lone = run_cli("report", "--ledger", str(small_golden), "--from", "torch==2.4")
    assert lone.returncode == 2 and "--from and --to go together" in lone.stderr
    unknown = run_cli("report", "--ledger", str(small_golden), "--from", "torch==1.0",
                      "--to", "torch==2")
    assert unknown.returncode == 2 and "no recorded environment has torch==1.0" in unknown.stderr


def test_record_skips_a_call_the_release_lacks(small_golden, monkeypatch, capsys):
    """python -m rngsuite record draws nothing for a call the installed release lacks (here
    torch.nn.init.normal_ without generator=, as before torch took one): it says so, once per
    reason with the number of cases, and leaves the ledger as it was."""
    import torch

    from rngsuite import cli

    monkeypatch.setattr(torch.nn.init, "normal_", lambda tensor, mean=0.0, std=1.0: tensor)
    before = tree_digest(small_golden)
    code = cli.main(["record", "--ledger", str(small_golden),
                     "--case", "torch.Generator:cpu:init_normal_(*"])
    out = capsys.readouterr().out
    assert code == 0, out
    n = len(select(load_catalog(), ["torch.Generator:cpu:init_normal_(*"]))
    assert n >= 8
    assert (f"skipped {n} cases of torch.Generator:cpu: torch.nn.init.normal_ takes no generator= "
            f"in torch {torch.__version__}") in out
    assert "recorded 0 cases" in out
    assert tree_digest(small_golden) == before


def test_record_says_which_regimes_the_release_refuses(small_golden, monkeypatch, capsys):
    """python -m rngsuite record does not stop at a regime the installed release refuses (here
    float16 rand, as a release without half-precision sampling would): the unrecorded case is
    named with the library's error, the others are recorded, and nothing fails; once an older
    release has drawn the case, the refusal fails (a regime removed)."""
    import torch

    from rngsuite import cli
    from rngsuite.core.ledger import Ledger

    real = torch.rand

    def no_half(*args, dtype=None, **kwargs):
        if dtype == torch.float16:
            raise RuntimeError('"check_uniform_bounds" not implemented for \'Half\'')
        return real(*args, dtype=dtype, **kwargs)

    monkeypatch.setattr(torch, "rand", no_half)
    glob = "torch:cpu:rand(20,dtype=*)@17"
    code = cli.main(["record", "--ledger", str(small_golden), "--case", glob])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ("refused by the installed release, not recorded: torch:cpu:rand(20,dtype=float16)@17: "
            "RuntimeError: \"check_uniform_bounds\" not implemented for 'Half'") in out
    ledger = Ledger.load(small_golden)
    assert not ledger.eras("torch:cpu", "torch:cpu:rand(20,dtype=float16)@17")
    assert ledger.eras("torch:cpu", "torch:cpu:rand(20,dtype=float64)@17")

    monkeypatch.setattr(torch, "rand", real)
    assert cli.main(["record", "--ledger", str(small_golden), "--case", glob]) == 0
    monkeypatch.setattr(torch, "rand", no_half)
    capsys.readouterr()
    assert cli.main(["record", "--ledger", str(small_golden), "--case", glob]) == 1
    assert "refused, yet drawn by an older release (removed in this one?): " \
        "torch:cpu:rand(20,dtype=float16)@17" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["verify", "record", "draw"])
def test_a_device_this_machine_lacks_fails_in_one_line_not_skips(command, tmp_path):
    """--device cuda where there is no CUDA exits 3 in one line before anything runs: skipping
    every CUDA case and passing would turn a GPU runner that lost its GPU green."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the run would be a real one")
    ledger = tmp_path / "ledger"
    result = run_cli(command, "--device", "cuda", "--case", "torch*",
                     *(("--ledger", str(ledger)) if command != "draw" else ()))
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--device cuda: this machine has no CUDA device" in lines[0], \
        result.stderr
    assert "passed" not in result.stdout and not ledger.exists()


def test_kernels_the_cpu_lacks_stop_in_one_line_before_any_draw(monkeypatch, small_golden):
    """ATEN_CPU_CAPABILITY asking for kernels the CPU lacks would kill the interpreter with an
    illegal instruction at the first draw: every drawing command stops first, in one line,
    exit 3, nothing written."""
    from rngsuite.core import provenance

    monkeypatch.setattr(provenance, "_cpuinfo", lambda: {"flags": "sse4_2 avx avx2 fma"})
    monkeypatch.setattr(provenance, "_torch_cpu_capability", lambda torch: "AVX512")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx512")
    problem = provenance.capability_problem()
    assert problem.startswith("ATEN_CPU_CAPABILITY=avx512 asks for AVX512 kernels, but this "
                              "CPU lacks avx512f, avx512bw, avx512vl, avx512dq"), problem
    monkeypatch.setattr(provenance, "_cpuinfo", lambda: {"flags": "avx2 fma avx512f avx512bw "
                                                                  "avx512vl avx512dq"})
    assert provenance.capability_problem() is None
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if "avx512f" in flags or platform.machine() != "x86_64":
        return  # this CPU runs them: the commands would really draw
    before = tree_digest(small_golden)
    for command in (["verify"], ["record"], ["deep", "verify"], ["draw"]):
        result = run_cli(*command, "--ledger", str(small_golden), "--case", "torch:cpu:rand(5)@17",
                         env={"ATEN_CPU_CAPABILITY": "avx512"}) if command != ["draw"] else \
            run_cli("draw", "--case", "torch:cpu:rand(5)@17", env={"ATEN_CPU_CAPABILITY": "avx512"})
        assert result.returncode == 3, (command, result.stdout[-2000:], result.stderr[-2000:])
        assert "this CPU lacks avx512f" in result.stderr and "Traceback" not in result.stderr
        assert "Illegal instruction" not in result.stderr
    assert tree_digest(small_golden) == before


def test_record_missing_draws_only_what_this_machine_lacks(small_golden):
    """``record --missing`` draws only the cases whose label for this machine the ledger lacks:
    the ledger's own cases are left alone, the others recorded, and a second run records
    nothing."""
    from conftest import SMALL_CASES

    globs = ["numpy.random:*", "python.random:random()*"]
    args = ["record", "--missing", "--ledger", str(small_golden)]
    for glob in globs:
        args += ["--case", glob]
    first = run_cli(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    chosen = select(load_catalog(), globs)
    held = [c for c in chosen if c.id in SMALL_CASES]
    assert held, "the small ledger holds some of the chosen cases"
    drawn = len(chosen) - len(held)
    assert (f"--missing: {len(held)} of {len(chosen)} cases are recorded under this machine's "
            f"labels; drawing the other {drawn}") in first.stdout
    assert f"recorded {drawn} cases" in first.stdout
    second = run_cli(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{len(chosen)} of {len(chosen)} cases are recorded" in second.stdout
    assert "recorded 0 cases" in second.stdout and "nothing; 0 files written" in second.stdout
