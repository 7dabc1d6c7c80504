"""How fast rngsuite verifies, on this machine, beside NumPy's own random test suite.

Measures (median of ``--repeat`` runs; ratios are taken within each run, then the median):

1. in process, without pytest: loading the golden ledger, ``backend.draw`` over every catalog
   case (the raw cost of drawing), and ``engine.check`` over every case (draw + compare); the
   check/draw ratio is the cost of verifying over drawing alone;
2. ``python -m suite verify --profile ci`` end to end, and its golden checks alone
   (subprocess wall time, and pytest's passed count);
3. ``python -m pytest --pyargs numpy.random`` (subprocess wall time, fewer repeats: it is slower);
4. ``--models``: the reference models against the library itself, 10**7 values of torch's CPU
   ``rand`` (float32) and ``randn`` (float64) and NumPy's MT19937 words, model/library ratio.

Run from anywhere:  python tests/benchmark.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from suite import engine  # noqa: E402
from suite.backends import registry  # noqa: E402
from suite.catalog import load_catalog  # noqa: E402
from suite.ledger import Ledger  # noqa: E402


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def in_process(repeat: int) -> dict:
    """Ledger load, draw-all and check-all times (lists of seconds), and the check/draw ratios."""
    cases = load_catalog()
    backends = registry()
    cases = [c for c in cases if backends[c.backend].unavailable() is None]
    ledger = Ledger.load(ROOT / "golden")
    verdicts = [engine.check(c, backends[c.backend], ledger) for c in cases]  # warm-up
    out = {"cases": len(cases), "not_ok": sum(not v.ok for v in verdicts),
           "load": [], "draw": [], "check": [], "ratio": []}
    for _ in range(repeat):
        load, ledger = timed(lambda: Ledger.load(ROOT / "golden"))
        draw, _ = timed(lambda: [backends[c.backend].draw(c) for c in cases])
        check, _ = timed(lambda: [engine.check(c, backends[c.backend], ledger) for c in cases])
        for key, value in (("load", load), ("draw", draw), ("check", check),
                           ("ratio", check / draw)):
            out[key].append(value)
    return out


def pytest_counts(output: str) -> dict[str, int]:
    """pytest's final tally, e.g. {'passed': 1343, 'skipped': 11}."""
    lines = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    if not lines:
        return {}
    return {k.rstrip("s") if k.startswith("error") else k: int(n)
            for n, k in re.findall(r"(\d+) (\w+)", lines[-1])}


def command(argv: list[str], repeat: int, cwd: Path) -> tuple[list[float], dict, int, str]:
    """Wall times of ``argv`` run ``repeat`` times, the last run's counts, return code, tail."""
    times, proc = [], None
    for _ in range(repeat):
        t, proc = timed(lambda: subprocess.run(argv, cwd=cwd, capture_output=True, text=True))
        times.append(t)
    output = proc.stdout + proc.stderr
    return times, pytest_counts(output), proc.returncode, output.strip().splitlines()[-1:]


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return (f"machine: {len(os.sched_getaffinity(0))} CPUs usable (nproc), "
            f"{model.group(1) if model else platform.processor() or 'unknown CPU'}, "
            f"{platform.system()} {platform.machine()}; python {platform.python_version()}, "
            f"numpy {version('numpy')}, torch {version('torch')}")


def models(repeat: int, n: int = 10**7) -> list[tuple[str, float, float]]:
    """(what, library seconds, model seconds), medians over ``repeat`` runs, same seed."""
    import numpy as np
    import torch

    from suite.reference import mt19937, torch_cpu

    def lib_rand():
        torch.manual_seed(17)
        return torch.rand(n)

    def lib_randn():
        torch.manual_seed(17)
        return torch.randn(n, dtype=torch.float64)

    pairs = [("torch rand(10**7) float32", lib_rand,
              lambda: torch_cpu.rand(17, n, dtype="float32")),
             ("torch randn(10**7) float64", lib_randn,
              lambda: torch_cpu.randn(17, n, dtype="float64")),
             ("MT19937 words, 10**7", lambda: np.random.MT19937(17).random_raw(n),
              lambda: mt19937.words(mt19937.seedseq_state(17), n))]
    out = []
    for what, lib, model in pairs:
        lib_t = median([timed(lib)[0] for _ in range(repeat)])
        model_t = median([timed(model)[0] for _ in range(repeat)])
        out.append((what, lib_t, model_t))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="runs per measurement, median reported (default %(default)s; the "
                             "numpy test suite runs min(N, 3) times)")
    parser.add_argument("--models", action="store_true",
                        help="only the reference models against the library (10**7 values)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.models:
        print(machine())
        print("\n| stream | library s | model s | model / library |\n|:--|--:|--:|--:|")
        for what, lib_t, model_t in models(args.repeat):
            print(f"| {what} | {lib_t:.3f} | {model_t:.3f} | {model_t / lib_t:.2f}x |")
        return 0

    print(machine())
    ip = in_process(args.repeat)
    n = ip["cases"]
    # The ci profile: derandomized, so every run does the same work.
    verify = command([sys.executable, "-m", "suite", "verify", "--profile", "ci"],
                     args.repeat, ROOT)
    goldens = command([sys.executable, "-m", "suite", "verify", "--", "-k", "test_golden"],
                      args.repeat, ROOT)
    with tempfile.TemporaryDirectory() as tmp:  # outside the repo: none of its pytest config
        numpy_tests = command([sys.executable, "-m", "pytest", "--pyargs", "numpy.random", "-q",
                               "-p", "no:cacheprovider"], min(args.repeat, 3), Path(tmp))

    rows = [("ledger load (in process)", median(ip["load"]), None),
            ("draw, all cases (in process)", median(ip["draw"]), n),
            ("engine.check, all cases (in process)", median(ip["check"]), n)]
    notes = [f"in process: {n} cases, {ip['not_ok']} not conforming; {args.repeat} runs"]
    for what, (times, counts, rc, tail) in (
            ("python -m suite verify --profile ci (goldens + properties)", verify),
            ("python -m suite verify -- -k test_golden (goldens only)", goldens),
            ("numpy.random test suite (pytest)", numpy_tests)):
        ran = counts.get("passed", 0) + counts.get("failed", 0)
        rows.append((what, median(times), ran or None))
        tally = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no tally"
        notes.append(f"{what}: exit {rc}, {tally}; {len(times)} runs"
                     + ("" if rc == 0 else f"; last line: {tail[0] if tail else '(none)'}"))

    print("\n| what | median s | checks | checks/s |\n|:--|--:|--:|--:|")
    for what, seconds, checks in rows:
        rate = f"{checks / seconds:,.0f}" if checks else "-"
        print(f"| {what} | {seconds:.3f} | {checks or '-'} | {rate} |")
    overhead = (median(ip["check"]) - median(ip["draw"])) / n * 1e6
    print(f"\nverification overhead: check/draw = {median(ip['ratio']):.2f}x "
          f"(median of per-run ratios; min {min(ip['ratio']):.2f}, max {max(ip['ratio']):.2f}); "
          f"{overhead:.0f} us per case over the draw")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
