"""Stream continuation: a stream goes on where it left off -- from call to call, through a
checkpoint taken with half a Gaussian pair cached, in chunks where the library draws chunk by
chunk, and into outputs of any shape and layout. (A checkpoint taken after any draws, by state,
pickle or deepcopy, is restored in a fresh process by test_resume.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.inputs import rows_for
from rngsuite.pytest_plugin.property_checks import (check_chunking, check_continues, check_layout,
                                                    check_shape)


@given(data=st.data())
def test_draws_continue_the_stream(backend, data):
    """The second of two identical calls continues the stream instead of restarting it."""
    check_continues(backend, data.draw(hh.seeds(backend), label="seed"))


def test_checkpoint_keeps_the_cached_gaussian(cached_gaussian):
    """A checkpoint taken with half a Gaussian pair cached resumes with that value."""
    backend, call = cached_gaussian
    for how in backend.checkpoints:
        stream = backend.open([17])[0]
        backend.run(stream, call)  # draws a pair, returns one value, caches the other
        saved = backend.save(stream, how)
        expected = [backend.run(stream, call) for _ in range(3)]
        resumed = backend.restore(stream, saved, how)
        actual = [backend.run(resumed, call) for _ in range(3)]
        ph.assert_same(expected, actual, guarantee="checkpoint", backend=backend, seeds=[17],
                       calls=[call] * 4, detail=f"{call}, checkpoint by {how}, {call} x3",
                       variables={"checkpoint": how})


@given(data=st.data())
def test_chunks_continue_the_stream(backend, data):
    """n values drawn at once equal the same n drawn as k then n - k, where the library
    promises nothing otherwise (known divergences list where it does not hold)."""
    template = data.draw(hh.sized_template(backend), label="call")
    n = data.draw(st.integers(1, 48), label="n")
    k = data.draw(st.integers(0, n), label="k")
    seed = data.draw(hh.seeds(backend), label="seed")
    check_chunking(backend, template, n, k, seed)


@given(data=st.data())
def test_layout_keeps_the_stream(layout_backend, data):
    """A sampler draws the same values into a non-contiguous output as into a contiguous one,
    where the library promises nothing otherwise (known divergences list where it does not)."""
    backend = layout_backend
    pairs = [p for row in rows_for("layout", backend.name, backend.device) for p in row["pairs"]]
    template = data.draw(st.sampled_from([p[0] for p in pairs]), label="call")
    n = data.draw(st.integers(1, 48), label="n")
    check_layout(backend, template, n, data.draw(hh.seeds(backend), label="seed"))


@given(data=st.data())
def test_shape_keeps_the_stream(backend, data):
    """A call with a 2-D or 3-D shape draws, in C order, what the same call draws with as many
    elements in one dimension (known divergences list where it does not hold)."""
    if not hh.shape_templates(backend):
        pytest.skip(f"{backend.name}: no call takes a shape (properties.toml [[shaped]])")
    template, shape = data.draw(hh.reshaped_calls(backend), label="call and shape")
    check_shape(backend, template, shape, data.draw(hh.seeds(backend), label="seed"))
