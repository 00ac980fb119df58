"""Calibration: which design point of a sweep reproduces the observed patterns best?

A calibration is a sweep (usually a Latin hypercube over the free parameters) run by
the ordinary engine. Each run's pattern statistics are averaged over its replications;
a point's distance is the root of the summed squared misses of every validation
target (a miss is how far the mean lies outside the target's range, in the target's
own scale, so a point inside every range is at distance 0). This is rejection
approximate Bayesian computation (Beaumont 2010): the closest share of points is
accepted, and their parameter ranges show how tightly the patterns pin each
parameter down; the closest point is the calibrated parameter set.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from clustersim.experiment.spec import Experiment
from clustersim.experiment.validation import TARGETS, statistics_by_run
from clustersim.formatting import Table, markdown_table, number

DEFAULT_ACCEPT_SHARE = 0.1


def point_distances(per_run: pd.DataFrame) -> pd.DataFrame:
    """Mean statistics per design point, each target's miss, and the total distance."""
    statistics = [t.statistic for t in TARGETS]
    means = per_run.groupby("point")[statistics].mean()
    misses = pd.DataFrame({f"miss_{t.statistic}": means[t.statistic].map(t.miss) for t in TARGETS})
    result = means.join(misses)
    result["targets_met"] = (misses == 0).sum(axis=1)
    result["distance"] = np.sqrt((misses**2).sum(axis=1))
    return result.sort_values(["distance", "targets_met"], ascending=[True, False])


def calibrate(root: Path, experiment: Experiment) -> pd.DataFrame:
    """Every design point of a finished sweep with its parameter values, ranked by distance."""
    ranked = point_distances(statistics_by_run(root, experiment))
    points = experiment.points.rename_axis("point")
    return points.join(ranked, how="inner").loc[ranked.index]


def accepted(ranking: pd.DataFrame, share: float = DEFAULT_ACCEPT_SHARE) -> pd.DataFrame:
    """The closest `share` of points (at least one): the rejection-ABC sample."""
    return ranking.head(max(1, math.ceil(share * len(ranking))))


def parameter_ranges(
    ranking: pd.DataFrame, names: list[str], share: float = DEFAULT_ACCEPT_SHARE
) -> pd.DataFrame:
    """Per swept parameter: the best value and the range among accepted points."""
    best, kept = ranking.iloc[0], accepted(ranking, share)
    return pd.DataFrame(
        {
            "parameter": names,
            "best": [best[n] for n in names],
            "accepted_low": [kept[n].min() for n in names],
            "accepted_high": [kept[n].max() for n in names],
        }
    )


def calibration_markdown(
    ranking: pd.DataFrame, experiment: Experiment, share: float = DEFAULT_ACCEPT_SHARE
) -> str:
    """The calibration's design, its best point, accepted ranges and the closest points."""
    names = [d.name for d in experiment.dimensions]
    ranges = parameter_ranges(ranking, names, share)
    lines = [
        f"Design: `{experiment.path.name}`, a {experiment.method} sweep of "
        f"{len(experiment.points)} points x {experiment.replications} replications over "
        f"{len(names)} parameters (seed {experiment.seed}). Accepted: the closest "
        f"{len(accepted(ranking, share))} points ({share:.0%}).",
        "",
        markdown_table(
            Table(
                ["parameter", "best point", "accepted range"],
                [
                    [
                        f"`{row.parameter}`",
                        number(row.best, ".4g"),
                        f"{number(row.accepted_low, '.4g')} – {number(row.accepted_high, '.4g')}",
                    ]
                    for row in ranges.itertuples(index=False)
                ],
            )
        ),
        "",
        "The five closest points (distance 0 would meet every target):",
        "",
        markdown_table(_closest_points(ranking.head(5), names)),
    ]
    return "\n".join(lines) + "\n"


def _closest_points(top: pd.DataFrame, names: list[str]) -> Table:
    rows = [
        [
            str(point),
            number(row["distance"], ".2f"),
            f"{int(row['targets_met'])} of {len(TARGETS)}",
            *(number(row[n], ".4g") for n in names),
        ]
        for point, row in top.iterrows()
    ]
    return Table(["point", "distance", "targets met", *(f"`{n}`" for n in names)], rows)


def best_parameters_toml(ranking: pd.DataFrame, experiment: Experiment) -> str:
    """The closest point as a config fragment, to paste or to adopt as defaults."""
    best = ranking.iloc[0]
    lines = [f"# closest point {ranking.index[0]}, distance {best['distance']:.3f}"]
    for d in experiment.dimensions:
        value = int(best[d.name]) if d.integer else float(best[d.name])
        lines.append(f"{d.name} = {value!r}")
    return "\n".join(lines) + "\n"


def write_calibration(root: Path, experiment: Experiment, share: float) -> pd.DataFrame:
    """Rank a finished calibration sweep; write ranking.csv and calibration.md beside it."""
    ranking = calibrate(root, experiment)
    folder = Path(root) / "calibration"
    folder.mkdir(exist_ok=True)
    ranking.to_csv(folder / "ranking.csv")
    (folder / "calibration.md").write_text(calibration_markdown(ranking, experiment, share))
    return ranking
