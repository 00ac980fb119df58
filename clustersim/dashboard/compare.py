"""Side-by-side mode: two scenarios with one seed, overlaid in each plot.

Each scenario has its map (clickable, with its inspector) and its feed, left and
right. The plots overlay both scenarios in one chart each (active partnerships, the
share collaborating, trust and survival so far), the left in blue and the right in
orange, so a difference is read off one axis.
"""

from __future__ import annotations

import solara

from clustersim.dashboard.feed import EventFeed, show_story
from clustersim.dashboard.frames import PairFrame, ScenarioFrame
from clustersim.dashboard.inspector import Inspector
from clustersim.dashboard.labels import blurb
from clustersim.dashboard.live import RunFinished
from clustersim.dashboard.plots import ACTIVE, COLLABORATING, TRUST, SeriesPlot, Sides
from clustersim.dashboard.region_map import RegionMap
from clustersim.dashboard.selection import use_selection
from clustersim.dashboard.survival_plot import SurvivalPlot

OVERLAID_CHARTS = (ACTIVE, COLLABORATING, TRUST)


def pair_sides(frame: PairFrame) -> Sides:
    """Both scenarios, named as the plots' legends name them: 'left: baseline'."""
    return (
        (f"left: {frame.left.scenario.name}", frame.left),
        (f"right: {frame.right.scenario.name}", frame.right),
    )


@solara.component
def CompareViews(frame: PairFrame):
    """Maps and feeds of both scenarios, and the plots overlaying them, as of one frame."""
    sides = pair_sides(frame)
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"Side by side: {frame.pair.title}. Month {frame.month}; "
            "each plot overlays both: left in blue, right in orange.",
            classes=["run-status"],
        )
        RunFinished(frame.running, frame.month)
        with solara.Columns([1, 1]):
            for side, own in (("left", frame.left), ("right", frame.right)):
                SideViews(side, own)
        with solara.ColumnsResponsive(default=12, large=6):
            for chart in OVERLAID_CHARTS:
                with solara.Card(margin=0):
                    SeriesPlot(sides, chart)
            with solara.Card(margin=0):
                SurvivalPlot(sides)
    return views


@solara.component
def SideViews(side: str, frame: ScenarioFrame):
    """One side's scenario: its blurb, map, inspector and feed."""
    name = f"compare.{side}"
    chosen, choose = use_selection(name)
    with solara.Column(gap="8px") as views:
        with solara.Card(f"{side.capitalize()}: {frame.scenario.name}", margin=0):
            solara.Text(blurb(frame.scenario.preset.description), style={"font-size": "0.85rem"})
            RegionMap(frame, chosen, choose)
            Inspector(frame, chosen, choose, on_story=lambda pid: show_story(name, pid))
        with solara.Card(margin=0):
            EventFeed(frame, name, picked=chosen, on_pick=choose)
    return views
