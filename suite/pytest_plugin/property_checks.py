"""Checks that more than one conformance module runs: each property's core, shared by the
property itself and by the known divergences' witnesses (``test_known_divergences.py`` runs each
divergence row's witness example through the check of its guarantee, :data:`WITNESS_CHECKS`).
array-api-tests' helper modules are the model: the assertion lives once, the tests choose the
inputs."""

from __future__ import annotations

import numpy as np

from rngsuite.core.catalog import parse_call
from rngsuite.pytest_plugin import assertions as ph
from rngsuite.pytest_plugin import fresh_process
from rngsuite.pytest_plugin import strategies as hh
from rngsuite.pytest_plugin.inputs import rows_for


def check_refusals(backend, refusals, attempt, name) -> None:
    """Each documented refusal (``core.regimes.Documented``: a seed form, a parameter) still
    refuses with its documented error: ``attempt(row)`` draws what the row says is refused,
    ``name(row)`` says what it tried. Every row is tried, then the wrong ones are listed."""
    wrong = []
    for row in refusals:
        error, drawn = None, None
        try:
            drawn = attempt(row)
        except Exception as exc:  # noqa: BLE001 -- the refusal under test
            error = exc
        if (why := row.mismatch(error, drawn)) is not None:
            wrong.append(f"{backend.name}: {name(row)} ({row.source}): {why}")
    assert not wrong, "\n".join(wrong)


def check_continues(backend, seed: int):
    """The probe twice on one stream (shared by the property and the witnesses)."""
    probe = hh.probe(backend)
    stream = backend.open([seed])[0]
    first, second = backend.run(stream, probe), backend.run(stream, probe)
    return ph.assert_differ([first], [second], guarantee="continues", backend=backend,
                            seeds=[seed], calls=[probe, probe],
                            detail=f"{probe} twice on one stream")


def check_distinct_seeds(backend, a: int, b: int):
    """The probe after seed a vs after seed b (shared by the property and the witnesses)."""
    probe = hh.probe(backend)
    first = backend.run(backend.open([a])[0], probe)
    second = backend.run(backend.open([b])[0], probe)
    return ph.assert_differ([first], [second], guarantee="distinct_seeds", backend=backend,
                            seeds=[a, b], calls=[probe],
                            detail=f"{probe} after seed {a} and seed {b}",
                            variables={"a": a, "b": b})


def check_chunking(backend, template: str, n: int, k: int, seed: int):
    """n values at once vs k then n - k values from one stream (shared by the property and
    the known-divergence witnesses)."""
    whole_call, head, tail = (parse_call(template.format(n=m)) for m in (n, k, n - k))
    whole = backend.run(backend.open([seed])[0], whole_call)
    stream = backend.open([seed])[0]
    pieces = [backend.run(stream, head), backend.run(stream, tail)]
    # An empty piece says nothing about the stream (and Python's random has no dtype for it).
    joined = np.concatenate([p.reshape(-1) for p in pieces if p.size])
    return ph.assert_same([whole.reshape(-1)], [joined], guarantee="chunking", backend=backend,
                          seeds=[seed], calls=[head, tail],
                          detail=f"{whole_call} at once vs {head} then {tail}",
                          variables={"n": n, "k": k}, call=whole_call)


def check_layout(backend, template: str, n: int, seed: int):
    """A sampler filling a contiguous output vs every other element of an (n, 2) tensor
    (shared by the property and the known-divergence witnesses)."""
    (pair,) = [p for row in rows_for("layout", backend.name, backend.device)
               for p in row["pairs"] if p[0] == template]
    contiguous, strided = (parse_call(t.format(n=n)) for t in pair)
    expected = backend.run(backend.open([seed])[0], contiguous)
    actual = backend.run(backend.open([seed])[0], strided)
    return ph.assert_same([expected], [actual], guarantee="layout", backend=backend,
                          seeds=[seed], calls=[strided],
                          detail=f"{contiguous} into a contiguous tensor vs {strided}",
                          variables={"n": n}, call=contiguous)


def check_shape(backend, template: str, shape: tuple[int, ...], seed: int):
    """A call with a multi-dimensional shape vs the same call with as many elements in one
    dimension, reshaped in C order (a known divergence of this guarantee would run its witness
    through this, once :data:`WITNESS_CHECKS` lists "shape")."""
    size = int(np.prod(shape))
    shaped, flat = (parse_call(template.format(shape=s, n=size)) for s in (shape, (size,)))
    expected = backend.run(backend.open([seed])[0], flat).reshape(shape)
    actual = backend.run(backend.open([seed])[0], shaped)
    return ph.assert_same([expected], [actual], guarantee="shape", backend=backend, seeds=[seed],
                          calls=[shaped], detail=f"{shaped} vs {flat} reshaped to {shape}",
                          variables={"n": size}, call=shaped)


