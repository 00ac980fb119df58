"""Where organisations sit: a square region with business parks and town centres.

Locations are fixed. SMEs scatter around centres so proximity is uneven; knowledge
institutions and government sit in the centres (MODEL.md). Who-is-near-whom is
answered by a k-d tree, never by comparing all pairs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

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


class Neighbours(Sequence[np.ndarray]):
    """Each location's sorted neighbour indices, stored end to end (compressed rows).

    One int64 array of all neighbours and one of row offsets: 8 bytes a neighbour and
    8 an organisation. A list of one array per organisation cost 112 bytes of array
    header each, more than the nine neighbours of the default density. Row i is a
    read-only view, so no caller can change another's neighbours.
    """

    def __init__(self, offsets: np.ndarray, indices: np.ndarray) -> None:
        self.offsets = offsets
        self.indices = indices
        self.indices.flags.writeable = False

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if not 0 <= i < len(self):  # offsets[-1] is the end, not the last row's start
            i = range(len(self))[i]  # a negative index counts from the end; IndexError beyond
        return self.indices[self.offsets[i] : self.offsets[i + 1]]

    @property
    def pairs(self) -> int:
        """Ordered pairs of neighbours: the length of all lists together."""
        return len(self.indices)


def neighbours_within(positions_km: np.ndarray, radius_km: float, chunk: int = 256) -> Neighbours:
    """For each location, the sorted indices of the others within `radius_km`.

    The tree first counts each location's neighbours, so the index array is made once
    at its final size (8 bytes a neighbour and 8 a location; `clustersim.resources`
    estimates it); then it is asked `chunk` locations at a time, so only one chunk's
    lists of Python integers (36 bytes a neighbour) exist at once. Same indices, same
    order, as one query; never an all-pairs or dense structure.
    """
    tree = cKDTree(positions_km)
    n = len(positions_km)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if n:  # every location is within any radius of itself: not its own neighbour
        counts = tree.query_ball_point(positions_km, r=radius_km, return_length=True)
        np.cumsum(counts - 1, out=offsets[1:])
    indices = np.empty(offsets[-1], dtype=np.int64)
    for start in range(0, n, chunk):
        lists = tree.query_ball_point(
            positions_km[start : start + chunk], r=radius_km, return_sorted=True
        )
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        found = np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(lengths.sum()))
        rows = np.repeat(np.arange(start, start + len(lists)), lengths)
        indices[offsets[start] : offsets[start + len(lists)]] = found[found != rows]
    return Neighbours(offsets, indices)
