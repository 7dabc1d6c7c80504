"""The deep-stream machinery (suite/checks/deep.py): chunked digests, jump-ahead, the goldens file."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from conftest import ROOT, run_cli, tree_digest
from rngsuite.checks import deep
from rngsuite.checks.recording import Recorder
from rngsuite.core.catalog import QUICK_MAX, CatalogError, DeepCase, load_deep, parse_deep_id
from rngsuite.core.compare import digest as sha256_digest
from rngsuite.core.ledger import DEEP, DIGEST, Ledger, LedgerError, deep_path, read_deep
from rngsuite.reference import mt19937 as mt

pytest.importorskip("xxhash")

C = DeepCase
PCG = "numpy.Generator(PCG64)"
MT = "numpy.Generator(MT19937)"


# ------------------------------------------------------------------------------ chunking
def _one_shot(case: DeepCase) -> np.ndarray:
    """The case's values drawn by the library in one call, without rngsuite.checks.deep."""
    import torch

    seed, n = case.seed, case.start + case.length
    if case.backend.startswith("numpy.Generator("):
        kind = case.backend[len("numpy.Generator("):-1]
        g = np.random.Generator(getattr(np.random, kind)(seed))
        values = g.bit_generator.random_raw(n) if case.call == "random_raw" else g.random(n)
    else:
        values = torch.rand(n, generator=torch.Generator().manual_seed(seed)).numpy()
    return values[case.start:]


@pytest.mark.parametrize("case", [C(PCG, "random_raw", 17, 0, 100_003),
                                  C(MT, "random", 42, 0, 50_001),
                                  C("numpy.Generator(SFC64)", "random_raw", 0, 0, 30_000),
                                  C("torch.Generator:cpu", "rand", 17, 0, 100_003)], ids=str)
def test_chunk_size_never_changes_the_digest(case, backends):
    """A deep digest is the digest of the whole draw's canonical bytes, whatever the chunk size
    (1 value, odd sizes, the default, more than the draw): with SHA-256 it is the ledger's own
    digest of the one-shot array."""
    whole = _one_shot(case)
    want = deep.digest_arrays([whole])
    for chunk in (1, 7, 4096, deep.CHUNK, 10**6):
        if chunk == 1 and case.length > 40_000:
            continue  # a value per call is slow; 7 already splits everywhere
        got = deep.draw(case, backends, chunk=chunk)
        assert got.digest == want, chunk
        assert got.head.tolist() == whole[:deep.HEAD].tolist() and got.dtype == str(whole.dtype)
    assert deep.draw(case, backends, algorithm="sha256").digest == sha256_digest(whole)


def test_digest_of_pieces_is_digest_of_the_concatenation():
    """Hashing arrays one after another equals hashing their concatenation (bool as one byte,
    non-contiguous and big-endian arrays by their canonical little-endian bytes)."""
    a = np.arange(10, dtype=np.float32)
    b = np.array([True, False, True])
    c = np.arange(12, dtype=">u8").reshape(3, 4)[:, ::2]
    canonical = np.concatenate([a.view(np.uint8), b.view(np.uint8),
                                np.ascontiguousarray(c).astype("<u8").view(np.uint8).ravel()])
    for algorithm in deep.ALGORITHMS:
        assert deep.digest_arrays([a, b, c], algorithm) == deep.digest_arrays([canonical],
                                                                                algorithm)


def test_a_long_check_holds_one_chunk_in_memory(backends):
    """Checking 10**7 values allocates about one chunk (tracemalloc sees NumPy's buffers), not
    the 80 MB the draw would take at once."""
    case = C(PCG, "random_raw", 17, 0, 10**7)
    tracemalloc.start()
    try:
        deep.draw(case, backends)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * deep.CHUNK * 8, peak


# ------------------------------------------------------------------------------ jump-ahead
@pytest.mark.parametrize("k", [0, 1, 2, 623, 624, 625, 1247, 1248, 1249, 5000])
@pytest.mark.parametrize("seeding", ["SeedSequence", "legacy"])
def test_mt_advance_equals_drawing_k_words(k, seeding):
    """The MT19937 jump by any distance k (x**k mod phi) lands where drawing k words does,
    from NumPy's SeedSequence seeding (pos 623) and from init_genrand (pos 624)."""
    state = mt.seedseq_state(17) if seeding == "SeedSequence" else mt.legacy_state(17)
    drawn = state.copy()
    mt.raw_words(drawn, k)
    assert mt.next_words(mt.advance(state, k), 700).tolist() == \
        mt.next_words(drawn, 700).tolist()


