"""The event feed: everything that happened in the run, in plain sentences, newest first.

Made for teaching: a class watching the map can read why a partnership formed, reached
its quick win or dissolved, and a teacher can go back to the month-20 dissolutions at
month 40. The feed keeps every event of the run; filters show one kind of news, or
one partnership's history. A click on a line about a partnership chooses it: the map
highlights it and the inspector shows it. The lines are one block of HTML, so a
frame with hundreds of events costs one widget update, not hundreds.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import ipyvuetify as v
import solara
import traitlets

from clustersim.dashboard.selection import Selection, partnership
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


def lines_html(events: Iterable[Event], region: Region | None, chosen: int | None = None) -> str:
    """One line per event, coloured by kind, as HTML (the words escaped); a line about a
    partnership names it (`data-partnership`), and the chosen partnership's lines stand out."""
    return "".join(_line_html(e, region, chosen) for e in events)


def _line_html(event: Event, region: Region | None, chosen: int | None) -> str:
    colour = COLOURS.get(event.kind, NEWS)
    about = event.partnership >= 0
    classes = "feed-event feed-chosen" if about and event.partnership == chosen else "feed-event"
    number = f' data-partnership="{event.partnership}"' if about else ""
    return (
        f'<div class="{classes}"{number} style="border-left-color: {colour}">'
        f"{html.escape(sentence(event, region))}</div>"
    )


class FeedLines(v.VuetifyTemplate):
    """The feed's lines; a click on one about a partnership calls `on_pick` with its id."""

    template_file = str(Path(__file__).with_name("feed_lines.vue"))
    lines = traitlets.Unicode("").tag(sync=True)
    on_pick = traitlets.Callable(None, allow_none=True)

    def vue_picked(self, pid: int) -> None:
        if self.on_pick is not None:
            self.on_pick(int(pid))


# Each tab's filter per feed, so it survives a switch of tabs as the run does.
_FILTERS: solara.Reactive[dict[str, FeedFilter]] = per_tab(dict, "feed.filters")


def use_feed_filter(name: str) -> tuple[FeedFilter, Callable[[FeedFilter], None]]:
    """The filter of feed `name` in this tab, and how to change it."""
    current = _FILTERS.value.get(name, FeedFilter())
    return current, lambda new: _FILTERS.set({**_FILTERS.peek(), name: new})


def show_story(name: str, pid: int) -> None:
    """Let feed `name` show only partnership `pid`'s events (every kind of them)."""
    _FILTERS.set({**_FILTERS.peek(), name: FeedFilter(partnership=pid)})


def chosen_partnership(chosen: Selection | None) -> int | None:
    """The partnership whose lines stand out: the one chosen on the map, if one is."""
    return chosen.id if chosen is not None and chosen.kind == "partnership" else None


@solara.component
def EventFeed(
    frame: ScenarioFrame,
    name: str = "live",
    picked: Selection | None = None,
    on_pick: Callable[[Selection], None] | None = None,
):
    """Every event of the run up to the frame's month, filtered, newest first, with a count.

    `picked` is what the map has chosen; a click on a line about a partnership passes
    that partnership to `on_pick`.
    """
    chosen, choose = use_feed_filter(name)
    matching = solara.use_memo(lambda: selected(frame.events, chosen), [frame, chosen])
    shown = matching[: chosen.shown]
    highlight = chosen_partnership(picked)
    lines = solara.use_memo(
        lambda: lines_html(shown, frame.region, highlight), [frame, chosen, highlight]
    )
    with solara.Column(gap="4px", style={"padding": "8px"}) as feed:
        solara.Text(feed_title(frame, len(matching), chosen), classes=["feed-title"])
        FeedFilters(chosen, choose)
        if not frame.events:
            solara.Text("Nothing yet: press Step or Play.")
        elif not matching:
            solara.Text("No event so far matches the filter.", classes=["feed-empty"])
        FeedLines.element(
            lines=lines,
            on_pick=(lambda pid: on_pick(partnership(pid))) if on_pick is not None else None,
        )
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
