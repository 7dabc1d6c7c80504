"""From a draw to a verdict: run a case, find the era it should match, compare, explain.

Verdicts, for one case in the environment running now:

* ``conforms`` -- this environment is recorded, and the draw is bit-identical to its era;
* ``matches`` -- this environment is new to the ledger, and the draw is bit-identical to a
  recorded era (record mode adds the environment to it);
* ``changed`` -- the draw matches no era it should: the stream changed;
* ``unrecorded`` -- the ledger has no era for this case yet.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import numpy as np

from suite.core import provenance as prov
from suite.backends import Backend
from suite.core.catalog import Case
from suite.core.compare import DEFAULT_ULP, Comparison, compare
from suite.core.ledger import Era, Ledger

_RANK = {"identical": 0, "within-ulp": 1, "different": 2, "shape": 3, "dtype": 4}


@dataclass
class Verdict:
    """The outcome of checking one case against the ledger."""

    case: Case
    backend: Backend
    status: str  # conforms | matches | changed | unrecorded
    label: str
    env: dict
    era: Era | None = None  # the era matched, or the closest one when changed
    step: int | None = None  # the first step whose draw differs
    comparison: Comparison | None = None
    draws: list[np.ndarray] | None = None
    #: When a release the ledger has not seen changes a stream: the label of the newest
    #: recorded release before it, in the same other conditions (the last one that agreed).
    predecessor: str | None = None
    newest: bool = False  # the running release is newer than every recorded one

    @property
    def ok(self) -> bool:
        return self.status in ("conforms", "matches")

    def message(self, ledger: Ledger) -> str:
        """What a person needs at 3 a.m.: case, seed, versions, first difference, repro."""
        case, keys = self.case, self.backend.provenance_keys()
        seeds = ", ".join(str(s) for s in case.seeds)
        head = {"changed": "stream changed", "unrecorded": "no golden recorded",
                "matches": f"new environment, matches era {self.era and self.era.name}",
                "conforms": f"conforms to era {self.era and self.era.name}"}[self.status]
        lines = [f"{case.id}: {head}",
                 f"  seed{'s' if len(case.seeds) > 1 else ''}: {seeds}",
                 f"  running:   {prov.describe(self.env, keys)}  [{self.label}]"]
        if self.era is not None:
            envs = self.era.environments
            # The environment to name: the release an upgrade came from, else the first seen.
            shown = self.predecessor if self.predecessor in envs else envs[0]
            first = ledger.provenance(case.backend, shown)
            more = f" and {len(envs) - 1} more" if len(envs) > 1 else ""
            lines.append(f"  recorded:  era {self.era.name}, seen on "
                         f"{prov.describe(first, keys)}{more}  [{shown}{', ...' if more else ''}]")
            if self.status == "changed":
                # Which recorded condition differs says where to look: a release (an upgrade),
                # a CPU capability, or a GPU model (CUDA draws larger than one launch grid
                # follow the multiprocessor count, pytorch#143086).
                differ = [k for k in keys if str(first.get(k)) != str(self.env.get(k))]
                lines.append("  differs from the recorded environment in: "
                             + (", ".join(differ) if differ else "none (the same conditions: "
                                "the library changed under them)"))
        if self.predecessor is not None:
            release = prov.split_label(self.predecessor, self.backend.library)
            where = ("newer than every recorded release" if self.newest
                     else "not recorded before")
            lines.append(f"  last release that agreed: {self.backend.library} "
                         f"{release[0] if release else self.predecessor} (era "
                         f"{self.era and self.era.name}); the running release is {where}, "
                         f"so the stream changed after it")
        if self.comparison is not None and self.step is not None:
            step = case.steps[self.step]
            lines.append(f"  draw {self.step + 1} of {len(case.steps)} ({step}): "
                         f"{self.comparison.describe()}")
        variables = "".join(f"{k}={shlex.quote(v)} "
                            for k, v in self.backend.environment_variables().items())
        lines.append(f"  reproduce: {variables}python -c {shlex.quote(self.backend.snippet(case))}")
        lines += record_advice(self.status,
                               f"{variables}python -m suite record --case {shlex.quote(case.id)}")
        return "\n".join(lines)


def record_advice(status: str, command: str) -> list[str]:
    """The last line of a verdict: the command that records it, when recording is the fix."""
    if status == "changed":
        return [f"  if the change is expected, record it as a new era: {command}"]
    if status == "unrecorded":
        return [f"  record it: {command}"]
    return []


def _compare_era(era: Era, draws: list[np.ndarray], ledger: Ledger, case: Case, *,
                 ulp: int) -> tuple[int | None, Comparison]:
    """The first step whose draw differs from the era's, and how; (None, identical) if none."""
    if len(era.draws) != len(draws):
        return 0, Comparison("shape", expected_type=f"{len(era.draws)} draws",
                             actual_type=f"{len(draws)} draws")
    for i, (want, got) in enumerate(zip(era.draws, draws)):
        if want.matches(got):
            continue
        # compare() also classes a dtype or shape change.
        return i, compare(ledger.full(want, entry=f"case {case.id!r} era {era.name} draw {i}"),
                          got, ulp=ulp)
    return None, Comparison("identical")


