"""Hypothesis strategies over the backend protocol (imported as ``hh``).

Every strategy draws *inputs* -- seeds, sizes, shapes, calls -- and never randomness from a
global generator: properties seed their own streams explicitly inside each example, so they do
not depend on the global states Hypothesis seeds and restores around examples.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rngsuite.backends import Backend
from rngsuite.core.catalog import Call, parse_call
from rngsuite.pytest_plugin.inputs import rows_for

#: Strategies are built once per backend and reused: a property draws them in every example,
#: and building one anew (templates parsed, the strategy validated) cost more than drawing it.
_per_backend = functools.lru_cache(maxsize=None)

#: Seeds people reach for, and the ends of 32- and 64-bit ranges.
EDGE_SEEDS = (0, 1, 17, 42, 2**31 - 1, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1)


@_per_backend
def seeds(backend: Backend) -> st.SearchStrategy[int]:
    """Valid seeds for the backend: its edges first, then anything in its range."""
    lo, hi = backend.seed_range
    edges = [s for s in EDGE_SEEDS if lo <= s <= hi]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


@_per_backend
def seed_pairs(backend: Backend) -> st.SearchStrategy[tuple[int, int]]:
    """Two different valid seeds; often close ones (one bit, or 2**32, apart) where aliasing hides."""
    lo, hi = backend.seed_range

    def near(a: int) -> st.SearchStrategy[tuple[int, int]]:
        others = [b for b in (a ^ 1, a + 1, a + 2**32, a - 2**32, a ^ 2**31, a ^ 2**63)
                  if lo <= b <= hi and b != a]
        return st.sampled_from(others).map(lambda b: (a, b))

    apart = st.tuples(seeds(backend), seeds(backend)).filter(lambda p: p[0] != p[1])
    return st.one_of(apart, seeds(backend).flatmap(near))


def _templates(section: str, backend: Backend) -> list[str]:
    return [c for row in rows_for(section, backend.name, backend.device) for c in row["calls"]]


@functools.lru_cache(maxsize=1 << 14)
def _filled(template: str, **fields: object) -> Call:
    return parse_call(template.format(**fields))


@_per_backend
def sized_calls(backend: Backend, *, min_n: int = 0, max_n: int = 40,
                n: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[Call]:
    """A sized call the backend has, with n elements."""
    templates = [t for t in _templates("sized", backend) if backend.supports(_filled(t, n=1))]
    sizes = n if n is not None else st.integers(min_n, max_n)
    return st.tuples(st.sampled_from(templates), sizes).map(lambda p: _filled(p[0], n=p[1]))


@_per_backend
def sized_template(backend: Backend) -> st.SearchStrategy[str]:
    """A sized call template (``randn({n})``) the backend has."""
    return st.sampled_from([t for t in _templates("sized", backend)
                            if backend.supports(_filled(t, n=1))])


@_per_backend
def shaped_calls(backend: Backend) -> st.SearchStrategy[Call]:
    """A call with a shape (0-size and up to 3-D) and dtype; sized calls where there is no shape."""
    templates = _templates("shaped", backend)
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)

    def fill(pair: tuple[str, tuple[int, ...]]) -> Call:
        template, shape = pair
        size = 1
        for side in shape:
            size *= side
        return _filled(template, shape=shape, n=size)

    return st.tuples(st.sampled_from(templates), shapes).map(fill)


def shape_templates(backend: Backend) -> list[str]:
    """The backend's shaped call templates that take a shape (``rand({shape})``), not just n."""
    return list(_shape_templates(backend))


@_per_backend
def _shape_templates(backend: Backend) -> tuple[str, ...]:
    return tuple(t for t in _templates("shaped", backend) if "{shape}" in t)


@_per_backend
def reshaped_calls(backend: Backend) -> st.SearchStrategy[tuple[str, tuple[int, ...]]]:
    """A shape template the backend has and a shape of 2 or 3 dimensions (up to 216 elements:
    torch's vectorised normal path starts at 16)."""
    shapes = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)
    return st.tuples(st.sampled_from(_shape_templates(backend)), shapes)


@_per_backend
def call_sequences(backend: Backend, *, min_size: int = 0,
                   max_size: int = 4) -> st.SearchStrategy[list[Call]]:
    """A few calls in a row, with small odd sizes that leave half a Gaussian pair cached."""
    cached = [parse_call(r["call"]) for r in rows_for("cached_gaussian", backend.name,
                                                       backend.device)]
    one = sized_calls(backend, max_n=20)
    if cached:
        one = st.one_of(one, st.sampled_from(cached))
    return st.lists(one, min_size=min_size, max_size=max_size)


@_per_backend
def probe(backend: Backend) -> Call:
    """The backend's probe: a draw two different streams never share."""
    (row,) = rows_for("probe", backend.name, backend.device)
    return parse_call(row["call"])
