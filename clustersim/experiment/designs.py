"""Sweep designs: which parameter points a sweep visits.

Each design is a pure function from a parameter space to a table of points, using
SALib and scipy.stats.qmc rather than hand-written samplers. Sobol and Morris
designs keep SALib's row order, which their analyses rely on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

METHODS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Dimension:
    """One swept parameter: explicit values (grid) or a closed range (sampled designs)."""

    name: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False


def salib_problem(dimensions: list[Dimension]) -> dict:
    """SALib's problem description for ranged dimensions."""
    return {
        "num_vars": len(dimensions),
        "names": [d.name for d in dimensions],
        "bounds": [[d.low, d.high] for d in dimensions],
    }


def grid(dimensions: list[Dimension]) -> pd.DataFrame:
    """Every combination of the listed values."""
    names = [d.name for d in dimensions]
    return pd.DataFrame(list(itertools.product(*(d.values for d in dimensions))), columns=names)


def latin_hypercube(dimensions: list[Dimension], samples: int, seed: int) -> pd.DataFrame:
    """`samples` points of a scrambled Latin hypercube over the ranges."""
    unit = qmc.LatinHypercube(d=len(dimensions), seed=np.random.default_rng(seed)).random(samples)
    lows = [d.low for d in dimensions]
    highs = [d.high for d in dimensions]
    return _finish(
        pd.DataFrame(qmc.scale(unit, lows, highs), columns=[d.name for d in dimensions]), dimensions
    )


def sobol(dimensions: list[Dimension], samples: int, seed: int) -> pd.DataFrame:
    """Saltelli's scheme: samples * (2D + 2) points, for first- and total-order indices."""
    points = sobol_sample.sample(
        salib_problem(dimensions), samples, calc_second_order=True, seed=seed
    )
    return _finish(pd.DataFrame(points, columns=[d.name for d in dimensions]), dimensions)


def morris(dimensions: list[Dimension], trajectories: int, levels: int, seed: int) -> pd.DataFrame:
    """`trajectories` one-at-a-time trajectories: trajectories * (D + 1) points."""
    points = morris_sample.sample(
        salib_problem(dimensions), trajectories, num_levels=levels, seed=seed
    )
    return _finish(pd.DataFrame(points, columns=[d.name for d in dimensions]), dimensions)


def expected_points(method: str, n_dimensions: int, samples: int, grid_sizes=()) -> int:
    """How many points a design makes, so users (and tests) know the cost up front."""
    if method == "grid":
        return int(np.prod(grid_sizes))
    if method == "lhs":
        return samples
    if method == "sobol":
        return samples * (2 * n_dimensions + 2)
    return samples * (n_dimensions + 1)


def _finish(points: pd.DataFrame, dimensions: list[Dimension]) -> pd.DataFrame:
    """Round integer parameters to whole numbers."""
    for d in dimensions:
        if d.integer:
            points[d.name] = points[d.name].round().astype(np.int64)
    return points
