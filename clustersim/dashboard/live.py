"""The live page's views: what is running, the region map, the inspector, the feed and plots.

They draw one frame (`frames.ScenarioFrame`), the snapshot taken after the latest
step, and never read the model, which may be stepping in another thread. The page
hands them each new frame, so one render pass redraws them all. The map fills the
main column; a click on it or on a line of the feed chooses an organisation or a
partnership, which the map highlights and the inspector below it shows.
"""

from __future__ import annotations

import solara

from clustersim.dashboard.demos import CurrentDemo
from clustersim.dashboard.feed import EventFeed, show_story
from clustersim.dashboard.frames import ScenarioFrame
from clustersim.dashboard.inspector import Inspector
from clustersim.dashboard.plots import ACTIVE, COLLABORATING, SPENDING, TRUST, TURNOVER, SeriesPlot
from clustersim.dashboard.region_map import RegionMap
from clustersim.dashboard.selection import use_selection
from clustersim.dashboard.survival_plot import SurvivalPlot

LIVE_CHARTS = (ACTIVE, TURNOVER, COLLABORATING, TRUST, SPENDING)
MAP = "live"  # the name of the live page's map, its choice and its feed


@solara.component
def LiveViews(frame: ScenarioFrame):
    """The scenario and month, the map, then inspector and feed, then the plots."""
    chosen, choose = use_selection(MAP)
    sides = (("", frame),)
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"{'Running' if frame.running else 'Finished'}: {frame.scenario.title}. "
            f"Month {frame.month} of {frame.months}, {frame.active} active partnerships.",
            classes=["run-status"],
        )
        RunFinished(frame.running, frame.month)
        CurrentDemo(frame.scenario.preset.label)
        with solara.Card(margin=0, classes=["map-card"]):
            RegionMap(frame, chosen, choose)
        with solara.ColumnsResponsive(default=12, large=[5, 7]):
            with solara.Card("Chosen on the map", margin=0):
                Inspector(frame, chosen, choose, on_story=lambda pid: show_story(MAP, pid))
            with solara.Card(margin=0):
                EventFeed(frame, MAP, picked=chosen, on_pick=choose)
        with solara.ColumnsResponsive(default=12, large=6, xlarge=4):
            for chart in LIVE_CHARTS:
                with solara.Card(margin=0):
                    SeriesPlot(sides, chart)
            with solara.Card(margin=0):
                SurvivalPlot(sides)
    return views


@solara.component
def RunFinished(running: bool, month: int):
    """Says that the run has reached its last month and how to run it again; else nothing."""
    if not running:
        solara.Info(
            f"Run finished at month {month}: press Reset to run it again.",
            classes=["run-finished"],
        )
