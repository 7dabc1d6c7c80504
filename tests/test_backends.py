"""Tests for the backend adapters: the protocol, and snippets that really reproduce."""

import builtins

import numpy as np
import pytest

from conftest import NEWER_CALLS
from rngsuite.backends import Backend
from rngsuite.checks import engine

real_print = builtins.print

#: A release refuses a few catalog cases (torch 2.13 has no complex dropout, torch 2.0 no
#: uint16); more than this share refused means the adapter, not the release, is broken.
_MOST_REFUSED = 0.02


def test_every_backend_satisfies_the_protocol(backends):
    """Each registered adapter implements the Backend protocol and names its provenance."""
    assert len(backends) == 19
    for backend in backends.values():
        assert isinstance(backend, Backend)
        assert backend.library in backend.provenance_keys()


def test_every_catalog_call_exists_on_its_backend(catalog, backends):
    """No catalog row names a call its backend lacks (but for calls newer than the installed
    release, which it names as absent)."""
    for case in catalog.values():
        backend = backends[case.backend]
        missing = [s for s in case.steps if not backend.supports(s)]
        assert all(s.name in NEWER_CALLS and backend.absent(s) for s in missing), case.id


def test_drawing_twice_is_identical(catalog, backends):
    """Drawing a case re-seeds it: two draws of every case are bit-identical (a case the
    installed release refuses is refused both times, with the same error)."""
    refused = []
    for case in catalog.values():
        backend = backends[case.backend]
        if not all(backend.supports(s) for s in case.steps):
            continue  # newer than the installed release (NEWER_CALLS)
        try:
            first = engine.draw(backend, case)
        except engine.Refused as exc:
            refused.append(case.id)
            with pytest.raises(type(exc.error)):
                backend.draw(case)
            continue
        second = backend.draw(case)
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b, strict=True)
    assert len(refused) <= _MOST_REFUSED * len(catalog), refused[:10]


def test_snippets_reproduce_the_draws(catalog, backends, monkeypatch):
    """Running a case's repro snippet prints exactly the values the backend draws, and raises
    the library's own error where the installed release refuses the case."""
    for case in catalog.values():
        backend = backends[case.backend]
        if not all(backend.supports(s) for s in case.steps):
            continue  # newer than the installed release (NEWER_CALLS)
        if backend.unavailable():
            # It cannot draw here at all (Inductor builds no C++ for ATen's generic kernels,
            # ATEN_CPU_CAPABILITY=default): the backend's own skip line says so in a verify.
            continue
        try:
            expected = engine.draw(backend, case)
        except engine.Refused as exc:
            with pytest.raises(type(exc.error)):
                exec(backend.snippet(case), {})
            continue
        printed = []

        def capture(*args, printed=printed, **kwargs):
            # The snippet prints one value per draw; torch.compile's own printing (dynamo
            # disassembles a function that breaks its graph) goes to a file, as it asks.
            if "file" in kwargs:
                return real_print(*args, **kwargs)
            printed.append(args[0])

        monkeypatch.setattr(builtins, "print", capture)
        try:
            exec(backend.snippet(case), {})
        finally:
            monkeypatch.undo()
        assert len(printed) == len(expected), case.id
        for shown, want in zip(printed, expected):
            got = backend.stack(shown) if isinstance(shown, list) else backend.to_numpy(shown)
            np.testing.assert_array_equal(got, want, strict=True, err_msg=case.id)


def test_the_device_is_a_parameter(backends):
    """Torch adapters take their device from the registry, and a missing one says why."""
    from rngsuite.backends import registry

    cuda = registry(["cuda"])
    assert cuda["torch:cuda"].device == "cuda"
    import torch

    if not torch.cuda.is_available():
        assert "CUDA" in cuda["torch:cuda"].unavailable()
    assert backends["torch:cpu"].unavailable() is None


def test_global_backends_take_one_seed(catalog, backends):
    """A global stream cannot hold two interleaved seeds."""
    from rngsuite.core.catalog import Case, CatalogError, parse_steps

    case = Case("numpy.random", (1, 2), parse_steps("a.rand(2);b.rand(2)", streams=2))
    with pytest.raises(CatalogError, match="one global stream"):
        backends["numpy.random"].draw(case)


def test_pandas_int_reseeds_every_call(catalog, backends):
    """random_state=<int> is no stream: pandas makes a new RandomState per call, so the second
    sample repeats the first; a RandomState or Generator passed in is advanced by each call."""
    for name, repeats in (("pandas(int)", True), ("pandas(RandomState)", False),
                          ("pandas(Generator)", False)):
        first, second = backends[name].draw(catalog[f"{name}:DataFrame_sample(5);DataFrame_sample(5)@17"])
        assert np.array_equal(first, second) == repeats, name
    handle = backends["pandas(int)"].open([17])[0]
    before = backends["pandas(int)"].fingerprint(handle)
    backends["pandas(int)"].run(handle, catalog["pandas(int):DataFrame_sample(5)@17"].steps[0])
    assert backends["pandas(int)"].fingerprint(handle) == before


def test_a_torch_call_the_release_lacks_is_absent(monkeypatch):
    """Where the installed torch lacks a call's function (a newer distribution), or the
    ``generator=`` argument a torch.Generator stream passes (nn.init before it took one), the
    torch backends say which and in which release; the default generator does not need it."""
    import torch

    from rngsuite.backends import registry
    from rngsuite.core.catalog import parse_call

    monkeypatch.setattr(torch.nn.init, "normal_", lambda tensor, mean=0.0, std=1.0: tensor)
    monkeypatch.delattr(torch.distributions, "InverseGamma")
    fresh = registry(["cpu"])  # what each backend found absent is kept per instance
    generator, default = fresh["torch.Generator:cpu"], fresh["torch:cpu"]
    init, inverse_gamma = parse_call("init_normal_(ones(5))"), parse_call(
        "InverseGamma_sample(2.0,1.0,(5,))")
    release = torch.__version__
    assert generator.absent(init) == f"torch.nn.init.normal_ takes no generator= in torch {release}"
    assert not generator.supports(init) and default.supports(init)
    assert default.absent(inverse_gamma) == f"no torch.distributions.InverseGamma in torch {release}"
    # ATen builtins have no Python signature: their operator schemas say whether generator= exists.
    assert generator.absent(parse_call("rand_like(ones(5))")) is None
    assert generator.absent(parse_call("normal_(5)")) is None
