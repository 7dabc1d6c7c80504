"""Compiled randomness: a call inside ``torch.compile``d code against the same call eager.

With ``torch._inductor.config.fallback_random = True`` torch promises the eager stream; without
it a compiled stream is its own (pytorch#118735: "intended behavior"), but it still must be
reproducible from the seed, move the generator on, and leave other generators alone. Where
the promise is broken on a release, ``divergences.toml`` says so with a witness. These run in
the compiled tier (``python -m rngsuite verify --compiled``): compiling takes seconds a call.
"""

from __future__ import annotations

from hypothesis import given, reject, strategies as st

from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.property_checks import (state_bytes, check_compiled_equals_eager,
                                                    check_python_numpy_inside_compiled)


@given(data=st.data())
def test_compiled_draws_what_eager_draws(compiled_backend, data):
    """A compiled call draws eager's values and leaves the default generator where eager
    leaves it -- promised under fallback_random; elsewhere the known divergences say where
    not."""
    backend, calls = compiled_backend
    call = data.draw(st.sampled_from(calls), label="call")
    check_compiled_equals_eager(backend, data.draw(hh.seeds(backend), label="seed"), call)


def _run(backend, stream, call):
    """A compiled draw; an example whose call does not compile on this release is dropped
    (test_compiled_draws_what_eager_draws fails on it, or a known divergence names it)."""
    try:
        return backend.run(stream, call)
    except Exception:  # noqa: BLE001 -- e.g. Inductor's stride assertion on uniform_strided
        reject()


@given(data=st.data())
def test_compiled_stream_is_reproducible(compiled_backend, data):
    """The same seed gives the same compiled draws, call after call."""
    backend, calls = compiled_backend
    seed = data.draw(hh.seeds(backend), label="seed")
    chosen = data.draw(st.lists(st.sampled_from(calls), min_size=1, max_size=3), label="calls")
    stream = backend.open([seed])[0]
    first = [_run(backend, stream, c) for c in chosen]
    stream = backend.open([seed])[0]
    second = [_run(backend, stream, c) for c in chosen]
    ph.assert_same(first, second, guarantee="compiled_reproducible", backend=backend,
                   seeds=[seed], calls=chosen, detail="the same compiled calls, seeded twice")


@given(data=st.data())
def test_compiled_draws_move_the_generator_on(compiled_backend, data):
    """A compiled draw advances the default generator: the state after it is not the seeded
    state, and the same call drawn again gives other values."""
    backend, calls = compiled_backend
    seed = data.draw(hh.seeds(backend), label="seed")
    call = data.draw(st.sampled_from(calls), label="call")
    stream = backend.open([seed])[0]
    seeded = state_bytes(backend)
    first = _run(backend, stream, call)
    after = state_bytes(backend)
    second = _run(backend, stream, call)
    ph.assert_differ([seeded], [after], guarantee="compiled_advances", backend=backend,
                     seeds=[seed], calls=[call],
                     detail=f"the default generator's state before and after compiled {call}")
    ph.assert_differ([first], [second], guarantee="compiled_advances", backend=backend,
                     seeds=[seed], calls=[call, call],
                     detail=f"compiled {call}, twice from one seed")


@given(data=st.data())
def test_compiled_draws_leave_other_generators_alone(compiled_backend, data):
    """A compiled draw moves no torch.Generator of the user's, and a Generator drawn in
    between changes no compiled draw."""
    backend, calls = compiled_backend
    import torch

    seed = data.draw(hh.seeds(backend), label="seed")
    other = data.draw(st.integers(0, 2**63 - 1), label="generator seed")
    call = data.draw(st.sampled_from(calls), label="call")
    alone = torch.rand(5, generator=torch.Generator().manual_seed(other)).numpy()
    untouched = _run(backend, backend.open([seed])[0], call)
    g = torch.Generator().manual_seed(other)
    stream = backend.open([seed])[0]
    torch.rand(3, generator=torch.Generator().manual_seed(other ^ 1))
    beside = _run(backend, stream, call)
    after = torch.rand(5, generator=g).numpy()
    ph.assert_same([alone, untouched], [after, beside], guarantee="compiled_isolation",
                   backend=backend, seeds=[seed], calls=[call],
                   detail=f"draw 1: a torch.Generator({other}) around compiled {call}; draw 2: "
                          f"compiled {call} with another Generator drawn between seed and call")


@given(data=st.data())
def test_compiled_code_takes_generator_objects(compiled_backend, data):
    """A torch.Generator passed into compiled code draws what it draws eager, and the default
    generator does not move."""
    backend, _ = compiled_backend
    import torch

    seed = data.draw(hh.seeds(backend), label="seed")
    n = data.draw(st.sampled_from([5, 17]), label="n")
    fn = backend.compile_function(_rand_with_generator)
    torch.manual_seed(0)
    before = state_bytes(backend)
    got = fn(n, torch.Generator().manual_seed(seed)).numpy()
    moved = state_bytes(backend)
    expected = torch.rand(n, generator=torch.Generator().manual_seed(seed)).numpy()
    ph.assert_same([expected, before], [got, moved], guarantee="compiled_generator",
                   backend=backend, seeds=[seed], calls=[],
                   detail=f"draw 1: compiled torch.rand({n}, generator=g) vs eager; draw 2: the "
                          "default generator's state before and after it")


def _rand_with_generator(n, g):
    import torch

    return torch.rand(n, generator=g)


@given(seed=st.integers(0, 2**32 - 1), library=st.sampled_from(["python", "numpy"]))
def test_python_and_numpy_draws_inside_compiled_code(compiled_backend, seed, library):
    """random.random() and np.random.rand() inside compiled code draw what they draw eager,
    from their own seeded streams (known divergences say where dynamo redirects them)."""
    backend, _ = compiled_backend
    check_python_numpy_inside_compiled(backend, library, seed)
