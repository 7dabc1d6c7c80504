"""Verdicts: how a draw made here stands against its recorded eras, and the message a person
reads at 3 a.m. One flow for every kind of golden -- a catalog case's draws, a deep case's
digest -- so every failure reads the same way.

Verdicts, for one case in the environment running now:

* ``conforms`` -- this environment is recorded, and the draw is bit-identical to its era;
* ``matches`` -- this environment is new to the ledger, and the draw is bit-identical to a
  recorded era (record mode adds the environment to it);
* ``changed`` -- the draw matches no era it should: the stream changed;
* ``unrecorded`` -- the ledger has no era for this case yet.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from rngsuite.core import provenance as prov
from rngsuite.core.store import Era

OK = ("conforms", "matches")


def reproduce_line(program: str, *, variables: dict[str, str] | None = None,
                   python: bool = True) -> str:
    """``reproduce: VAR=value python -c '<program>'`` (or a command, ``python=False``): the one
    line a failure ends with, for a person to paste."""
    prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in (variables or {}).items())
    return f"{prefix}python -c {shlex.quote(program)}" if python else f"{prefix}{program}"


def record_advice(status: str, command: str) -> list[str]:
    """The last line of a verdict: the command that records it, when recording is the fix."""
    if status == "changed":
        return [f"  if the change is expected, record it as a new era: {command}"]
    if status == "unrecorded":
        return [f"  record it: {command}"]
    return []


def predecessor(eras: Sequence[Era], label: str, package: str) -> tuple[Era, str, bool] | None:
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


@dataclass
class Verdict:
    """The outcome of checking one case (a catalog case or a deep case) against the ledger."""

    case: Any  # a catalog Case or a DeepCase: its id and seeds are what the message names
    backend: Any  # the Backend that drew it
    store: str  # the ledger file it is judged against: the backend's name, or ledger.DEEP
    status: str  # conforms | matches | changed | unrecorded
    label: str
    env: dict
    #: The values drawn here, as the ledger records them (arrays, or a deep Digest).
    values: Any = None
    #: The recorded environments' provenance (the store file's), to describe the era shown.
    recorded: dict = field(default_factory=dict)
    era: Era | None = None  # the era matched, or the one compared with when changed
    #: The provenance fields the label is made of: the backend's, and the conditions the case
    #: depends on (checks/conditions.py); empty means the backend's.
    keys: tuple = ()
    #: When a release the ledger has not seen changes a stream: the label of the newest
    #: recorded release before it, in the same other conditions (the last one that agreed).
    predecessor: str | None = None
    newest: bool = False  # the running release is newer than every recorded one
    #: What differs, for a person: lines after the environments (the first difference...).
    detail: list[str] = field(default_factory=list)
    step: int | None = None  # a catalog case: the first step whose draw differs
    comparison: Any = None  # ... and how (a core.compare.Comparison)
    seconds: float | None = None  # how long the draw took (deep cases say it)
    #: More to say after the seed (a deep case's window and how it was reached).
    seed_note: str = ""
    reproduce: str = ""  # the one-line program (or command) that shows the values by hand
    record_command: str = ""  # the command that records this case here

    @property
    def ok(self) -> bool:
        return self.status in OK

    @property
    def headline(self) -> str:
        """``torch:cpu:randn(5)@17: stream changed``: the case and what happened."""
        what = {"changed": "stream changed", "unrecorded": "no golden recorded",
                "matches": f"new environment, matches era {self.era and self.era.name}",
                "conforms": f"conforms to era {self.era and self.era.name}"}[self.status]
        return f"{self.case.id}: {what}"

    def summary(self) -> str:
        """One line: the headline and, when the stream changed, the first difference."""
        first = self.detail[0].strip() if self.detail else ""
        return f"{self.headline}; {first}" if first else self.headline

    def message(self) -> str:
        """What a person needs at 3 a.m.: case, seed, versions, first difference, repro."""
        case, keys = self.case, self.keys or tuple(self.backend.provenance_keys())
        # (A user's stream checked without seed= has none to name.)
        seeds = ", ".join(str(s) for s in case.seeds) or "not given"
        note = f"; {self.seed_note}" if self.seed_note else ""
        lines = [self.headline,
                 f"  seed{'s' if len(case.seeds) > 1 else ''}: {seeds}{note}",
                 f"  running:   {prov.describe(self.env, keys)}  [{self.label}]"]
        if self.era is not None:
            envs = self.era.environments
            # The environment to name: the release an upgrade came from, else the first seen.
            shown = self.predecessor if self.predecessor in envs else envs[0]
            first = self.recorded.get(shown, {})
            more = f" and {len(envs) - 1} more" if len(envs) > 1 else ""
            lines.append(f"  recorded:  era {self.era.name}, seen on "
                         f"{prov.describe(first, keys)}{more}  [{shown}{', ...' if more else ''}]")
            if self.status == "changed":
                # Which recorded condition differs says where to look: a release (an upgrade),
                # a CPU capability, or a GPU model (CUDA draws larger than one launch grid
                # follow the multiprocessor count, pytorch#143086).
                differ = [k for k in keys if str(first.get(k)) != str(self.env.get(k))]
                same = getattr(self.backend, "same_conditions", "the library changed under them")
                lines.append("  differs from the recorded environment in: "
                             + (", ".join(differ) if differ else f"none (the same conditions: "
                                f"{same})"))
        if self.predecessor is not None:
            release = prov.split_label(self.predecessor, self.backend.library)
            where = ("newer than every recorded release" if self.newest
                     else "not recorded before")
            lines.append(f"  last release that agreed: {self.backend.library} "
                         f"{release[0] if release else self.predecessor} (era "
                         f"{self.era and self.era.name}); the running release is {where}, "
                         f"so the stream changed after it")
        lines += self.detail
        lines.append(f"  reproduce: {self.reproduce}")
        lines += record_advice(self.status, self.record_command)
        return "\n".join(lines)


def judge(verdict: Verdict, eras: Sequence[Era], same: Callable[[Era], bool], *,
          closest: Callable[[Sequence[Era]], Era]) -> Verdict:
    """Set the verdict's status and era: this environment's era if it is recorded (conforms,
    or changed); else any era with the same values (matches); else, changed, judged against the
    newest recorded release before this one in the same conditions (what an upgrade expects)
    or, without one, against ``closest(eras)``; no era at all is unrecorded."""
    if not eras:
        verdict.status = "unrecorded"
        return verdict
    home = next((e for e in eras if verdict.label in e.environments), None)
    if home is not None:
        verdict.era = home
        verdict.status = "conforms" if same(home) else "changed"
        return verdict
    match = next((e for e in eras if same(e)), None)
    if match is not None:
        verdict.status, verdict.era = "matches", match
        return verdict
    verdict.status = "changed"
    found = predecessor(eras, verdict.label, verdict.backend.library)
    if found is not None:
        verdict.era, verdict.predecessor, verdict.newest = found
    else:
        verdict.era = closest(eras)
    return verdict
