"""Live plots of the model's monthly series: interactive Vega-Lite charts, one or two scenarios.

A plot shows one `Chart` (columns of `ClusterModel.series()`) for one scenario on the
live page, or overlays two on the side-by-side page: each scenario in its colour, and
where a chart has several lines, each line in its own dash. Hovering over a month
shows every line's value in that month. The month axis spans the whole run; the
chart's spec is made once per chart, horizon and set of lines, and each frame sends
only the rows (see `vega`). A plot draws from frames (`frames.ScenarioFrame`), never
from the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import solara

from clustersim.dashboard.vega import Rows, VegaChart, vega_lite_spec

if TYPE_CHECKING:
    from clustersim.dashboard.frames import ScenarioFrame

COLOURS = ("#4c72b0", "#dd8452", "#55a868")  # the lines of one scenario
SIDE_COLOURS = ("#4c72b0", "#dd8452")  # left and right, side by side
DASHES = ([1, 0], [6, 3], [2, 2])
PLOT_HEIGHT = 200  # px of the plot area; its width fills the card


@dataclass(frozen=True)
class Chart:
    """What one series plot shows: columns of `ClusterModel.series()` and their labels."""

    title: str
    lines: Mapping[str, str]  # series column -> legend label
    y_label: str
    y_max: float | None = None  # a fixed top, for shares; None grows with the data
    scale: float = 1.0  # multiply values by this, e.g. 1e-3 for thousands
    format: str = ",.0f"  # how hover and the caption show a value


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
    format=".2f",
)
TRUST = Chart(
    "Mean trust within partnerships",
    {"mean_trust": "mean trust"},
    "trust (0 to 1)",
    y_max=1.0,
    format=".2f",
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
    format=",.1f",
)

Sides = Sequence[tuple[str, "ScenarioFrame"]]  # (name, frame); one unnamed side on Live


@dataclass(frozen=True)
class Line:
    """One line of a plot: its key in the rows, its legend label, colour and dash."""

    key: str
    label: str
    colour: str
    dash: list[int]


def lines_of(chart: Chart, names: Sequence[str]) -> tuple[Line, ...]:
    """Every line a plot of `chart` draws for scenarios `names` (one name: the live page)."""
    lines = []
    for k, name in enumerate(names):
        for j, measure in enumerate(chart.lines.values()):
            if len(names) == 1:
                lines.append(Line(f"l{j}", measure, COLOURS[j], DASHES[0]))
                continue
            label = name if len(chart.lines) == 1 else f"{name}: {measure}"
            lines.append(Line(f"s{k}l{j}", label, SIDE_COLOURS[k], DASHES[j]))
    return tuple(lines)


def side_names(sides: Sides) -> tuple[str, ...]:
    return tuple(name for name, _ in sides)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (and >= 1)."""
    if value <= 1.0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= value))


def top_rows(chart: Chart, rows: Rows) -> Rows:
    """Where the value axis ends: the chart's fixed top, or a round value above the data
    that moves only when the data passes it, so the axis does not twitch every month."""
    highest = max((row["value"] for row in rows), default=0.0)
    return [{"month": 0, "value": chart.y_max or nice_ceiling(highest * 1.2)}]


def series_rows(chart: Chart, sides: Sides) -> Rows:
    """The rows a plot of `chart` draws: one per month and line, in `lines_of`'s order."""
    lines = iter(lines_of(chart, side_names(sides)))
    rows = []
    for _, frame in sides:
        months = frame.series["month"].tolist()
        for column in chart.lines:
            line = next(lines)
            values = (frame.series[column].to_numpy(dtype=float) * chart.scale).tolist()
            rows += [
                {"month": m, "value": value, "line": line.label, "key": line.key}
                for m, value in zip(months, values, strict=True)
            ]
    return rows


def series_datasets(chart: Chart, sides: Sides) -> dict[str, Rows]:
    """What one frame sends to a plot: its lines' rows and the top of its value axis."""
    rows = series_rows(chart, sides)
    return {"series": rows, "top": top_rows(chart, rows)}


def now_text(chart: Chart, sides: Sides) -> str:
    """Each line's value in the latest month: 'Month 24: active 10' or 'left 10, right 14'."""
    lines = iter(lines_of(chart, side_names(sides)))
    said = []
    for _, frame in sides:
        for column in chart.lines:
            value = float(frame.series[column].iloc[-1]) * chart.scale
            said.append(f"{next(lines).label} {format(value, chart.format)}")
    return f"Month {sides[0][1].month}: " + "; ".join(said)


def series_chart(chart: Chart, months: int, lines: tuple[Line, ...]) -> alt.LayerChart:
    """The Altair chart: a line per `Line`, and a rule with every value on hover."""
    hover = alt.selection_point(
        name="hover", fields=["month"], nearest=True, on="mouseover", clear="mouseout", empty=False
    )
    month = alt.X("month:Q", title="month", scale=alt.Scale(domain=[0, months], nice=False))
    base = alt.Chart(alt.Data(name="series")).encode(x=month)
    y_scale = alt.Scale(zero=True, nice=False)
    labels = [line.label for line in lines]
    # One key for colour and dash (each line has both), one line per entry.
    legend = alt.Legend(
        title=None,
        orient="bottom",
        direction="vertical",
        columns=1,
        labelLimit=400,
        symbolStrokeWidth=2,
    )
    drawn = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("value:Q", title=chart.y_label, scale=y_scale),
        color=alt.Color(
            "line:N",
            scale=alt.Scale(domain=labels, range=[line.colour for line in lines]),
            legend=legend,
        ),
        strokeDash=alt.StrokeDash(
            "line:N",
            scale=alt.Scale(domain=labels, range=[line.dash for line in lines]),
            legend=legend,
        ),
    )
    tooltip = [alt.Tooltip("month:Q")] + [
        alt.Tooltip(f"{line.key}:Q", title=line.label, format=chart.format) for line in lines
    ]
    rule = (
        base.transform_pivot("key", value="value", groupby=["month"])
        .mark_rule(color="#555", strokeWidth=6)
        .encode(opacity=alt.condition(hover, alt.value(0.3), alt.value(0)), tooltip=tooltip)
        .add_params(hover)
    )
    top = (
        alt.Chart(alt.Data(name="top"))
        .mark_point(opacity=0)
        .encode(x="month:Q", y=alt.Y("value:Q", scale=y_scale))
    )
    return alt.layer(drawn, rule, top).properties(title=chart.title, height=PLOT_HEIGHT, width=400)


_SPECS: dict[tuple, dict[str, Any]] = {}


def series_spec(chart: Chart, months: int, names: Sequence[str]) -> dict[str, Any]:
    """The spec of a plot of `chart`, made once per chart, horizon and scenario names."""
    key = (chart.title, months, tuple(names))
    if key not in _SPECS:
        if len(_SPECS) > 256:  # names change with every lever moved: keep the memory bounded
            _SPECS.clear()
        _SPECS[key] = vega_lite_spec(series_chart(chart, months, lines_of(chart, names)))
    return _SPECS[key]


@solara.component
def SeriesPlot(sides: Sides, chart: Chart):
    """One chart of the frames' monthly series: one scenario, or two overlaid."""
    frame = sides[0][1]
    spec = series_spec(chart, frame.months, side_names(sides))
    datasets = solara.use_memo(lambda: series_datasets(chart, sides), [tuple(sides)])
    with solara.Column(gap="0px") as plot:
        VegaChart(spec, datasets, serial=frame.serial, kind="series-plot")
        solara.Text(now_text(chart, sides), classes=["plot-now"])
    return plot
