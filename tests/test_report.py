"""Tests for the reports: the upgrade view between two releases and the HTML page."""

import numpy as np
import pytest

from suite.core.ledger import Ledger
from suite.tools.report import Spec, changes, changes_markdown, ledger_html, upgrade, version_key


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
    got = {(r.case, r.conditions): (r.change, r["first release"]) for _, r in frame.iterrows()}
    assert got == {
        ("torch:cpu:a(5)@1", "AVX2/Linux/x86_64"): ("within 8 ULP", "torch 2.5.0"),
        ("torch:cpu:a(5)@1", "DEFAULT/Linux/x86_64"): ("within 8 ULP", "torch 2.5.0"),
        ("torch:cpu:b(5)@1", "AVX2/Linux/x86_64"): ("different", "torch 2.10.2"),
        ("torch:cpu:b(5)@1", "DEFAULT/Linux/x86_64"): ("different", "torch 2.10.2"),
    }


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


def test_html_colours_each_era(releases):
    """The HTML page is self-contained and colours era A and era B differently."""
    page = ledger_html(releases)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page
    row = next(line for line in page.splitlines() if "torch:cpu:b(5)@1" in line)
    colours = {cell.split("background:")[1][:7] for cell in row.split("<td class=era")[1:]}
    assert len(colours) == 2
    assert "torch:cpu:c(5)@1" not in page  # one era only: not shown


def test_changes_attribute_each_change_to_the_first_release_that_has_it(releases):
    """Every change between neighbouring releases is listed once per call, at the release
    that first has it, with its conditions; a case that never changed is not listed."""
    frame = changes(releases)
    got = {(r.release, r.previous, r.call): (r.cases, r.conditions, r.change)
           for _, r in frame.iterrows()}
    both = "AVX2/Linux/x86_64, DEFAULT/Linux/x86_64"
    assert got == {("2.5.0", "2.4.1", "a"): (1, both, "within 8 ULP"),
                   ("2.10.2", "2.5.0", "b"): (1, both, "different")}
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
