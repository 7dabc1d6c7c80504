"""``python -m rngsuite`` (or ``rngsuite``): verify, record, report, and the tools.

Exit codes (``rngsuite.core.settings``): 0 conforms; 1 a conformance failure (a stream changed, is
not recorded, or a recording met a conflict); 2 bad input (an unreadable or malformed golden
file, an unknown case, option or device), said in one line naming the file and the entry;
3 rngsuite cannot run here (an internal error, with its traceback; no usable CUDA for
``gpu --check``; CPU kernels the CPU lacks; a missing requirement).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from rngsuite.core.compare import DEFAULT_ULP
from rngsuite.core.settings import (CONFORMANCE, DEFAULT_LEDGER, EXIT_BAD_INPUT, EXIT_FAIL,
                                    EXIT_INTERNAL, EXIT_OK, PACKAGED_LEDGER, PYTEST_INI,
                                    BadInput, CannotRun, missing_devices, resolve_devices)

PROG = "python -m rngsuite"


def _bounded(kind, low, high, what):
    """An argparse type: a number of ``kind`` in [low, high], else a one-line usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (low <= value <= high):  # (NaN fails both comparisons)
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} from {low:,} to {high:,}")
        return value
    parse.__name__ = what
    return parse


#: ULP distances of float64 values reach 2**64; a bound past 2**62 means "any", and Python's
#: unbounded int would otherwise reach NumPy as an overflow.
_ULP = _bounded(int, 0, 2**62, "a whole number of ULP")
#: Seconds a declared stream may run (a day at most; 0 is no timeout).
_TIMEOUT = _bounded(float, 0, 86400, "a number of seconds")


