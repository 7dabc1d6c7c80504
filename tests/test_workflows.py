"""Tests for what runs the suite elsewhere and needs no GPU to check: the GitHub workflows (schema
and the nightly GPU runner's structure), ``python -m rngsuite gpu`` on the CPU, and tox's ``gpu`` env."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ruamel.yaml import YAML  # a dependency of check-jsonschema (the `test` extra)

from conftest import ROOT
from rngsuite import cli
from rngsuite.core.settings import EXIT_INTERNAL
from rngsuite.tools import gpu
from rngsuite.core import provenance
from rngsuite.backends import registry

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
GPU_WORKFLOW = ROOT / ".github" / "workflows" / "gpu-nightly.yml"
H100 = {"gpu": "NVIDIA H100 80GB HBM3", "gpu_sms": 132, "torch": "2.13.0+cu130",
        "cuda": "13.0", "device": "cuda", "system": "Linux", "machine": "x86_64",
        "python": "3.11.7", "numpy": "2.4.6", "cpu": "AMD EPYC 9654 96-Core Processor"}
SAFE_NAME = re.compile(r"[A-Za-z0-9._+-]+")
needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(),
                                   reason="a CUDA device is here: the no-CUDA path cannot run")


def _load(path: Path) -> dict:
    # YAML 1.2, as GitHub reads workflows: `on` stays a string key (YAML 1.1 makes it True).
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _triggers(workflow: dict) -> set[str]:
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    return set(on)


def _runs_on(job: dict) -> set[str]:
    runs_on = job["runs-on"]
    return {runs_on} if isinstance(runs_on, str) else set(runs_on)


def _commands(script: str) -> list[list[str]]:
    """Each simple command of a shell script (also inside ``bash -c '...'``), as its words."""
    script = script.replace("\\\n", " ").replace("\n", " ; ")
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands, words = [], []
    for token in lexer:
        if token and set(token) <= set(";|&()<>"):
            commands.append(words)
            words = []
        elif " " in token and "python" in token:  # a script passed as one word: bash -c '...'
            commands += _commands(token)
        else:
            words.append(token)
    return [c for c in commands + [words] if c]


def _suite(script: str, command: str) -> list[list[str]]:
    """The arguments of each ``python -m rngsuite COMMAND`` in the script, up to ``--``."""
    found = []
    for words in _commands(script):
        for i in range(len(words) - 2):
            if words[i:i + 3] == ["-m", "rngsuite", command]:
                args = words[i + 3:]
                found.append(args[:args.index("--")] if "--" in args else args)
    return found


def _options(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == name]


@pytest.fixture(scope="module")
def nightly() -> dict:
    """The GPU workflow, parsed."""
    return _load(GPU_WORKFLOW)


@pytest.fixture(scope="module")
def steps(nightly) -> list[dict]:
    """The steps of the GPU workflow's single job."""
    (job,) = nightly["jobs"].values()
    return job["steps"]


def _step(steps: list[dict], pattern: str) -> int:
    """The index of the first step whose `run` matches the pattern."""
    return next(i for i, s in enumerate(steps) if re.search(pattern, s.get("run", "")))


def _tox() -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini", encoding="utf-8")
    return config


def _tox_commands(config: configparser.ConfigParser, section: str) -> list[str]:
    return [line.strip() for line in config[section]["commands"].splitlines() if line.strip()]


# --- every workflow ------------------------------------------------------------------------------

def test_every_workflow_validates_against_the_github_workflow_schema():
    """Every .github/workflows/*.yml validates against check-jsonschema's GitHub workflow schema."""
    assert GPU_WORKFLOW in WORKFLOWS and len(WORKFLOWS) >= 2
    exe = (shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
           or shutil.which("check-jsonschema"))
    if exe is None:
        pytest.fail("check-jsonschema is not installed; it is in the `test` extra: "
                    "pip install -e '.[test]'")
    result = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_job_has_a_timeout():
    """Every job of every workflow sets timeout-minutes (a hung run must not hold a runner)."""
    for path in WORKFLOWS:
        for name, job in _load(path)["jobs"].items():
            minutes = job.get("timeout-minutes")
            assert isinstance(minutes, int) and minutes > 0, f"{path.name}: job {name}"


