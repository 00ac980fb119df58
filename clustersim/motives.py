"""Why organisations collaborate: the eight motives of 001, and goal fit.

Each organisation holds a set of motives, drawn independently with the shares of
existing collaborations that named them in 001's survey, so the population's motive
frequencies match the source.
"""

from __future__ import annotations

import numpy as np

# 001: share of existing collaborations naming each motive.
MOTIVE_SHARES = {
    "reduce_vulnerability": 0.808,
    "cost_reduction": 0.802,
    "efficiency": 0.787,
    "service_quality": 0.784,
    "professionalisation": 0.524,
    "specialisation": 0.210,
    "staff_careers": 0.068,
    "avoid_merger": 0.018,
}
MOTIVES = tuple(MOTIVE_SHARES)


def draw_motives(n: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean (n, 8) motive profiles; everyone holds at least one motive."""
    shares = np.fromiter(MOTIVE_SHARES.values(), float)
    motives = rng.random((n, len(shares))) < shares
    empty = ~motives.any(axis=1)
    # An organisation with no motive would not collaborate at all: give it the commonest.
    motives[empty, 0] = True
    return motives


def goal_fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard similarity of motive sets (pairwise, broadcast over leading axes)."""
    both = np.logical_and(a, b).sum(axis=-1)
    either = np.logical_or(a, b).sum(axis=-1)
    return both / np.maximum(either, 1)