def _folder_name(text: str) -> str:
    """--ledger: a folder's name, not an empty string (which would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("'' is not a folder (name the ledger's folder)")
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ledger", default=None, metavar="DIR", type=_folder_name,
                        help="golden ledger directory (default: in a project with "
                             "[tool.rngsuite], its ledger; else the library's, "
                             f"{DEFAULT_LEDGER})")
    common.add_argument("--library", action="store_true",
                        help="the library's catalog and ledger even inside a project that "
                             "declares its own streams")
    selecting = argparse.ArgumentParser(add_help=False)
    selecting.add_argument("--device", default="cpu", metavar="DEVICES",
                           help="cpu (default), cuda, cuda:N, mps, a comma list, or all")
    selecting.add_argument("--case", action="append", default=[], metavar="GLOB",
                           help="only cases whose id matches this glob (repeatable)")
    streams = argparse.ArgumentParser(add_help=False)
    streams.add_argument("--stream", action="append", default=[], metavar="GLOB",
                         help="in a project: only its declared streams whose id matches "
                              "(repeatable), e.g. 'train:first_batch@*'")
    streams.add_argument("--timeout", type=_TIMEOUT, default=None, metavar="SECONDS",
                         help="in a project: seconds each declared stream may take before it "
                              "is a failed stream (default 120; 0: none)")

    parser = _Parser(prog=PROG, description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    verify = sub.add_parser("verify", parents=[common, selecting, streams],
                            help="run the conformance suite (pytest) and print its report; in "
                                 "a project with [tool.rngsuite], check its declared streams")
    verify.add_argument("--record", action="store_true",
                        help="add this environment to the ledger instead of failing")
    verify.add_argument("--compiled", action="store_true",
                        help="also the compiled tier: the torch.compile backends (compiling "
                             "takes seconds a call)")
    verify.add_argument("--ulp", type=_ULP, default=DEFAULT_ULP, metavar="N",
                        help="differences up to N ULP are classed 'within N ULP'")
    verify.add_argument("--profile", choices=("dev", "ci", "nightly"), default=None,
                        help="Hypothesis profile for the properties (default: $RNGSUITE_"
                             "HYPOTHESIS_PROFILE, else ci under CI, else dev)")
    verify.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS",
                        help="passed to pytest after --, e.g. -- -x -k randn")
    record = sub.add_parser("record", parents=[common, selecting, streams],
                   help="draw every case here and add this environment to the ledger (in a "
                        "project: its declared streams, into its ledger)")
    record.add_argument("--missing", action="store_true",
                        help="draw only the cases whose label for this machine's conditions "
                             "(release, CPU capability and vendor, MKL, BLAS kernels, Python) "
                             "the ledger lacks")
    report = sub.add_parser("report", parents=[common],
                            help="print the ledger: cases x recorded environments, as markdown")
    report.add_argument("--changed", action="store_true",
                        help="only cases recorded with more than one era")
    report.add_argument("--from", dest="old", metavar="PACKAGE==VERSION",
                        help="with --to: what changes when upgrading, e.g. --from torch==2.4")
    report.add_argument("--to", dest="new", metavar="PACKAGE==VERSION",
                        help="the release upgraded to, e.g. --to torch==2.13")
    report.add_argument("--trace-coverage", action="store_true",
                        help="which torch overloads tagged nondeterministic_seeded have a "
                             "catalog case that isolates them (what trace takes as evidence), "
                             "and why the others have none")
    report.add_argument("--html", metavar="PATH",
                        help="also write a self-contained HTML page of the cases with several "
                             "eras to PATH")
    report.add_argument("--findings", metavar="PATH",
                        help="write the findings page (markdown: every stream change between "
                             "recorded releases) to PATH instead of printing the ledger")
    sub.add_parser("list", parents=[selecting], help="print the catalog's case ids")
    deep = sub.add_parser("deep", parents=[common],
                          help="deep streams: digests of long draws and of windows far into a "
                               "stream (verify, record, list)")
    deep.add_argument("action", choices=("verify", "record", "list"))
    deep.add_argument("--case", action="append", default=[], metavar="GLOB",
                      help="only deep cases whose id matches (repeatable); with --case every "
                           "matching case runs, nightly or not; an id no case has (say "
                           "'numpy.Generator(PCG64):random_raw[2**50:+10**7]@3') is drawn as "
                           "given")
    deep.add_argument("--missing", action="store_true",
                      help="record: only the long draws whose label for this machine's "
                           "conditions the ledger lacks")
    deep.add_argument("--nightly", action="store_true",
                      help="without --case: the nightly tier too (cases over 10**7 values)")
    deep.add_argument("--chunk", type=_bounded(int, 1, 2**31, "a number of values"),
                      default=None, metavar="N",
                      help="values per chunk (default 65536; never changes a digest)")
    sub.add_parser("doctor", parents=[common],
                   help="check the ledger's integrity (digests, arrays, eras, provenance, "
                        "catalog) and print every problem, one line each")
    merge = sub.add_parser("merge", parents=[common],
                           help="record the environments of other ledgers (shards) into --ledger")
    merge.add_argument("shards", nargs="+", metavar="SHARD_DIR",
                       help="ledger directories written by record --ledger SHARD_DIR elsewhere")
    sub.add_parser("draw", parents=[selecting],
                   help="draw cases here and print their values as JSON (what bisect reads)")
    bisect = sub.add_parser("bisect", parents=[common],
                            help="find the first release of a package that changed a case")
    bisect.add_argument("case", help="a case id, as python -m rngsuite list prints it")
    bisect.add_argument("--package", required=True, choices=("torch", "numpy", "pandas"),
                        help="the package whose releases are searched")
    bisect.add_argument("--since", metavar="VERSION", help="the oldest release to consider")
    bisect.add_argument("--until", metavar="VERSION", help="the newest release to consider")
    bisect.add_argument("--patches", action="store_true",
                        help="every patch release, not only the newest of each minor (to name "
                             "the exact release within the minors a first bisect found)")
    gpu = sub.add_parser("gpu", help="the GPU runner's checks: is CUDA usable here (--check, "
                                     "exit 3 if not), and this GPU's shard name")
    what = gpu.add_mutually_exclusive_group(required=True)
    what.add_argument("--check", action="store_true",
                      help="exit 0 and describe the device, or exit 3 with one line: no CUDA")
    what.add_argument("--shard-name", action="store_true",
                      help="print the ledger shard name for this GPU and torch build")
    gpu.add_argument("--device", default="cuda", metavar="cuda[:N]",
                     help="the CUDA device (default: %(default)s)")
    trace = sub.add_parser("trace", help="run a function of yours once, list the random draws "
                                         "it makes, and say which an upgrade changes (--from/"
                                         "--to), from the library ledger")
    trace.add_argument("function", metavar="MODULE:FUNCTION", nargs="?",
                       help="the function to run, imported from here (or the project's folder); "
                            "without it, in a project, every stream [tool.rngsuite] declares")
    trace.add_argument("--stream", action="append", default=[], metavar="GLOB",
                       help="without FUNCTION: only the declared streams whose id matches")
    trace.add_argument("--write-index", action="store_true",
                       help="(maintainers) trace every catalog torch case and write the table "
                            "rngsuite ships for the installed torch release "
                            "(suite/data/trace_index/)")
    trace.add_argument("--timeout", type=_TIMEOUT, default=None, metavar="SECONDS",
                       help="seconds each function may take before it is a failed stream "
                            "(default 120; 0: none)")
    trace.add_argument("--seed", type=int, default=None,
                       help="call FUNCTION(SEED) (default: FUNCTION())")
    trace.add_argument("--from", dest="old", metavar="PACKAGE==VERSION",
                       help="with --to: which of the draws change across this upgrade, e.g. "
                            "--from torch==2.6 --to torch==2.7")
    trace.add_argument("--to", dest="new", metavar="PACKAGE==VERSION")
    trace.add_argument("--ledger", default=str(DEFAULT_LEDGER), metavar="DIR", type=_folder_name,
                       help="the library ledger the draws are joined with (default: %(default)s)")
    matrix = sub.add_parser("matrix", help="the version matrix from the package index: the "
                                           "environments to run, tox.ini's block, what the "
                                           "ledger lacks")
    matrix.add_argument("--index", default=None, metavar="URL",
                        help="the package index asked (PEP 691 JSON or PEP 503 HTML; default: "
                             "https://pypi.org/simple)")
    matrix.add_argument("--snapshot", metavar="FILE",
                        help="read the index's answer from FILE (written by --save) instead "
                             "of asking")
    matrix.add_argument("--save", metavar="FILE", help="write the index's answer to FILE")
    matrix.add_argument("--tox", nargs="?", const="tox.ini", metavar="TOX_INI",
                        help="write the matrix into TOX_INI's generated block (default: "
                             "tox.ini)")
    matrix.add_argument("--check", action="store_true",
                        help="list every (release, Python, CPU condition) the ledger lacks; "
                             "exit 1 when something is missing or a release is newer than "
                             "every recorded one")
    matrix.add_argument("--ledger", default=None, metavar="DIR", type=_folder_name,
                        help=f"the ledger --check reads (default: {DEFAULT_LEDGER})")
    sub.add_parser("cuda-model", parents=[common],
                   help="the Philox model of torch's CUDA kernels against every recorded CUDA "
                        "golden: the share it predicts, per case, GPU and call")
    emulate = sub.add_parser(
        "emulate", help="run an rngsuite command on aarch64 under QEMU user-mode emulation, "
                        "for one NumPy/torch pair from PyPI's aarch64 wheels (Linux x86-64 with "
                        "apt; see docs/emulation.md)")
    emulate.add_argument("--numpy", required=True, metavar="VERSION",
                         help="the NumPy release, e.g. 2.4 (its newest patch) or 2.4.6")
    emulate.add_argument("--torch", metavar="VERSION",
                         help="the torch release (default: none; torch's backends then say "
                              "they are unavailable)")
    emulate.add_argument("--cpu", default="neon", choices=("neon", "sve256"),
                         help="the emulated CPU: neon (no SVE: torch's DEFAULT kernels) or "
                              "sve256 (256-bit SVE: its SVE256 kernels) (default: %(default)s)")
    emulate.add_argument("--cache", metavar="DIR",
                         help="where the sysroot, QEMU and the wheels are kept (default: "
                              "~/.cache/rngsuite/emulate)")
    emulate.add_argument("args", nargs=argparse.REMAINDER, metavar="-- COMMAND ...",
                         help="the rngsuite command to run emulated, e.g. -- record --ledger "
                              "shards/aarch64 (default: verify)")
    return parser


# ------------------------------------------------------------------------------ the suite
#: Plugins imported before pytest starts: pytest rewrites the asserts of every module of an
#: entry-point plugin's distribution at import -- Hypothesis's 76 modules, about 1.5 s a run
#: where bytecode is not cached (PYTHONDONTWRITEBYTECODE) -- and rngsuite needs none of that.
PREIMPORTED = ("hypothesis", "xdist")

#: pytest plugins a verify leaves out. pytest's logging plugin attaches its capture handler to
#: the root logger and to every non-propagating logger for each phase of each test -- torch
#: defines hundreds of those, so it cost 1.0-1.5 s of a 12 s goldens-only run -- and no check
#: of rngsuite logs anything (its findings are verdicts, not log records). pytest-randomly,
#: where a project has it, reseeds Python's, NumPy's and torch's global generators before every
#: test: in the middle of the very streams the suite checks.
LEFT_OUT_PLUGINS = ("cacheprovider", "logging", "randomly")


def _verify(args: argparse.Namespace) -> int:
    import importlib
    import importlib.util

    import pytest

    if problem := missing_devices(resolve_devices(args.device)):
        raise CannotRun(problem)  # before pytest: skipping every case would pass
    for name in PREIMPORTED:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    # The package's own pytest settings and rootdir: run from a user's project, that project's
    # pytest configuration (addopts, conftest files, filters) must not change the suite.
    argv = [str(CONFORMANCE), "-c", str(PYTEST_INI), "--rootdir", str(PYTEST_INI.parent),
            "--ledger", args.ledger, "--device", args.device, "--ulp", str(args.ulp), "-q",
            "-W", "ignore:Module already imported so cannot be rewritten"
                  ":pytest.PytestAssertRewriteWarning"]
    for plugin in LEFT_OUT_PLUGINS:
        argv += ["-p", f"no:{plugin}"]
    argv += [f"--case={c}" for c in args.case]
    if args.record:
        argv.append("--record")
    if args.compiled:
        argv.append("--compiled")
    if args.profile:
        argv.append(f"--hypothesis-profile={args.profile}")
    code = int(pytest.main(argv + list(args.pytest_args)))
    # pytest: 0 ok, 1 failures, 2 interrupted (our bad-input exit), 3 internal, 4 usage, 5 none.
    if code == 5:
        print(f"{PROG} verify: error: no test was collected", file=sys.stderr)
        return EXIT_BAD_INPUT
    return {0: EXIT_OK, 1: EXIT_FAIL, 2: EXIT_BAD_INPUT, 4: EXIT_BAD_INPUT}.get(code,
                                                                              EXIT_INTERNAL)


def _can_draw() -> None:
    """Stop in one line, before a draw, where this machine cannot run torch's kernels."""
    from rngsuite.core.provenance import capability_problem

    if problem := capability_problem():
        raise CannotRun(problem)


