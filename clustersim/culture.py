"""Organisational culture on Hofstede's six dimensions, and culture fit.

Culture fit drives survival more than formation (geography forms ties, fit keeps
them: Juhász & Lengyel 2018), so it enters partner choice with a small weight and
progress with a large one. Cultures of partners converge slowly while they work
together (bounded convergence towards the partnership's mean).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clustersim.groups import members_end_to_end, waves_without_shared_members

# 003 §2.2: Hofstede's organisational dimensions. Each value is in [0, 1]; 1 is the
# second pole named here.
DIMENSIONS = (
    "results_oriented",  # process- vs results-oriented
    "job_oriented",  # employee- vs job-oriented
    "professional",  # parochial vs professional
    "closed_system",  # open vs closed system
    "tight_control",  # loose vs tight control
    "pragmatic",  # normative vs pragmatic
)

# Regime means (000: commercial, non-profit, public regimes). Assumption: firms are
# results-oriented and pragmatic, knowledge institutions professional and normative,
# government closed, tightly controlled and normative.
REGIME_MEANS = np.array(
    [
        [0.70, 0.50, 0.50, 0.40, 0.35, 0.75],  # commercial (SME)
        [0.40, 0.35, 0.80, 0.50, 0.30, 0.35],  # non-profit (knowledge institution)
        [0.30, 0.50, 0.55, 0.60, 0.75, 0.25],  # public (government)
    ]
)

_MAX_DISTANCE = float(np.sqrt(len(DIMENSIONS)))


def draw_cultures(regimes: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Cultures scattered around each organisation's regime mean, clipped to [0, 1]."""
    noise = rng.normal(0.0, sd, size=(len(regimes), len(DIMENSIONS)))
    return np.clip(REGIME_MEANS[regimes] + noise, 0.0, 1.0)


def culture_fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 minus the normalised Euclidean distance between culture rows (pairwise, broadcast).

    The distance is what `np.linalg.norm` computes for real rows, without its checks.
    """
    difference = a - b
    return 1.0 - np.sqrt(np.add.reduce(difference * difference, axis=-1)) / _MAX_DISTANCE


def mean_culture_fit(cultures: np.ndarray) -> float:
    """Mean fit over all pairs of a group's cultures (1 for a group of one)."""
    n = len(cultures)
    if n < 2:
        return 1.0
    fits = culture_fit(cultures[:, None, :], cultures[None, :, :])
    return float((fits.sum() - n) / (n * (n - 1)))


def mean_culture_fits(cultures: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """`mean_culture_fit` of consecutive groups of `sizes` rows, bit for bit, batched by size."""
    starts = np.cumsum(sizes) - sizes
    fits = np.ones(len(sizes))
    for n in np.unique(sizes[sizes >= 2]).tolist():
        which = np.flatnonzero(sizes == n)
        group = cultures[starts[which, None] + np.arange(n)]  # (groups, n, dimensions)
        pair_fits = culture_fit(group[:, :, None, :], group[:, None, :, :])
        fits[which] = (pair_fits.reshape(len(which), -1).sum(axis=1) - n) / (n * (n - 1))
    return fits


def converge_groups(cultures: np.ndarray, sizes: np.ndarray, rate: float) -> np.ndarray:
    """`converge` applied to consecutive groups of `sizes` rows, bit for bit, batched by size."""
    starts = np.cumsum(sizes) - sizes
    converged = np.empty_like(cultures)  # every row belongs to one group
    for n in np.unique(sizes).tolist():
        rows = starts[sizes == n, None] + np.arange(n)
        group = cultures[rows]  # (groups, n, dimensions)
        mean = np.add.reduce(group, axis=1, keepdims=True) / n  # `mean`, without its checks
        converged[rows] = group + rate * (mean - group)
    return converged


def converge_partners(cultures: np.ndarray, groups: Sequence[Sequence[int]], rate: float) -> None:
    """Each group's cultures move a fraction `rate` towards its mean, group after group."""
    for wave in waves_without_shared_members(groups):
        idx, sizes, _ = members_end_to_end([groups[k] for k in wave])
        cultures[idx] = converge_groups(cultures[idx], sizes, rate)


def converge(cultures: np.ndarray, rate: float) -> np.ndarray:
    """Move each culture a fraction `rate` towards the group's mean."""
    return cultures + rate * (cultures.mean(axis=0) - cultures)
