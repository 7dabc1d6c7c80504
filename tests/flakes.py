"""The flake check: run the whole suite many times, each time differently, and count failures.

    python tests/flakes.py --runs 20

Each run is ``python -m rngsuite verify --profile dev`` (random examples, not derandomized) with

* a fresh random Hypothesis seed (``--hypothesis-seed``),
* pytest-randomly switched on (``-p randomly``, which overrides pyproject's ``-p no:randomly``)
  with a fresh ``--randomly-seed``: a random test order, and Python's and NumPy's global
  generators reseeded before each test,
* pytest-xdist (``-n 2``): tests spread over worker processes, each its own interpreter,
* a fresh, empty Hypothesis example database (``HYPOTHESIS_STORAGE_DIRECTORY``), so that no run
  replays another's examples and each run is reproduced exactly by its command.

It prints one line per run (seeds, pass/fail, duration, pytest's counts), then the number of
failures, the total time and, for each failed run, the command that reproduces it. Every run's
full output is kept in the log directory. Exit status: 0 when no run failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(hypothesis_seed: int, randomly_seed: int, *, workers: int, profile: str,
            extra: list[str]) -> list[str]:
    """The verify command of one run."""
    return [sys.executable, "-m", "rngsuite", "verify", "--profile", profile, *extra, "--",
            "-n", str(workers), "-p", "randomly", f"--randomly-seed={randomly_seed}",
            f"--hypothesis-seed={hypothesis_seed}"]


def counts(output: str) -> str:
    """pytest's closing line, e.g. '5316 passed, 5 skipped, 2 warnings in 58.26s'."""
    lines = [line.strip("= ") for line in output.splitlines()
             if re.search(r"\b(passed|failed|error|errors|no tests ran)\b.* in [\d.]+s", line)]
    return lines[-1] if lines else "no pytest summary line"


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers, -n (default 2)")
    parser.add_argument("--profile", default="dev", choices=("dev", "nightly"),
                        help="Hypothesis profile: random examples (default dev)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for choosing the runs' seeds (default: random)")
    parser.add_argument("--log-dir", type=Path, default=None,
                        help="where each run's output goes (default: a new temporary directory)")
    parser.add_argument("extra", nargs="*", metavar="-- VERIFY_ARGS",
                        help="more python -m rngsuite verify options, e.g. -- --case 'torch:*'")
    args = parser.parse_args(argv)

    master = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    chooser = random.Random(master)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="rngsuite-flakes-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"flakes: {args.runs} runs of python -m rngsuite verify --profile {args.profile} "
          f"-n {args.workers}, random order; seeds chosen with --seed {master}; logs in {log_dir}",
          flush=True)

    failures: list[tuple[int, str]] = []
    started = time.monotonic()
    for i in range(1, args.runs + 1):
        hyp, order = chooser.getrandbits(32), chooser.getrandbits(32)
        argv_run = command(hyp, order, workers=args.workers, profile=args.profile,
                           extra=args.extra)
        database = log_dir / f"run-{i:02d}-hypothesis"
        env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(database)}
        t0 = time.monotonic()
        result = subprocess.run(argv_run, cwd=ROOT, env=env, capture_output=True, text=True)
        took = time.monotonic() - t0
        output = result.stdout + result.stderr
        (log_dir / f"run-{i:02d}.log").write_text(output, encoding="utf-8")
        verdict = "pass" if result.returncode == 0 else f"FAIL (exit {result.returncode})"
        print(f"run {i:2d}/{args.runs}: --hypothesis-seed={hyp} --randomly-seed={order}: "
              f"{verdict}, {took:.1f} s: {counts(output)}", flush=True)
        if result.returncode != 0:
            shown = ["python" if a == sys.executable else a for a in argv_run]
            failures.append((i, f"cd {shlex.quote(str(ROOT))} && HYPOTHESIS_STORAGE_DIRECTORY="
                                f"$(mktemp -d) {shlex.join(shown)}"))
    total = time.monotonic() - started
    print(f"flakes: {len(failures)} of {args.runs} runs failed; total {minutes(total)} "
          f"(mean {total / max(args.runs, 1):.1f} s per run)")
    for i, repro in failures:
        print(f"  run {i} failed (log {log_dir / f'run-{i:02d}.log'}); reproduce: {repro}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