def _select(args: argparse.Namespace, *, drawing: bool = True):
    """The devices and cases the options select; where they will be drawn, a device this machine
    cannot use stops the command (exit 3) rather than skipping its cases."""
    from rngsuite.core.catalog import load_catalog, select

    devices = resolve_devices(args.device)
    if drawing and (problem := missing_devices(devices)):
        raise CannotRun(problem)
    cases = select(load_catalog(devices=devices), args.case)
    if args.case and not cases:
        raise LookupError(f"unknown case: no catalog case matches {', '.join(args.case)} "
                          f"({PROG} list shows them)")
    return devices, cases


def _record(args: argparse.Namespace) -> int:
    from collections import Counter

    from rngsuite.backends import registry
    from rngsuite.checks import engine
    from rngsuite.checks.recording import Recorder
    from rngsuite.core.ledger import Ledger

    devices, cases = _select(args)
    _can_draw()
    recorder = Recorder(Ledger.load(Path(args.ledger)))
    backends = registry(devices)
    skipped: dict[str, str] = {}
    absent: Counter[str] = Counter()
    refused: list[str] = []
    removed: list[str] = []
    from rngsuite.core.progress import progress

    if args.missing:
        # Only what this machine's conditions add: cases the ledger holds under this label
        # are not drawn at all (a second run records nothing).
        everything = len(cases)
        cases = [c for c in cases if backends[c.backend].unavailable()
                 or not engine.recorded_here(recorder.ledger, backends[c.backend], c)]
        drawable = sum(not backends[c.backend].unavailable() for c in cases)
        print(f"--missing: {everything - len(cases)} of {everything} cases are recorded under "
              f"this machine's labels; drawing the other {drawable}"
              + (f" ({len(cases) - drawable} more cannot run here)" if len(cases) > drawable
                 else ""))
    for case in progress(cases, desc="recording", unit="case"):
        backend = backends[case.backend]
        reason = backend.unavailable()
        if reason:
            skipped.setdefault(case.backend, reason)
            continue
        missing = engine.absent_calls(backend, case)  # nothing to record for a missing call
        if missing:
            absent[missing] += 1
            continue
        try:
            recorder.add(engine.check(case, backend, recorder.ledger))
        except engine.Refused as exc:
            # Nothing to record: the installed release will not draw this regime. A regime an
            # older release drew is a removal, and fails as verify fails it.
            drawn = engine.drawn_before(recorder.ledger, backend, case)
            (removed if drawn else refused).append(f"{case.id}: {exc}")
    recorder.save()
    for backend, reason in skipped.items():
        print(f"skipped {backend}: {reason}")
    for reason, n in sorted(absent.items()):
        print(f"skipped {n} case{'s' if n > 1 else ''} of {reason}")
    for line in refused:
        print(f"refused by the installed release, not recorded: {line}")
    for line in removed:
        print(f"refused, yet drawn by an older release (removed in this one?): {line}")
    for message in recorder.conflicts:
        print(f"conflict: {message}")
    print(recorder.summary())
    return EXIT_FAIL if recorder.conflicts or removed else EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from rngsuite.checks.recording import Recorder
    from rngsuite.core.ledger import Ledger

    recorder = Recorder(Ledger.load(Path(args.ledger)))
    conflicts = []
    for shard in args.shards:
        for result in recorder.ledger.merge(Ledger.load(Path(shard))):
            recorder.count(result)
            if result.outcome == "conflict":
                conflicts.append(f"{shard}: {result.case_id}: this environment is already "
                                 f"recorded in era {result.era} with other values")
    recorder.save()
    for line in conflicts:
        print(f"conflict: {line}")
    print(f"merged {len(args.shards)} shards: {recorder.summary()}")
    return EXIT_FAIL if conflicts else EXIT_OK


