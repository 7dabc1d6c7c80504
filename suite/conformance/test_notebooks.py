"""The seed notebooks' printed values still hold, live and in the ledger."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from rngsuite.pytest_plugin import assertions as ph
from rngsuite.core.catalog import Case, load_catalog
from rngsuite.core.settings import DATA

NOTEBOOKS = tomllib.loads((DATA / "notebooks.toml").read_text())


def _case(rngsuite, case_id: str) -> Case:
    """The catalog case with this id; the notebooks' streams must stay in the catalog."""
    case = rngsuite.catalog.get(case_id)
    if case is None:
        on_cpu = {c.id for c in load_catalog(devices=("cpu",))}
        if case_id in on_cpu and "cpu" not in rngsuite.devices:
            pytest.skip(f"{case_id} is a CPU case; this run's devices are "
                        f"{', '.join(rngsuite.devices)}")
        pytest.fail(f"{case_id} is not in suite/data/catalog.toml")
    if case not in rngsuite.cases:
        pytest.skip(f"{case_id} is not among the selected cases (--case)")
    return case


def _agrees(draws: list[np.ndarray], printed: list[list[float]], decimals: int) -> None:
    """Each draw rounds to the printed value: |drawn - printed| <= half a unit of the last digit."""
    assert len(draws) == len(printed)
    half = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
    for drawn, shown in zip(draws, printed):
        np.testing.assert_allclose(drawn.astype(np.float64), shown, rtol=0, atol=half)


def _backend(rngsuite, case: Case):
    backend = rngsuite.backends.get(case.backend)
    if backend is None or backend.unavailable():
        pytest.skip(f"{case.backend}: {backend.unavailable() if backend else 'not selected'}")
    return backend


@pytest.mark.parametrize("entry", NOTEBOOKS["printed"], ids=lambda e: e["case"])
def test_printed_values_still_drawn(entry, rngsuite):
    """The library still draws what the notebook printed, to the digits it printed."""
    case = _case(rngsuite, entry["case"])
    _agrees(_backend(rngsuite, case).draw(case), entry["values"], entry["decimals"])


@pytest.mark.parametrize("entry", NOTEBOOKS["printed"], ids=lambda e: e["case"])
def test_printed_values_in_ledger(entry, rngsuite):
    """Every recorded era of a notebook case agrees with the printed values."""
    case = _case(rngsuite, entry["case"])
    eras = rngsuite.ledger.eras(case.backend, case.id)
    if not eras:
        pytest.fail(f"{case.id} is not in the ledger: run python -m rngsuite record")
    for era in eras:
        _agrees([rngsuite.ledger.full(d) for d in era.values], entry["values"], entry["decimals"])


@pytest.mark.parametrize("entry", NOTEBOOKS["reseed"], ids=lambda e: e["reseeded"])
def test_reseed_before_each_draw(entry, rngsuite):
    """Without a reseed two draws differ everywhere; reseeding before each makes them equal."""
    continued = _case(rngsuite, entry["continued"])
    reseeded = _case(rngsuite, entry["reseeded"])
    backend = _backend(rngsuite, reseeded)
    first, second = backend.draw(continued)
    assert (first != second).all()
    ph.assert_identical(backend.draw(reseeded)[0], backend.draw(reseeded)[0],
                        f"{reseeded.id}: reseeding did not reproduce the draw")
