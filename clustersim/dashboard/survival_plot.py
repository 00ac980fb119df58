"""Partnership survival so far: the Kaplan-Meier curve, its 95 % band and the number at risk.

Early in a run the curve rests on a handful of partnerships, and late in it, far out
in months since formation, on the few that have lived that long. A class should see
how little such a curve says: it is drawn with the comparison report's pointwise
95 % Greenwood band (`experiment.analysis.survival_curves`, the same statistic),
faded where fewer than `FEW_AT_RISK` partnerships remain at risk, with the number at
risk under the month axis and a sentence that says when it rests on few.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import solara

from clustersim.dashboard.plots import COLOURS, PLOT_HEIGHT, SIDE_COLOURS, Sides, side_names
from clustersim.dashboard.vega import Rows, VegaChart, vega_lite_spec
from clustersim.experiment.analysis import survival_curves
from clustersim.model import ClusterModel
from clustersim.partnership import Cause

FEW_AT_RISK = 10  # fewer at risk than this, and a curve says little: drawn faded
FADED = 0.3  # opacity of the part of the curve that rests on few


@dataclass(frozen=True, eq=False)
class SurvivalSoFar:
    """The Kaplan-Meier curve of the partnerships formed so far, the living ones censored.

    One value per time at which a partnership dissolved or was last seen, from
    (0, 1); `low` and `high` are the pointwise 95 % Greenwood band.
    """

    time: np.ndarray  # months since formation
    survival: np.ndarray  # share still active
    low: np.ndarray
    high: np.ndarray
    durations: np.ndarray  # every partnership's months so far, sorted
    dissolved: int

    @property
    def partnerships(self) -> int:
        return len(self.durations)

    def at_risk(self, months: np.ndarray | float) -> np.ndarray:
        """Partnerships watched at least `months` months: those the curve rests on there."""
        return len(self.durations) - np.searchsorted(self.durations, months, side="left")

    @property
    def few_from(self) -> float | None:
        """The first time on the curve where fewer than `FEW_AT_RISK` remain; None if never."""
        few = np.flatnonzero(self.at_risk(self.time) < FEW_AT_RISK)
        return float(self.time[few[0]]) if len(few) else None


def survival_table(model: ClusterModel) -> pd.DataFrame:
    """The `duration` and `dissolved` columns of `model.partnership_table()`, and only them.

    The same definitions as the full table (records.partnership_table), built in a
    tenth of its time: the page takes this after every step.
    """
    parts = list(model.partnerships.values())
    return pd.DataFrame(
        {
            "duration": np.array([p.duration(model.month) for p in parts], dtype=float),
            "dissolved": np.array(
                [not p.active and p.cause is not Cause.COMPLETED for p in parts], dtype=bool
            ),
        }
    )


def survival_so_far(table: pd.DataFrame) -> SurvivalSoFar:
    """The curve, band and numbers at risk of a table with `duration` and `dissolved`."""
    curve = survival_curves(table.assign(scenario="so far"))
    survival = curve["survival"].to_numpy(dtype=float)
    # Greenwood's band is undefined where the curve reaches 0; it is 0 there.
    low, high = (curve[c].to_numpy(dtype=float) for c in ("ci_low", "ci_high"))
    return SurvivalSoFar(
        time=curve["time"].to_numpy(dtype=float),
        survival=survival,
        low=np.where(np.isnan(low), survival, low),
        high=np.where(np.isnan(high), survival, high),
        durations=np.sort(table["duration"].to_numpy(dtype=float)),
        dissolved=int(table["dissolved"].sum()),
    )


def survival_note(curve: SurvivalSoFar) -> str:
    """One sentence on how much the curve can be trusted, for below the plot."""
    n = curve.partnerships
    if n == 0:
        return "No partnership has formed yet: the survival curve starts with the first."
    if n < FEW_AT_RISK:
        return (
            f"Only {n} partnership{'s' if n > 1 else ''} so far: the curve rests on too few "
            "to say much, as its wide band shows."
        )
    few = curve.few_from
    base = f"Based on {n} partnerships, {curve.dissolved} dissolved; shaded: 95 % band."
    if few is None:
        return base
    return (
        f"{base} Faded from {few:g} months after forming: fewer than {FEW_AT_RISK} "
        "partnerships have been watched that long."
    )


def label_step(months: int) -> int:
    """Months between numbers-at-risk labels: a round step giving at most ten of them."""
    return next(s for s in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200) if months / s <= 10)


def curve_rows(curve: SurvivalSoFar, line: str) -> Rows:
    """One row per step of the curve, its band and number at risk; `part` is 'few' from
    where fewer than FEW_AT_RISK remain (that row starts both parts, so they join)."""
    at_risk = curve.at_risk(curve.time)
    few = np.flatnonzero(at_risk < FEW_AT_RISK)
    split = int(few[0]) if len(few) else len(curve.time)
    rows = []
    for part, indices in (
        ("enough", range(min(split + 1, len(curve.time)))),
        ("few", range(split, len(curve.time))),
    ):
        rows += [
            {
                "time": float(curve.time[i]),
                "survival": float(curve.survival[i]),
                "low": float(curve.low[i]),
                "high": float(curve.high[i]),
                "at_risk": int(at_risk[i]),
                "part": part,
                "line": line,
            }
            for i in indices
        ]
    return rows


def at_risk_rows(curve: SurvivalSoFar, line: str, row: int, months: int) -> Rows:
    """The numbers at risk along the bottom, one row of them per scenario, up to the
    longest a partnership has been watched."""
    if curve.partnerships == 0:
        return []
    ticks = np.arange(0, months + 1, label_step(months))
    ticks = ticks[ticks <= curve.durations[-1]]
    return [
        {"time": int(t), "count": str(n), "line": line, "y": at_risk_y(row)}
        for t, n in zip(ticks, curve.at_risk(ticks), strict=True)
    ]


def at_risk_y(row: int) -> float:
    """Where row `row` of numbers at risk sits, below the curve's 0."""
    return -0.1 - 0.09 * row


