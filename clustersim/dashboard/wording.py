"""Events in plain words: how the feed tells a class what the model recorded.

The model records events as data (`records.Event`); saying them is the view's job, so
the words can change for a class without touching what a run stores. Where a firm's
size matters (who started a partnership, who left it), an SME's headcount is told
with its name: the smallest firms are the first to be priced out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from clustersim.organisations import Regime
from clustersim.partnership import Cause
from clustersim.records import Event

if TYPE_CHECKING:
    from clustersim.dashboard.frames import Region

# How a dissolution, and a single member's departure, read in the event feed.
CAUSE_WORDS = {
    Cause.SHOCK: "a key member was lost (owner change or champion left)",
    Cause.CAPACITY: "members needed their time elsewhere",
    Cause.FUNDS: "the money ran out",
    Cause.TRUST: "trust collapsed",
    Cause.STALLED: "its results came too slowly to be worth the cost",
}
LEAVE_WORDS = {
    Cause.SHOCK: "an owner change or the loss of its champion",
    Cause.CAPACITY: "its time was needed for core business",
    Cause.FUNDS: "it could not pay its share",
    Cause.TRUST: "it lost trust in its partners",
    Cause.STALLED: "the results it expected were no longer worth the cost",
}


def who(event: Event, k: int, region: Region | None) -> str:
    """The event's k-th organisation by name, an SME with its size: 'SME 41 (6 employees)'."""
    name = event.names[k]
    organisation = event.organisations[k]
    if region is None or region.regime[organisation] != Regime.COMMERCIAL:
        return name
    employees = round(float(region.employees[organisation]))
    return f"{name} ({employees} employee{'' if employees == 1 else 's'})"


def _formed(e: Event, region: Region | None) -> str:
    n = len(e.organisations)
    subsidy = ", subsidised" if e.subsidised else ""
    return (
        f"{who(e, 0, region)} and {n - 1} partner{'s' if n > 2 else ''} formed "
        f"partnership {e.partnership} ({n} members{subsidy})"
    )


Wording = Callable[[Event, "Region | None"], str]
_WORDING: dict[str, Wording] = {
    "formed": _formed,
    "quick_win": lambda e, _: (
        f"partnership {e.partnership} reached its quick win in month {e.month}"
    ),
    "milestone": lambda e, _: f"partnership {e.partnership} reached milestone {e.count}",
    "missed": lambda e, _: f"partnership {e.partnership} missed its planned milestone",
    "member_left": lambda e, region: (
        f"{who(e, 0, region)} left partnership {e.partnership}: {LEAVE_WORDS[e.cause]}"
    ),
    "leader_lost": lambda e, _: (
        f"partnership {e.partnership} lost its leader and nobody can take over"
    ),
    "subsidy_ended": lambda e, _: f"subsidy for partnership {e.partnership} ended",
    "dissolved": lambda e, _: f"partnership {e.partnership} dissolved: {CAUSE_WORDS[e.cause]}",
    "completed": lambda e, _: (
        f"partnership {e.partnership} completed its project after {e.count} months"
    ),
    "matchmaking": lambda e, _: f"a matchmaking event made {e.count} introductions",
    "introductions": lambda e, _: f"the cluster manager made {e.count} introductions",
}


def event_text(event: Event, region: Region | None = None) -> str:
    """The event in plain words, e.g. 'partnership 7 dissolved: trust collapsed'."""
    return _WORDING[event.kind](event, region)


def sentence(event: Event, region: Region | None = None) -> str:
    """E.g. 'Month 14: Partnership 7 dissolved: trust collapsed.'"""
    text = event_text(event, region)
    return f"Month {event.month}: {text[:1].upper()}{text[1:]}."