def test_mt_jump_polynomial_generalises_numpys():
    """x**(2**128) mod phi is the jump polynomial NumPy's MT19937.jumped uses, and the
    generalised jump lands where NumPy's C jump does: from a block end (pos 624), NumPy's
    jumped() is 2**128 - 624 words ahead."""
    assert mt.power_polynomial(2**128) == mt.jump_polynomial(128)
    bg = np.random.MT19937(17)
    bg.random_raw(625)  # to pos 624, after a twist
    st = bg.state["state"]
    assert st["pos"] == 624
    state = mt.MTState(key=np.array(st["key"], dtype=np.uint32), pos=624)
    assert mt.next_words(mt.advance(state, 2**128 - 624), 10).tolist() == \
        bg.jumped().random_raw(10).tolist()


JUMPABLE = [(PCG, "random_raw"), ("numpy.Generator(PCG64DXSM)", "random"),
            ("numpy.Generator(Philox)", "random_raw"), ("numpy.Generator(Philox)", "random"),
            (MT, "random_raw"), (MT, "random"), ("torch:cpu", "rand"),
            ("torch.Generator:cpu", "rand")]


@pytest.mark.parametrize("backend,call", JUMPABLE)
def test_jump_then_draw_equals_drawing_everything(backend, call, backends):
    """For each stream that jumps (PCG64/PCG64DXSM and Philox advance, MT19937 through NumPy's
    and torch's state), jumping to a position and drawing gives the values that drawing every
    value before it gives: at block edges (Philox's 4 words, MT19937's 624) and at 10**6."""
    for start in (1, 3, 623, 624, 625, 1249, 10**6 + 3):
        case = C(backend, call, 17, start, 2000)
        jumped = deep.draw(case, backends, chunk=4096)
        assert jumped.how.startswith("jump: "), jumped.how
        assert jumped.digest == deep.draw(case, backends, chunk=4096, jump=False).digest, start


def test_a_stream_without_jump_draws_its_way_there(backends):
    """SFC64 has no jump-ahead: a window is reached by drawing, and says so."""
    case = C("numpy.Generator(SFC64)", "random_raw", 17, 1000, 50)
    got = deep.draw(case, backends)
    assert got.how == "drawn"
    assert got.head.tolist() == _one_shot(case)[:deep.HEAD].tolist()


def test_torch_state_layout_is_the_mt19937_engine():
    """torch's CPU generator state holds MT19937's key and read position: freshly seeded it is
    init_genrand(seed) at pos 624; after 3 draws, pos 3; writing a state back round-trips."""
    import torch

    g = torch.Generator().manual_seed(17)
    state = bytes(g.get_state().numpy())
    fresh = deep.torch_mt_state(state)
    assert fresh.pos == 624 and fresh.key.tolist() == mt.legacy_state(17).key.tolist()
    torch.rand(3, generator=g)
    after = deep.torch_mt_state(bytes(g.get_state().numpy()))
    assert after.pos == 3
    assert deep.torch_mt_state(deep.torch_state_with(state, after)).key.tolist() == \
        after.key.tolist()
    with pytest.raises(ValueError, match="layout"):
        deep.torch_mt_state(state[:-1])


# ------------------------------------------------------------------------------ cases and ids
def test_ids_read_back_and_are_unique():
    """Every deep case id (catalog rows [[deep]]) reads back as its case; ids are unique and
    the default tier stays at most 10**7 values."""
    cases = load_deep()
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids) and len(ids) == len(load_deep())
    for case in cases:
        assert parse_deep_id(case.id) == case
    assert C(PCG, "random_raw", 17, 0, 10**8).id == "numpy.Generator(PCG64):random_raw(10**8)@17"
    assert C(PCG, "random_raw", 17, 2**40, 10**6).id == \
        "numpy.Generator(PCG64):random_raw[2**40:+10**6]@17"
    assert C("torch:cpu", "rand", 0, 12345, 1000).id == "torch:cpu:rand[12345:+1000]@0"
    for bad in ("torch:cpu:rand(1e6)@0", "torch:cpu:rand(1000000)@0", "rand(10**6)@0"):
        with pytest.raises(CatalogError):
            parse_deep_id(bad)
    assert any(c.nightly for c in cases)
    assert all(c.length <= QUICK_MAX for c in cases if not c.nightly)


