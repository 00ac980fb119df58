"""Where organisations sit: a square region with business parks and town centres.

Locations are fixed. SMEs scatter around centres so proximity is uneven; knowledge
institutions and government sit in the centres (MODEL.md). Who-is-near-whom is
answered by a k-d tree, never by comparing all pairs.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def draw_centres(n_centres: int, region_km: float, rng: np.random.Generator) -> np.ndarray:
    """Centres spread over the region, keeping a 10 % margin from its edges."""
    margin = 0.1 * region_km
    return rng.uniform(margin, region_km - margin, size=(n_centres, 2))


def scatter_around(
    centres: np.ndarray, n: int, spread_km: float, region_km: float, rng: np.random.Generator
) -> np.ndarray:
    """`n` locations, each normally scattered around a random centre, kept inside the region."""
    home = rng.integers(0, len(centres), size=n)
    points = centres[home] + rng.normal(0.0, spread_km, size=(n, 2))
    return np.clip(points, 0.0, np.nextafter(region_km, 0.0))


def place_in_centres(centres: np.ndarray, n: int, region_km: float, rng: np.random.Generator):
    """Institutions at the centres, in turn, slightly apart so markers don't overlap."""
    points = centres[np.arange(n) % len(centres)] + rng.normal(0.0, 0.3, size=(n, 2))
    return np.clip(points, 0.0, np.nextafter(region_km, 0.0))


def neighbours_within(
    positions_km: np.ndarray, radius_km: float, chunk: int = 256
) -> list[np.ndarray]:
    """For each location, the sorted indices of the others within `radius_km`.

    The tree is asked `chunk` locations at a time, so only one chunk's lists of Python
    integers (36 bytes a neighbour) exist at once; what is kept is 8 bytes a neighbour
    (`clustersim.resources` estimates it). Same indices, same order, as one query.
    """
    tree = cKDTree(positions_km)
    found: list[np.ndarray] = []
    for start in range(0, len(positions_km), chunk):
        lists = tree.query_ball_point(
            positions_km[start : start + chunk], r=radius_km, return_sorted=True
        )
        for i, near in enumerate(lists, start):
            indices = np.array(near, dtype=np.int64)
            found.append(indices[indices != i])
    return found
