"""How fast rngsuite verifies, on this machine, beside NumPy's own random test suite.

Measures (median of ``--repeat`` runs; ratios are taken within each run, then the median):

1. in process, without pytest: loading the golden ledger, ``backend.draw`` over every catalog
   case (the raw cost of drawing), and ``engine.check`` over every case (draw + compare); the
   check/draw ratio is the cost of verifying over drawing alone;
2. ``python -m rngsuite verify --profile ci`` end to end, and its golden checks alone
   (subprocess wall time, and pytest's passed count);
3. ``python -m pytest --pyargs numpy.random`` (subprocess wall time, fewer repeats: it is slower);
4. ``--models``: the reference models against the library itself, 10**7 values of torch's CPU
   ``rand`` (float32) and ``randn`` (float64) and NumPy's MT19937 words, model/library ratio;
5. ``--deep``: the deep-stream checks (``suite/checks/deep.py``): each digest's throughput on a chunk
   (sha256, blake2b, xxh3_128); for 10**8 values per backend, raw generation (the same chunked
   draw, no hashing) against the deep check (draw + XXH3-128), as a speed ratio per run, median;
   the committed nightly case ``numpy.Generator(PCG64):random_raw(10**8)@17`` checked against
   its golden; each quick deep case's verify time; and the peak memory (RSS high-water mark
   above the baseline after imports, in a fresh interpreter) of the 10**9-value check.

7. ``--trace``: a first ``rngsuite trace`` of ``examples/seeded-training`` (an empty cache
   folder each run) against running its functions in a fresh interpreter (torch's import
   included), alternating, ratio per run.

6. ``--tests``: ``python -m pytest tests`` (README command 2) and NumPy's random test suite,
   alternating, with their ratio per run; and one run of the fault table CI adds
   (``-m faults -n 2``).

Run from anywhere:  python tests/benchmark.py [--repeat N] [--models | --deep | --tests |
                                                --trace]
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
import warnings
from importlib.metadata import version
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rngsuite.backends import registry  # noqa: E402
from rngsuite.checks import engine  # noqa: E402
from rngsuite.core.catalog import DeepCase, load_catalog, load_deep, parse_deep_id  # noqa: E402
from rngsuite.core.ledger import DIGEST, Ledger  # noqa: E402

# The in-process draws run every catalog case, and torch warns about the empty ones (e.g.
# "Initializing zero-element tensors is a no-op") each time: the cases mean to draw nothing.
warnings.filterwarnings("ignore", category=UserWarning)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _drawable(backend, case) -> bool:
    """Whether the installed release draws the case (verify counts the others as refused, and
    skips a call newer than it: binomialvariate before Python 3.12)."""
    if not all(backend.supports(step) for step in case.steps):
        return False
    try:
        engine.draw(backend, case)
    except engine.Refused:
        return False
    return True


def in_process(repeat: int) -> dict:
    """Ledger load, draw-all and check-all times (lists of seconds), and the check/draw ratios."""
    cases = load_catalog()
    backends = registry()
    cases = [c for c in cases if backends[c.backend].unavailable() is None]
    ledger = Ledger.load(ROOT / "golden")
    cases = [c for c in cases if _drawable(backends[c.backend], c)]
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


def report_cases(output: str) -> int:
    """The cases a verify run judged: the sum of the report table's ``cases`` column."""
    rows = [line.split("|") for line in output.splitlines()
            if line.startswith("| ") and not line.startswith("| backend")]
    return sum(int(r[-2]) for r in rows if len(r) == 8 and r[-2].strip().isdigit())


def command(argv: list[str], repeat: int, cwd: Path,
            env: dict | None = None) -> tuple[list[float], dict, int, str]:
    """Wall times of ``argv`` run ``repeat`` times, the last run's counts, return code, tail."""
    times, proc = [], None
    full_env = {**os.environ, **(env or {})}
    for _ in range(repeat):
        t, proc = timed(lambda: subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                                               env=full_env))
        times.append(t)
    output = proc.stdout + proc.stderr
    counts = pytest_counts(output)
    if report_cases(output):
        counts["cases"] = report_cases(output)
    return times, counts, proc.returncode, output.strip().splitlines()[-1:]


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

    from rngsuite.reference import mt19937, torch_cpu

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