def test_committed_goldens_cover_every_case():
    """golden/deep/digests.json reads cleanly and records every deep case (no case is left
    unrecorded, nightly ones included)."""
    recorded = read_deep(deep_path(ROOT / "golden"))
    assert recorded.header["digest"] == DIGEST
    assert sorted(recorded.cases) == sorted(c.id for c in load_deep())


# ------------------------------------------------------------------------------ the file
QUICK = C(PCG, "random_raw", 17, 0, 1000)


def _record(root, backends, *, label=None, digest=None):
    """Draw QUICK and record it into root's deep goldens (as another environment, or with
    another digest, when asked): the outcome."""
    recorder = Recorder(Ledger.load(root))
    verdict = deep.check(QUICK, recorder.ledger, backends)
    if label:
        verdict.label = label
    if digest:
        verdict.values.digest = digest
    result = recorder.add(verdict)
    recorder.save()
    return result.outcome, result.era


@pytest.fixture
def deep_root(tmp_path, backends):
    """A ledger root whose deep goldens hold one recorded case."""
    root = tmp_path / "golden"
    root.mkdir()
    assert _record(root, backends) == ("new-case", "A")
    return root


def test_recording_follows_the_ledgers_rules(deep_root, backends):
    """Recording again changes no byte; a new environment with the same digest joins the era;
    the same environment with another digest is a conflict and writes nothing."""
    path = deep_path(deep_root)
    before = path.read_bytes()
    assert _record(deep_root, backends) == ("unchanged", "A")
    assert path.read_bytes() == before
    here = deep.check(QUICK, Ledger.load(deep_root), backends)
    assert here.status == "conforms"
    assert _record(deep_root, backends, label="numpy-9.9.9/Linux/x86_64") == ("joined", "A")
    assert read_deep(path).cases[QUICK.id][0].environments == \
        sorted(["numpy-9.9.9/Linux/x86_64", here.label])
    middle = path.read_bytes()
    assert _record(deep_root, backends, digest="0" * 32) == ("conflict", "A")
    assert path.read_bytes() == middle


def test_a_changed_stream_fails_and_says_where(deep_root, backends):
    """A stream whose digest moved is 'changed'; the message gives both digests, the first
    differing value (or that the first values agree), and how to reproduce and record."""
    path = deep_path(deep_root)
    data = json.loads(path.read_text())
    era = data["cases"][QUICK.id][0]
    era["digest"] = "f" * 32
    path.write_text(json.dumps(data))
    v = deep.check(QUICK, Ledger.load(deep_root), backends)
    assert v.status == "changed" and not v.ok and v.store == DEEP
    msg = v.message()
    assert f"recorded {'f' * 32}" in msg and "the first 8 values are equal" in msg
    assert f"reproduce: python -m rngsuite deep verify --case '{QUICK.id}'" in msg
    assert f"python -m rngsuite deep record --case '{QUICK.id}'" in msg
    era["head"][2] += 1
    path.write_text(json.dumps(data))
    msg = deep.check(QUICK, Ledger.load(deep_root), backends).message()
    assert f"first difference at value 2: recorded {era['head'][2]}" in msg


