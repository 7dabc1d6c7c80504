"""Thread independence: a seeded stream is the same whatever number of threads draws it --
torch's intra-op threads (``torch.set_num_threads``), OpenMP and BLAS pools (threadpoolctl) --
also above the size where a kernel would split its work between threads."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.core.catalog import parse_call
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.inputs import rows_for

#: Above ATen's parallel grain size (``at::internal::GRAIN_SIZE``, 32768 elements), where a
#: kernel that splits its work between threads would do so.
PARALLEL = 40_000


def _compare(backend, call, seed: int, a: int, b: int) -> None:
    drawn = []
    for threads in (a, b):
        with backend.threads(threads):
            drawn.append(backend.run(backend.open([seed])[0], call))
    n = int(drawn[0].size)
    ph.assert_same([drawn[0]], [drawn[1]], guarantee="threads", backend=backend, seeds=[seed],
                   calls=[call], detail=f"{call} with {a} threads vs {b} threads",
                   variables={"n": n, "a": a, "b": b}, call=call)


@given(data=st.data())
def test_streams_do_not_depend_on_the_thread_count(backend, data):
    """A sized call draws the same values with any two numbers of threads from 1 to 4."""
    call = data.draw(hh.sized_calls(backend, max_n=40), label="call")
    seed = data.draw(hh.seeds(backend), label="seed")
    a, b = data.draw(st.lists(st.integers(1, 4), min_size=2, max_size=2, unique=True),
                     label="threads")
    _compare(backend, call, seed, a, b)


def test_every_call_draws_the_same_above_the_grain_size(threaded_backend):
    """Every sized call of the backend (``properties.toml [[sized]]``) draws the same 40,000
    values with one thread and with four: above the grain size, where a kernel that splits its
    work between threads would."""
    backend = threaded_backend
    templates = [t for row in rows_for("sized", backend.name, backend.device)
                 for t in row["calls"]]
    if not templates:
        pytest.skip(f"{backend.name}: no sized call (properties.toml [[sized]])")
    for template in templates:
        call = parse_call(template.format(n=PARALLEL))
        if backend.supports(call):
            _compare(backend, call, 17, 1, 4)
