"""rngsuite trace: the draws a user's function makes, mapped to catalog cases and joined with
the ledger across an upgrade -- and, on the example project, the prediction against what the
recorded releases actually did."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys

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
        torch.nn.functional.dropout(torch.ones(64), 0.5)
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
    """The catalog's torch cases of dropout, uniform_ and randn(5), traced (the full catalog
    takes half a minute)."""
    ids = ["torch:cpu:dropout(ones(64),0.5)@0", "torch:cpu:uniform_(20)@17",
           "torch:cpu:randn(5)@17"]
    return trace.torch_case_ops([catalog[i] for i in ids], backends)


def test_an_upgrade_is_said_per_draw_changed_unchanged_or_unknown(small_index, catalog):
    """Against the committed ledger, across torch 2.6 -> 2.7: dropout's bernoulli_ changed
    (recorded 2.6.0 and 2.7.1 differ), uniform_ of 20 floats did not, and a float64 randn no
    case of this index covers is unknown -- never safe."""
    def user():
        torch.nn.functional.dropout(torch.ones(64), 0.5)
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


def _actual_changes(old: str, new: str) -> dict[str, bool]:
    """From the example's own ledger: whether each declared stream's recorded values differ
    between the two torch releases (what verify finds upgrading from one to the other)."""
    ledger = Ledger.load(EXAMPLE / "rng_golden")
    lf = ledger.file("train")
    out = {}
    for case_id, eras in lf.cases.items():
        era_of = {env: era for era in eras for env in era.environments}
        a = [e for env, e in era_of.items() if f"/torch-{old}." in f"/{env}"]
        b = [e for env, e in era_of.items() if f"/torch-{new}." in f"/{env}"]
        assert a and b, f"{case_id}: the example's ledger lacks torch {old} or {new}"
        out[case_id] = a[0] is not b[0]
    return out


def test_trace_predicts_what_the_example_s_upgrade_changes(tmp_path):
    """On the example project across torch 2.6 -> 2.7 (both recorded in its ledger): every
    stream whose values changed is predicted changed, and no stream predicted changed kept
    its values; a stream no recorded case covers is unknown, never unchanged."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "rngsuite", "trace", "--from", "torch==2.6",
                             "--to", "torch==2.7"], cwd=EXAMPLE, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    predicted = dict(re.findall(r"^\| (train:\S+) \| (changed|unchanged|unknown) \|",
                                result.stdout, re.M))
    actual = _actual_changes("2.6", "2.7")
    assert set(predicted) == set(actual)
    for stream, changed in actual.items():
        if changed:
            assert predicted[stream] == "changed", (stream, result.stdout)
        else:
            assert predicted[stream] != "changed", (stream, result.stdout)
    assert any(actual.values()) and not all(actual.values())  # the pair tells them apart


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