def _deep(args: argparse.Namespace) -> int:
    from rngsuite.backends import registry
    from rngsuite.checks import deep
    from rngsuite.checks.recording import Recorder
    from rngsuite.core.catalog import load_deep, parse_deep_id, select
    from rngsuite.core.ledger import Ledger

    catalog = load_deep()
    cases = select(catalog, args.case)
    for glob in args.case:  # an id outside the catalog is a case too: any window, ad hoc
        if not select(catalog, [glob]):
            try:
                cases.append(parse_deep_id(glob))
            except BadInput:
                pass
    if args.case and not cases:
        raise LookupError(f"unknown case: no deep case matches {', '.join(args.case)} "
                          f"({PROG} deep list shows them)")
    if not args.case and not args.nightly:
        cases = [c for c in cases if not c.nightly]
    if args.chunk is not None and args.chunk < 1:
        raise LookupError("--chunk must be at least 1")
    if args.missing and args.action != "record":
        raise BadInput(f"--missing goes with deep record, not deep {args.action}")
    if args.action == "list":
        for case in cases:
            print(case.id + ("  [nightly]" if case.nightly else ""))
        return EXIT_OK
    _can_draw()
    backends = registry(["cpu"])
    recorder = Recorder(Ledger.load(Path(args.ledger)))
    if args.missing:
        from rngsuite.checks import engine
        from rngsuite.core.ledger import DEEP

        everything = len(cases)
        cases = [c for c in cases if c.backend not in backends or not engine.recorded_here(
            recorder.ledger, backends[c.backend], c, store=DEEP)]
        print(f"--missing: {everything - len(cases)} of {everything} deep cases are recorded "
              f"under this machine's labels; drawing the other {len(cases)}")
    failed, runnable = 0, 0
    for case in cases:
        backend = backends.get(case.backend)
        reason = deep.absent(case, backend) if backend else f"unknown backend {case.backend!r}"
        if reason:
            print(f"skipped {case.id}: {reason}")
            continue
        runnable += 1
        verdict = deep.check(case, recorder.ledger, backends, chunk=args.chunk or deep.CHUNK)
        rate = case.length / verdict.seconds / 1e6 if verdict.seconds else float("inf")
        where = f"; {verdict.seed_note}" if case.start else ""  # how its start was reached
        print(f"{verdict.status:10} {case.id}  ({verdict.seconds:.2f} s, {rate:.0f} M values/s"
              f"{where})", flush=True)
        if args.action == "record":
            result = recorder.add(verdict)
            print(f"{'':10} {result.outcome} era {result.era}")
        elif not verdict.ok:
            failed += 1
            print(verdict.message())
    if args.action == "record":
        recorder.save()
        for message in recorder.conflicts:
            print(f"conflict: {message}")
        print(recorder.summary())
        return EXIT_FAIL if recorder.conflicts else EXIT_OK
    print(f"{runnable - failed} of {runnable} deep cases conform"
          + (f"; {failed} failed" if failed else ""))
    return EXIT_FAIL if failed else EXIT_OK


