"""What a class has clicked: one organisation or one partnership, per map, per browser tab.

A click on the map or on a line of the feed chooses; the map highlights the choice and
the inspector shows it (`inspector`). The choice is a number, not the thing, so it
stays chosen from frame to frame and is looked up in each new frame: a partnership
that dissolves while chosen is then shown as ended. Chart rows name what a click on
them chooses in their `pick` field ("organisation:41", "partnership:7").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import solara

from clustersim.dashboard.stage import per_tab

Kind = Literal["organisation", "partnership"]
KINDS: tuple[Kind, ...] = ("organisation", "partnership")


@dataclass(frozen=True)
class Selection:
    """An organisation (by index) or a partnership (by id)."""

    kind: Kind
    id: int

    @property
    def pick(self) -> str:
        """How chart rows and feed lines name it: 'partnership:7'."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_pick(cls, pick: str | None) -> Selection | None:
        """The selection a row's `pick` names; None for a click on nothing."""
        kind, _, number = (pick or "").partition(":")
        if kind not in KINDS or not number.isdigit():
            return None
        return cls(kind, int(number))  # type: ignore[arg-type]


def organisation(index: int) -> Selection:
    return Selection("organisation", index)


def partnership(pid: int) -> Selection:
    return Selection("partnership", pid)


# Each tab's choice per map, so it survives a switch of tabs as the run does.
_CHOSEN: solara.Reactive[dict[str, Selection | None]] = per_tab(dict, "selection")


def use_selection(name: str) -> tuple[Selection | None, Callable[[Selection | None], None]]:
    """The choice on map `name` in this tab, and how to change it."""
    current = _CHOSEN.value.get(name)
    return current, lambda new: _CHOSEN.set({**_CHOSEN.peek(), name: new})
