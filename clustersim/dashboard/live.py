"""The live page's views: what is running, the region map, the event feed and the plots.

They draw one frame (`frames.ScenarioFrame`), the snapshot taken after the latest
step, and never read the model, which may be stepping in another thread. The page
hands them each new frame, so one render pass redraws them all.
"""

from __future__ import annotations

import solara

from clustersim.dashboard.demos import CurrentDemo
from clustersim.dashboard.feed import EventFeed
from clustersim.dashboard.frames import ScenarioFrame
from clustersim.dashboard.plots import ACTIVE, COLLABORATING, SPENDING, TRUST, TURNOVER, SeriesPlot
from clustersim.dashboard.region_map import RegionMap
from clustersim.dashboard.survival_plot import SurvivalPlot

LIVE_CHARTS = (ACTIVE, TURNOVER, COLLABORATING, TRUST, SPENDING)


@solara.component
def LiveViews(frame: ScenarioFrame):
    """The scenario and month, map and feed, then the plots, as of one frame."""
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"{'Running' if frame.running else 'Finished'}: {frame.scenario.title}. "
            f"Month {frame.month} of {frame.months}, {frame.active} active partnerships.",
            classes=["run-status"],
        )
        RunFinished(frame.running, frame.month)
        CurrentDemo(frame.scenario.preset.label)
        with solara.ColumnsResponsive(default=[12, 12], large=[7, 5]):
            with solara.Card(margin=0):
                RegionMap(frame)
            with solara.Card(margin=0):
                EventFeed(frame)
        with solara.ColumnsResponsive(default=12, large=6, xlarge=4):
            for chart in LIVE_CHARTS:
                with solara.Card(margin=0):
                    SeriesPlot(frame, chart)
            with solara.Card(margin=0):
                SurvivalPlot(frame)
    return views


@solara.component
def RunFinished(running: bool, month: int):
    """Says that the run has reached its last month and how to run it again; else nothing."""
    if not running:
        solara.Info(
            f"Run finished at month {month}: press Reset to run it again.",
            classes=["run-finished"],
        )
