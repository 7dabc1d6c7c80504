"""Bisect: the first release of a package whose draws for a case differ from the release before.

Releases are the newest patch of each minor release on PyPI, or every patch with
``--patches`` (``--since``/``--until`` bound them). Each probe installs one release into a throwaway virtual environment with uv (uv's cache
makes a re-install quick) next to this checkout of rngsuite, and draws the case there
(``python -m rngsuite draw``). Assuming one change in the range, the search needs about log2(n)
installs; releases the ledger already records are read from it instead of installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from rngsuite.core.provenance import release

#: rngsuite's own package folder (suite/ in a clone, site-packages/rngsuite installed): each
#: probe environment imports it through a link named rngsuite, so a clone and a wheel bisect
#: alike, with the probe's own NumPy/torch.
PACKAGE = Path(__file__).resolve().parent.parent
#: Extra requirements a release needs beside it (torch < 2.3 cannot load NumPy 2).
COMPANIONS: dict[str, Callable[[str], list[str]]] = {
    "torch": lambda v: ["numpy<2"] if release(v) < release("2.3") else [],
}


def releases(package: str, *, since: str | None = None, until: str | None = None,
             patches: bool = False) -> list[str]:
    """The package's final releases on PyPI with CPython 3.11 wheels, oldest first: the newest
    patch of each minor release, or with ``patches`` every one (to name the exact release once
    the minor is known)."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{package}/json", timeout=60) as r:
        found = json.load(r)["releases"]
    finals = [v for v, files in found.items()
              if re.fullmatch(r"\d+\.\d+\.\d+", v) and files
              and any("cp311" in f["filename"] or "py3" in f["filename"] for f in files)]
    return choose(finals, since=since, until=until, patches=patches)


def check_range(*, since: str | None, until: str | None) -> None:
    """``--since``/``--until``: release numbers, the first not after the second; else one line
    (:class:`BadInput`)."""
    from rngsuite.core.settings import BadInput

    for option, value in (("--since", since), ("--until", until)):
        if value is not None and not re.fullmatch(r"\d+(\.\d+)*", value):
            raise BadInput(f"{option} {value!r}: not a release number (e.g. 2.4 or 2.4.1)")
    if since and until and release(since) > release(until):
        raise BadInput(f"--since {since} is after --until {until}: the range is empty "
                       "(oldest first)")


def choose(finals: list[str], *, since: str | None = None, until: str | None = None,
           patches: bool = False) -> list[str]:
    """Of final release numbers: the newest patch of each minor (every one with ``patches``)
    from ``since`` to ``until``, oldest first."""
    ordered = sorted(finals, key=release)
    if not patches:
        newest: dict[tuple, str] = {}
        for v in ordered:
            newest[tuple(int(p) for p in v.split(".")[:2])] = v
        ordered = sorted(newest.values(), key=release)
    if since:
        ordered = [v for v in ordered if release(v) >= release(since)]
    if until:
        ordered = [v for v in ordered if release(v) <= release(until)]
    return ordered


def draw_in_fresh_env(package: str, version: str, case_id: str) -> list[np.ndarray]:
    """Install package==version in a temporary venv with uv and draw the case there."""
    uv = shutil.which("uv") or [sys.executable, "-m", "uv"]
    uv = [uv] if isinstance(uv, str) else uv
    with tempfile.TemporaryDirectory(prefix="rngsuite-bisect-") as tmp:
        venv = Path(tmp) / "venv"
        python = venv / "bin" / "python"
        run = lambda *args: subprocess.run(args, check=True, capture_output=True, text=True)  # noqa: E731
        run(*uv, "venv", "-q", "-p", sys.executable, str(venv))
        run(*uv, "pip", "install", "-q", "--python", str(python), f"{package}=={version}",
            *COMPANIONS.get(package, lambda v: [])(version), "pandas", "pytest", "hypothesis",
            "tabulate")
        link = Path(tmp) / "path"
        link.mkdir()
        (link / "rngsuite").symlink_to(PACKAGE, target_is_directory=True)
        env = {**os.environ, "PYTHONPATH": str(link)}
        out = subprocess.run([str(python), "-m", "rngsuite", "draw", "--case", case_id],
                             check=True, capture_output=True, text=True, env=env).stdout
    return arrays_from_json(out)


def arrays_from_json(text: str) -> list[np.ndarray]:
    """What ``python -m rngsuite draw`` prints, back as arrays."""
    (entry,) = json.loads(text)
    return [np.asarray(d["values"], dtype=d["dtype"]).reshape(d["shape"]) for d in entry["draws"]]


@dataclass
class Result:
    """The first release that changed the case, its predecessor, and what was probed."""

    before: str | None
    after: str | None
    probed: list[str] = field(default_factory=list)
    draws: dict[str, list[np.ndarray]] = field(default_factory=dict)


def bisect(versions: list[str], draw: Callable[[str], list[np.ndarray]]) -> Result:
    """Binary search for the first version whose draws differ from the first version's.

    ``draw(version)`` gives the case's draws at that release. With one change in the range
    this finds it in about log2(len(versions)) calls; with none, ``after`` is None.
    """
    result = Result(None, None)

    def at(i: int) -> list[np.ndarray]:
        v = versions[i]
        if v not in result.draws:
            result.draws[v] = draw(v)
            result.probed.append(v)
        return result.draws[v]

    def same(i: int, j: int) -> bool:
        a, b = at(i), at(j)
        return len(a) == len(b) and all(x.dtype == y.dtype and x.shape == y.shape
                                        and x.tobytes() == y.tobytes() for x, y in zip(a, b))

    lo, hi = 0, len(versions) - 1
    if hi < 1 or same(lo, hi):
        return result
    while hi - lo > 1:  # invariant: versions[lo] has the old draws, versions[hi] new ones
        mid = (lo + hi) // 2
        if same(0, mid):
            lo = mid
        else:
            hi = mid
    result.before, result.after = versions[lo], versions[hi]
    return result
