"""Progress for long work -- recording, bisect's installs and probes, deep checks of 10**8
values and more, ``trace`` of a long function -- the way users expect it: tqdm's bar on a
terminal, nothing at all when the output is not a terminal or under CI (``CI`` set, as every
CI service sets it), so logs and pipes stay clean."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def shown() -> bool:
    """Whether progress is drawn: stderr is a terminal and this is not a CI run."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def progress(items: Iterable[T], *, desc: str, unit: str = "it",
             total: int | None = None) -> Iterator[T]:
    """``items``, with a bar on stderr while they are consumed (when :func:`shown`)."""
    if not shown():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, unit=unit, total=total, leave=False, file=sys.stderr)


class Bar:
    """A bar advanced by hand (``update(n)``), for work measured in values, not items."""

    def __init__(self, *, desc: str, total: int | None, unit: str = "it") -> None:
        self._bar = None
        if shown():
            from tqdm import tqdm

            self._bar = tqdm(desc=desc, total=total, unit=unit, unit_scale=True, leave=False,
                             file=sys.stderr)

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def describe(self, text: str) -> None:
        """What the work is doing now (bisect: the release being installed and probed)."""
        if self._bar is not None:
            self._bar.set_description(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
