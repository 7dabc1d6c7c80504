"""The findings page people look at (``python -m rngsuite report --html``): releases in order along
one axis, each case's values as runs of one colour, a change as one step, the change said
plainly -- checked in the HTML and, where a headless Chromium is installed, in a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from rngsuite.core.ledger import Ledger
from rngsuite.tools.ledger_page import PALETTE, ledger_html, short_conditions

CASE = "torch:cpu:b(5)@1"


def _arrays(seed: int) -> list[np.ndarray]:
    return [np.random.default_rng(seed).random(5).astype(np.float32)]


@pytest.fixture
def ledger(empty_ledger) -> Ledger:
    """torch 2.9.1, 2.10.2 and 2.13.0 at two CPU capabilities, recorded newest first (so the
    newest release's values are era A): case b changes at 2.10.2; under DEFAULT, case c draws
    other values than under AVX2 in every release."""
    for version in ("2.13.0", "2.10.2", "2.9.1"):
        for cap in ("AVX2", "DEFAULT"):
            label = f"torch-{version}/{cap}/Linux/x86_64"
            new = version != "2.9.1"
            empty_ledger.record("torch:cpu", CASE, label, {}, _arrays(3 if new else 2))
            empty_ledger.record("torch:cpu", "torch:cpu:c(5)@1", label, {},
                                _arrays(5 if cap == "DEFAULT" else 4))
    empty_ledger.save()
    return Ledger.load(empty_ledger.root)


def _row(page: str, shown: str) -> str:
    return next(line for line in page.splitlines() if f">{shown}</td>" in line)


def test_releases_run_oldest_first_and_the_oldest_has_the_first_colour(ledger):
    """Columns are releases in release order (2.9 before 2.10), whatever the recording order;
    the oldest release's values take the first colour even when they are era B."""
    page = ledger_html(ledger)
    heads = re.findall(r"<th class=release>([^<]+)</th>", page)
    assert heads == ["2.9.1", "2.10.2", "2.13.0"]
    assert ledger.eras("torch:cpu", CASE)[0].environments[0].startswith("torch-2.1")  # era A: new
    cells = re.findall(r"<td class='cell( step)?' title='([^']*)'><b>(.*?)</b></td>",
                       _row(page, "b(5)@1"))
    colours = [re.findall(r"class=(c\d)", bands) for _, _, bands in cells]
    assert colours == [["c0", "c0"], ["c1", "c1"], ["c1", "c1"]]
    assert "torch 2.9.1: AVX2 era B, DEFAULT era B" in cells[0][1]


def test_a_change_is_one_step_said_plainly(ledger):
    """The release that changed a case is marked once, and the row says the class and how many
    values differ by how many ULP."""
    row = _row(ledger_html(ledger), "b(5)@1")
    assert row.count("class='cell step'") == 1
    assert re.search(r"torch 2\.10\.2: different, 5 of 5 values differ, max [\d,]+ ULP", row)


def test_a_condition_that_draws_other_values_shows_in_one_cell(ledger):
    """A case whose DEFAULT kernels draw other values has two colours in each cell, no step,
    and says which condition differs and by how much."""
    row = _row(ledger_html(ledger), "c(5)@1")
    assert "step" not in row
    assert row.count("<i class=c0></i><i class=c1></i>") == 3
    assert re.search(r"DEFAULT vs AVX2: different, 5 of 5 values differ", row)


def test_the_page_is_self_contained_and_lists_the_changes(ledger):
    """No script, nothing fetched; the changes table groups by release step with plain
    conditions."""
    page = ledger_html(ledger)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page
    assert "torch 2.9.1 &rarr; 2.10.2 &middot; 1 cases in 1 calls" in page
    assert short_conditions("AVX2/Linux/x86_64, AVX512/Linux/x86_64, DEFAULT/Linux/x86_64") \
        == "AVX512, AVX2, DEFAULT (Linux/x86_64)"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") \
    or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium here (apt-get install "
                                              "chromium) to screenshot the page")
def test_a_browser_shows_the_runs_of_colour(ledger, tmp_path):
    """In a real (headless) browser, the page renders the era colours as runs: the first two
    palette colours each fill at least one cell's area (a cell is about 38 x 22 pixels)."""
    image = pytest.importorskip("PIL.Image", reason="Pillow reads the screenshot (test extra)")
    page = tmp_path / "ledger.html"
    page.write_text(ledger_html(ledger), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,1400", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(image.open(shot).convert("RGB")).reshape(-1, 3)
    for colour in PALETTE[:2]:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        count = int(np.sum(np.all(pixels == rgb, axis=1)))
        assert count > 600, (colour, count)
