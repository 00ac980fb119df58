"""The event feed: everything that happened in the run, in plain sentences, newest first.

Made for teaching: a class watching the map can read why a partnership formed, reached
its quick win or dissolved, and a teacher can go back to the month-20 dissolutions at
month 40. The feed keeps every event of the run; filters show one kind of news, or
one partnership's history. The lines are one block of HTML, so a frame with hundreds
of events costs one widget update, not hundreds.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import solara

from clustersim.dashboard.stage import per_tab
from clustersim.dashboard.wording import sentence
from clustersim.records import Event

if TYPE_CHECKING:
    from clustersim.dashboard.frames import Region, ScenarioFrame

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
COLOUR_KEY = (
    (GOOD, "progress"),
    (NEWS, "news"),
    (WORRY, "trouble"),
    (BAD, "dissolved"),
)
# What the filter offers, each a group of the model's event kinds.
FILTERS: dict[str, tuple[str, ...]] = {
    "formed": ("formed",),
    "milestones": ("quick_win", "milestone", "missed", "completed"),
    "left": ("member_left", "leader_lost"),
    "dissolved": ("dissolved",),
    "subsidy": ("subsidy_ended",),
    "introductions": ("matchmaking", "introductions"),
}
PAGE = 200  # lines shown at first, and added by each "show older"


@dataclass(frozen=True)
class FeedFilter:
    """Which events a feed shows: kinds (keys of `FILTERS`), one partnership or all, how many."""

    kinds: frozenset[str] = field(default_factory=lambda: frozenset(FILTERS))
    partnership: int | None = None
    shown: int = PAGE


def selected(events: Sequence[Event], chosen: FeedFilter) -> list[Event]:
    """The events `chosen` lets through, newest first."""
    kinds = {kind for name in chosen.kinds for kind in FILTERS[name]}
    return [
        event
        for event in reversed(events)
        if event.kind in kinds
        and (chosen.partnership is None or event.partnership == chosen.partnership)
    ]


def lines_html(events: Iterable[Event], region: Region | None) -> str:
    """One line per event, coloured by kind, as HTML (the words escaped)."""
    return "".join(
        f'<div class="feed-event" style="border-left-color: {COLOURS.get(e.kind, NEWS)}">'
        f"{html.escape(sentence(e, region))}</div>"
        for e in events
    )


# Each tab's filter per feed, so it survives a switch of tabs as the run does.
_FILTERS: solara.Reactive[dict[str, FeedFilter]] = per_tab(dict, "feed.filters")


def use_feed_filter(name: str) -> tuple[FeedFilter, Callable[[FeedFilter], None]]:
    """The filter of feed `name` in this tab, and how to change it."""
    current = _FILTERS.value.get(name, FeedFilter())
    return current, lambda new: _FILTERS.set({**_FILTERS.peek(), name: new})


@solara.component
def EventFeed(frame: ScenarioFrame, name: str = "live"):
    """Every event of the run up to the frame's month, filtered, newest first, with a count."""
    chosen, choose = use_feed_filter(name)
    matching = solara.use_memo(lambda: selected(frame.events, chosen), [frame, chosen])
    shown = matching[: chosen.shown]
    lines = solara.use_memo(lambda: lines_html(shown, frame.region), [frame, chosen])
    with solara.Column(gap="4px", style={"padding": "8px"}) as feed:
        solara.Text(feed_title(frame, len(matching), chosen), classes=["feed-title"])
        FeedFilters(chosen, choose)
        if not frame.events:
            solara.Text("Nothing yet: press Step or Play.")
        elif not matching:
            solara.Text("No event so far matches the filter.", classes=["feed-empty"])
        solara.HTML(tag="div", unsafe_innerHTML=lines, classes=["feed-lines"])
        older = len(matching) - len(shown)
        if older > 0:
            solara.Button(
                f"Show {min(older, PAGE)} older events",
                text=True,
                on_click=lambda: choose(replace(chosen, shown=chosen.shown + PAGE)),
            )
    return feed


def feed_title(frame: ScenarioFrame, matching: int, chosen: FeedFilter) -> str:
    """E.g. 'What happened up to month 24: 143 events, newest first'."""
    total = len(frame.events)
    everything = chosen == replace(FeedFilter(), shown=chosen.shown)
    count = f"{total} events" if everything else f"{matching} of {total} events"
    return f"What happened up to month {frame.month}: {count}, newest first"


@solara.component
def FeedFilters(chosen: FeedFilter, choose: Callable[[FeedFilter], None]):
    """Kinds of event to show, one partnership or all, and the colour key."""
    with solara.Column(gap="0px") as filters:
        solara.Text("Show:", style={"font-size": "0.8rem", "color": "#555"})
        solara.ToggleButtonsMultiple(
            value=sorted(chosen.kinds, key=list(FILTERS).index),
            values=list(FILTERS),
            on_value=lambda kinds: choose(replace(chosen, kinds=frozenset(kinds), shown=PAGE)),
            dense=True,
            classes=["feed-kinds"],
            style={"flex-wrap": "wrap", "height": "auto"},
        )
        with solara.Row(style={"align-items": "center"}):
            solara.InputInt(
                "Only partnership (number; empty: all)",
                value=chosen.partnership,
                on_value=lambda number: choose(replace(chosen, partnership=number, shown=PAGE)),
                optional=True,
                clearable=True,
                continuous_update=False,
            )
            if chosen.partnership is not None:
                solara.Button(
                    "All partnerships",
                    text=True,
                    on_click=lambda: choose(replace(chosen, partnership=None)),
                )
        solara.HTML(tag="div", unsafe_innerHTML=colour_key_html(), classes=["feed-key"])
    return filters


def colour_key_html() -> str:
    """The colours of the feed's lines and what each means."""
    return " ".join(
        f'<span class="feed-swatch" style="background: {colour}"></span>{meaning}'
        for colour, meaning in COLOUR_KEY
    )
