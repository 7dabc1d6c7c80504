"""From a draw to a verdict for a catalog case: draw it here, judge it against its recorded eras
(:func:`rngsuite.checks.verdict.judge`), and say what differs, draw by draw."""

from __future__ import annotations

import shlex

from rngsuite.backends import Backend
from rngsuite.checks import conditions
from rngsuite.checks.verdict import Verdict, judge, reproduce_line
from rngsuite.core import provenance as prov
from rngsuite.core.catalog import Case
from rngsuite.core.compare import DEFAULT_ULP, first_difference
from rngsuite.core.ledger import Ledger
from rngsuite.core.settings import BadInput

#: How far a comparison is from identical, to pick the closest era when none matches.
_RANK = {"identical": 0, "within-ulp": 1, "different": 2, "shape": 3, "dtype": 4}


def record_command(backend: Backend, case_id: str, *, deep: bool = False) -> str:
    """The command that records a case in this environment (its variables included)."""
    command = "python -m rngsuite deep record" if deep else "python -m rngsuite record"
    return reproduce_line(f"{command} --case {shlex.quote(case_id)}", python=False,
                          variables=backend.environment_variables())


class Refused(Exception):
    """The installed library raised drawing a case (a dtype or regime it does not take)."""

    def __init__(self, case: Case, error: BaseException) -> None:
        first = str(error).splitlines()[0] if str(error) else ""
        super().__init__(f"{type(error).__name__}: {first}")
        self.case, self.error = case, error


def draw(backend: Backend, case: Case) -> list:
    """The case's draws; :class:`Refused` when the library raises (a bad catalog row is still a
    CatalogError: that is the catalog's fault, not the library's)."""
    try:
        return backend.draw(case)
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 -- whatever the library raises
        raise Refused(case, exc) from exc


def check(case: Case, backend: Backend, ledger: Ledger, *, ulp: int = DEFAULT_ULP) -> Verdict:
    """Draw the case here and judge it against its recorded eras (:class:`Refused` when the
    library will not draw it)."""
    env = prov.environment(backend.device)
    keys = conditions.label_keys(case, backend, env)
    draws = draw(backend, case)
    verdict = judge_draws(case, backend, case.backend, draws, ledger,
                          label=prov.label(env, keys), env=env,
                          ulp=ulp, record_command=record_command(backend, case.id),
                          steps=[str(step) for step in case.steps])
    verdict.keys = keys
    if not verdict.ok:
        # Only a verdict that is shown needs its program (rendering it for every case cost
        # about as much as comparing).
        verdict.reproduce = reproduce_line(backend.snippet(case),
                                           variables=backend.environment_variables())
    return verdict


def judge_draws(case, backend, store: str, draws: list, ledger: Ledger, *, label: str,
                env: dict, ulp: int, record_command: str, steps: list[str]) -> Verdict:
    """Arrays made here (``draws``, one per step) judged against the case's recorded eras in
    ``store``: the one comparison every golden check shares -- a catalog case's draws, a
    user's stream's leaves. ``steps`` names each draw in the message."""
    recorded = ledger.file(store)
    verdict = Verdict(case, backend, store, "unrecorded", label, env, values=draws,
                      recorded=recorded.environments if recorded else {},
                      record_command=record_command)
    differences: dict[str, tuple | None] = {}

    def difference(era):
        if era.name not in differences:
            entry = f"case {case.id!r} era {era.name}"
            recorded_draws = [ledger.full(d, entry=f"{entry} draw {i}")
                              for i, d in enumerate(era.values)]
            differences[era.name] = first_difference(recorded_draws, draws, ulp=ulp)
        return differences[era.name]

    def closest(eras):
        def distance(era):
            step, comparison = difference(era)
            return _RANK[comparison.kind], comparison.n_diff, -eras.index(era)
        return min(eras, key=distance)

    judge(verdict, ledger.eras(store, case.id), lambda era: difference(era) is None,
          closest=closest)
    if verdict.status == "changed":
        step, comparison = difference(verdict.era)
        verdict.step, verdict.comparison = step, comparison
        name = steps[step] if step < len(steps) else f"draw {step + 1}"
        verdict.detail = [f"  draw {step + 1} of {len(steps)} ({name}): "
                          f"{comparison.describe()}"]
    return verdict


def label_here(backend: Backend, case: Case) -> str:
    """The case's label on this machine: the backend's fields and the case's conditions."""
    env = prov.environment(backend.device)
    return prov.label(env, conditions.label_keys(case, backend, env))


def recorded_here(ledger: Ledger, backend: Backend, case: Case, *,
                  store: str | None = None) -> bool:
    """Whether the ledger holds the case under this machine's label (``record --missing``
    draws only the cases it does not); ``store``: the ledger file (a long draw's: ``deep``)."""
    label = label_here(backend, case)
    return any(label in era.environments
               for era in ledger.eras(store or case.backend, case.id))


def absent_calls(backend: Backend, case: Case) -> str | None:
    """Why the installed release cannot draw this case -- a call it does not have (newer than
    it, or gone) -- or None when it has every call."""
    absent = sorted({reason for step in case.steps if (reason := backend.absent(step))})
    return f"{backend.name}: {'; '.join(absent)}" if absent else None


def drawn_before(ledger: Ledger, backend: Backend, case: Case) -> list[str]:
    """Releases of the backend's library, up to the installed one, that drew this case: a call
    the installed release lacks is then a removal, not a newer call."""
    installed = prov.environment(backend.device).get(backend.library)
    mine = installed and prov.release(installed)
    if not mine:
        return []
    # Releases, not builds: 2.13.0+cpu and 2.13.0+cu130 are the same release.
    found = {split[0].split("+")[0] for era in ledger.eras(case.backend, case.id)
             for label in era.environments
             if (split := prov.split_label(label, backend.library))
             and (theirs := prov.release(split[0])) and theirs <= mine}
    return sorted(found, key=prov.release)