# ------------------------------------------------------------------------------ the tools
def _report(args: argparse.Namespace) -> int:
    from rngsuite.core.ledger import Ledger
    from rngsuite.tools.ledger_page import ledger_html
    from rngsuite.tools.report import findings_markdown, ledger_tables, upgrade_markdown

    from rngsuite.tools.report import only_releases

    html_to, findings_to = _output(args.html, "--html"), _output(args.findings, "--findings")
    old, new = _upgrade(args)
    if args.trace_coverage:
        from rngsuite.backends import registry
        from rngsuite.core.catalog import load_catalog
        from rngsuite.tools import trace

        cases = trace.torch_cases(load_catalog(devices=["cpu"]))
        frame = trace.coverage(trace.cached_torch_index(cases, registry(["cpu"])))
        print(trace.coverage_markdown(frame), end="")
        return EXIT_FAIL if frame["status"].str.startswith(("STALE", "no isolating")).any() \
            else EXIT_OK
    ledger = Ledger.load(Path(args.ledger))
    # --from/--to narrow the pages too: the page of an upgrade shows those two releases.
    pages = only_releases(ledger, old.package, (old, new)) if old else ledger
    if old is not None:
        print(upgrade_markdown(ledger, old, new))
    elif not findings_to:
        print(ledger_tables(ledger, changed_only=args.changed, library=args.project is None))
    if findings_to:
        _write(findings_to, findings_markdown(pages), "--findings")
    if html_to:
        _write(html_to, ledger_html(pages), "--html")
    return EXIT_OK


def _upgrade(args: argparse.Namespace):
    """``--from``/``--to`` as two release specs of one package, or (None, None)."""
    from rngsuite.tools.report import Spec

    if (args.old is None) != (args.new is None):
        raise LookupError("--from and --to go together")
    if args.old is None:
        return None, None
    old, new = Spec.parse(args.old), Spec.parse(args.new)
    if old.package != new.package:
        raise LookupError(f"--from {old.package} and --to {new.package} name different packages")
    return old, new


def _output(path: str | None, option: str) -> Path | None:
    """A file an option names for writing, checked before any work: its folder exists and it
    is not a folder itself (one line, exit 2, rather than a traceback after the work)."""
    if path is None:
        return None
    target = Path(path)
    if not path:
        raise BadInput(f"{option} '': name a file to write")
    if target.is_dir():
        raise BadInput(f"{option} {path!r}: is a directory; name a file to write")
    if not target.parent.is_dir():
        raise BadInput(f"{option} {path}: the folder {target.parent} does not exist")
    return target


def _write(target: Path, text: str, option: str) -> None:
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{option} {target}: cannot be written ({exc.strerror or exc})") from None


def _draw(args: argparse.Namespace) -> int:
    from rngsuite.backends import registry

    devices, cases = _select(args)
    _can_draw()
    backends = registry(devices)
    out = []
    for case in cases:
        backend = backends[case.backend]
        if backend.unavailable() is None:
            out.append({"case": case.id, "draws": [
                {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.reshape(-1).tolist()}
                for a in backend.draw(case)]})
    print(json.dumps(out))
    return EXIT_OK


