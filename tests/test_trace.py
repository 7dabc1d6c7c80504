"""rngsuite trace: the draws a user's function makes, mapped to catalog cases and joined with
the ledger across an upgrade -- and, on the example project, the prediction against what the
recorded releases actually did."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rngsuite.core.ledger import Ledger
from rngsuite.tools import trace
from rngsuite.tools.report import Spec

from conftest import ROOT

EXAMPLE = ROOT / "examples" / "seeded-training"


def _draws(t: trace.Trace) -> dict[str, trace.Draw]:
    return {d.op: d for d in t.draws}


def test_every_kind_of_draw_is_traced_with_its_regime():
    """torch ops (default and explicit generator, with dtype, size band and layout), NumPy's
    Generator and legacy global functions, Python's random (global and own instances) are
    each noted once per call; NumPy's generators are themselves again afterwards."""
    before = np.random.default_rng

    def user():
        g = torch.Generator().manual_seed(1)
        torch.rand(20)
        torch.randn(5, generator=g)
        torch.empty(4, 6).t().normal_()
        np.random.default_rng(3).permutation(10)
        np.random.rand(2)
        random.random()
        random.Random(3).shuffle([1, 2, 3])

    t = trace.run_traced(user)
    got = _draws(t)
    assert got["aten::rand"] == trace.Draw("torch", "aten::rand", "float32", "16..800",
                                           "contiguous", "cpu", "default")
    # With generator=, torch dispatches another overload of randn.
    explicit = got["aten::randn.generator"]
    assert explicit.generator == "explicit" and explicit.size == "1..16"
    assert got["aten::normal_"].layout == "strided"
    assert got["Generator(PCG64).permutation"].library == "numpy"
    assert "Generator(PCG64).shuffle" not in got  # called inside permutation: not the user's
    assert got["RandomState.rand"].generator == "global"
    assert {"Random.random", "Random.shuffle"} <= set(got)
    assert sum(t.draws.values()) == 7  # manual_seed is not a draw
    assert np.random.default_rng is before and isinstance(np.random.default_rng(1),
                                                          np.random.Generator)


def test_each_draw_says_what_the_user_called_and_where():
    """A draw is told by the public function the user's code called to make it and the
    user's line: dropout's bernoulli_ is "dropout (test_trace.py:N)"; a direct call has only
    the line; threads the user starts are counted, a library's own are not."""
    import threading

    def user():
        torch.nn.functional.dropout(torch.ones(1000), 0.5)
        torch.rand(3)
        worker = threading.Thread(target=lambda: None)
        worker.start()
        worker.join()

    t = trace.run_traced(user)
    sites = {d.op: set(t.sites[d]) for d in t.draws}
    assert [s.split(" (")[0] for s in sites["aten::bernoulli_.float"]] == ["dropout"]
    assert all(s.startswith("(test_trace.py:") for s in sites["aten::rand"])
    assert t.threads == 1


def test_a_pandas_sample_maps_to_the_catalog_s_sample_cases(catalog):
    """DataFrame.sample is traced as the catalog names the call, so it has cases to be judged
    by (a draw nothing maps to would always be unknown); the NumPy draw pandas makes inside
    it, from the RandomState it builds, is listed too."""
    import pandas as pd

    frame = pd.DataFrame({"a": range(10)})
    t = trace.run_traced(lambda: frame.sample(3, random_state=1))
    draw = next(d for d in t.draws if d.library == "pandas")
    assert draw.op == "DataFrame_sample"
    assert {d.op for d in t.draws} == {"DataFrame_sample", "RandomState.choice"}
    matched = trace.matching_cases(draw, list(catalog.values()), {})
    assert matched and all(b.startswith("pandas(") for b, _, _ in matched)


def test_a_function_without_draws_traces_nothing():
    """Arithmetic is not a draw."""
    assert not trace.run_traced(lambda: torch.ones(3) * 2 + np.arange(3).sum()).draws


@pytest.fixture(scope="module")
def small_index(catalog, backends):
    """The catalog's torch cases of dropout, bernoulli_, orthogonal_, uniform_ and randn(5),
    traced (the full catalog takes half a minute)."""
    ids = ["torch:cpu:dropout(ones(64),0.5)@0", "torch:cpu:bernoulli_(ones(1000),0.3)@17",
           "torch:cpu:uniform_(20)@17", "torch:cpu:randn(5)@17",
           "torch:cpu:init_orthogonal_(ones(10,100))@0"]
    return trace.torch_case_ops([catalog[i] for i in ids], backends)


