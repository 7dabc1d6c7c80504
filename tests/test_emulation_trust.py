"""The aarch64 eras in golden/ were recorded under QEMU user-mode emulation
(``python -m rngsuite emulate``). These tests say why they are what the architecture computes,
from the ledger alone (no emulator needed): every integer stream recorded there is x86-64's
stream of the same release, and the reference models computed here, on this CPU, give the
emulated float values bit for bit. docs/emulation.md says what emulation could still get wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rngsuite.core.ledger import Ledger
from rngsuite.tools.report import machine_rows, model_rows

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger.load(GOLDEN)


@pytest.fixture(scope="module")
def compared(ledger):
    rows = machine_rows(ledger)
    if not rows:
        pytest.skip("golden/ holds no aarch64 era recorded beside an x86-64 one")
    return rows


def _integer(ledger: Ledger, backend: str, case_id: str) -> bool:
    era = ledger.files[backend].cases[case_id][0]
    return all(ledger.full(d).dtype.kind in "iub" for d in era.values)


def test_every_integer_stream_recorded_on_aarch64_is_x86_64_s(ledger, compared):
    """Integer draws (bit streams, randint, randperm, shuffles...) are the same on both machines:
    an emulator that got an integer instruction wrong would show here."""
    # (Where a case's label carries a condition -- MKL on x86-64, none on aarch64 -- the two
    # machines run other code: those are findings, not emulation's doing.)
    integer = [r for r in compared if not r["conditioned"]
               and _integer(ledger, r["backend"], r["case"])]
    differ = [f"{r['case']} ({r['release']}, {r['condition']})" for r in integer
              if r["difference"] is not None]
    assert len(integer) >= 1000, f"only {len(integer)} integer recordings compared"
    assert not differ, f"{len(differ)} integer streams differ on aarch64: {differ[:5]}"


def test_the_reference_models_computed_here_give_the_emulated_values(ledger, compared):
    """Floats too: every reference model that names its catalog cases, computed on this
    x86-64 CPU, gives the recorded aarch64 values bit for bit wherever it models the kernels
    (torch's randn through Box-Muller with logf/sinf/cosf, rand, randperm), at NEON and SVE256;
    x86's AVX randn model is the one that does not."""
    table = model_rows(ledger)
    assert {"DEFAULT", "SVE256"} <= set(table["aarch64 kernels"]), table
    for row in table.to_dict("records"):
        modelled = row["capabilities it models"]
        if modelled == "all" or row["aarch64 kernels"].lower() in modelled.split(", "):
            assert row["holds"] == "yes", row
            assert row["recordings compared"] >= 5, row
    avx = table[table["model"] == "torch:cpu:randn(float32)"]
    assert len(avx) and (avx["holds"] != "yes").all(), avx