def _bisect(args: argparse.Namespace) -> int:
    from rngsuite.backends import registry
    from rngsuite.core import provenance as prov
    from rngsuite.core.compare import first_difference
    from rngsuite.core.ledger import Ledger
    from rngsuite.tools import bisect as bs

    case = {c.id: c for c in _select(argparse.Namespace(device="cpu", case=[]))[1]}.get(args.case)
    if case is None:
        raise LookupError(f"unknown case {args.case!r} ({PROG} list shows them)")
    backend = registry([case.device])[case.backend]
    here = prov.label(prov.environment(backend.device), backend.provenance_keys())
    split = prov.split_label(here, args.package)
    if split is None:
        raise LookupError(f"{case.backend} streams do not depend on {args.package}")
    lf = Ledger.load(Path(args.ledger)).files.get(case.backend)
    bs.check_range(since=args.since, until=args.until)
    versions = bs.releases(args.package, since=args.since, until=args.until,
                           patches=args.patches)
    if len(versions) < 2:
        raise BadInput(f"--since {args.since} --until {args.until}: {len(versions)} "
                       f"{args.package} release{'s' if len(versions) != 1 else ''} in that range "
                       f"({', '.join(versions) or 'none'}); a bisect needs two")
    recorded_here = {prov.split_label(lab, args.package)[0].split("+")[0]
                     for lab in (lf.environments if lf else {})
                     if (prov.split_label(lab, args.package) or ("", ""))[1] == split[1]}
    unrecorded = [v for v in versions if v not in recorded_here]
    if unrecorded:
        # Each unrecorded release is a fresh install (a minute or more, GBs of cache): say why.
        print(f"this machine's conditions ({split[1]}) are recorded for "
              f"{len(versions) - len(unrecorded)} of these {len(versions)} releases; a probe of "
              f"any other installs it into a temporary environment "
              f"({', '.join(unrecorded[:6])}{' ...' if len(unrecorded) > 6 else ''})")
    print(f"{args.package} releases: {', '.join(versions)}")
    from rngsuite.core.progress import Bar

    # A bisect probes about log2(n) + 2 releases; each install takes a minute or more.
    bar = Bar(desc=f"bisecting {args.package}", total=max(1, len(versions)).bit_length() + 2,
              unit="probe")

    def draw(version: str):
        # A release recorded here, in this machine's conditions, is read from the ledger.
        for label in (lf.environments if lf else {}):
            got = prov.split_label(label, args.package)
            if got and got[0].split("+")[0] == version and got[1] == split[1]:
                era = next((e for e in lf.cases.get(case.id, []) if label in e.environments), None)
                if era is not None:
                    print(f"  {version}: era {era.name} in the ledger")
                    return [d.values for d in era.values]
        print(f"  {version}: installing into a temporary environment...", flush=True)
        bar.describe(f"installing and probing {args.package} {version}")
        try:
            return bs.draw_in_fresh_env(args.package, version, case.id)
        finally:
            bar.update()

    result = bs.bisect(versions, draw)
    bar.close()
    print(f"probed {len(result.probed)} of {len(versions)} releases: {', '.join(result.probed)}")
    if result.after is None:
        print(f"{case.id}: the same draws in every release from {versions[0]} to {versions[-1]}")
        return EXIT_OK
    step, comparison = first_difference(result.draws[result.before], result.draws[result.after])
    print(f"{case.id}: first changed in {args.package} {result.after} "
          f"(after {result.before}); draw {step + 1}: {comparison.describe()}")
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from rngsuite.tools.doctor import check

    findings = check(Path(args.ledger))
    for line in findings.lines():
        print(line)
    print(findings.summary())
    return findings.exit_code


def _list(args: argparse.Namespace) -> int:
    _, cases = _select(args, drawing=False)
    for case in cases:
        print(case.id)
    return EXIT_OK


def _gpu(args: argparse.Namespace) -> int:
    from rngsuite.core import provenance
    from rngsuite.tools import gpu

    if args.device.split(":")[0] != "cuda":
        raise LookupError(f"--device {args.device!r} is not cuda or cuda:N")
    code, message = gpu.check(args.device)
    if code:
        print(f"{PROG} gpu: {message}", file=sys.stderr)
        return code
    print(gpu.shard_name(provenance.environment(args.device)) if args.shard_name else message)
    return EXIT_OK


def _cuda_model(args: argparse.Namespace) -> int:
    import pandas as pd

    from rngsuite.checks import cuda_goldens
    from rngsuite.core.catalog import load_catalog
    from rngsuite.core.ledger import Ledger

    rows = cuda_goldens.table(Ledger.load(Path(args.ledger)), load_catalog(devices=["cuda"]))
    if not rows:
        print(f"{args.ledger}: no CUDA golden of a modelled call recorded yet")
        return EXIT_OK
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4f"))
    return EXIT_OK


