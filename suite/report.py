"""The ledger as tables: cases x recorded environments, each cell the era seen there."""

from __future__ import annotations

import pandas as pd

from suite.ledger import Ledger


def ledger_frame(ledger: Ledger, backend: str) -> pd.DataFrame:
    """One backend's cases (rows) x environments (columns); cells are era names."""
    lf = ledger.files[backend]
    cells = {case_id: {env: era.name for era in eras for env in era.environments}
             for case_id, eras in lf.cases.items()}
    frame = pd.DataFrame.from_dict(cells, orient="index").reindex(
        columns=sorted(lf.environments)).fillna("")
    frame.index.name = "case"
    return frame.sort_index()


def overview(ledger: Ledger) -> pd.DataFrame:
    """Per backend: cases, environments, and cases recorded with more than one era."""
    rows = []
    for backend in sorted(ledger.files):
        lf = ledger.files[backend]
        rows.append({"backend": backend, "cases": len(lf.cases),
                     "environments": len(lf.environments),
                     "cases with several eras": sum(len(e) > 1 for e in lf.cases.values())})
    return pd.DataFrame(rows).set_index("backend")


def known_divergences() -> pd.DataFrame:
    """Every known divergence row: where a guarantee does not hold, what holds instead, why."""
    from suite.divergences import KNOWN

    return pd.DataFrame([{"guarantee": r.guarantee, "backends": ", ".join(r.backends),
                          "condition": r.condition, "instead": r.expect, "why": r.note,
                          "source": r.source} for r in KNOWN.rows])


def ledger_tables(ledger: Ledger, *, changed_only: bool = False) -> str:
    """Markdown: the overview, known divergences, uncovered calls, then one cases x
    environments table per backend."""
    from suite.coverage import coverage_table

    parts = ["# rngsuite ledger", "", overview(ledger).to_markdown(), "",
             "## Known divergences", "", known_divergences().to_markdown(index=False), "",
             "## Sampling calls of the installed libraries", "", coverage_table(), ""]
    for backend in sorted(ledger.files):
        frame = ledger_frame(ledger, backend)
        if changed_only:
            frame = frame[[len(ledger.files[backend].cases[c]) > 1 for c in frame.index]]
        parts += [f"## {backend}", ""]
        parts += [frame.to_markdown() if len(frame) else "(no case with several eras)", ""]
    return "\n".join(parts)
