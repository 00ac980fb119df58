"""Live plots of the model's monthly series, and the `Plot` they and the survival plot share.

Each plot keeps its axes fixed for as long as it can, the month axis spanning the whole
run and the value axis growing in round steps, so its background is drawn once and
a new month only redraws the lines (see `canvas.LayeredFigure`). A plot draws from a
frame (`frames.ScenarioFrame`), never from the model, and is redrawn only for a new
frame, not on every re-render; it outlives the model it shows: after a rebuild with
the same horizon it keeps its background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from clustersim.dashboard.canvas import LayeredFigure, kept_drawing

if TYPE_CHECKING:
    from clustersim.dashboard.frames import ScenarioFrame

FIGURE_SIZE = (5.0, 3.0)  # inches; the picture scales to its panel
COLOURS = ("#4c72b0", "#dd8452", "#55a868")


@dataclass(frozen=True)
class Chart:
    """What one series plot shows: columns of `ClusterModel.series()` and their labels."""

    title: str
    lines: Mapping[str, str]  # series column -> legend label
    y_label: str
    y_max: float | None = None  # a fixed top, for shares; None grows with the data
    scale: float = 1.0  # multiply values by this, e.g. 1e-3 for thousands


ACTIVE = Chart("Active partnerships", {"active_partnerships": "active"}, "partnerships")
TURNOVER = Chart(
    "Formed and dissolved per month",
    {"formed": "formed", "dissolved": "dissolved"},
    "partnerships per month",
)
COLLABORATING = Chart(
    "Share of organisations collaborating",
    {"share_collaborating": "in a partnership now", "share_ever_collaborated": "ever in one"},
    "share of organisations",
    y_max=1.0,
)
TRUST = Chart(
    "Mean trust within partnerships", {"mean_trust": "mean trust"}, "trust (0 to 1)", y_max=1.0
)
SPENDING = Chart(
    "Public money spent so far, by lever",
    {
        "subsidy_spent_eur": "start subsidy",
        "matchmaking_spent_eur": "matchmaking",
        "manager_spent_eur": "cluster manager (public share)",
    },
    "thousand EUR",
    scale=1e-3,
)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (and >= 1)."""
    if value <= 1.0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= value))


def new_figure(size: tuple[float, float] = FIGURE_SIZE) -> LayeredFigure:
    """An empty figure of `size` inches, laid out to fit its labels, in two layers."""
    return LayeredFigure(Figure(figsize=size, dpi=100, layout="constrained"))


class Plot:
    """A small chart over the months of a run, with fixed axes and live lines."""

    def __init__(
        self,
        layers: LayeredFigure,
        ax: Axes,
        title: str,
        labels: tuple[str, str],
        months: int,
        y_top: float,
    ) -> None:
        """`ax` of the figure in `layers`; `labels` are the x and y axis labels."""
        x_label, y_label = labels
        self.layers = layers
        self.ax = ax
        self.ax.set_title(title, fontsize=10)
        self.ax.set_xlabel(x_label, fontsize=8)
        self.ax.set_ylabel(y_label, fontsize=8)
        self.ax.tick_params(labelsize=7)
        self.ax.grid(alpha=0.3)
        self.ax.set_xlim(0, months)
        self.ax.set_ylim(0, y_top)
        self.now = self.layers.live(
            self.ax.text(
                0.98,
                0.96,
                "",
                transform=self.ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
                bbox={"fc": "white", "ec": "none", "alpha": 0.8},
            )
        )

    def line(self, label: str, colour: str, **style):
        return self.layers.live(self.ax.plot([], [], color=colour, label=label, **style)[0])

    def fit(self, highest: float) -> None:
        """Set the value axis to a round top above the data; a new top redraws the background.

        The top only moves when the data passes a round value, and back down when a
        rebuilt model starts again from zero.
        """
        top = nice_ceiling(highest * 1.2)
        if top != self.ax.get_ylim()[1]:
            self.ax.set_ylim(0, top)
            self.layers.invalidate()


class SeriesDrawing:
    """One `Chart` over a run of `months` months."""

    def __init__(self, chart: Chart, months: int) -> None:
        self.chart = chart
        layers = new_figure()
        top = chart.y_max or 1.0
        self.plot = Plot(
            layers, layers.figure.add_subplot(), chart.title, ("month", chart.y_label), months, top
        )
        self.lines = {
            column: self.plot.line(label, colour, lw=1.5)
            for (column, label), colour in zip(chart.lines.items(), COLOURS, strict=False)
        }
        if len(self.lines) > 1:
            self.plot.ax.figure.legend(
                loc="outside lower center", ncols=len(self.lines), fontsize=7, frameon=False
            )

    def render(self, series: pd.DataFrame, at_least: float = 0.0) -> bytes:
        """PNG of the chart; `at_least` lifts the value axis, to share it with another plot."""
        values = {
            column: series[column].to_numpy(dtype=float) * self.chart.scale for column in self.lines
        }
        for column, line in self.lines.items():
            line.set_data(series["month"].to_numpy(), values[column])
        if self.chart.y_max is None:
            self.plot.fit(max(at_least, *(v.max(initial=0.0) for v in values.values())))
        self.plot.now.set_text(
            ", ".join(
                f"{self.chart.lines[column]} {_number(v[-1])}" for column, v in values.items()
            )
        )
        return self.plot.layers.png()


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 and not float(value).is_integer() else f"{value:,.0f}"


@solara.component
def SeriesPlot(frame: ScenarioFrame, chart: Chart, at_least: float = 0.0):
    """One chart of the frame's monthly series; drawn again only for a new frame."""
    key = ("series", chart.title, frame.months)
    drawing = kept_drawing(key, lambda: SeriesDrawing(chart, frame.months))
    image = solara.use_memo(lambda: drawing.render(frame.series, at_least), [frame, at_least])
    return solara.Image(image, width="100%")