def test_an_upgrade_is_said_per_draw_changed_unchanged_or_unknown(small_index, catalog):
    """Against the committed ledger, across torch 2.6 -> 2.7: dropout's bernoulli_ changed
    (recorded 2.6.0 and 2.7.1 differ), uniform_ of 20 floats did not, and a float64 randn no
    case of this index covers is unknown -- never safe."""
    def user():
        torch.nn.functional.dropout(torch.ones(1000), 0.5)
        torch.empty(20).uniform_()
        torch.randn(7, dtype=torch.float64)

    frame, _ = trace.report(trace.run_traced(user), Ledger.load(ROOT / "golden"),
                            list(catalog.values()), small_index,
                            old=Spec("torch", "2.6"), new=Spec("torch", "2.7"))
    by_op = {row.op: row.upgrade for row in frame.itertuples()}
    assert by_op["aten::bernoulli_.float"].startswith("changed in torch 2.7.1"), by_op
    assert by_op["aten::uniform_"].startswith("unchanged"), by_op
    assert by_op["aten::randn"] == "unknown: no catalog case covers it"
    assert trace.prediction(frame)[0] == "changed"


def test_only_a_case_that_returns_its_draw_is_evidence_about_the_draw(small_index):
    """A case is evidence about a draw alone only where it returns what the draw made:
    bernoulli_ is, dropout (which scales its bernoulli_ mask) and orthogonal_ (a QR after its
    normal_) are not -- their changes may be the arithmetic's (issue 26's false alarms)."""
    alone = {case_id: only for entries in small_index.values() for _, case_id, only in entries}
    assert alone["torch:cpu:bernoulli_(ones(1000),0.3)@17"] is True
    assert alone["torch:cpu:uniform_(20)@17"] is True
    assert alone["torch:cpu:randn(5)@17"] is True
    assert alone["torch:cpu:dropout(ones(64),0.5)@0"] is False
    assert alone["torch:cpu:init_orthogonal_(ones(10,100))@0"] is False


def test_an_op_that_moves_no_generator_is_not_a_draw():
    """Ops tagged nondeterministic_seeded that draw nothing under their arguments -- dropout
    with p=0, attention with dropout_p=0, eval-mode rrelu -- are not listed as draws; with
    p>0 they are (found by the generator's state, not by a list)."""
    import torch.nn.functional as F

    q = torch.randn(1, 2, 4, 8)

    def quiet():
        F.dropout(q, p=0.0)
        F.scaled_dot_product_attention(q, q, q, dropout_p=0.0)
        F.rrelu(q, training=False)

    def drawing():
        F.dropout(q, p=0.5)
        F.scaled_dot_product_attention(q, q, q, dropout_p=0.3)

    assert not trace.run_traced(quiet, show=False).draws
    assert sum(trace.run_traced(drawing, show=False).draws.values()) == 2


def test_a_change_seen_only_under_other_conditions_is_not_this_machine_s(tmp_path,
                                                                        monkeypatch):
    """The verdict is for this machine's conditions: a case that changed only on aarch64
    SVE256 is "unchanged" here, with the change in its own column -- never this x86-64
    machine's change (issue 26); where it changed here, it is "changed"."""
    from rngsuite.core.ledger import Ledger as LedgerType

    case = "torch:cpu:uniform_(20)@17"
    a, b = [np.arange(20, dtype=np.float32)], [np.arange(20, dtype=np.float32) + 1]

    def ledger(changed_here: bool) -> LedgerType:
        root = tmp_path / f"ledger-{changed_here}"
        root.mkdir()
        led = LedgerType.load(root)
        for label, values in (("torch-2.6.0+cu124/AVX512/Linux/x86_64", a),
                              ("torch-2.7.1+cu126/AVX512/Linux/x86_64", b if changed_here else a),
                              ("torch-2.6.0+cpu/SVE256/Linux/aarch64", a),
                              ("torch-2.7.1+cpu/SVE256/Linux/aarch64", b)):
            led.record("torch:cpu", case, label, {}, values)
        return led

    monkeypatch.setattr(trace, "here_conditions", lambda: {"AVX512", "Linux", "x86_64"})
    t = trace.run_traced(lambda: torch.empty(20).uniform_(), show=False)
    index = {("aten::uniform_", "float32", "16..800", "contiguous"): [("torch:cpu", case, True)]}
    for changed_here, verdict in ((False, "unchanged"), (True, "changed")):
        frame, _ = trace.report(t, ledger(changed_here), [], index,
                                old=Spec("torch", "2.6"), new=Spec("torch", "2.7"))
        row = frame.iloc[0]
        assert row["upgrade"].startswith(verdict), row["upgrade"]
        assert trace.prediction(frame)[0] == verdict
        assert row["elsewhere"] == ("" if changed_here else "changed on SVE256 only")


