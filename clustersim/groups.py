"""Partnerships as consecutive groups of members, so a month is computed for all at once.

The submodels lay every active partnership's members end to end in one array (`members_end_to_end`)
and compute per-partnership figures over it with numpy. Each helper gives, bit for bit,
what the one-partnership-at-a-time code gives (tests/test_reproducibility_fixture.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np


def members_end_to_end(
    groups: Sequence[Sequence[int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All groups' members end to end, with each group's size and first position."""
    sizes = np.fromiter(map(len, groups), np.int64, len(groups))
    idx = np.fromiter(chain.from_iterable(groups), np.int64, int(sizes.sum()))
    return idx, sizes, np.cumsum(sizes) - sizes


def runs_without_shared_members(groups: Sequence[Sequence[int]]) -> list[list[int]]:
    """Positions of consecutive runs of groups that share no member, in order.

    Within a run the groups touch different organisations, so updating them together
    is the same as updating them one after another.
    """
    runs: list[list[int]] = []
    seen: set[int] = set()
    for k, members in enumerate(groups):
        if not runs or not seen.isdisjoint(members):
            runs.append([])
            seen = set()
        runs[-1].append(k)
        seen.update(members)
    return runs


def pairs_sharing_a_key(keys: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For consecutive groups of `sizes`, the number of pairs in each with equal keys."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((keys, group))
    group, keys = group[order], keys[order]
    starts_run = np.r_[True, (group[1:] != group[:-1]) | (keys[1:] != keys[:-1])]
    run_length = np.bincount(np.cumsum(starts_run) - 1)
    pairs = run_length * (run_length - 1) // 2
    return np.bincount(group[starts_run], weights=pairs, minlength=len(sizes)).astype(np.int64)


def group_means(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """`values[group].mean()` of consecutive groups of `sizes`, bit for bit, batched by size."""
    starts = np.cumsum(sizes) - sizes
    means = np.empty(len(sizes))
    for n in np.unique(sizes).tolist():
        which = np.flatnonzero(sizes == n)
        # What `mean` does, without its checks: a sum along the rows, divided by n.
        means[which] = np.add.reduce(values[starts[which, None] + np.arange(n)], axis=1) / n
    return means
