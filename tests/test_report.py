"""Tests for the reports: the upgrade view between two releases, the changes between
neighbouring releases and by condition, and the findings page."""

import numpy as np
import pytest

from rngsuite.core.ledger import Ledger
from rngsuite.core.provenance import natural_key as version_key
from rngsuite.tools.report import (Spec, changes, changes_markdown, condition_differences,
                                   findings_markdown, upgrade)


def _arrays(seed, ulp_shift=0):
    a = np.random.default_rng(seed).random(5).astype(np.float32)
    if ulp_shift:
        a[2] = np.nextafter(a[2], np.float32(2))
    return [a]


@pytest.fixture
def releases(empty_ledger):
    """torch 2.4, 2.5, 2.10 and 2.13 at two CPU capabilities: one case changes in 2.5 by 1 ULP,
    another in 2.10 completely, a third never."""
    ledger = empty_ledger
    for version in ("2.4.1", "2.5.0", "2.10.2", "2.13.0"):
        for cap in ("AVX2", "DEFAULT"):
            label = f"torch-{version}/{cap}/Linux/x86_64"
            later = version_key(version) >= version_key("2.5.0")
            ledger.record("torch:cpu", "torch:cpu:a(5)@1", label, {}, _arrays(1, ulp_shift=later))
            newest = version_key(version) >= version_key("2.10.0")
            ledger.record("torch:cpu", "torch:cpu:b(5)@1", label, {}, _arrays(3 if newest else 2))
            ledger.record("torch:cpu", "torch:cpu:c(5)@1", label, {}, _arrays(4))
    ledger.save()
    return Ledger.load(ledger.root)


def test_upgrade_lists_each_change_with_its_first_release(releases):
    """--from/--to lists every changed case, per condition, classed, with the first release."""
    frame = upgrade(releases, Spec.parse("torch==2.4"), Spec.parse("torch==2.13"))
    got = {(r.case, r.conditions): (r.change, r["values that differ"], r["first release"])
           for _, r in frame.iterrows()}
    assert got == {
        ("torch:cpu:a(5)@1", "AVX2/Linux/x86_64"):
            ("within 8 ULP", "1 of 5 values differ, max 1 ULP", "torch 2.5.0"),
        ("torch:cpu:a(5)@1", "DEFAULT/Linux/x86_64"):
            ("within 8 ULP", "1 of 5 values differ, max 1 ULP", "torch 2.5.0"),
        ("torch:cpu:b(5)@1", "AVX2/Linux/x86_64"): ("different", got[("torch:cpu:b(5)@1",
                                                                  "AVX2/Linux/x86_64")][1],
                                                    "torch 2.10.2"),
        ("torch:cpu:b(5)@1", "DEFAULT/Linux/x86_64"): ("different", got[("torch:cpu:b(5)@1",
                                                                     "DEFAULT/Linux/x86_64")][1],
                                                       "torch 2.10.2"),
    }
    assert got[("torch:cpu:b(5)@1", "AVX2/Linux/x86_64")][1].startswith("5 of 5 values differ, max ")


def test_upgrade_between_equal_streams_is_empty(releases):
    """Between two releases with the same values nothing is listed."""
    assert upgrade(releases, Spec.parse("torch==2.10"), Spec.parse("torch==2.13")).empty


def test_unknown_release_is_bad_input(releases):
    """A release no environment has is an error, not an empty answer."""
    with pytest.raises(LookupError, match="torch==2.7"):
        upgrade(releases, Spec.parse("torch==2.7"), Spec.parse("torch==2.13"))
    with pytest.raises(LookupError, match="PACKAGE==VERSION"):
        Spec.parse("torch2.4")


def test_versions_sort_naturally():
    """torch-2.9 comes before torch-2.10."""
    labels = ["torch-2.10.0/x", "torch-2.9.1/x", "torch-2.13.0/x"]
    assert sorted(labels, key=version_key) == ["torch-2.9.1/x", "torch-2.10.0/x",
                                                "torch-2.13.0/x"]


def test_changes_attribute_each_change_to_the_first_release_that_has_it(releases):
    """Every change between neighbouring releases is listed once per call, at the release
    that first has it, with its conditions; a case that never changed is not listed."""
    frame = changes(releases)
    got = {(r.release, r.previous, r.call): (r.cases, r.conditions, r["class"],
                                              r["values that differ"], r["max ULP"])
           for _, r in frame.iterrows()}
    both = "AVX2/Linux/x86_64, DEFAULT/Linux/x86_64"
    # Counted over both conditions: one value of each condition's 5 moved by one ULP.
    assert got[("2.5.0", "2.4.1", "a")] == (1, both, "within 8 ULP", "2 of 10", "1")
    assert got[("2.10.2", "2.5.0", "b")][:4] == (1, both, "different", "10 of 10")
    assert len(got) == 2
    # No case draws the words themselves here, so the report cannot tell where it changed.
    assert set(frame["bit stream"]) == {"not recorded"}
    text = changes_markdown(releases)
    assert text.startswith("2 changed cases in 2 (backend, call) pairs, across 2 release steps")
    assert "torch 2.5.0: a; torch 2.10.2: b" in text


