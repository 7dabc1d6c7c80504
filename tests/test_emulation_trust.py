"""The aarch64 eras in golden/ were recorded under QEMU user-mode emulation
(``python -m rngsuite emulate``). These tests say why they are what the architecture computes,
from the ledger alone (no emulator needed): every integer stream recorded there is x86-64's
stream of the same release, and the reference models computed here, on this CPU, give the
emulated float values bit for bit. docs/emulation.md says what emulation could still get wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from packaging.specifiers import SpecifierSet

from rngsuite.core import provenance as prov
from rngsuite.core.ledger import Ledger
from rngsuite.reference import models
from rngsuite.tools.report import machine_rows

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


#: Catalog cases a reference model draws: (call pattern, model name).
_MODELLED = [(r"rand\((\d+)\)", "torch:cpu:rand(float32)"),
             (r"rand\((\d+),dtype=float64\)", "torch:cpu:rand(float64)"),
             (r"randn\((\d+)\)", "torch:cpu:randn(float32)[default]"),
             (r"randn\((\d+),dtype=float64\)", "torch:cpu:randn(float64)"),
             (r"randperm\((\d+)\)", "torch:cpu:randperm")]


def test_the_reference_models_computed_here_give_the_emulated_values(ledger, compared):
    """Floats too: torch's randn (Box-Muller with logf/sinf/cosf) and rand recorded on the
    emulated aarch64 CPUs equal the models computed on this x86-64 CPU, bit for bit."""
    by_name = {m.name: m for m in models()}
    checked: dict[tuple[str, str], int] = {}
    for backend in ("torch:cpu", "torch.Generator:cpu"):
        for case_id, eras in ledger.files[backend].cases.items():
            body, _, seed = case_id[len(backend) + 1:].rpartition("@")
            for pattern, name in _MODELLED:
                match = re.fullmatch(pattern, body)
                if not match or not seed.isdigit():
                    continue
                want = np.asarray(by_name[name].model(int(seed), int(match.group(1)))).ravel()
                for era in eras:
                    for label in era.environments:
                        release = prov.release(label.split("/")[0].partition("-")[2])
                        if not label.endswith("/aarch64") or release not in SpecifierSet(
                                by_name[name].versions):
                            continue
                        got = ledger.full(era.values[0]).ravel()
                        assert got.shape == want.shape and np.array_equal(
                            got.astype(want.dtype), want), f"{name} != {case_id} at {label}"
                        capability = label.split("/")[1]
                        checked[(name, capability)] = checked.get((name, capability), 0) + 1
    capabilities = {c for _, c in checked}
    assert {"DEFAULT", "SVE256"} <= capabilities, f"checked only {sorted(capabilities)}"
    assert all(checked.get((name, c), 0) >= 5 for _, name in _MODELLED for c in capabilities), \
        checked