def test_self_hosted_jobs_never_run_for_pull_requests():
    """A workflow with a self-hosted job has no pull_request trigger: forks cannot reach it."""
    for path in WORKFLOWS:
        workflow = _load(path)
        if any("self-hosted" in _runs_on(job) for job in workflow["jobs"].values()):
            assert not {t for t in _triggers(workflow) if t.startswith("pull_request")}, path.name


# --- the nightly GPU runner ----------------------------------------------------------------------

def test_gpu_workflow_runs_only_on_schedule_and_by_hand(nightly):
    """The GPU workflow's triggers are exactly a nightly schedule and workflow_dispatch."""
    assert _triggers(nightly) == {"schedule", "workflow_dispatch"}
    (schedule,) = nightly["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "not every night"


def test_gpu_job_is_guarded_and_runs_on_the_self_hosted_gpu_runner(nightly):
    """The GPU job asks for a self-hosted gpu runner, only for upstream's schedule or dispatch."""
    for job in nightly["jobs"].values():
        assert {"self-hosted", "gpu"} <= _runs_on(job)
        guard = job["if"]
        assert "github.event.repository.fork" in guard
        assert "'schedule'" in guard and "'workflow_dispatch'" in guard
    assert nightly["permissions"] == {"contents": "read"}
    assert nightly["concurrency"]["group"] and nightly["concurrency"]["cancel-in-progress"] is False


def test_gpu_workflow_checks_cuda_before_running_the_suite(steps):
    """The fail-fast CUDA check is an unconditional step before every suite step."""
    check = _step(steps, r"-m rngsuite gpu --check")
    assert "if" not in steps[check]
    for pattern in (r"-m rngsuite gpu --shard-name", r"-m rngsuite verify", r"-m rngsuite record"):
        assert check < _step(steps, pattern), pattern
    assert _suite(steps[_step(steps, r"-m rngsuite verify")]["run"], "verify") == [
        ["--device", "cuda", "--case", "torch*", "--profile", "$PROFILE"]]


def test_gpu_workflow_uploads_the_junit_xml(nightly, steps):
    """The verify step writes JUnit XML to a path an upload-artifact step uploads, always."""
    (job,) = nightly["jobs"].values()
    verify = steps[_step(steps, r"-m rngsuite verify")]["run"]
    (junit,) = re.findall(r"--junitxml=(\S+)", verify)
    out = job["env"]["OUT"]
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    uploaded = {p.strip().replace("${{ env.OUT }}", out) for s in uploads
                for p in s["with"]["path"].splitlines() if p.strip()}
    assert junit.strip('"').replace("$OUT", out) in uploaded
    assert all("always()" in s["if"] for s in uploads)


def test_gpu_workflow_records_and_uploads_a_shard_named_after_the_gpu(steps):
    """The shard is named by python -m rngsuite gpu --shard-name, recorded even after a failed verify, and
    uploaded under `if: always()` as shard-<name> (the versions workflow's artifact pattern)."""
    named = steps[_step(steps, r"-m rngsuite gpu --shard-name")]
    assert named["id"] == "shard" and "GITHUB_OUTPUT" in named["run"]
    record = steps[_step(steps, r"-m rngsuite record")]
    assert "always()" in record["if"]
    assert record["env"]["SHARD"] == "shard/${{ steps.shard.outputs.name }}"
    assert "cp -r golden \"$SHARD\"" in record["run"]
    (args,) = _suite(record["run"], "record")
    assert _options(args, "--ledger") == ["$SHARD"] and _options(args, "--device") == ["cuda"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")
                  and s["with"]["path"] == "shard/${{ steps.shard.outputs.name }}")
    assert "always()" in upload["if"]
    assert upload["with"]["name"] == "shard-${{ steps.shard.outputs.name }}"


# --- python -m rngsuite gpu on the CPU -------------------------------------------------------

@needs_no_cuda
@pytest.mark.parametrize("option", ["--check", "--shard-name"])
def test_gpu_module_without_cuda_exits_3_in_one_line(option):
    """Without CUDA, python -m rngsuite gpu --check (and --shard-name) exits 3 with one line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "rngsuite", "gpu", option], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == EXIT_INTERNAL == 3, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("python -m rngsuite gpu: no CUDA: torch ")
    assert "torch.cuda.is_available() is False" in line


def test_shard_name_is_a_stable_filesystem_safe_string(tmp_path):
    """shard_name names a GPU, SM count and torch build safely; other fields do not move it."""
    name = gpu.shard_name(H100)
    assert name == "gpu-NVIDIA_H100_80GB_HBM3-132SM-torch-2.13.0+cu130"
    assert SAFE_NAME.fullmatch(name)
    assert gpu.shard_name(dict(reversed(list(H100.items())))) == name
    assert gpu.shard_name({**H100, "python": "3.12.1", "numpy": "1.26.4", "cpu": "other"}) == name
    assert gpu.shard_name({**H100, "gpu_sms": 114}) != name
    assert gpu.shard_name({**H100, "torch": "2.14.0+cu130"}) != name
    odd = gpu.shard_name({**H100, "gpu": " NVIDIA A100-SXM4-40GB MIG 1g.5gb / (x)\\y:z"})
    assert SAFE_NAME.fullmatch(odd) and "__" not in odd
    assert (tmp_path / odd).mkdir() is None and [p.name for p in tmp_path.iterdir()] == [odd]


def test_shard_name_is_made_of_the_cuda_ledger_label_fields():
    """Each part of the shard name is a part of the ledger label of a torch CUDA environment."""
    label = provenance.label(H100, registry(["cuda"])["torch:cuda"].provenance_keys())
    parts = gpu.shard_name(H100).removeprefix("gpu-")
    for part in ("NVIDIA_H100_80GB_HBM3", "132SM", "torch-2.13.0+cu130"):
        assert part in label.split("/") and part in parts


def test_shard_name_refuses_a_cpu_environment():
    """A provenance record without a GPU has no shard name."""
    with pytest.raises(ValueError, match="not a CUDA device"):
        gpu.shard_name({**H100, "gpu": None, "gpu_sms": None})


def _fake_cuda(monkeypatch, rand=None):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    monkeypatch.setattr(torch, "rand", rand or (lambda n, device=None: torch.zeros(n)))
    monkeypatch.setattr(provenance, "environment",
                        lambda device="cpu": {**H100, "gpu": "NVIDIA H200", "device": device})


def test_check_describes_a_working_device_and_names_its_shard(monkeypatch, capsys):
    """With a (faked) working CUDA device, --check says what it is and --shard-name prints it."""
    _fake_cuda(monkeypatch)
    assert gpu.check("cuda") == (0, "CUDA ok: cuda is NVIDIA H200, 132 SMs, compute capability "
                                    "9.0, CUDA 13.0, torch 2.13.0+cu130")
    assert cli.main(["gpu", "--shard-name"]) == 0
    assert capsys.readouterr().out == "gpu-NVIDIA_H200-132SM-torch-2.13.0+cu130\n"


def test_check_fails_in_one_line_when_a_kernel_cannot_run(monkeypatch):
    """CUDA that is there but cannot run a kernel (no kernel image for this GPU) exits 3."""
    def rand(n, device=None):
        raise RuntimeError("CUDA error: no kernel image is available for execution on the "
                           "device\nCUDA kernel errors might be asynchronously reported")

    _fake_cuda(monkeypatch, rand)
    code, message = gpu.check("cuda")
    assert code == 3 and "\n" not in message
    assert message == ("no usable CUDA on cuda: RuntimeError: CUDA error: no kernel image is "
                       "available for execution on the device")


# --- tox -e gpu ----------------------------------------------------------------------------------

def test_tox_gpu_env_checks_cuda_first_and_is_in_no_default_run():
    """tox's gpu env runs the CUDA check first, then records a named shard and verifies on
    CUDA with JUnit XML; it is in neither env_list nor a label."""
    config = _tox()
    assert "testenv:gpu" in config
    assert "gpu" not in config["tox"]["env_list"].split()
    for line in config["tox"]["labels"].splitlines():
        if "=" in line:
            label, envs = line.split("=", 1)
            assert label.strip() != "gpu" and "gpu" not in re.split(r"[\s,]+", envs), line
    commands = _tox_commands(config, "testenv:gpu")
    assert commands[0] == "python -m rngsuite gpu --check"
    script = "\n".join(commands)
    assert "shard=shard/$(python -m rngsuite gpu --shard-name)" in script
    (record,) = _suite(script, "record")
    (verify,) = _suite(script, "verify")
    assert _options(record, "--ledger") == ["$shard"]
    assert "--junitxml=" in commands[-1] and "-m rngsuite verify" in commands[-1]
    # The same CUDA cases as the nightly workflow.
    for args in (record, verify):
        assert _options(args, "--device") == ["cuda"] and _options(args, "--case") == ["torch*"]
