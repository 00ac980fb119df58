"""The event feed: what just happened, in plain sentences, newest first.

Made for teaching: a class watching the map can read why a partnership formed, reached
its quick win or dissolved. The sentences are the model's own (`ClusterModel.events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import solara

from clustersim.records import Event

if TYPE_CHECKING:
    from clustersim.dashboard.frames import ScenarioFrame

SHOWN = 12

# A colour per kind of event, so good and bad news stand apart at a glance.
GOOD, NEWS, WORRY, BAD = "#2e7d32", "#1565c0", "#ef6c00", "#c62828"
COLOURS = {
    "formed": GOOD,
    "quick_win": GOOD,
    "milestone": GOOD,
    "completed": GOOD,
    "matchmaking": NEWS,
    "introductions": NEWS,
    "subsidy_ended": NEWS,
    "missed": WORRY,
    "member_left": WORRY,
    "leader_lost": WORRY,
    "dissolved": BAD,
}


def latest(events: Sequence[Event], n: int = SHOWN) -> list[Event]:
    """The last `n` events, newest first."""
    return list(reversed(events[-n:])) if n > 0 else []


def sentence(event: Event) -> str:
    """E.g. 'Month 14: Partnership 7 dissolved: trust collapsed.'"""
    text = event.text[:1].upper() + event.text[1:]
    return f"Month {event.month}: {text}."


@solara.component
def EventFeed(frame: ScenarioFrame):
    """The last events of the run up to the frame's month, newest first, with a count."""
    shown = solara.use_memo(lambda: latest(frame.events), [frame])
    with solara.Column(gap="2px", style={"padding": "8px", "overflow-y": "auto"}) as feed:
        solara.Text(
            f"What happened up to month {frame.month}: {len(frame.events)} events, newest first",
            classes=["feed-title"],
        )
        if not shown:
            solara.Text("Nothing yet: press Step or Play.")
        for event in shown:
            colour = COLOURS.get(event.kind, NEWS)
            solara.Text(
                sentence(event),
                classes=["feed-event"],
                style={
                    "display": "block",
                    "border-left": f"4px solid {colour}",
                    "padding-left": "6px",
                    "font-size": "0.85rem",
                },
            )
    return feed
