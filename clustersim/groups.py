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


def waves_without_shared_members(groups: Sequence[Sequence[int]]) -> list[list[int]]:
    """Positions of the groups in waves: within a wave no two groups share a member, and
    updating wave after wave is the same as updating group after group.

    A group goes in the wave after the latest wave holding any of its members, so each
    organisation still meets its groups in their order, and a group never sees an update
    by a group after it. Usually two or three waves, however many groups.
    """
    waves: list[list[int]] = []
    latest: dict[int, int] = {}  # organisation -> the last wave it is in
    for k, members in enumerate(groups):
        wave = 1 + max((latest.get(m, -1) for m in members), default=-1)
        if wave == len(waves):
            waves.append([])
        waves[wave].append(k)
        for m in members:
            latest[m] = wave
    return waves


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
