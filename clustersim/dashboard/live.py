"""The live page's views: what is running, the region map, the event feed and the plots.

One component listens for Mesa's "model stepped" signal and hands every view the
month. Solara renders once per listener, walking the whole page each time, so one
listener instead of one per view makes a step several times cheaper.
"""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from clustersim.dashboard.feed import EventFeed
from clustersim.dashboard.models import ScenarioModel
from clustersim.dashboard.plots import (
    ACTIVE,
    COLLABORATING,
    SUBSIDY,
    TRUST,
    TURNOVER,
    SeriesPlot,
    SurvivalPlot,
)
from clustersim.dashboard.region_map import RegionMap

LIVE_CHARTS = (ACTIVE, TURNOVER, COLLABORATING, TRUST, SUBSIDY)


@solara.component
def LiveViews(model: ScenarioModel):
    """The scenario and month, map and feed, then the plots; redrawn once per month."""
    update_counter.get()
    month = model.month
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"Running: {model.scenario.title}. Month {month} of {model.p.months}, "
            f"{len(model.active_partnerships)} active partnerships.",
            classes=["run-status"],
        )
        with solara.ColumnsResponsive(default=[12, 12], large=[7, 5]):
            with solara.Card(margin=0):
                RegionMap(model, month)
            with solara.Card(margin=0, style={"max-height": "620px", "overflow-y": "auto"}):
                EventFeed(model, month)
        with solara.ColumnsResponsive(default=12, large=6, xlarge=4):
            for chart in LIVE_CHARTS:
                with solara.Card(margin=0):
                    SeriesPlot(model, month, chart)
            with solara.Card(margin=0):
                SurvivalPlot(model, month)
    return views
