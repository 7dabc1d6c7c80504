"""Recorded CUDA goldens against the Philox model of torch's CUDA kernels
(:mod:`rngsuite.reference.torch_cuda`): every golden a GPU recorded is what the model predicts for
that GPU's launch geometry and torch release. Runs on any CPU, from the ledger alone
(``suite/conformance/test_reference.py``; ``python -m rngsuite cuda-model`` prints the table)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from rngsuite.core.catalog import Case
from rngsuite.core.ledger import Ledger
from rngsuite.reference import torch_cuda


def recorded(ledger: Ledger, catalog: Iterable[Case]) -> list[tuple]:
    """Every (case, label, era, geometry) the ledger holds for a CUDA case the model covers."""
    rows = []
    for case in catalog:
        if not case.backend.endswith(":cuda"):
            continue
        for era in ledger.eras(case.backend, case.id):
            for label in era.environments:
                prov = ledger.provenance(case.backend, label)
                geometry = torch_cuda.geometry_of(prov)
                if geometry is not None and torch_cuda.predict(
                        case, geometry, torch_version=str(prov.get("torch"))) is not None:
                    rows.append((case, label, era, geometry))
    return rows


def table(ledger: Ledger, catalog: Iterable[Case]) -> list[dict]:
    """Per recorded CUDA case and GPU: how much of the recorded draw the model predicts."""
    rows = []
    for case, label, era, geometry in recorded(ledger, catalog):
        prov = ledger.provenance(case.backend, label)
        want = torch_cuda.predict(case, geometry, torch_version=str(prov.get("torch")))
        for step, model, draw in zip(case.steps, want, era.values):
            exact, near = torch_cuda.agreement(model, ledger.full(draw))
            rows.append({"case": case.id, "call": str(step), "gpu": prov.get("gpu"),
                         "sms": geometry.sms, "torch": prov.get("torch"),
                         "values": int(np.asarray(model).size),
                         "bit-exact": exact, "within tolerance": near})
    return rows