def _mutate(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _set_era(key, value):
    return lambda d: next(iter(d["cases"].values()))[0].__setitem__(key, value)


BAD = {
    "not JSON": (lambda p: p.write_text('{"format": '), "line 1 column"),
    "a key twice": (lambda p: p.write_text(p.read_text().replace('"version": 1,',
                                                                 '"version": 1, "version": 1,')),
                    "key 'version' appears twice"),
    "another format": (lambda p: _mutate(p, lambda d: d.update(format="rngsuite-ledger")),
                       "not rngsuite deep goldens"),
    "newer version": (lambda p: _mutate(p, lambda d: d.update(version=99)),
                      "version: format version 99"),
    "unknown digest": (lambda p: _mutate(p, lambda d: d.update(digest="md5")), "digest: 'md5'"),
    "bad case id": (lambda p: _mutate(p, lambda d: d["cases"].update(
        {"torch:cpu:rand(1e6)@0": d["cases"][QUICK.id]})), "case 'torch:cpu:rand(1e6)@0'"),
    "short digest": (lambda p: _mutate(p, _set_era("digest", "abc")), "digest 'abc'"),
    "length": (lambda p: _mutate(p, _set_era("length", 999)), "length 999"),
    "dtype": (lambda p: _mutate(p, _set_era("dtype", "object")), "dtype 'object'"),
    "NaN in head": (lambda p: _mutate(p, _set_era("head", [float("nan")] + [1] * 7)),
                    "head[0]: NaN where a number was recorded"),
    "inexact head value": (lambda p: _mutate(p, _set_era("head", [0.5] * 8)),
                           "head[0]: 0.5 is not a uint64 value"),
    "unknown environment": (lambda p: _mutate(p, _set_era("environments", ["nowhere"])),
                            "environment 'nowhere' has no provenance"),
    "era name": (lambda p: _mutate(p, _set_era("era", "B")), "expected 'A'"),
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_bad_deep_goldens_are_refused_by_file_and_entry(what, deep_root):
    """A malformed deep goldens file is a LedgerError naming the file and the entry."""
    path = deep_path(deep_root)
    damage, expect = BAD[what]
    damage(path)
    with pytest.raises(LedgerError) as info:
        read_deep(path)
    assert str(info.value).startswith(str(path)) and expect in str(info.value), str(info.value)


def test_one_environment_in_two_eras_is_refused(deep_root):
    """An environment listed in two eras of a case is refused."""
    path = deep_path(deep_root)

    def two_eras(d):
        eras = d["cases"][QUICK.id]
        eras.append({**eras[0], "era": "B", "digest": "0" * 32})
    _mutate(path, two_eras)
    with pytest.raises(LedgerError, match="is in two eras"):
        read_deep(path)


def test_cli_verifies_lists_and_refuses_bad_input(deep_root):
    """python -m rngsuite deep: verify exits 0 on a recorded case and 1 on an unrecorded one;
    list prints ids with their tier; a bad file or unknown case is one line and exit 2, and
    nothing is written."""
    good = run_cli("deep", "verify", "--ledger", str(deep_root), "--case", QUICK.id)
    assert good.returncode == 0 and f"conforms   {QUICK.id}" in good.stdout, good.stdout
    other = "numpy.Generator(PCG64):random_raw(10**6)@17"
    missing = run_cli("deep", "verify", "--ledger", str(deep_root), "--case", other)
    assert missing.returncode == 1 and f"{other}: no golden recorded" in missing.stdout
    listed = run_cli("deep", "list", "--nightly").stdout.splitlines()
    assert "numpy.Generator(PCG64):random_raw(10**9)@17  [nightly]" in listed
    unknown = run_cli("deep", "verify", "--case", "nothing*")
    assert unknown.returncode == 2 and "no deep case matches nothing*" in unknown.stderr
    path = deep_path(deep_root)
    path.write_text("{")
    before = tree_digest(deep_root)
    bad = run_cli("deep", "record", "--ledger", str(deep_root), "--case", QUICK.id)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert str(path) in bad.stderr and "not valid JSON" in bad.stderr
    assert tree_digest(deep_root) == before


def test_a_long_draw_of_a_sampler_is_its_chunked_calls():
    """A long draw (``binomial(100,0.5,{n})``) is the call made again and again with 2**16 values
    on one seeded stream: its digest is that of those draws concatenated, and its block CRCs
    name the first block where a changed stream parts."""
    import zlib

    import numpy as np

    from rngsuite.backends import registry
    from rngsuite.checks import deep
    from rngsuite.core.catalog import SAMPLER_CHUNK, parse_deep_id
    from rngsuite.core.ledger import BLOCK, Digest

    case = parse_deep_id("numpy.default_rng:binomial(100,0.5,{n})(10**5)@17")
    drawn = deep.draw(case, registry())
    g = np.random.default_rng(17)
    values = np.concatenate([g.binomial(100, 0.5, n) for n in
                             [SAMPLER_CHUNK, 10**5 - SAMPLER_CHUNK]])
    assert drawn.digest == deep.digest_arrays([values])
    crcs = np.frombuffer(drawn.blocks, dtype="<u4")
    assert crcs.size == -(-10**5 // BLOCK)
    assert crcs[3] == zlib.crc32(values[3 * BLOCK:4 * BLOCK].astype("<i8").tobytes())
    changed = values.copy()
    changed[5 * BLOCK + 7] += 1
    other = deep.BlockCRCs()
    other.update(changed)
    a = Digest("int64", 10**5, drawn.digest, [], drawn.blocks)
    b = Digest("int64", 10**5, "x", [], other.finish())
    assert a.first_block_differing(b) == 5