def _predecessor(eras: list[Era], label: str, package: str) -> tuple[Era, str, bool] | None:
    """The era and label of the newest recorded release of ``package`` not newer than the one
    in ``label``, in the same other conditions; and whether ``label``'s release is the newest."""
    here = prov.split_label(label, package)
    mine = here and prov.release(here[0])
    if not mine:
        return None
    best, newest = None, True
    for era in eras:
        for other in era.environments:
            split = prov.split_label(other, package)
            theirs = split and split[1] == here[1] and prov.release(split[0])
            if not theirs:
                continue
            if theirs > mine:
                newest = False
            elif best is None or theirs > best[0]:
                best = (theirs, era, other)
    return (best[1], best[2], newest) if best else None


def check(case: Case, backend: Backend, ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> Verdict:
    """Draw the case here and judge it against its recorded eras."""
    env = prov.environment(backend.device)
    label = prov.label(env, backend.provenance_keys())
    draws = backend.draw(case)
    eras = ledger.eras(case.backend, case.id)
    verdict = Verdict(case, backend, "unrecorded", label, env, draws=draws)
    if not eras:
        return verdict
    results = {e.name: _compare_era(e, draws, ledger, case, ulp=ulp) for e in eras}
    home = next((e for e in eras if label in e.environments), None)
    if home is not None:
        step, comparison = results[home.name]
        verdict.era = home
        if step is None:
            verdict.status = "conforms"
        else:
            verdict.status, verdict.step, verdict.comparison = "changed", step, comparison
        return verdict
    match = next((e for e in eras if results[e.name][0] is None), None)
    if match is not None:
        verdict.status, verdict.era = "matches", match
        return verdict
    # No era matches. A release the ledger has not seen is judged against the newest recorded
    # release before it in the same conditions: that is the stream an upgrade would expect.
    found = _predecessor(eras, label, backend.library)
    if found is not None:
        verdict.status, verdict.era, verdict.predecessor, verdict.newest = "changed", *found
        verdict.step, verdict.comparison = results[found[0].name]
        return verdict
    # Otherwise explain the difference from the closest era.
    closest = min(eras, key=lambda e: (_RANK[results[e.name][1].kind],
                                       results[e.name][1].n_diff, -eras.index(e)))
    verdict.status, verdict.era = "changed", closest
    verdict.step, verdict.comparison = results[closest.name]
    return verdict


def absent_calls(backend: Backend, case: Case) -> str | None:
    """Why the installed release cannot draw this case -- a call it does not have (newer than
    it, or gone) -- or None when it has every call."""
    absent = sorted({reason for step in case.steps if (reason := backend.absent(step))})
    return f"{backend.name}: {'; '.join(absent)}" if absent else None


def record(verdict: Verdict, ledger: Ledger):
    """Add the verdict's environment and draws to the ledger (in memory)."""
    return ledger.record(verdict.case.backend, verdict.case.id, verdict.label, verdict.env,
                         verdict.draws)
