"""What a run prints at its end -- the known divergences with what this run saw of each, the
coverage of the installed libraries' sampling calls, and the verdict counts -- and, under
pytest-xdist, how the workers' counts reach the controller that prints it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from rngsuite.checks.divergences import KNOWN
from rngsuite.core.provenance import installed_versions
from rngsuite.pytest_plugin.session import RUN, Run

STATUSES = ("conforms", "matches", "changed", "unrecorded")


def verdict_table(run: Run) -> Any:
    """Verdict counts per ledger file (each backend, and the deep streams), as a DataFrame."""
    import pandas as pd

    rows = Counter((v.store, v.status) for v in run.verdicts) + run.remote
    stores = sorted({s for s, _ in rows})
    table = pd.DataFrame([[rows[(s, status)] for status in STATUSES] for s in stores],
                         index=pd.Index(stores, name="backend"), columns=list(STATUSES))
    table["cases"] = table.sum(axis=1)
    return table


def divergence_table() -> Any:
    """The known divergences with what this run saw of each, as a DataFrame."""
    import pandas as pd

    stale = {r.index for r in KNOWN.stale(installed_versions())}
    rows = [{"guarantee": r.guarantee, "backends": ", ".join(r.backends),
             "condition": r.condition, "instead": r.expect,
             "seen": f"{r.matched} matched, {r.differed} differed"
                     + (" (STALE: matched nothing)" if r.index in stale else ""),
             "source": r.source} for r in KNOWN.rows]
    return pd.DataFrame(rows)


def unseen_lines(run: Run) -> list[str]:
    """Per backend whose label the ledger lacks: what was compared, what matched, which sampler
    branches the matching cases reach."""
    from rngsuite.core.catalog import load_deep
    from rngsuite.tools.evidence import branches_reached, evidence_lines

    matching = {case_id for _, _, status, case_id in run.unseen
                if status in ("matches", "conforms")}
    deep = [c for c in load_deep() if c.id in matching]
    cases = [run.catalog[c] for c in matching if c in run.catalog]
    backends = {backend for backend, _, _, _ in run.unseen}
    return evidence_lines(run.unseen, run.ledger,
                          reached=branches_reached(cases, deep, backends))


def write(terminalreporter: Any, run: Run) -> None:
    """The end of a run's output (``pytest_terminal_summary``)."""
    tr = terminalreporter
    if KNOWN.ran:
        tr.section("rngsuite known divergences")
        tr.write_line(divergence_table().to_markdown(index=False))
        for row in KNOWN.stale(installed_versions()):
            tr.write_line(f"stale known divergence: {row.guarantee} on {', '.join(row.backends)} "
                          f"({row.condition}) matched no example; is it fixed? {row.source}")
    if not run.verdicts and not run.remote:
        return
    from rngsuite.tools.coverage import coverage_table

    from rngsuite.tools.branches import branch_table

    tr.section("rngsuite coverage of the installed libraries' sampling calls")
    tr.write_line(coverage_table())
    tr.write_line("")
    tr.write_line("Sampler branches: " + branch_table().splitlines()[-1])
    tr.section("rngsuite report")
    tr.write_line(verdict_table(run).to_markdown())
    tr.write_line("")
    tr.write_line("conforms: bit-identical to this environment's recorded era; matches: a new "
                  "environment giving a recorded era's values; changed: matches no era; "
                  "unrecorded: no golden yet.")
    if run.unseen:
        tr.write_line("")
        tr.write_line("Never recorded here -- how deep the evidence is:")
        for line in unseen_lines(run):
            tr.write_line(f"  {line}")
    if run.refused:
        tr.write_line("")
        tr.write_line(f"{len(run.refused)} cases the installed releases refuse to draw (a dtype "
                      "or regime newer than them, never drawn by an older release): not judged. "
                      "First ones:")
        for line in run.refused[:5]:
            tr.write_line(f"  {line}")
    if run.record_mode:
        tr.write_line(run.recorder.summary())


def worker_output(run: Run) -> dict:
    """What an xdist worker sends the controller for the report, as plain data."""
    return {"verdicts": [[s, st, n] for (s, st), n in
                         Counter((v.store, v.status) for v in run.verdicts).items()],
            "recorded": dict(run.recorder.outcomes), "files_written": run.recorder.files_written,
            "divergences": [[r.index, r.matched, r.differed] for r in KNOWN.rows],
            "ran": [[g, b, n] for (g, b), n in KNOWN.ran.items()], "refused": run.refused,
            "unseen": [list(u) for u in run.unseen]}


class XdistReport:
    """On the xdist controller: adds each worker's verdicts, recordings and known-divergence
    tallies to the controller's own, so the terminal summary reports the whole run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get("rngsuite")
        run = self.config.stash.get(RUN, None)
        if data is None or run is None:
            return
        for store, status, n in data["verdicts"]:
            run.remote[(store, status)] += n
        run.recorder.outcomes.update(data["recorded"])
        run.recorder.files_written += data["files_written"]
        rows = {r.index: r for r in KNOWN.rows}
        for index, matched, differed in data["divergences"]:
            rows[index].matched += matched
            rows[index].differed += differed
        for guarantee, backend, n in data["ran"]:
            KNOWN.ran[(guarantee, backend)] += n
        run.refused += data.get("refused", [])
        run.unseen += [tuple(u) for u in data.get("unseen", [])]
