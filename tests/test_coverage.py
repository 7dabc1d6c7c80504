"""Tests for rngsuite.tools.coverage: the installed libraries' sampling API against the catalog."""

import random
import re

import numpy as np
import pytest

from conftest import NEWER_CALLS
from rngsuite.tools import coverage
from rngsuite.core.catalog import CATALOG_PATH, load_catalog


def _resolve(library: str, name: str) -> object:
    """The library object a reported name stands for (AttributeError if there is none)."""
    import pandas as pd
    import pandas.api.typing
    import torch

    if library == "numpy.random legacy":
        return getattr(np.random.RandomState, name, None) or getattr(np.random, name)
    if library == "pandas":
        cls, method = name.split(".")
        owner = getattr(pd, cls, None) or getattr(pandas.api.typing, cls)
        return getattr(owner, method)
    owner = {"numpy Generator": np.random.Generator, "torch": torch,
             "torch.Tensor in-place": torch.Tensor, "torch.nn.init": torch.nn.init,
             "torch.nn.functional": torch.nn.functional, "torch.func": torch.func,
             "torch.distributions": torch.distributions, "torch.utils.data": torch.utils.data,
             "python random": random.Random}[library]
    return getattr(owner, name)


@pytest.fixture(scope="module")
def public():
    return {lib.name: lib.discover() for lib in coverage.LIBRARIES}


@pytest.fixture(scope="module")
def current():
    return coverage.uncovered()


def test_every_listed_name_exists_in_its_library(public):
    """What coverage reports is a real, callable public name of the installed library."""
    for library, names in public.items():
        assert names, library
        for name in names:
            assert callable(_resolve(library, name)), (library, name)


def test_non_sampling_names_are_left_out(public):
    """Seeding and state calls are excluded, and the exclusion lists name real things."""
    assert not {"seed", "get_state", "set_state"} & set(public["numpy.random legacy"])
    assert not {"spawn", "bit_generator"} & set(public["numpy Generator"])
    assert not {"manual_seed", "seed", "initial_seed", "get_rng_state"} & set(public["torch"])
    assert not {"seed", "getstate", "setstate"} & set(public["python random"])
    for name in ("seed", "get_state", "set_state"):
        assert hasattr(np.random.RandomState, name)
    for name in ("seed", "getstate", "setstate"):
        assert hasattr(random.Random, name)


def test_introspection_finds_what_docstrings_miss(public):
    """torch.binomial has no docstring; its ATen schema still marks its generator argument."""
    assert "binomial" in public["torch"]
    assert {"geometric_", "cauchy_", "random_"} <= set(public["torch.Tensor in-place"])
    assert "svd_lowrank" not in public["torch"]  # mentions "random number generator", no argument


def test_a_call_removed_from_the_catalog_shows_up(tmp_path, current):
    """Rows taken out of a copy of the catalog make their calls uncovered, per library."""
    text = CATALOG_PATH.read_text()
    for pattern in (r'"zipf\([\d.]+,[^"]+\)",?', r'"init_orthogonal_\(ones\([^"]*\)\)",?',
                    r'"jacfwd_rand\([^"]*\)",?',
                    r'"Normal_sample\([^"]+\)",?', r'"Series_sample\([^"]*\)",?',
                    r'"vonmisesvariate\([^"]+\)\*\d+",?'):
        text, n = re.subn(pattern, "", text)
        assert n, pattern
    copy = tmp_path / "catalog.toml"
    copy.write_text(text)

    before = current
    after = coverage.uncovered(load_catalog(path=copy))
    added = {lib: sorted(set(after[lib]) - set(before[lib])) for lib in after}
    assert added == {"numpy.random legacy": ["zipf"], "numpy Generator": ["zipf"],
                     "torch": [], "torch.Tensor in-place": [], "torch.nn.init": ["orthogonal_"],
                     "torch.nn.functional": [], "torch.distributions": ["Normal"],
                     "torch.utils.data": [], "torch.func": ["jacfwd"],
                     "python random": ["vonmisesvariate"],
                     "pandas": ["Series.sample"]}


def test_a_call_on_another_librarys_backend_does_not_count():
    """normal on torch does not cover numpy's normal: coverage is per library's backends."""
    cases = [c for c in load_catalog() if not (c.backend.startswith("numpy")
                                               and any(s.name == "normal" for s in c.steps))]
    assert "normal" in coverage.uncovered(cases)["numpy Generator"]
    assert "normal" not in coverage.uncovered(cases)["torch"]


def test_every_catalog_call_is_a_public_call(public):
    """Each call a row makes maps to a public name of its library (random_raw aside: the bit
    generator's words, below the public sampling API; and python_seeded: Python's own random
    drawn inside torch code, for compiled code)."""
    from rngsuite.backends import registry

    backends = registry()
    for case in load_catalog():
        backend = backends[case.backend]
        # A compiled backend draws the calls of the eager backend it compiles.
        name = backend.eager_twin().name if backend.tier == "compiled" else case.backend
        for step in case.steps:
            if step.name in ("random_raw", "python_seeded"):
                continue
            if step.name in NEWER_CALLS and backend.absent(step):
                continue  # newer than the installed release
            owners = [lib for lib in coverage.LIBRARIES
                      if lib.owns(name) and lib.name_of(step.name) in public[lib.name]]
            assert owners, case.id


@pytest.mark.parametrize("library", ["numpy.random legacy", "numpy Generator", "torch",
                                     "torch.Tensor in-place", "torch.nn.init", "python random"])
def test_the_catalog_covers_the_whole_api(library, current):
    """Every sampling call of these libraries, as installed, has a catalog row: a new release's
    new sampler fails here until a row calls it."""
    assert current[library] == []


def test_coverage_table_is_markdown():
    """One row per library, with its counts and the uncovered names."""
    table = coverage.coverage_table()
    lines = table.splitlines()
    assert lines[0].startswith("| library |") and len(lines) == 2 + len(coverage.LIBRARIES)
    assert any(line.startswith("| numpy Generator | ") for line in lines)
