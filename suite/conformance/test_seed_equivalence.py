"""Seed equivalence: the same seed gives the same stream, every time and through every entry
point that promises it; different seeds give different streams; bad seeds are refused as
documented."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.core.catalog import parse_literal, parse_seed
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.property_checks import check_distinct_seeds, check_refusals


@given(data=st.data())
def test_same_seed_same_stream(backend, data):
    """Seeding twice with any valid seed gives bit-identical draws, for any shape and dtype."""
    seed = data.draw(hh.seeds(backend), label="seed")
    call = data.draw(hh.shaped_calls(backend), label="call")
    first = backend.run(backend.open([seed])[0], call)
    second = backend.run(backend.open([seed])[0], call)
    ph.assert_same([first], [second], guarantee="same_seed", backend=backend, seeds=[seed],
                   calls=[call], detail=f"seeded twice, then {call}")


@given(data=st.data())
def test_equivalent_entry_points_agree(equivalent, data):
    """Entry points documented as equivalent (np.random.seed vs RandomState, torch.manual_seed
    vs Generator.manual_seed, default_rng vs Generator(PCG64)) draw the same stream."""
    first, second, row = equivalent
    lo = max(first.seed_range[0], second.seed_range[0])
    hi = min(first.seed_range[1], second.seed_range[1])
    seed = data.draw(st.one_of(st.sampled_from([s for s in hh.EDGE_SEEDS if lo <= s <= hi]),
                               st.integers(lo, hi)), label="seed")
    calls = data.draw(st.lists(hh.shaped_calls(first), min_size=1, max_size=3), label="calls")
    calls = [c for c in calls if second.supports(c)]
    # Open and draw one after the other, so a stream that secretly shares state shows up too.
    a = first.open([seed])[0]
    drawn_first = [first.run(a, c) for c in calls]
    b = second.open([seed])[0]
    drawn_second = [second.run(b, c) for c in calls]
    ph.assert_same(drawn_first, drawn_second, guarantee="equivalent_entry_points",
                   backend=second, seeds=[seed], calls=calls,
                   detail=f"{first.name} vs {second.name} ({row['why']}; {row['source']})")


@given(data=st.data())
def test_distinct_seeds_distinct_streams(backend, data):
    """Two different seeds give different probe draws, except where aliasing is a known fact."""
    a, b = data.draw(hh.seed_pairs(backend), label="seeds")
    check_distinct_seeds(backend, a, b)


def test_seed_refusals(seed_refusals):
    """Every seed an entry point documents as refused (out of range, a form it does not take)
    is still refused with that error: a release that starts taking one maps it onto a stream
    nobody chose."""
    backend, refusals = seed_refusals
    check_refusals(backend, refusals,
                   lambda row: backend.run(backend.open([backend.seed_value(row.value)])[0],
                                           hh.probe(backend)),
                   lambda row: f"seed {row.seed}")


def test_seed_facts(seed_fact):
    """Odd seeds an entry point accepts get the library's documented behaviour."""
    backend, row, text = seed_fact
    seed = parse_literal(text)
    probe = hh.probe(backend)
    where = f"{backend.name}: seed {text} ({row.get('why', row['source'])})"
    drawn = backend.run(backend.open([seed])[0], probe)
    again = backend.run(backend.open([seed])[0], probe)
    ph.assert_identical(drawn, again, f"{where}: not reproducible")
    if "same_as" in row:
        expected = backend.run(backend.open([parse_literal(row["same_as"])])[0], probe)
        ph.assert_identical(drawn, expected, f"{where}: not the stream of seed {row['same_as']}")


#: Seed forms that are streams themselves: NumPy documents that ``default_rng(generator)``
#: returns the generator unaltered and that a bit generator passed to ``Generator`` or
#: ``RandomState`` is used, not copied (numpy.random.default_rng, numpy.random.Generator).
STREAM_SEEDS = ("PCG64({})", "default_rng({})")


@given(data=st.data())
def test_a_stream_passed_as_the_seed_is_shared(backend, data):
    """A bit generator or Generator passed as the seed is used as it is, not copied: a second
    handle opened from the one object goes on where the first left it (a copy would draw the
    first handle's values again), and the first handle draws the object's own stream."""
    forms = []
    for text in STREAM_SEEDS:
        try:
            backend.open([backend.seed_value(parse_seed(text.format(17)))])
        except Exception:  # noqa: BLE001 -- a form the backend refuses: [[refusal]] rows check it
            continue
        forms.append(text)
    if not forms:
        pytest.skip(f"{backend.name} takes no stream object as its seed")
    text = data.draw(st.sampled_from(forms), label="seed form")
    seed = parse_seed(text.format(data.draw(st.sampled_from(hh.EDGE_SEEDS), label="seed value")))
    probe = hh.probe(backend)
    shared = backend.seed_value(seed)
    first = backend.run(backend.open([shared])[0], probe)
    second = backend.run(backend.open([shared])[0], probe)
    alone = backend.run(backend.open([backend.seed_value(seed)])[0], probe)
    ph.assert_same([alone], [first], guarantee="stream_seed_shared", backend=backend,
                   seeds=[seed], calls=[probe],
                   detail=f"a handle opened from {seed} draws that object's stream")
    ph.assert_differ([first], [second], guarantee="stream_seed_shared", backend=backend,
                     seeds=[seed], calls=[probe],
                     detail=f"two handles opened from one {seed}: the second drew the first's "
                            "values again (a copy, not the object)")
