"""Reference models: executable, vectorised NumPy models of each stream, written from the
algorithms' published descriptions and the libraries' source, independent of the libraries.

A model is an oracle the suite checks the live library against (``suite/conformance/test_reference.py``),
it tells a change in the bit stream from a change in the transform built on it, and it predicts
values for releases and devices we cannot run. Each module here exports

* ``MODELS``: :class:`Model` rows, one per modelled call;
* ``KNOWN_ANSWERS``: :class:`KnownAnswer` rows, published vectors (standards, papers, the
  libraries' own test data) that the model must reproduce.
"""

from __future__ import annotations

import csv
import re
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Model:
    """One modelled call: ``model(seed, n, **params)`` against ``live(seed, n, **params)``."""

    #: Stable id, ``library:object.call``: ``numpy:MT19937.random_raw``, ``torch:cpu:rand``.
    name: str
    #: The package whose releases the model describes ("numpy" or "torch").
    library: str
    #: The device whose stream it models: the check runs only where that device is under test.
    device: str = "cpu"
    #: The modelled values, from the model alone.
    model: Callable[..., np.ndarray]
    #: The same values drawn from the installed library.
    live: Callable[..., np.ndarray]
    #: How exact the model is: 0 = bit-exact; N = within N ULP (``exactness`` says how measured).
    ulp: int = 0
    #: One line: "bit-exact", or "within 4 ULP: max over 10^6 values, seeds 0..99, AVX2".
    exactness: str = "bit-exact"
    #: For approximate models: |model - library| <= tolerance * max(1, |model|) (0: unused).
    tolerance: float = 0.0
    #: Releases modelled, as a PEP 440 specifier on ``library`` (">=2.0").
    versions: str = ""
    #: torch CPU capabilities modelled (ATEN_CPU_CAPABILITY names); empty means all.
    capabilities: tuple[str, ...] = ()
    #: Valid seeds, inclusive.
    seed_range: tuple[int, int] = (0, 2**32 - 1)
    #: Sizes to check, inclusive (Hypothesis draws n from here).
    n_range: tuple[int, int] = (0, 100)
    #: Extra keyword parameters and the values Hypothesis may draw for each.
    params: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    #: The bit stream this transform is built on (another model's name), or None for a bit
    #: generator's own words.
    words: str | None = None
    #: Where the algorithm is described: source file or paper.
    source: str = ""
    #: A model whose live side costs far more than its draws (compiling) runs in that tier
    #: only (``python -m rngsuite verify --compiled``); None: in every verify.
    tier: str | None = None
    #: The catalog cases whose recorded values the model gives, for checking a ledger's
    #: recordings (another machine's, say) without the library: a regular expression over a
    #: case's call, its size the group ``n`` (``randn\((?P<n>\d+)\)``), seeded with the case's
    #: seed and drawn as ``model(seed, n)``; None where no catalog case is a plain draw of it.
    cases: str | None = None


def within(expected: np.ndarray, got: np.ndarray, tolerance: float) -> np.ndarray:
    """Per value: |got - expected| <= tolerance * max(1, |expected|), the bound an approximate
    model (``Model.tolerance``) states."""
    expected = np.asarray(expected, dtype=np.float64)
    diff = np.abs(np.asarray(got, dtype=np.float64) - expected)
    return diff <= tolerance * np.maximum(1, np.abs(expected))


@dataclass(frozen=True, kw_only=True)
class KnownAnswer:
    """A published vector the model must reproduce: ``compute()`` == ``expected``."""

    name: str
    compute: Callable[[], Any]
    expected: Any
    #: Where the expected value is published (standard clause, paper, test-data file).
    source: str


#: NumPy's own raw-output vectors per bit generator, shipped with the installed package.
NUMPY_TESTSETS = Path(np.__file__).parent / "random" / "tests" / "data"


def numpy_testset_answers(stem: str, model: Callable[[int, int], Any]) -> list[KnownAnswer]:
    """Known answers from NumPy's ``<stem>-testset-{1,2}.csv`` (a seed, then raw outputs) through
    ``model(seed, n)``; none when the installed NumPy ships without its tests."""
    answers = []
    for i in (1, 2):
        path = NUMPY_TESTSETS / f"{stem}-testset-{i}.csv"
        if not path.exists():
            continue
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r]
        if rows[0][0].strip() != "seed":
            raise ValueError(f"{path}: first row is not the seed")
        seed, data = int(rows[0][1], 0), [int(r[1], 0) for r in rows[1:]]
        answers.append(KnownAnswer(
            name=f"numpy:{stem}-testset-{i}",
            compute=lambda seed=seed, n=len(data): [int(v) for v in model(seed, n)],
            expected=data,
            source=f"numpy/random/tests/data/{stem}-testset-{i}.csv (installed NumPy: {path}; "
                   "used by numpy/random/tests/test_direct.py)"))
    return answers


#: Calls whose values are the bit stream itself, per library (a regular expression over one
#: call's text), so that the report can tell a changed bit stream from a changed transform:
#: NumPy's ``random_raw`` returns the bit generator's words; torch's CPU ``rand`` in float32 or
#: float64 keeps 24 or 53 bits of each MT19937 word and nothing else (the models
#: ``torch:cpu:rand(*)`` show it, bit for bit). ``rand`` in float16, bfloat16 or complex is a
#: transform of its own (torch 2.12 changed it while float32 ``rand`` held).
BIT_STREAM_CALLS = {"numpy": re.compile(r"random_raw\(.*"),
                    "torch": re.compile(r"rand\((?!.*dtype=(?!float32\b|float64\b)).*")}

MODULES = ("mt19937", "numpy_legacy", "pcg", "philox", "seedsequence", "torch_cpu", "torch_cuda",
           "torch_inductor")


def _modules():
    for name in MODULES:
        try:
            yield importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


def models() -> list[Model]:
    """Every model, in module order."""
    return [m for mod in _modules() for m in getattr(mod, "MODELS", ())]


def known_answers() -> list[KnownAnswer]:
    """Every published vector, in module order."""
    return [k for mod in _modules() for k in getattr(mod, "KNOWN_ANSWERS", ())]