# -------------------------------------------------------------------------------- --deep
DEEP_BACKENDS = (("numpy.Generator(PCG64)", "random_raw"),
                 ("numpy.Generator(MT19937)", "random_raw"),
                 ("numpy.Generator(Philox)", "random_raw"), ("numpy.Generator(PCG64)", "random"),
                 ("torch:cpu", "rand"))
DEEP_RATIO_CASE = "numpy.Generator(PCG64):random_raw(10**8)@17"
DEEP_MEMORY_CASES = ("numpy.Generator(PCG64):random_raw(10**9)@17",
                     "torch:cpu:rand(10**8)@17",
                     "numpy.Generator(MT19937):random_raw[2**40:+10**6]@17")


def digest_throughput(repeat: int, chunk_bytes: int) -> list[tuple[str, float]]:
    """(algorithm, GiB/s) hashing one chunk-sized buffer 64 times, median over ``repeat``."""
    import numpy as np

    from rngsuite.checks import deep

    buf = np.random.default_rng(0).integers(0, 2**63, chunk_bytes // 8, dtype=np.uint64)
    view = deep.canonical_view(buf)
    out = []
    for algorithm in ("sha256", "blake2b", "xxh3_128"):
        def run():
            h = deep.hasher(algorithm)
            for _ in range(64):
                h.update(view)
            return h.hexdigest()
        run()
        t = median([timed(run)[0] for _ in range(repeat)])
        out.append((algorithm, 64 * chunk_bytes / t / 2**30))
    return out


def raw_generation(case, backends, chunk: int) -> None:
    """The deep check's draw without the digest: the same stream, chunks and buffer."""
    from rngsuite.checks import deep

    stream = deep.open_stream(case, backends, chunk)
    left = case.length
    while left:
        n = min(chunk, left)
        stream.draw(n)
        left -= n


def deep_speed(repeat: int, n: int = 10**8) -> list[dict]:
    """Per backend: raw generation vs deep check seconds for ``n`` values, ratio per run."""
    from rngsuite.checks import deep

    backends = registry(["cpu"])
    rows = []
    for backend, call in DEEP_BACKENDS:
        case = DeepCase(backend, call, 17, 0, n)
        warm = DeepCase(backend, call, 17, 0, 10**6)  # first calls (torch's) set things up
        raw_generation(warm, backends, deep.CHUNK)
        deep.draw(warm, backends)
        raw, checked, ratio = [], [], []
        for _ in range(repeat):  # raw and deep alternate, so both see the same machine load
            r, _ = timed(lambda: raw_generation(case, backends, deep.CHUNK))
            d, _ = timed(lambda: deep.draw(case, backends))
            raw.append(r)
            checked.append(d)
            ratio.append(r / d)
        rows.append({"case": case.id, "raw": median(raw), "deep": median(checked),
                     "ratio": median(ratio), "min": min(ratio), "max": max(ratio),
                     "bytes": n * deep.open_stream(DeepCase(backend, call, 0, 0, 1),
                                                   backends, 1).dtype.itemsize})
    return rows


def golden_check(repeat: int, case_id: str) -> tuple[float, float, float, str]:
    """The committed nightly case verified against its golden: (raw s, check s, ratio, status),
    the raw draw of the same stream alternating with it, and the median raw/check ratio."""
    from rngsuite.checks import deep

    backends = registry(["cpu"])
    goldens = Ledger.load(ROOT / "golden")
    case = parse_deep_id(case_id)
    raw, checked, status, ratio = [], [], "", []
    for _ in range(repeat):
        r, _ = timed(lambda: raw_generation(case, backends, deep.CHUNK))
        c, verdict = timed(lambda: deep.check(case, goldens, backends))
        raw.append(r)
        checked.append(c)
        ratio.append(r / c)
        status = verdict.status
    return median(raw), median(checked), median(ratio), status


def quick_cases(repeat: int) -> list[tuple[str, float, str, str]]:
    """Each quick deep case's verify time in process (median), verdict and how it started."""
    from rngsuite.checks import deep
    from rngsuite.reference import mt19937

    backends = registry(["cpu"])
    goldens = Ledger.load(ROOT / "golden")
    first, _ = timed(lambda: mt19937.power_polynomial(624))  # MT19937's phi, once per process
    out = [("(once per process: MT19937's characteristic polynomial, Berlekamp-Massey)", first,
            "-", "-")]
    for case in load_deep():
        if case.nightly:
            continue
        times, verdict = [], None
        for _ in range(repeat):
            mt19937.power_polynomial.cache_clear()  # each run computes its x**k mod phi again
            t, verdict = timed(lambda: deep.check(case, goldens, backends))
            times.append(t)
        out.append((case.id, median(times), verdict.status, verdict.seed_note))
    return out


_MEMORY_PROBE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import numpy, torch, xxhash
from rngsuite.checks import deep
from rngsuite.backends import registry
from rngsuite.core.catalog import parse_deep_id
from rngsuite.core.ledger import Ledger
backends = registry(["cpu"])
goldens = Ledger.load(sys.argv[1] + "/golden")
case = parse_deep_id(sys.argv[2])
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
try:  # reset the RSS high-water mark to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    reset = True
except OSError:
    reset = False
base, hwm0 = status("VmRSS"), status("VmHWM")
start = time.perf_counter()
verdict = deep.check(case, goldens, backends)
seconds = time.perf_counter() - start
print(json.dumps({"baseline": base, "peak": status("VmHWM"), "hwm_before": hwm0,
                  "reset": reset, "seconds": seconds, "status": verdict.status,
                  "how": verdict.seed_note}))
"""


def deep_memory(case_id: str) -> dict:
    """Peak RSS of one deep check above the baseline after imports, in a fresh interpreter."""
    import json

    proc = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(ROOT), case_id],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip())
    return json.loads(proc.stdout.strip().splitlines()[-1])


def deep_main(repeat: int) -> int:
    from rngsuite.checks import deep

    print(machine())
    chunk_bytes = deep.CHUNK * 8
    print(f"\ndigest throughput on one {chunk_bytes // 1024} KiB chunk (the deep check's), "
          f"median of {repeat}:\n\n| digest | GiB/s |\n|:--|--:|")
    for algorithm, rate in digest_throughput(repeat, chunk_bytes):
        print(f"| {algorithm} | {rate:.2f} |")

    print(f"\n10**8 values, raw generation (same chunks, no digest) vs deep check (draw + "
          f"{DIGEST}); medians of {repeat}, ratio = raw s / deep s within each run:\n")
    print("| stream | raw s | raw GiB/s | deep s | deep / raw speed (min-max) |\n"
          "|:--|--:|--:|--:|--:|")
    for row in deep_speed(repeat):
        print(f"| `{row['case']}` | {row['raw']:.3f} | {row['bytes'] / row['raw'] / 2**30:.2f} "
              f"| {row['deep']:.3f} | {row['ratio']:.2f}x ({row['min']:.2f}-{row['max']:.2f}) |")
    raw, checked, ratio, status = golden_check(repeat, DEEP_RATIO_CASE)
    print(f"\n`{DEEP_RATIO_CASE}` against golden/deep: {status}; raw {raw:.3f} s, check "
          f"{checked:.3f} s: the check runs at {ratio:.2f}x raw generation speed "
          f"(median of per-run ratios)")

    print(f"\nquick deep cases, verify in process (median of {repeat}; each run computes its "
          f"jump polynomial):\n\n| case | s | verdict | start |\n|:--|--:|:--|:--|")
    for case_id, seconds, status, how in quick_cases(repeat):
        shown = f"`{case_id}`" if status != "-" else case_id
        print(f"| {shown} | {seconds:.3f} | {status} | {how} |")

    print("\npeak memory of one check above the interpreter's baseline (fresh interpreter, "
          "numpy + torch + xxhash imported, goldens read; RSS high-water mark, reset before):"
          "\n\n| case | baseline MiB | peak above baseline MiB | s | verdict |\n"
          "|:--|--:|--:|--:|:--|")
    for case_id in DEEP_MEMORY_CASES:
        m = deep_memory(case_id)
        note = "" if m["reset"] else " (high-water mark not reset: includes import peaks)"
        print(f"| `{case_id}` | {m['baseline'] / 2**20:.1f} | "
              f"{(m['peak'] - m['baseline']) / 2**20:.1f}{note} | {m['seconds']:.2f} | "
              f"{m['status']} |")
    return 0


def tests_main(repeat: int) -> int:
    """README command 2 (``python -m pytest tests``), and the fault runs CI adds, against
    NumPy's own random test suite: wall times alternating within each run, ratios per run."""
    print(machine())
    rows: dict[str, list[float]] = {"ours": [], "faults": [], "numpy": [], "ratio": []}
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:  # outside the repo: none of its pytest config
        for _ in range(repeat):
            (ours,), counts["ours"], _, _ = command([sys.executable, "-m", "pytest", "tests",
                                                     "-q", "-p", "no:cacheprovider"], 1, ROOT)
            (numpy,), counts["numpy"], _, _ = command(
                [sys.executable, "-m", "pytest", "--pyargs", "numpy.random", "-q",
                 "-p", "no:cacheprovider"], 1, Path(tmp))
            rows["ours"].append(ours)
            rows["numpy"].append(numpy)
            rows["ratio"].append(ours / numpy)
        (faults,), counts["faults"], _, _ = command(
            [sys.executable, "-m", "pytest", "tests", "-m", "faults", "-n", "2", "-q",
             "-p", "no:cacheprovider"], 1, ROOT)
    print("\n| what | median s | tally |\n|:--|--:|:--|")
    for key, what in (("ours", "`python -m pytest tests` (README command 2)"),
                      ("numpy", "`pytest --pyargs numpy.random` (NumPy's own random tests)")):
        print(f"| {what} | {median(rows[key]):.1f} | {counts[key]} |")
    print(f"| `python -m pytest tests -m faults -n 2` (CI: the kill-rate table), one run | "
          f"{faults:.1f} | {counts['faults']} |")
    print(f"\nREADME command 2 / NumPy's random tests: {median(rows['ratio']):.1f}x (median of "
          f"per-run ratios over {repeat} runs; min {min(rows['ratio']):.1f}, max "
          f"{max(rows['ratio']):.1f})")
    return 0


#: Runs the example's declared streams once, as trace does, in a fresh interpreter.
_RUN_EXAMPLE = """
import sys, tomllib, importlib
sys.path.insert(0, ".")
for entry in tomllib.load(open("pyproject.toml", "rb"))["tool"]["rngsuite"]["streams"]:
    module, name = entry["function"].split(":")
    fn = getattr(importlib.import_module(module), name)
    for seed in entry["seeds"]:
        fn(seed)
"""


def trace_main(repeat: int) -> int:
    """A first trace of the example (empty cache) against running its functions."""
    example = ROOT / "examples" / "seeded-training"
    traced, ran, ratios = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": str(ROOT)}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "rngsuite", "trace", "--from", "torch==2.6",
                            "--to", "torch==2.7"], cwd=example, env=env, check=True,
                           capture_output=True)
            traced.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _RUN_EXAMPLE], cwd=example, check=True,
                       capture_output=True)
        ran.append(time.perf_counter() - start)
        ratios.append(traced[-1] / ran[-1])
    print(machine())
    print(f"\nexamples/seeded-training, median of {repeat} (ratio per run):\n\n"
          "| first trace, empty cache (s) | its functions + imports (s) | ratio |\n|--:|--:|--:|\n"
          f"| {median(traced):.2f} | {median(ran):.2f} | {median(ratios):.2f}x "
          f"({min(ratios):.2f}-{max(ratios):.2f}) |")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="runs per measurement, median reported (default %(default)s)")
    parser.add_argument("--models", action="store_true",
                        help="only the reference models against the library (10**7 values)")
    parser.add_argument("--tests", action="store_true",
                        help="only rngsuite's own tests (README command 2, and the fault runs) "
                             "against NumPy's own random test suite")
    parser.add_argument("--deep", action="store_true",
                        help="only the deep-stream checks: digest throughput, 10**8-value "
                             "check vs raw generation, quick cases, 10**9-value peak memory")
    parser.add_argument("--trace", action="store_true",
                        help="only a first trace of examples/seeded-training against running "
                             "its functions")
    args = parser.parse_args(argv)
    if args.trace:
        return trace_main(args.repeat)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.deep:
        return deep_main(args.repeat)
    if args.tests:
        return tests_main(args.repeat)
    if args.models:
        print(machine())
        print("\n| stream | library s | model s | model / library |\n|:--|--:|--:|--:|")
        for what, lib_t, model_t in models(args.repeat):
            print(f"| {what} | {lib_t:.3f} | {model_t:.3f} | {model_t / lib_t:.2f}x |")
        return 0

    print(machine())
    ip = in_process(args.repeat)
    n = ip["cases"]
    # The three commands alternate within each run, so that each run's ratios to NumPy's
    # tests are taken under the same load; the ci profile is derandomized, so every run does
    # the same work.
    argvs = {"verify": [sys.executable, "-m", "rngsuite", "verify", "--profile", "ci"],
             # The same without the long draws of sampler branches (issue 23's cost).
             "no-long": [sys.executable, "-m", "rngsuite", "verify", "--profile", "ci"],
             "goldens": [sys.executable, "-m", "rngsuite", "verify", "--", "-k", "test_golden"],
             "numpy": [sys.executable, "-m", "pytest", "--pyargs", "numpy.random", "-q",
                       "-p", "no:cacheprovider"]}
    runs: dict[str, tuple] = {}
    ratios: dict[str, list[float]] = {"verify": [], "goldens": [], "long": []}
    with tempfile.TemporaryDirectory() as tmp:  # NumPy's tests outside the repo: none of its
        for _ in range(args.repeat):             # pytest config
            for key, argv in argvs.items():
                (t,), counts, rc, tail = command(argv, 1, Path(tmp) if key == "numpy" else ROOT,
                                                 {"RNGSUITE_DEEP": "no-long"}
                                                 if key == "no-long" else None)
                times = runs[key][0] + [t] if key in runs else [t]
                runs[key] = (times, counts, rc if key not in runs else max(rc, runs[key][2]),
                             tail)
            n_numpy = runs["numpy"][1].get("passed", 0) + runs["numpy"][1].get("failed", 0)
            t_numpy = runs["numpy"][0][-1]
            ratios["verify"].append(runs["verify"][0][-1] / t_numpy)
            ratios["long"].append((runs["verify"][0][-1] - runs["no-long"][0][-1]) / t_numpy)
            rate = runs["goldens"][1].get("cases", 0) / runs["goldens"][0][-1]
            ratios["goldens"].append(rate / (n_numpy / t_numpy) if n_numpy else float("nan"))
    verify, goldens, numpy_tests = runs["verify"], runs["goldens"], runs["numpy"]
    no_long = runs["no-long"]

    rows = [("ledger load (in process)", median(ip["load"]), None),
            ("draw, all cases (in process)", median(ip["draw"]), n),
            ("engine.check, all cases (in process)", median(ip["check"]), n)]
    notes = [f"in process: {n} cases, {ip['not_ok']} not conforming; {args.repeat} runs"]
    for what, (times, counts, rc, tail) in (
            ("python -m rngsuite verify --profile ci (goldens + properties)", verify),
            ("RNGSUITE_DEEP=no-long python -m rngsuite verify --profile ci (no long draws)",
             no_long),
            ("python -m rngsuite verify -- -k test_golden (goldens only)", goldens),
            ("numpy.random test suite (pytest)", numpy_tests)):
        # A verify run's checks are the cases it judged (one test checks a call's cases);
        # NumPy's are its tests.
        ran = counts.get("cases") or counts.get("passed", 0) + counts.get("failed", 0)
        rows.append((what, median(times), ran or None))
        tally = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no tally"
        notes.append(f"{what}: exit {rc}, {tally}; {len(times)} runs"
                     + ("" if rc == 0 else f"; last line: {tail[0] if tail else '(none)'}"))

    print("\n| what | median s | checks | checks/s |\n|:--|--:|--:|--:|")
    for what, seconds, checks in rows:
        rate = f"{checks / seconds:,.0f}" if checks else "-"
        print(f"| {what} | {seconds:.3f} | {checks or '-'} | {rate} |")
    print(f"\nverify --profile ci / NumPy's random tests (wall): {median(ratios['verify']):.2f}x; "
          f"golden checks per second / NumPy's tests per second: "
          f"{median(ratios['goldens']):.1f}x (medians of per-run ratios over {args.repeat} "
          f"runs; verify {min(ratios['verify']):.2f}-{max(ratios['verify']):.2f}x, goldens "
          f"{min(ratios['goldens']):.1f}-{max(ratios['goldens']):.1f}x)")
    print(f"\nthe long draws of sampler branches add {median(ratios['long']):.2f}x NumPy's random "
          f"tests' wall time to verify --profile ci (median of per-run ratios; "
          f"{min(ratios['long']):.2f}-{max(ratios['long']):.2f}x)")
    overhead = (median(ip["check"]) - median(ip["draw"])) / n * 1e6
    print(f"\nverification overhead: check/draw = {median(ip['ratio']):.2f}x "
          f"(median of per-run ratios; min {min(ip['ratio']):.2f}, max {max(ip['ratio']):.2f}); "
          f"{overhead:.0f} us per case over the draw")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
