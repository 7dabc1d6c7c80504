"""``python -m suite``: verify, record, report and list.

Exit codes: 0 conforms; 1 a conformance failure (a stream changed, or is not recorded);
2 bad input (an unreadable or malformed golden file, an unknown case, an unknown option), said
in one line naming the file and the entry; 3 an internal error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections import Counter
from pathlib import Path

from suite.core.compare import DEFAULT_ULP

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from suite.core.settings import DEFAULT_LEDGER

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ledger", default=str(DEFAULT_LEDGER), metavar="DIR",
                        help="golden ledger directory (default: %(default)s)")
    selecting = argparse.ArgumentParser(add_help=False)
    selecting.add_argument("--device", default="cpu", metavar="DEVICES",
                           help="cpu (default), cuda, cuda:N, mps, a comma list, or all")
    selecting.add_argument("--case", action="append", default=[], metavar="GLOB",
                           help="only cases whose id matches this glob (repeatable)")

    parser = _Parser(prog="python -m suite", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    verify = sub.add_parser("verify", parents=[common, selecting],
                            help="run the conformance suite (pytest) and print its report")
    verify.add_argument("--record", action="store_true",
                        help="add this environment to the ledger instead of failing")
    verify.add_argument("--ulp", type=int, default=DEFAULT_ULP, metavar="N",
                        help="differences up to N ULP are classed 'within N ULP'")
    verify.add_argument("--profile", choices=("dev", "ci", "nightly"), default=None,
                        help="Hypothesis profile for the properties (default: $RNGSUITE_"
                             "HYPOTHESIS_PROFILE, else ci under CI, else dev)")
    verify.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS",
                        help="passed to pytest after --, e.g. -- -x -k randn")
    sub.add_parser("record", parents=[common, selecting],
                   help="draw every case here and add this environment to the ledger")
    report = sub.add_parser("report", parents=[common],
                            help="print the ledger: cases x recorded environments, as markdown")
    report.add_argument("--changed", action="store_true",
                        help="only cases recorded with more than one era")
    report.add_argument("--from", dest="old", metavar="PACKAGE==VERSION",
                        help="with --to: what changes when upgrading, e.g. --from torch==2.4")
    report.add_argument("--to", dest="new", metavar="PACKAGE==VERSION",
                        help="the release upgraded to, e.g. --to torch==2.13")
    report.add_argument("--html", metavar="PATH",
                        help="also write a self-contained HTML page of the cases with several "
                             "eras to PATH")
    sub.add_parser("list", parents=[selecting], help="print the catalog's case ids")
    sub.add_parser("deep", add_help=False,
                   help="deep-stream digests: verify|record|list [--case GLOB] [--nightly]")
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
    bisect.add_argument("case", help="a case id, as python -m suite list prints it")
    bisect.add_argument("--package", required=True, choices=("torch", "numpy", "pandas"),
                        help="the package whose releases are searched")
    bisect.add_argument("--since", metavar="VERSION", help="the oldest release to consider")
    bisect.add_argument("--until", metavar="VERSION", help="the newest release to consider")
    return parser


def _verify(args: argparse.Namespace) -> int:
    import pytest

    from suite.core.settings import CONFORMANCE

    suite_dir = CONFORMANCE
    argv = [str(suite_dir), "--ledger", args.ledger, "--device", args.device,
            "--ulp", str(args.ulp), "-p", "no:cacheprovider", "-q"]
    argv += [f"--case={c}" for c in args.case]
    if args.record:
        argv.append("--record")
    if args.profile:
        argv.append(f"--hypothesis-profile={args.profile}")
    code = int(pytest.main(argv + list(args.pytest_args)))
    # pytest: 0 ok, 1 failures, 2 interrupted (our bad-input exit), 3 internal, 4 usage, 5 none.
    if code == 5:
        print("python -m suite verify: error: no test was collected", file=sys.stderr)
        return EXIT_BAD_INPUT
    return {0: EXIT_OK, 1: EXIT_FAIL, 2: EXIT_BAD_INPUT, 4: EXIT_BAD_INPUT}.get(code,
                                                                              EXIT_INTERNAL)


def _select(args: argparse.Namespace):
    from suite.core.catalog import load_catalog, select
    from suite.core.settings import resolve_devices

    devices = resolve_devices(args.device)
    cases = select(load_catalog(devices=devices), args.case)
    if args.case and not cases:
        raise LookupError(f"unknown case: no catalog case matches {', '.join(args.case)} "
                          "(python -m suite list shows them)")
    return devices, cases


def _record(args: argparse.Namespace) -> int:
    from suite.checks import engine
    from suite.checks.engine import absent_calls
    from suite.backends import registry
    from suite.core.ledger import Ledger

    devices, cases = _select(args)
    ledger = Ledger.load(Path(args.ledger))
    backends = registry(devices)
    outcomes: Counter[str] = Counter()
    skipped: dict[str, str] = {}
    absent: Counter[str] = Counter()
    conflicts = []
    for case in cases:
        backend = backends[case.backend]
        reason = backend.unavailable()
        if reason:
            skipped.setdefault(case.backend, reason)
            continue
        missing = absent_calls(backend, case)  # nothing to record for a call the release lacks
        if missing:
            absent[missing] += 1
            continue
        verdict = engine.check(case, backend, ledger)
        result = engine.record(verdict, ledger)
        outcomes[result.outcome] += 1
        if result.outcome == "conflict":
            conflicts.append(verdict.message(ledger))
    written = ledger.save()
    for backend, reason in skipped.items():
        print(f"skipped {backend}: {reason}")
    for reason, n in sorted(absent.items()):
        print(f"skipped {n} case{'s' if n > 1 else ''} of {reason}")
    for message in conflicts:
        print(f"conflict: this environment is already recorded with other values\n{message}")
    print(f"recorded {sum(outcomes.values())} cases into {ledger.root}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) + f"; {written} files written")
    return EXIT_FAIL if conflicts else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from suite.core.ledger import Ledger
    from suite.tools.report import Spec, ledger_html, ledger_tables, upgrade_markdown

    ledger = Ledger.load(Path(args.ledger))
    if bool(args.old) != bool(args.new):
        raise LookupError("--from and --to go together")
    if args.old:
        print(upgrade_markdown(ledger, Spec.parse(args.old), Spec.parse(args.new)))
    else:
        print(ledger_tables(ledger, changed_only=args.changed))
    if args.html:
        # Only cases with several eras: a page of every case and environment is too big to read.
        Path(args.html).write_text(ledger_html(ledger, changed_only=True), encoding="utf-8")
    return EXIT_OK


def _draw(args: argparse.Namespace) -> int:
    import json

    from suite.backends import registry

    devices, cases = _select(args)
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
    from suite.tools import bisect as bs
    from suite.core import provenance as prov
    from suite.backends import registry
    from suite.core.compare import compare
    from suite.core.ledger import Ledger

    case = {c.id: c for c in _select(argparse.Namespace(device="cpu", case=[]))[1]}.get(args.case)
    if case is None:
        raise LookupError(f"unknown case {args.case!r} (python -m suite list shows them)")
    backend = registry([case.device])[case.backend]
    here = prov.label(prov.environment(backend.device), backend.provenance_keys())
    split = prov.split_label(here, args.package)
    if split is None:
        raise LookupError(f"{case.backend} streams do not depend on {args.package}")
    lf = Ledger.load(Path(args.ledger)).files.get(case.backend)
    versions = bs.minor_releases(args.package, since=args.since, until=args.until)
    print(f"{args.package} releases: {', '.join(versions)}")

    def draw(version: str):
        # A release recorded here, in this machine's conditions, is read from the ledger.
        for label in (lf.environments if lf else {}):
            got = prov.split_label(label, args.package)
            if got and got[0].split("+")[0] == version and got[1] == split[1]:
                era = next((e for e in lf.cases.get(case.id, []) if label in e.environments), None)
                if era is not None:
                    print(f"  {version}: era {era.name} in the ledger")
                    return [d.values for d in era.draws]
        print(f"  {version}: installing into a temporary environment...", flush=True)
        return bs.draw_in_fresh_env(args.package, version, case.id)

    result = bs.bisect(versions, draw)
    print(f"probed {len(result.probed)} of {len(versions)} releases: {', '.join(result.probed)}")
    if result.after is None:
        print(f"{case.id}: the same draws in every release from {versions[0]} to {versions[-1]}")
        return EXIT_OK
    old, new = result.draws[result.before], result.draws[result.after]
    step = next(i for i, (a, b) in enumerate(zip(old, new)) if a.tobytes() != b.tobytes()
                or a.dtype != b.dtype or a.shape != b.shape) if len(old) == len(new) else 0
    detail = compare(old[step], new[step]).describe() if len(old) == len(new) else "draw count"
    print(f"{case.id}: first changed in {args.package} {result.after} "
          f"(after {result.before}); draw {step + 1}: {detail}")
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from suite.core.ledger import Ledger

    target = Ledger.load(Path(args.ledger))
    outcomes: Counter[str] = Counter()
    conflicts = []
    for shard in args.shards:
        for result in target.merge(Ledger.load(Path(shard))):
            outcomes[result.outcome] += 1
            if result.outcome == "conflict":
                conflicts.append(f"{shard}: {result.case_id}: this environment is already "
                                 f"recorded in era {result.era} with other values")
    written = target.save()
    for line in conflicts:
        print(f"conflict: {line}")
    print(f"merged {len(args.shards)} shards into {target.root}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) + f"; {written} files written")
    return EXIT_FAIL if conflicts else EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from suite.tools.doctor import check

    findings = check(Path(args.ledger))
    for problem in findings.problems:
        print(problem)
    print(findings.summary())
    return findings.exit_code


def _list(args: argparse.Namespace) -> int:
    _, cases = _select(args)
    for case in cases:
        print(case.id)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from suite.core.ledger import LedgerError
    from suite.core.settings import BadInput

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["deep"]:  # its own parser: python -m suite deep verify|record|list ...
        from suite.checks import deep

        return deep.main(argv[1:])
    args = _parser().parse_args(argv)
    command = {"verify": _verify, "record": _record, "report": _report, "list": _list,
               "draw": _draw, "bisect": _bisect, "merge": _merge, "doctor": _doctor}
    try:
        return command[args.command](args)
    except (LedgerError, BadInput, LookupError) as exc:
        print(f"python -m suite {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:  # a bug in rngsuite, not bad input: keep the traceback, exit 3
        traceback.print_exc()
        return EXIT_INTERNAL
