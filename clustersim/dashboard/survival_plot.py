"""Partnership survival so far: the Kaplan-Meier curve, its 95 % band and the number at risk.

Early in a run the curve rests on a handful of partnerships, and late in it, far out
in months since formation, on the few that have lived that long. A class should see
how little such a curve says: it is drawn with the comparison report's pointwise
95 % Greenwood band (`experiment.analysis.survival_curves`, the same statistic),
faded where fewer than `FEW_AT_RISK` partnerships remain at risk, with the number at
risk under the month axis and a sentence that says when it rests on few.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import solara
from matplotlib.patches import Polygon

from clustersim.dashboard.canvas import kept_drawing
from clustersim.dashboard.plots import COLOURS, Plot, new_figure
from clustersim.experiment.analysis import survival_curves
from clustersim.model import ClusterModel
from clustersim.partnership import Cause

if TYPE_CHECKING:
    from clustersim.dashboard.frames import ScenarioFrame

FEW_AT_RISK = 10  # fewer at risk than this, and a curve says little: drawn faded
FADED = 0.3  # opacity of the part of the curve that rests on few
MOST_AT_RISK_LABELS = 10


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


def step_band(time: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The outline of a band between two step curves (drawn as steps-post), as vertices."""
    xs = np.repeat(time, 2)[1:]
    upper = np.column_stack([xs, np.repeat(high, 2)[:-1]])
    lower = np.column_stack([xs, np.repeat(low, 2)[:-1]])
    return np.concatenate([upper, lower[::-1]]) if len(time) else np.zeros((0, 2))


def label_step(months: int) -> int:
    """Months between numbers-at-risk labels: a round step giving at most ten of them."""
    return next(s for s in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200) if months / s <= 10)


class SurvivalDrawing:
    """The running survival curve of a run of `months` months, with its band and numbers at risk."""

    def __init__(self, months: int) -> None:
        layers = new_figure((5.0, 3.4))
        main, row = layers.figure.subplots(2, 1, height_ratios=[6, 1])
        labels = ("months since formation", "share still active")
        self.plot = Plot(layers, main, "Partnership survival so far", labels, months, 1.02)
        self.ticks = np.arange(0, months + 1, label_step(months))
        main.set_xticks(self.ticks)
        self.bands = [self._band(0.25, "95 % band"), self._band(0.25 * FADED, None)]
        few = f"fewer than {FEW_AT_RISK} at risk"
        self.curves = [
            self.plot.line(name, COLOURS[0], lw=1.5, drawstyle="steps-post", alpha=alpha)
            for name, alpha in (("survival so far", 1.0), (few, FADED))
        ]
        main.legend(loc="lower left", fontsize=7, frameon=False)
        row.set_xlim(0, months)
        row.text(
            -0.02, 0.5, "at risk", transform=row.transAxes, ha="right", va="center", fontsize=7
        )
        row.set_yticks([])
        row.tick_params(labelsize=7, length=0, labelbottom=False)
        for side in ("top", "right", "left", "bottom"):
            row.spines[side].set_visible(False)
        self.numbers = [
            layers.live(row.text(t, 0.5, "", ha="center", va="center", fontsize=7))
            for t in self.ticks
        ]

    def _band(self, alpha: float, name: str | None) -> Polygon:
        band = Polygon(
            np.zeros((0, 2)), closed=True, fc=COLOURS[0], ec="none", alpha=alpha, label=name
        )
        self.plot.ax.add_patch(band)
        return self.plot.layers.live(band)

    def render(self, curve: SurvivalSoFar) -> bytes:
        """PNG of the survival curve, solid where it rests on enough partnerships."""
        at_risk = curve.at_risk(curve.time)
        few = np.flatnonzero(at_risk < FEW_AT_RISK)
        split = int(few[0]) if len(few) else len(curve.time)
        parts = (slice(0, split + 1), slice(split, None))
        for band, curve_line, part in zip(self.bands, self.curves, parts, strict=True):
            band.set_xy(step_band(curve.time[part], curve.low[part], curve.high[part]))
            curve_line.set_data(curve.time[part], curve.survival[part])
        for number, count, t in zip(
            self.numbers, curve.at_risk(self.ticks), self.ticks, strict=True
        ):
            seen = curve.partnerships > 0 and t <= curve.durations[-1]
            number.set_text(str(count) if seen else "")
        self.plot.now.set_text(f"{curve.partnerships} formed, {curve.dissolved} dissolved")
        return self.plot.layers.png()


@solara.component
def SurvivalPlot(frame: ScenarioFrame):
    """The running Kaplan-Meier curve of the frame, and how much it rests on."""
    drawing = kept_drawing(("survival", frame.months), lambda: SurvivalDrawing(frame.months))
    image = solara.use_memo(lambda: drawing.render(frame.survival), [frame])
    with solara.Column(gap="0px") as plot:
        solara.Image(image, width="100%")
        solara.Text(
            survival_note(frame.survival),
            classes=["survival-note"],
            style={"font-size": "0.8rem", "color": "#555"},
        )
    return plot