def survival_datasets(sides: Sequence[tuple[str, SurvivalSoFar]], months: int) -> dict[str, Rows]:
    """The rows of a survival plot of one scenario, or of two overlaid."""
    curves: Rows = []
    numbers: Rows = []
    for row, (line, curve) in enumerate(sides):
        curves += curve_rows(curve, line)
        numbers += at_risk_rows(curve, line, row, months)
    return {"curves": curves, "at_risk": numbers}


def survival_chart(months: int, lines: Sequence[str]) -> alt.LayerChart:
    """Step curves with their 95 % band, faded where few remain, and numbers at risk."""
    scale = alt.Scale(domain=[0, months], nice=False)
    x = alt.X("time:Q", title="months since formation", scale=scale)
    bottom = at_risk_y(len(lines) - 1) - 0.06
    y_scale = alt.Scale(domain=[bottom, 1.02], nice=False)
    y_axis = alt.Axis(values=[0, 0.2, 0.4, 0.6, 0.8, 1])

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title="share still active", scale=y_scale, axis=y_axis)

    def faded(solid: float) -> alt.Opacity:
        fade = alt.Scale(domain=["enough", "few"], range=[solid, solid * FADED])
        return alt.Opacity("part:O", scale=fade, legend=None)

    colours = SIDE_COLOURS if len(lines) > 1 else COLOURS[:1]
    colour = alt.Color(
        "line:N",
        scale=alt.Scale(domain=list(lines), range=list(colours)),
        legend=alt.Legend(title=None, orient="bottom", symbolType="stroke", symbolStrokeWidth=2)
        if len(lines) > 1
        else None,
    )
    curves = alt.Chart(alt.Data(name="curves")).encode(x=x, color=colour, detail="part:N")
    band = curves.mark_area(interpolate="step-after").encode(
        y=y("low"), y2="high:Q", opacity=faded(0.25)
    )
    line = curves.mark_line(interpolate="step-after", strokeWidth=2).encode(
        y=y("survival"), opacity=faded(1.0)
    )
    tooltip = [
        alt.Tooltip("time:Q", title="months since formation"),
        alt.Tooltip("survival:Q", title="share still active", format=".2f"),
        alt.Tooltip("low:Q", title="95 % band from", format=".2f"),
        alt.Tooltip("high:Q", title="95 % band to", format=".2f"),
        alt.Tooltip("at_risk:Q", title="partnerships at risk"),
    ]
    if len(lines) > 1:
        tooltip.insert(0, alt.Tooltip("line:N", title="scenario"))
    hover = curves.mark_point(size=90, opacity=0, filled=True).encode(
        y=y("survival"), tooltip=tooltip
    )
    numbers = (
        alt.Chart(alt.Data(name="at_risk"))
        .mark_text(fontSize=10)
        .encode(x=alt.X("time:Q", scale=scale), y=y("y"), text="count:N", color=colour)
    )
    title = alt.Title(
        "Partnership survival so far", subtitle="numbers along the bottom: partnerships at risk"
    )
    chart = alt.layer(band, line, hover, numbers).resolve_scale(opacity="independent")
    return chart.properties(title=title, height=PLOT_HEIGHT + 40, width=400)


_SPECS: dict[tuple, dict[str, Any]] = {}


def survival_spec(months: int, lines: Sequence[str]) -> dict[str, Any]:
    """The spec of a survival plot, made once per horizon and scenario names."""
    key = (months, tuple(lines))
    if key not in _SPECS:
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[key] = vega_lite_spec(survival_chart(months, lines))
    return _SPECS[key]


@solara.component
def SurvivalPlot(sides: Sides):
    """The running Kaplan-Meier curve of one scenario, or of two overlaid, with the band,
    numbers at risk and how much each rests on."""
    frame = sides[0][1]
    lines = [name or "survival so far" for name in side_names(sides)]
    spec = survival_spec(frame.months, lines)
    curves = [(line, own.survival) for line, (_, own) in zip(lines, sides, strict=True)]
    datasets = solara.use_memo(lambda: survival_datasets(curves, frame.months), [tuple(sides)])
    with solara.Column(gap="0px") as plot:
        VegaChart(spec, datasets, serial=frame.serial, kind="survival-plot")
        for name, own in sides:
            note = survival_note(own.survival)
            solara.Text(
                f"{name}: {note}" if name else note,
                classes=["survival-note"],
                style={"font-size": "0.8rem", "color": "#555"},
            )
    return plot