def _trace(args: argparse.Namespace) -> int:
    import contextlib

    from rngsuite.backends import registry
    from rngsuite.core.catalog import load_catalog
    from rngsuite.core.ledger import Ledger
    from rngsuite.tools import project as proj
    from rngsuite.tools import trace

    old, new = _upgrade(args)
    if args.write_index:
        torch_cases = trace.torch_cases(load_catalog(devices=["cpu"]))
        print(f"wrote {trace.write_index(torch_cases, registry(['cpu']))}")
        return EXIT_OK
    found = proj.find(Path.cwd())
    here = proj.load(found) if found else proj.Project(Path.cwd(), Path.cwd(), (),
                                                      Path.cwd() / proj.CONFIG)
    if args.function is None:
        if not found:
            raise LookupError("no MODULE:FUNCTION given, and no pyproject.toml with "
                              f"[tool.rngsuite] streams here or above {Path.cwd()}")
        runs = [(run, True) for run in proj.runs(here, args.stream)]
    else:
        if args.function.count(":") != 1 or not all(args.function.split(":")):
            raise LookupError(f"{args.function!r} is not MODULE:FUNCTION")
        seed = args.seed if args.seed is not None else 0
        runs = [(proj.Run(proj.Declared(args.function, (seed,)), seed, None),
                 args.seed is not None)]
    ledger = Ledger.load(Path(args.ledger))
    timeout = proj.DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    traced, failed = [], []
    with proj.importable(here):
        for run, seeded in runs:
            try:
                fn = proj.function(run)
                # What the user's code prints goes to stderr: stdout is the report.
                with contextlib.redirect_stdout(sys.stderr):
                    traced.append((run, seeded, trace.run_traced(
                        lambda: proj.call(run, fn=fn, seeded=seeded, timeout=timeout))))
            except proj.StreamFailed as exc:
                if args.function is not None:  # the one function asked for: bad input
                    raise BadInput(str(exc)) from None
                failed.append(str(exc))  # one declared stream fails; the others are traced
    cases = load_catalog(devices=["cpu"])
    torch_index = {}
    if any(d.library == "torch" for _, _, t in traced for d in t.draws):
        torch_index = trace.cached_torch_index(
            trace.torch_cases(cases),
            registry(["cpu"]))
    upgrade = f", {old.package} {old.version} -> {new.version}" if old else ""
    out, summary = [], []
    for run, seeded, t in traced:
        frame, notes = trace.report(t, ledger, cases, torch_index, old=old, new=new)
        name = run.id if seeded else f"{run.declared.function}()"
        out.append(trace.markdown(frame, notes, f"{name}: {sum(t.draws.values())} random "
                                                 f"draws of {len(t.draws)} kinds{upgrade}"))
        if old is not None:
            verdict, deciding = trace.prediction(frame)
            summary.append(f"| {name} | {verdict} | {'; '.join(deciding)} |")
    if summary:  # the verdict first, one line a stream (a single function too)
        print(f"# {here.config}: what the upgrade does to each stream{upgrade}\n\n"
              "| stream | prediction | draws that decide it |\n|:--|:--|:--|\n"
              + "\n".join(summary) + "\n")
    print("\n".join(out), end="")
    for line in failed:
        print(f"FAILED {line}")
    return EXIT_FAIL if failed else EXIT_OK


def _emulate(args: argparse.Namespace) -> int:
    from rngsuite.tools import emulate

    rest = args.args[1:] if args.args[:1] == ["--"] else args.args
    plan = emulate.Plan(Path(args.cache) if args.cache else emulate.DEFAULT_CACHE, args.numpy,
                        None if args.torch in (None, "none") else args.torch, args.cpu)
    return emulate.run(plan, rest or ["verify"])


def _matrix(args: argparse.Namespace) -> int:
    from rngsuite.core.ledger import Ledger
    from rngsuite.tools import matrix

    save_to = _output(args.save, "--save")
    rules = matrix.load_rules()
    if args.snapshot:
        snap = matrix.Snapshot.read(Path(args.snapshot))
    else:
        try:
            snap = matrix.take_snapshot(rules, index=args.index or matrix.PYPI)
        except OSError as exc:  # urllib's URLError is an OSError
            raise CannotRun(f"cannot ask the index {args.index or matrix.PYPI}: {exc}") from None
    if save_to:
        _write(save_to, snap.to_json(), "--save")
    envs = matrix.environments(rules, snap)
    if args.tox:
        changed = matrix.write_tox(Path(args.tox), matrix.tox_block(rules, envs))
        print(f"{args.tox}: {'written' if changed else 'unchanged'} ({len(envs)} environments)")
    if not args.check:
        if not args.tox:
            print(matrix.render(envs))
        return EXIT_OK
    from rngsuite.backends import registry

    tiers = {name: backend.tier for name, backend in registry(["cpu"]).items()}
    recorded = matrix.Recorded.of(Ledger.load(Path(args.ledger)), rules, tiers=tiers)
    result = matrix.check(rules, snap, recorded)
    print(matrix.render_check(result, snap))
    return EXIT_OK if result.ok else EXIT_FAIL


