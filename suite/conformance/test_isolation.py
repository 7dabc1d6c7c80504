"""Isolation: independent streams never disturb each other -- interleaved objects, one
library's global state and another's, spawned or jumped children, and fork_rng."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin.inputs import property_backends


@given(data=st.data())
def test_interleaved_streams_equal_their_solo_streams(object_backend, data):
    """Draws from two generator objects, interleaved in any order, equal each one drawn alone."""
    backend = object_backend
    a, b = data.draw(hh.seed_pairs(backend), label="seeds")
    calls = data.draw(st.lists(st.tuples(st.sampled_from([0, 1]), hh.sized_calls(backend)),
                               min_size=1, max_size=6), label="calls")
    streams = backend.open([a, b])
    interleaved = {0: [], 1: []}
    for which, call in calls:
        interleaved[which].append(backend.run(streams[which], call))
    order = ", ".join("ab"[w] + "." + str(c) for w, c in calls)
    for which, seed in ((0, a), (1, b)):
        solo = backend.open([seed])[0]
        alone = [backend.run(solo, call) for w, call in calls if w == which]
        ph.assert_same(alone, interleaved[which], guarantee="interleaving", backend=backend,
                       seeds=[seed], calls=[c for w, c in calls if w == which],
                       detail=f"stream {'ab'[which]} drawn alone vs interleaved with the other "
                              f"(seeds {a}, {b}): {order}")


@given(data=st.data())
def test_a_stream_never_moves_another(backend, rngsuite, data):
    """Seeding and drawing one stream leaves every other library's global state, and every
    other generator object, untouched."""
    actor = backend
    # Watched: each global other than the actor's own, and a fresh object of each object backend
    # (of the libraries installed here), seeded with any seed: what matters is that it moves.
    watched = [(w, None if w.owner else w.open([12345])[0]) for w in property_backends(rngsuite)
               if not w.unavailable() and (w.owner is None or w.owner != actor.owner)]
    seed = data.draw(hh.seeds(actor), label="seed")
    calls = data.draw(st.lists(hh.sized_calls(actor), min_size=1, max_size=3), label="calls")
    before = [w.fingerprint(handle) for w, handle in watched]
    stream = actor.open([seed])[0]
    for call in calls:
        actor.run(stream, call)
    moved = [w.name for (w, handle), old in zip(watched, before) if w.fingerprint(handle) != old]
    assert not moved, ph.explain(
        actor, guarantee="isolation", seeds=[seed], calls=calls,
        detail=f"seeding {actor.name} and drawing {', '.join(map(str, calls))}",
        problem=f"changed the state of {', '.join(moved)}")


@given(data=st.data())
def test_children_are_independent_and_reproducible(spawner, data):
    """Spawned or jumped children differ from each other and from the parent, and the same
    parent seed gives the same children."""
    backend, how = spawner
    seed = data.draw(hh.seeds(backend), label="seed")
    n = data.draw(st.integers(2, 4), label="children")
    probe = hh.probe(backend)

    def family() -> list:
        parent = backend.open([seed])[0]
        children = backend.children(parent, how, n)
        return [backend.run(s, probe) for s in [parent, *children]]

    first, second = family(), family()
    ph.assert_same(first, second, guarantee="children", backend=backend, seeds=[seed],
                   calls=[probe], detail=f"{n} children by {how}, made twice")
    for i in range(n + 1):
        for j in range(i + 1, n + 1):
            ph.assert_differ([first[i]], [first[j]], guarantee="children", backend=backend,
                             seeds=[seed], calls=[probe],
                             detail=f"{how}: {'parent' if i == 0 else f'child {i}'} vs child {j}")


@pytest.mark.parametrize("raises", [False, True], ids=["returns", "raises"])
@given(data=st.data())
def test_fork_restores_the_global_state(forkable, raises, data):
    """torch.random.fork_rng puts the global state back on exit, also when its body raises."""
    backend = forkable
    seed = data.draw(hh.seeds(backend), label="seed")
    calls = data.draw(st.lists(hh.sized_calls(backend), min_size=1, max_size=3), label="calls")
    handle = backend.open([seed])[0]
    before = backend.fingerprint(handle)

    class Boom(Exception):
        pass

    try:
        with backend.fork():
            backend.open([seed + 1 if seed < backend.seed_range[1] else seed - 1])
            for call in calls:
                backend.run(handle, call)
            if raises:
                raise Boom
    except Boom:
        pass
    assert backend.fingerprint(handle) == before, ph.explain(
        backend, guarantee="fork", seeds=[seed], calls=calls,
        detail=f"reseeded and drew {', '.join(map(str, calls))} inside fork"
               f"{' (body raised)' if raises else ''}", problem="state not restored on exit")
