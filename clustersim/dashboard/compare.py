"""Side-by-side mode: the key views of two scenarios, left and right, on shared axes.

Each row shows the same view of both scenarios. Plots of the two share their value
axis, so equal heights mean equal values.
"""

from __future__ import annotations

import solara

from clustersim.dashboard.frames import PairFrame, ScenarioFrame
from clustersim.dashboard.labels import blurb
from clustersim.dashboard.live import RunFinished
from clustersim.dashboard.plots import ACTIVE, COLLABORATING, Chart, SeriesPlot
from clustersim.dashboard.region_map import RegionMap
from clustersim.dashboard.survival_plot import SurvivalPlot

SHARED_CHARTS = (ACTIVE, COLLABORATING)


def shared_top(frame: PairFrame, chart: Chart) -> float:
    """The highest value either side has reached on `chart`, so both can use one axis."""
    return max(
        float(side.series[column].max()) * chart.scale
        for side in (frame.left, frame.right)
        for column in chart.lines
    )


@solara.component
def CompareViews(frame: PairFrame):
    """Map, key plots and survival of both scenarios, as of one frame."""
    sides: tuple[tuple[str, ScenarioFrame], ...] = (("Left", frame.left), ("Right", frame.right))
    with solara.Column(style={"padding": "0 8px"}) as views:
        solara.Text(
            f"Side by side: {frame.pair.title}. Month {frame.month}; "
            "value axes are shared, so equal heights mean equal values.",
            classes=["run-status"],
        )
        RunFinished(frame.running, frame.month)
        with solara.Columns([1, 1]):
            for side, own in sides:
                with solara.Card(f"{side}: {own.scenario.name}", margin=0):
                    RegionMap(own)
                    solara.Text(
                        blurb(own.scenario.preset.description), style={"font-size": "0.85rem"}
                    )
        for chart in SHARED_CHARTS:
            top = shared_top(frame, chart)
            with solara.Columns([1, 1]):
                for _, own in sides:
                    SeriesPlot(own, chart, at_least=top)
        with solara.Columns([1, 1]):
            for _, own in sides:
                SurvivalPlot(own)
    return views