def check_resumed_children(backend, how: str, checkpoint: str, seed: int):
    """Children spawned after a checkpoint is restored in a fresh process vs those the
    uninterrupted stream spawns (the parent spawned one child before the checkpoint)."""
    probe = hh.probe(backend)
    stream = backend.open([seed])[0]
    backend.children(stream, how, 1)
    saved = backend.save(stream, checkpoint)
    expected = [backend.run(child, probe) for child in backend.children(stream, how, 2)]
    got = fresh_process.shared().resume(backend, saved, [], how=checkpoint,
                                        other_seed=seed ^ 0x5EED, spawn=(how, 2, str(probe)))
    return ph.assert_same(expected, got, guarantee="resume", backend=backend, seeds=[seed],
                          calls=[probe],
                          detail=f"one child by {how}, checkpoint by {checkpoint}, then two "
                                 f"more children's {probe}: resumed in a fresh process vs "
                                 "uninterrupted", variables={"how": how, "checkpoint": checkpoint})


#: The check each guarantee's witness examples run through: guarantee -> (backend, witness,
#: call) -> what the check returns (the known divergence that covered it, whether it differed).
def state_bytes(backend) -> np.ndarray:
    """The default generator's whole state, as bytes (what a compiled call left it in)."""
    return np.frombuffer(bytes(np.asarray(backend.get_state(None)).tobytes()), dtype=np.uint8)


def check_compiled_equals_eager(backend, seed: int, call):
    """A call compiled by the backend against the same call eager, from one seed: the values
    and the default generator's state after (so a stream goes on across the boundary). A
    compiled call that raises where eager draws differs too, with the error as its value."""
    eager = backend.eager_twin()
    expected = [eager.run(eager.open([seed])[0], call), state_bytes(eager)]
    stream = backend.open([seed])[0]
    try:
        actual = [backend.run(stream, call), state_bytes(backend)]
    except Exception as exc:  # noqa: BLE001 -- Inductor's own assertion (see divergences.toml)
        actual = [np.frombuffer(f"{type(exc).__name__}: {exc}".encode(), dtype=np.uint8)]
    return ph.assert_same(expected, actual, guarantee="compiled_equals_eager", backend=backend,
                          seeds=[seed], calls=[call], call=call,
                          detail=f"compiled {call} (draw 1) and the default generator's state "
                                 f"after it (draw 2) against {eager.name}")


def _python_draws() -> list[float]:
    import random

    return [random.random() for _ in range(3)]


def _numpy_draws() -> np.ndarray:
    return np.random.rand(3)


_INSIDE = {"python": _python_draws, "numpy": _numpy_draws}


def check_python_numpy_inside_compiled(backend, library: str, seed: int):
    """Python's or NumPy's global stream drawn inside the backend's compiled code against the
    same draws eager, each library seeded with ``seed`` (torch too) before."""
    import random

    fn = _INSIDE[library]
    compiled = backend.compile_function(fn)
    drawn = []
    for draw in (fn, compiled):
        random.seed(seed)
        np.random.seed(seed)
        backend.open([seed])
        drawn.append(np.asarray(draw(), dtype=np.float64))
    return ph.assert_same([drawn[0]], [drawn[1]], guarantee="compiled_python_numpy",
                          backend=backend, seeds=[seed], calls=[],
                          detail=f"{'random.random()' if library == 'python' else 'np.random.rand'}"
                                 f" x3 inside compiled code vs eager, after random.seed, "
                                 f"np.random.seed and torch.manual_seed({seed})",
                          variables={"library": library})


WITNESS_CHECKS = {
    "chunking": lambda backend, w, call: check_chunking(backend, call, w["n"], w["k"], w["seed"]),
    "distinct_seeds": lambda backend, w, call: check_distinct_seeds(backend, w["a"], w["b"]),
    "continues": lambda backend, w, call: check_continues(backend, w["seed"]),
    "layout": lambda backend, w, call: check_layout(backend, call, w["n"], w["seed"]),
    "compiled_equals_eager": lambda backend, w, call: check_compiled_equals_eager(
        backend, w["seed"], parse_call(call)),
    "compiled_python_numpy": lambda backend, w, call: check_python_numpy_inside_compiled(
        backend, w["library"], w["seed"]),
    "resume": lambda backend, w, call: check_resumed_children(backend, w["how"], w["checkpoint"],
                                                              w["seed"]),
}
