"""Functional randomness: how ``torch.func.vmap`` draws for a batch under each ``randomness=``,
and torch's stateless random keys where the installed release has a public API for them."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from rngsuite.core.catalog import parse_call
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import strategies as hh

pytest.importorskip("torch", reason="torch is not installed")

SAMPLERS = st.sampled_from(["rand", "randn"])


def _example(backend, data):
    """A seed, a batch size b, a sample size n and a sampler, drawn by Hypothesis."""
    return (data.draw(hh.seeds(backend), label="seed"), data.draw(st.integers(1, 6), label="b"),
            data.draw(st.integers(1, 40), label="n"), data.draw(SAMPLERS, label="sampler"))


def _draw(backend, seed: int, text: str):
    call = parse_call(text)
    return call, backend.run(backend.open([seed])[0], call)


@given(data=st.data())
def test_vmap_same_draws_one_sample_for_the_whole_batch(vmap_backend, data):
    """randomness="same": every batch element gets the sample the unbatched call draws."""
    backend = vmap_backend
    seed, b, n, name = _example(backend, data)
    call, batched = _draw(backend, seed, f"vmap_{name}({b},{n},randomness='same')")
    plain, single = _draw(backend, seed, f"{name}({n})")
    ph.assert_same([single] * b, list(batched), guarantee="vmap_same", backend=backend,
                   seeds=[seed], calls=[call],
                   detail=f"each of the {b} rows of {call} vs {plain}")


@given(data=st.data())
def test_vmap_different_draws_what_the_batched_call_draws(vmap_backend, data):
    """randomness="different": the batch draws what one call of the batched shape draws
    (rand(b, n)), so each element its own values."""
    backend = vmap_backend
    seed, b, n, name = _example(backend, data)
    call, batched = _draw(backend, seed, f"vmap_{name}({b},{n},randomness='different')")
    plain, whole = _draw(backend, seed, f"{name}({b},{n})")
    ph.assert_same([whole], [batched], guarantee="vmap_different", backend=backend,
                   seeds=[seed], calls=[call], detail=f"{call} vs {plain}")


def test_vmap_error_refuses_a_random_op(vmap_backend):
    """randomness="error" (the default) refuses a random op inside vmap, as documented."""
    with pytest.raises(RuntimeError, match="random"):
        vmap_backend.run(vmap_backend.open([17])[0],
                         parse_call("vmap_rand(3,5,randomness='error')"))


#: Where a public stateless key API would live, and the names it would have.
_KEY_NAMES = ("key", "split", "fold_in", "PRNGKey")


def test_stateless_random_keys(device):
    """torch's public stateless random-key API (split against fold_in), where torch has one."""
    import torch
    import torch.func

    found = [f"{mod.__name__}.{name}" for mod in (torch.func, torch.random)
             for name in _KEY_NAMES if hasattr(mod, name)]
    if not found:
        private = [n for n in ("_philox_key_split", "_philox_key_fold_in") if hasattr(torch, n)]
        pytest.skip(f"torch {torch.__version__} has no public stateless random-key API (no "
                    f"torch.func key/split/fold_in)"
                    + (f"; the private {', '.join(private)} run on CUDA only" if private else ""))
    pytest.fail(f"torch {torch.__version__} has a public random-key API ({', '.join(found)}) "
                "that rngsuite does not check yet: add its goldens and properties")
