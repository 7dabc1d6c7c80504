"""List literals in calls (``multivariate_normal([0.0,0.0],[[1.0,0.5],[0.5,1.0]],5)``).

The catalog parses ``[..]`` into :class:`suite.catalog.List`, a tuple underneath so cases stay
hashable. ``Adapter._value``/``_text`` in ``base.py`` treat it as a tuple, which draws the same
values but reads as a tuple in snippets; this mixin passes it on as a list and writes it as one.
(It belongs in ``Adapter``; it lives here while ``base.py`` is being reworked.)
"""

from __future__ import annotations

from typing import Any

from suite.catalog import List


class ListArgs:
    """Mixed in before :class:`~suite.backends.base.Adapter`."""

    def _value(self, arg: Any) -> Any:
        if isinstance(arg, List):
            return [self._value(a) for a in arg]
        return super()._value(arg)  # type: ignore[misc]

    def _text(self, arg: Any) -> str:
        if isinstance(arg, List):
            return f"[{', '.join(self._text(a) for a in arg)}]"
        return super()._text(arg)  # type: ignore[misc]