def test_every_seeded_overload_is_covered_or_has_its_reason():
    """report --trace-coverage: each overload the installed torch tags nondeterministic_seeded
    has a catalog case that isolates it, or a reason (composite, no CPU kernel, internal, or
    a trace_ops.toml row whose probe still fails) -- none is a bare gap, none is stale."""
    result = subprocess.run([sys.executable, "-m", "rngsuite", "report", "--trace-coverage"],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| aten::")]
    assert len(rows) == len(trace.seeded_overloads()) > 100
    assert not [r for r in rows if "no isolating catalog case" in r or "STALE" in r]
    covered = {r.split("|")[1].strip() for r in rows if r.rstrip("| ").endswith("covered")}
    # The forms issue 26 found unknown have their isolating cases now.
    assert {"aten::randint", "aten::randint.generator", "aten::random_", "aten::randint.out",
            "aten::bernoulli.p", "aten::native_dropout"} <= covered


def test_the_shipped_trace_index_holds_every_torch_case_of_the_catalog(catalog):
    """The per-case table rngsuite ships for a torch release holds every catalog torch case,
    so that a first trace on that release traces nothing of the catalog (else: python -m
    rngsuite trace --write-index, under that release)."""
    path = trace.shipped_path(torch.__version__)
    if not path.exists():
        pytest.skip(f"rngsuite ships no trace table for torch {torch.__version__}")
    shipped = trace.read_entries(path)
    wanted = {c.id for c in catalog.values() if c.backend in ("torch:cpu", "torch.Generator:cpu")}
    missing = sorted(wanted - set(shipped))
    assert not missing, f"{len(missing)} cases missing, e.g. {missing[:3]}: run python -m " \
                        "rngsuite trace --write-index"


def test_a_stale_unreachable_row_is_reported(monkeypatch):
    """A trace_ops.toml row whose probe works (the overload became reachable) is reported
    STALE, not trusted."""
    table = {"aten::rand.out": ("torch.rand takes no out=", "torch.rand(2, out=torch.ones(2))")}
    monkeypatch.setattr(trace, "unreachable", lambda: table)
    frame = trace.coverage({})
    status = frame.set_index("overload").loc["aten::rand.out", "status"]
    assert status.startswith("STALE trace_ops.toml row"), status


def test_numpy_rows_say_dtype_and_size_and_the_user_s_printing_is_kept_apart(tmp_path):
    """NumPy draws show their dtype and size (an in-place shuffle, a scalar), rows that would
    read the same are one, and what the traced function prints goes to stderr, not into the
    report; a single traced function gets its one-line prediction."""
    (tmp_path / "user.py").write_text(
        "import numpy as np\n"
        "def draws(seed):\n"
        "    g = np.random.default_rng(seed)\n"
        "    x = np.arange(10)\n"
        "    g.shuffle(x)\n"
        "    print('the user printed this')\n"
        "    return g.random(), g.normal(size=3)\n")
    result = subprocess.run([sys.executable, "-m", "rngsuite", "trace", "user:draws", "--seed",
                             "3", "--from", "numpy==1.26", "--to", "numpy==2.4"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "the user printed this" not in result.stdout and "the user printed this" in \
        result.stderr
    assert re.search(r"^\| user:draws@3 \| (changed|unchanged|unknown) \|", result.stdout, re.M)
    rows = {line.split("|")[3].strip(): line for line in result.stdout.splitlines()
            if "Generator(PCG64)." in line}
    assert "| int64   | 10 (in place) |" in rows["Generator(PCG64).shuffle"].replace(
        "  ", " ").replace("  ", " ") or "10 (in place)" in rows["Generator(PCG64).shuffle"]
    assert "float64" in rows["Generator(PCG64).random"] and "scalar" in \
        rows["Generator(PCG64).random"]
    assert "NoneType" not in result.stdout


EXAMPLES = {"seeded-training": EXAMPLE, "attention": ROOT / "examples" / "attention"}


def _here_rest() -> str:
    """This machine's conditions as the examples' labels end (after the torch release)."""
    from rngsuite.checks.streams import Source
    from rngsuite.core import provenance as prov

    label = prov.label(prov.environment("cpu"), Source().provenance_keys())
    return prov.split_label(label, "torch")[1]


def _actual_changes(example: Path, old: str, new: str) -> tuple[dict[str, bool], bool]:
    """From an example's own ledger: whether each declared stream's recorded values differ
    between the two torch releases in the same conditions (Python, NumPy, CPU kernels, OS,
    machine, vendor) -- this machine's where the ledger holds them at both releases, which is
    what verify finds upgrading here; and whether every stream had this machine's."""
    from rngsuite.core import provenance as prov

    ledger = Ledger.load(example / "rng_golden")
    here = _here_rest()
    mine = [here, here.rsplit("/", 1)[0]]  # with the vendor, and as labels without it read
    out, on_here = {}, True
    for lf in ledger.files.values():
        for case_id, eras in lf.cases.items():
            if "::" in case_id:  # the rng_golden fixture's tests, not a declared stream
                continue
            by_rest: dict[str, dict[str, object]] = {}
            for era in eras:
                for env in era.environments:
                    version, rest = prov.split_label(env, "torch")
                    by_rest.setdefault(rest, {})[version.split("+")[0]] = era

            def at(rest: str, release: str):
                return next((e for v, e in by_rest.get(rest, {}).items()
                             if v == release or v.startswith(release + ".")), None)
            common = [r for r in by_rest if at(r, old) is not None and at(r, new) is not None]
            chosen = next((r for r in mine if r in common), None)
            on_here &= chosen is not None
            chosen = chosen or (common[0] if common else None)
            assert chosen is not None, f"{case_id}: no conditions recorded at both {old}, {new}"
            out[case_id] = at(chosen, old) is not at(chosen, new)
    return out, on_here


@pytest.fixture(scope="module")
def trace_cache(tmp_path_factory):
    """One cache folder for the module's trace runs: on a torch release rngsuite ships no
    trace table for, the first run traces the catalog and the others reuse it."""
    return tmp_path_factory.mktemp("trace-cache")


@pytest.mark.parametrize("old,new", [("2.6", "2.7"), ("2.7", "2.13"), ("2.13", "2.15")])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_trace_predicts_what_the_example_s_upgrade_changes(trace_cache, name, old, new):
    """On both example projects, across torch 2.6 -> 2.7, 2.7 -> 2.13 and 2.13 -> 2.15 (each
    recorded in their ledgers): every stream whose values changed is predicted changed, no
    stream predicted changed kept its values, and -- where the ledgers hold this machine's
    conditions -- no stream is unknown (issue 26's done-when)."""
    example = EXAMPLES[name]
    env = {**os.environ, "XDG_CACHE_HOME": str(trace_cache), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "rngsuite", "trace", "--from",
                             f"torch=={old}", "--to", f"torch=={new}"], cwd=example, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    predicted = dict(re.findall(r"^\| (\w+:\S+) \| (changed|unchanged|unknown) \|",
                                result.stdout, re.M))
    actual, on_here = _actual_changes(example, old, new)
    assert set(predicted) == set(actual)
    for stream, changed in actual.items():
        if changed:
            assert predicted[stream] == "changed", (stream, result.stdout)
        else:
            assert predicted[stream] != "changed", (stream, result.stdout)
    if on_here:
        unknown = [s for s, v in predicted.items() if v == "unknown"]
        assert not unknown, (unknown, result.stdout)


def _example_verdicts(stdout: str) -> dict[str, int]:
    """The tally on verify's last line: ``6 streams of ...: 1 changed, 5 conforms``."""
    return {verdict: int(n) for n, verdict in re.findall(
        r"(\d+) (conforms|matches|changed|unrecorded)", stdout.strip().splitlines()[-1])}


def _example_label_recorded() -> bool:
    """Whether the example's ledger holds this machine's label for its streams."""
    from rngsuite.checks.streams import Source
    from rngsuite.core import provenance as prov
    from rngsuite.core.ledger import Ledger

    label = prov.label(prov.environment("cpu"), Source().provenance_keys())
    ledger = Ledger.load(EXAMPLE / "rng_golden")
    return all(label in lf.environments for lf in ledger.files.values())


def test_the_example_project_s_own_tests_pass():
    """The example's streams and tests (the rng_golden fixture) conform where its ledger holds
    this machine's conditions; elsewhere each stream is judged as a new environment."""
    recorded = ("2.6.", "2.7.", "2.13.", "2.15.")
    if not torch.__version__.startswith(recorded):
        pytest.skip(f"the example's ledger holds torch {', '.join(recorded)}x, not "
                    f"{torch.__version__}")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                             "-p", "no:cacheprovider"], cwd=EXAMPLE, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    streams = subprocess.run([sys.executable, "-m", "rngsuite", "verify"], cwd=EXAMPLE,
                             capture_output=True, text=True, timeout=600)
    tally = _example_verdicts(streams.stdout)
    assert sum(tally.values()) == 6, streams.stdout
    if _example_label_recorded():
        assert result.returncode == 0, result.stdout[-3000:]
        assert streams.returncode == 0 and tally == {"conforms": 6}, streams.stdout
    else:
        # A machine the example's ledger has not seen (its CPU's vendor, kernels, releases):
        # every stream is a new environment -- matching an era, or changed -- never "conforms"
        # and never "unrecorded"; verify fails exactly when one changed.
        assert set(tally) <= {"matches", "changed"}, streams.stdout
        assert (streams.returncode == 0) == ("changed" not in tally), streams.stdout
        matched = [line for line in streams.stdout.splitlines() if "matches era" in line]
        assert all("new environment" in line for line in matched), streams.stdout


#: Runs rngsuite's command line as on a CPU made by a vendor no ledger has seen.
UNSEEN_VENDOR = """
import sys
from pathlib import Path
from rngsuite.core import provenance as prov
real = prov.environment
prov.environment = lambda device="cpu": {**real(device), "cpu_vendor": "UnseenVendor"}
from rngsuite import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_the_example_s_streams_on_a_cpu_its_ledger_has_not_seen():
    """On a CPU vendor the example's ledger never held, each stream is a new environment: it
    matches a recorded era (exit 0) or is changed, never "conforms"; the label names the
    vendor."""
    if not torch.__version__.startswith(("2.6.", "2.7.", "2.13.", "2.15.")):
        pytest.skip(f"the example's ledger does not hold torch {torch.__version__}")
    streams = subprocess.run([sys.executable, "-c", UNSEEN_VENDOR, "verify"], cwd=EXAMPLE,
                             capture_output=True, text=True, timeout=600,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    tally = _example_verdicts(streams.stdout)
    assert sum(tally.values()) == 6 and set(tally) <= {"matches", "changed"}, streams.stdout
    assert (streams.returncode == 0) == ("changed" not in tally), streams.stdout
    lines = [line for line in streams.stdout.splitlines() if line.startswith("train:")]
    assert all("new environment, matches era" in line for line in lines
               if "matches" in line), streams.stdout
    if "changed" in tally:
        assert "UnseenVendor" in streams.stdout, streams.stdout


@pytest.mark.parametrize("target,said", [
    ("nosuch:fn", "stream 'nosuch:fn@0': cannot import module 'nosuch'"),
    ("random:nosuch", "stream 'random:nosuch@0': module 'random' has no function 'nosuch'"),
    ("math:sqrt", "stream 'math:sqrt@0': math:sqrt() raised TypeError"),
    ("nocolon", "'nocolon' is not MODULE:FUNCTION"),
], ids=["unknown module", "unknown function", "raises", "not module:function"])
def test_trace_refuses_a_function_it_cannot_run_in_one_line(tmp_path, target, said):
    """A function trace cannot import, find or run: one line naming it, exit 2."""
    result = subprocess.run([sys.executable, "-m", "rngsuite", "trace", target], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.stderr
