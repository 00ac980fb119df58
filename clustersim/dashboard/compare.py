"""Side-by-side mode: the key views of two scenarios, left and right, on shared axes.

Each row shows the same view of both scenarios. Plots of the two share their value
axis, so equal heights mean equal values.
"""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.plots import ACTIVE, COLLABORATING, Chart, SeriesPlot, SurvivalPlot
from clustersim.dashboard.region_map import RegionMap

SHARED_CHARTS = (ACTIVE, COLLABORATING)


def shared_top(model: ComparisonModel, chart: Chart) -> float:
    """The highest value either side has reached on `chart`, so both can use one axis."""
    return max(
        float(side.series()[column].max()) * chart.scale
        for side in (model.left, model.right)
        for column in chart.lines
    )


@solara.component
def CompareViews(model: ComparisonModel):
    """Map, key plots and survival of both scenarios, redrawn once per month."""
    update_counter.get()  # Mesa's signal that the model stepped
    month = model.steps
    sides: tuple[tuple[str, ScenarioModel], ...] = (("Left", model.left), ("Right", model.right))
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"Side by side: {model.pair.title}. Month {month}; "
            "value axes are shared, so equal heights mean equal values.",
            classes=["run-status"],
        )
        with solara.Columns([1, 1]):
            for side, own in sides:
                with solara.Card(f"{side}: {own.scenario.preset.label}", margin=0):
                    RegionMap(own, own.month)
                    solara.Text(own.scenario.preset.description, style={"font-size": "0.85rem"})
        for chart in SHARED_CHARTS:
            top = shared_top(model, chart)
            with solara.Columns([1, 1]):
                for _, own in sides:
                    SeriesPlot(own, own.month, chart, at_least=top)
        with solara.Columns([1, 1]):
            for _, own in sides:
                SurvivalPlot(own, own.month)
    return views
