"""Sweep designs: which parameter points a sweep visits, and how a design is analysed.

Each design is a pure function from a parameter space to a table of points, using
SALib and scipy.stats.qmc rather than hand-written samplers. Sobol and Morris
designs keep SALib's row order, which their analyses rely on. `METHODS` is the one
registry of methods: each `Method` mirrors a sampler with its analyser (SALib's
sample/analyze pairs) and says how many points it makes.

A `levers` design is a grid over policy levers and their switches that runs each
effective setting once: points that differ only in the settings of a lever that is
switched off (subsidy_months while subsidy_share = 0) would run the same model.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from clustersim.parameters import specs

# The parameter that switches each policy lever (a parameter group) on; the lever is off
# where it is false or 0, its documented off-value (clustersim.policy).
LEVER_SWITCHES = {
    "subsidy": "subsidy_share",
    "participant_cap": "participant_cap",
    "quick_win": "quick_win",
    "matchmaking": "matchmaking",
    "cluster_manager": "cluster_manager_hours",
}


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


def lever_of(name: str) -> str | None:
    """The policy lever a parameter belongs to (its group), or None for a model parameter."""
    group = specs()[name][1].group if name in specs() else None
    return group if group in LEVER_SWITCHES else None


def effective_settings(points: pd.DataFrame) -> pd.DataFrame:
    """The points as the model sees them: a switched-off lever's other settings blanked.

    Blanked (None) only where the point itself switches the lever off, so rows that
    are equal here run the same model. A lever whose switch is not a column keeps its
    settings: whether it is on is the base config's to say.
    """
    settings = points.astype(object)
    for name in points.columns:
        switch = LEVER_SWITCHES.get(lever_of(name) or "")
        if switch is None or switch == name or switch not in points:
            continue
        off = ~points[switch].astype(bool)
        settings.loc[off, name] = None
    return settings


def lever_grid(dimensions: list[Dimension]) -> pd.DataFrame:
    """Every combination of the listed values, once per effective setting.

    Of points that differ only in a switched-off lever's settings, the first is kept;
    it carries that lever's first listed values, which have no effect.
    """
    points = grid(dimensions)
    keep = ~effective_settings(points).duplicated().to_numpy()
    return points[keep].reset_index(drop=True)


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


def sobol_indices(
    problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int
) -> pd.DataFrame:
    """First-order and total Sobol indices with their confidence intervals."""
    s = sobol_analyze.analyze(problem, y, calc_second_order=True, seed=seed)
    columns = ("S1", "S1_conf", "ST", "ST_conf")
    return pd.DataFrame({"parameter": problem["names"], **{c: s[c] for c in columns}})


def morris_indices(
    problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int
) -> pd.DataFrame:
    """Morris elementary effects: mu*, its confidence interval, sigma and mu."""
    s = morris_analyze.analyze(problem, x, y, num_levels=levels, seed=seed)
    columns = ("mu_star", "mu_star_conf", "sigma", "mu")
    return pd.DataFrame({"parameter": problem["names"], **{c: s[c] for c in columns}})


Sampler = Callable[[list[Dimension], int, int, int], pd.DataFrame]  # dims, samples, levels, seed
Analyser = Callable[[dict, np.ndarray, np.ndarray, int, int], pd.DataFrame]


@dataclass(frozen=True)
class Method:
    """A design method: its sampler, its point count and, if it has one, its analyser.

    `ranged`: its parameters are ranges (low, high) rather than lists of values.
    """

    name: str
    sample: Sampler
    points: Callable[[int, int, Sequence[int]], int]  # dimensions, samples, grid sizes
    analyse: Analyser | None = None
    ranged: bool = True
    needs_samples: bool = True
    needs_levels: bool = False
    min_dimensions: int = 1
    samples_power_of_two: bool = False


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "grid",
            lambda dims, samples, levels, seed: grid(dims),
            lambda n, samples, sizes: int(np.prod(sizes)),
            ranged=False,
            needs_samples=False,
        ),
        Method(
            "levers",
            lambda dims, samples, levels, seed: lever_grid(dims),
            lambda n, samples, sizes: int(np.prod(sizes)),  # at most: off levers merge points
            ranged=False,
            needs_samples=False,
        ),
        Method(
            "lhs",
            lambda dims, samples, levels, seed: latin_hypercube(dims, samples, seed),
            lambda n, samples, sizes: samples,
        ),
        Method(
            "sobol",
            lambda dims, samples, levels, seed: sobol(dims, samples, seed),
            lambda n, samples, sizes: samples * (2 * n + 2),
            analyse=sobol_indices,
            min_dimensions=2,
            samples_power_of_two=True,
        ),
        Method(
            "morris",
            morris,
            lambda n, samples, sizes: samples * (n + 1),
            analyse=morris_indices,
            needs_levels=True,
            min_dimensions=2,
        ),
    )
}


MORRIS = METHODS["morris"]  # the screening design: elementary effects, mu* and sigma


def expected_points(method: str, n_dimensions: int, samples: int, grid_sizes=()) -> int:
    """How many points a design makes, so users (and tests) know the cost up front."""
    return METHODS[method].points(n_dimensions, samples, grid_sizes)


def _finish(points: pd.DataFrame, dimensions: list[Dimension]) -> pd.DataFrame:
    """Round integer parameters to whole numbers."""
    for d in dimensions:
        if d.integer:
            points[d.name] = points[d.name].round().astype(np.int64)
    return points