def test_changes_of_the_committed_ledger_include_the_known_ones():
    """The committed ledger shows the stream changes the recorded releases are known for."""
    from pathlib import Path

    frame = changes(Ledger.load(Path(__file__).resolve().parent.parent / "golden"))
    found = {(r.package, r.release, r.call): r["bit stream"] for _, r in frame.iterrows()}
    # Each of these changed its transform; the words under it (random_raw, rand) kept theirs.
    transform = "unchanged: the transform changed"
    assert found[("torch", "2.7.1", "exponential_")] == transform  # MKL dropped: pytorch#146174
    assert found[("torch", "2.2.2", "VonMises_sample")] == transform
    assert found[("numpy", "2.3.5", "wald")] == transform
    # torch 2.12 changed rand in float16 and bfloat16 (a transform of its own), not float32's.
    assert found[("torch", "2.12.1", "rand")] == transform


def test_changes_tell_a_changed_bit_stream_from_a_changed_transform(releases):
    """With a case that draws the words themselves (torch's rand), a change where those words
    moved too is 'changed' and one where they stayed is 'the transform changed'."""
    for label in releases.files["torch:cpu"].environments:
        newest = version_key(label.split("/")[0]) >= version_key("torch-2.10.0")
        releases.record("torch:cpu", "torch:cpu:rand(5)@1", label, {}, _arrays(6 if newest else 5))
    frame = changes(releases)
    stream = {r.call: r["bit stream"] for _, r in frame.iterrows()}
    assert stream == {"a": "unchanged: the transform changed", "b": "changed",
                      "rand": "changed"}


def test_half_precision_rand_is_a_transform_not_the_bit_stream(releases):
    """rand in float16 changing while float32 rand holds is a changed transform: only rand in
    float32 or float64 is the bit stream itself."""
    for label in releases.files["torch:cpu"].environments:
        newest = version_key(label.split("/")[0]) >= version_key("torch-2.10.0")
        releases.record("torch:cpu", "torch:cpu:rand(5)@1", label, {}, _arrays(5))
        releases.record("torch:cpu", "torch:cpu:rand(5,dtype=float16)@1", label, {},
                        _arrays(6 if newest else 5))
    stream = {r.call: r["bit stream"] for _, r in changes(releases).iterrows()}
    assert stream["rand"] == "unchanged: the transform changed"


def test_a_change_between_conditions_of_one_release_is_found(empty_ledger):
    """A release whose generic kernels draw other values than its AVX2 ones is listed as
    'AVX2 ≠ DEFAULT' with the releases it holds for; a case the same everywhere is not."""
    for version in ("2.4.1", "2.5.0"):
        for cap in ("AVX2", "DEFAULT"):
            label = f"torch-{version}/{cap}/Linux/x86_64"
            empty_ledger.record("torch:cpu", "torch:cpu:randn(5)@1", label, {},
                                _arrays(1, ulp_shift=cap == "DEFAULT"))
            empty_ledger.record("torch:cpu", "torch:cpu:rand(5)@1", label, {}, _arrays(2))
    frame = condition_differences(empty_ledger)
    assert frame.to_dict("records") == [
        {"backend": "torch:cpu", "call": "randn", "conditions": "AVX2 ≠ DEFAULT",
         "releases": "2.4.1 to 2.5.0 (2 releases)", "cases": 1, "max ULP": "1",
         "class": "within 8 ULP"}]


def test_the_findings_page_is_made_from_the_ledger(releases):
    """The findings page says how it is made, lists what is recorded, every change with how
    much changed, and the known divergences."""
    page = findings_markdown(releases)
    assert "`python -m rngsuite report --findings docs/findings.md`" in page
    assert "| torch     |          4 | 2.4.1, 2.5.0, 2.10.2, 2.13.0 |" in page
    assert "2 changed cases in 2 (backend, call) pairs" in page
    assert "| 2 of 10 " in page and "## Known divergences" in page


def test_the_committed_findings_pages_are_what_the_ledger_makes():
    """docs/findings.md and docs/ledger.html are generated from the committed ledger, never
    edited by hand: regenerating them changes nothing (else run python -m rngsuite report
    --findings docs/findings.md --html docs/ledger.html)."""
    from pathlib import Path

    from rngsuite.tools.ledger_page import ledger_html

    root = Path(__file__).resolve().parent.parent
    ledger = Ledger.load(root / "golden")
    assert (root / "docs" / "findings.md").read_text(encoding="utf-8") == findings_markdown(ledger)
    assert (root / "docs" / "ledger.html").read_text(encoding="utf-8") == ledger_html(ledger)
