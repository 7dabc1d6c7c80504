"""Tests for the catalog: rows, ids and the call syntax."""

import re

import pytest

from rngsuite.core.catalog import (Call, Case, CatalogError, DType, List, Make, expand,
                                   load_catalog, parse_call, parse_case, parse_seed, seed_kind,
                                   select)


def test_ids_are_unique_and_readable(catalog):
    """Every case has one id of the form backend:calls@seeds, which reads back as the case."""
    assert len(catalog) == len(set(catalog))
    for case_id, case in catalog.items():
        assert re.fullmatch(r"[\w.()\[\],]+(:\w+)?:.+@[-\w=,()\[\]*+]+", case_id), case_id
        assert parse_case(case_id) == case, case_id


@pytest.mark.parametrize("text, kind", [
    ("17", "int"), ("-17", "negative"), ("2**64+17", "above-64-bits"),
    ("uint32(17)", "numpy-int"), ("[17,3]", "entropy"), ("SeedSequence(17)", "SeedSequence"),
    ("SeedSequence([17,3],spawn_key=(0,2))", "spawn-key"), ("PCG64(17)", "bit-generator"),
    ("default_rng(17)", "generator")])
def test_seed_forms_parse_render_and_classify(text, kind):
    """Each seed form reads back to itself and is classed as its regime."""
    seed = parse_seed(text)
    assert seed_kind(seed) == kind
    assert parse_seed(str(seed)) == seed


@pytest.mark.parametrize("text", ["SeedSequence(17,pool_size=8)", "PCG64()", "[]", "foo(17)",
                                  "1.5", "[1.5]"])
def test_bad_seed_forms_are_refused(text):
    """A seed the catalog cannot build is a CatalogError naming it."""
    with pytest.raises(CatalogError, match="seed"):
        parse_seed(text)


def test_vary_expands_placeholders_and_refuses_unknown_ones():
    """`vary` repeats a call for every value of each placeholder it contains."""
    rows = [{"backends": ["torch:cpu"], "seeds": [17], "calls": ["rand(5,dtype={d})", "randn(5)"],
             "vary": {"d": ["float16", "float64"]}}]
    assert [c.id for c in expand(rows)] == ["torch:cpu:rand(5,dtype=float16)@17",
                                           "torch:cpu:rand(5,dtype=float64)@17",
                                           "torch:cpu:randn(5)@17"]
    rows[0]["calls"] = ["rand(5,dtype={e})"]
    with pytest.raises(CatalogError, match="no vary values"):
        expand(rows)


def test_seed_notebook_ids_exist(catalog):
    """The notebooks' streams are in the catalog under their documented ids."""
    for case_id in ("torch:cpu:randn(5)@17", "torch:cpu:rand(3,4)@42",
                    "numpy.random:randn(5);randn(5)@17",
                    "numpy.RandomState:a.randn(5);b.randn(5);a.randn(5);b.randn(5)@a=17,b=20210530"):
        assert case_id in catalog


def test_catalog_covers_required_seeds_and_lengths(catalog):
    """Each backend has seeds 0, 17, 42 and 2**32-1, and short (5) and long (>=1000) draws."""
    by_backend = {}
    for case in catalog.values():
        by_backend.setdefault(case.backend, []).append(case)
    assert len(by_backend) == 19
    for backend, cases in by_backend.items():
        if backend.startswith("torch.compile["):
            # The compiled tier draws seed 17 only: each call is a compilation (seconds), and
            # its properties draw any seed through the calls compiled for the goldens.
            assert {17} <= {s for c in cases for s in c.seeds}, backend
            continue
        assert {0, 17, 42, 2**32 - 1} <= {s for c in cases for s in c.seeds}, backend
        assert any("(5" in c.id or "*5@" in c.id for c in cases), backend
        assert any("1000" in c.id for c in cases), backend


@pytest.mark.parametrize(("text", "expected"), [
    ("randn(5)", Call("randn", (5,))),
    ("rand(3, 4)", Call("rand", (3, 4))),
    ("randint(0, 10, (5,))", Call("randint", (0, 10, (5,)))),
    ("rand(5, dtype=float64)", Call("rand", (5,), (("dtype", DType("float64")),))),
    ("multinomial(ones(100), 5)", Call("multinomial", (Make("ones", (100,)), 5))),
    ("integers(-2**40, 2**40, 3)", Call("integers", (-2**40, 2**40, 3))),
    ("random()*5", Call("random", (), (), 5)),
    ("multinomial(10, [0.2, -0.3], 5)", Call("multinomial", (10, List((0.2, -0.3)), 5))),
])
def test_parse_call(text, expected):
    """Calls parse into name, literal arguments and repeat count."""
    assert parse_call(text) == expected


def test_ids_render_without_spaces():
    """The id of a parsed call is compact and stable whatever the spacing in the catalog."""
    case = Case("torch:cpu", (17,), (parse_call("randint(0, 10, ( 5, ))"),))
    assert case.id == "torch:cpu:randint(0,10,(5,))@17"


@pytest.mark.parametrize("text", ["randn(x)", "os.system('x')", "randn(5) + 1", "randn(*a)",
                                  "rand(__import__('os'))", "randn(5)*n"])
def test_parse_call_rejects_non_literals(text):
    """Anything but a call with literal arguments is a CatalogError, never evaluated."""
    with pytest.raises(CatalogError, match=re.escape(repr(text))):
        parse_call(text)


def test_multi_stream_calls_need_a_stream_letter():
    """With two seeds, a call without a. or b. is rejected."""
    with pytest.raises(CatalogError, match="stream letter"):
        parse_call("randn(5)", streams=2)
    assert parse_call("b.randn(5)", streams=2).stream == 1


def test_devices_expand_torch_rows():
    """{device} in a backend name gives one set of cases per device, and only torch has it."""
    cases = load_catalog(devices=["cpu", "cuda"])
    names = {c.backend for c in cases}
    assert {"torch:cpu", "torch:cuda", "torch.Generator:cuda"} <= names
    assert all(c.device == "cuda" for c in cases if c.backend.endswith(":cuda"))


def test_select_by_glob(catalog):
    """--case globs pick cases by id."""
    chosen = select(catalog.values(), ["torch:cpu:randn(5)@*"])
    assert {c.id for c in chosen} == {f"torch:cpu:randn(5)@{s}" for s in (0, 17, 42, 2**32 - 1)}


def test_list_literals_keep_ids_compact_and_snippets_list_shaped(backends):
    """[..] arguments render without spaces in ids and as lists in snippets; cases stay hashable."""
    case = Case("numpy.RandomState", (0,),
                (parse_call("multivariate_normal([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]], 5)"),))
    assert case.id == "numpy.RandomState:multivariate_normal([0.0,0.0],[[1.0,0.5],[0.5,1.0]],5)@0"
    assert "multivariate_normal([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]], 5)" in \
        backends["numpy.RandomState"].snippet(case)
    hash(case)