COMMANDS = {"verify": _verify, "record": _record, "report": _report, "list": _list,
            "deep": _deep, "draw": _draw, "bisect": _bisect, "merge": _merge,
            "doctor": _doctor, "gpu": _gpu, "cuda-model": _cuda_model, "trace": _trace,
            "emulate": _emulate, "matrix": _matrix}


#: The commands that write into --ledger.
WRITING = ("record", "merge")


def _resolve(args: argparse.Namespace):
    """The project the command runs in (None: the library's catalog), and ``args.ledger``
    resolved: the project's ledger in a project with ``[tool.rngsuite]``, else the library's.
    The library ledger a wheel carries is read-only: recording into it is refused."""
    from rngsuite.tools import project as proj

    found = None if getattr(args, "library", True) else proj.find(Path.cwd())
    project = proj.load(found) if found else None
    if hasattr(args, "ledger") and args.ledger is None:
        args.ledger = str(project.ledger if project else DEFAULT_LEDGER)
    writing = args.command in WRITING or getattr(args, "record", False) or (
        args.command == "deep" and args.action == "record")
    if writing and Path(args.ledger).resolve() == PACKAGED_LEDGER.resolve():
        raise BadInput(f"--ledger {args.ledger}: the ledger installed with rngsuite is "
                       "read-only (an upgrade replaces it); record into a folder of your own: "
                       "--ledger DIR")
    if writing:
        from rngsuite.core.store import writable

        writable(Path(args.ledger))  # before any draw: a read-only ledger is one line
    if project is None and getattr(args, "stream", None) and args.command != "trace":
        # (trace finds its project itself: it has no --library to say "not the project's")
        raise BadInput("--stream: no pyproject.toml with [tool.rngsuite] here or above "
                       f"{Path.cwd()} (docs/using.md)")
    return project


def _streams(args: argparse.Namespace, project, *, record: bool) -> int:
    """verify/record in a project: its declared streams against its own ledger. Every stream
    is called and judged before anything is written; a failed stream (it raised, exited, timed
    out, or returned what cannot be stored) is named and the others go on, exit 1."""
    from collections import Counter

    from rngsuite.checks import streams
    from rngsuite.checks.recording import Recorder
    from rngsuite.core.ledger import Ledger
    from rngsuite.tools import project as proj
    from rngsuite.core.progress import progress

    chosen = proj.runs(project, args.stream)
    ledger = Ledger.load(Path(args.ledger), missing_ok=True)
    timeout = proj.DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    verdicts, failed = [], []
    with proj.importable(project):
        for run in progress(chosen, desc="streams", unit="stream"):
            source = streams.Source(library=run.declared.library, device=run.device or "cpu")
            try:
                value = proj.call(run, timeout=timeout)
                verdicts.append(streams.check(run.stream(), value, ledger, source=source))
            except (proj.StreamFailed, streams.Unstorable) as exc:
                # One stream's failure is that stream's: the others are still checked, and
                # recorded -- nothing of the run is lost to it.
                failed.append(str(exc))
    for line in failed:
        print(f"FAILED {line}")
    if record:
        recorder = Recorder(ledger)
        for verdict in verdicts:
            recorder.add(verdict)
        recorder.save()
        for message in recorder.conflicts:
            print(f"conflict: {message}")
        print(recorder.summary() + (f"; {len(failed)} failed stream{'s' if len(failed) > 1 else ''}"
                                    ", not recorded" if failed else ""))
        return EXIT_FAIL if recorder.conflicts or failed else EXIT_OK
    for verdict in verdicts:
        print(verdict.summary() if verdict.ok else verdict.message())
    tally = Counter(v.status for v in verdicts)
    if failed:
        tally["failed"] = len(failed)
    print(f"{len(verdicts) + len(failed)} streams of {project.config} against {args.ledger}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(tally.items())))
    return EXIT_OK if all(v.ok for v in verdicts) and not failed else EXIT_FAIL


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    where = f"{PROG} {args.command}" + (f" {args.action}" if args.command == "deep" else "")
    try:
        project = args.project = _resolve(args)
        if project is not None and args.command in ("verify", "record"):
            if not project.streams:
                raise BadInput(f"{project.config}: [tool.rngsuite] declares no streams "
                               "([[tool.rngsuite.streams]]): nothing to check (the library's "
                               "suite: --library; the rng_golden fixture: pytest)")
            return _streams(args, project, record=args.command == "record" or args.record)
        return COMMANDS[args.command](args)
    except (BadInput, LookupError) as exc:
        print(f"{where}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (CannotRun, ModuleNotFoundError) as exc:  # this machine, or a missing requirement
        print(f"{where}: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:  # `| head` closed the output: not an error of rngsuite's
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    except Exception:  # a bug in rngsuite, not bad input: keep the traceback, exit 3
        traceback.print_exc()
        return EXIT_INTERNAL
