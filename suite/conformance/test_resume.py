"""Resume: a stream checkpointed the way a training loop checkpoints it -- the library's state
object (torch's CPU generator, NumPy's legacy and Generator states, Python's random, a
DataLoader's generator), or the pickled generator -- and restored in a fresh process, goes on
exactly as the uninterrupted run."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.core.catalog import parse_call
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import fresh_process
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.inputs import rows_for
from rngsuite.pytest_plugin.property_checks import check_resumed_children

# Started ahead of the tests (the plugin's collection hook), so its imports overlap them.
pytestmark = pytest.mark.fresh_process


@given(data=st.data())
def test_a_resumed_stream_goes_on_as_the_uninterrupted_one(backend, data):
    """After any draws, a checkpoint restored in a fresh process (into a stream seeded
    otherwise) draws what the uninterrupted stream draws next."""
    how = data.draw(st.sampled_from(backend.checkpoints), label="checkpoint")
    seed = data.draw(hh.seeds(backend), label="seed")
    before = data.draw(hh.call_sequences(backend), label="before")
    extra = [parse_call(c) for row in rows_for("resume", backend.name, backend.device)
             for c in row["calls"]]
    after = data.draw(st.lists(st.one_of(hh.sized_calls(backend, max_n=20),
                                         *([st.sampled_from(extra)] if extra else [])),
                               min_size=1, max_size=3), label="after")
    stream = backend.open([seed])[0]
    for call in before:
        backend.run(stream, call)
    saved = backend.save(stream, how)
    expected = [backend.run(stream, call) for call in after]
    got = fresh_process.shared().resume(backend, saved, [str(c) for c in after], how=how,
                                        other_seed=seed ^ 0x5EED)
    ph.assert_same(expected, got, guarantee="resume", backend=backend, seeds=[seed],
                   calls=before + after,
                   detail=f"after {'; '.join(map(str, before)) or 'seeding'}, checkpoint by "
                          f"{how}, restored in a fresh process, then "
                          f"{'; '.join(map(str, after))}", variables={"checkpoint": how})


@given(data=st.data())
def test_children_spawned_after_a_resume_are_the_uninterrupted_ones(spawner, data):
    """Children spawned after a checkpoint is restored in a fresh process are the children
    the uninterrupted stream spawns (known divergences list where the checkpoint does not
    carry what spawning needs)."""
    backend, how = spawner
    checkpoint = data.draw(st.sampled_from(backend.checkpoints), label="checkpoint")
    check_resumed_children(backend, how, checkpoint, data.draw(hh.seeds(backend), label="seed"))
