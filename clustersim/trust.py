"""Trust between organisations: a sparse, directed, weighted graph.

Trust is asymmetric in two senses. It is directed (i may trust j more than j trusts
i, e.g. after i found j free riding), and its dynamics are asymmetric: success
closes a fraction of the gap to full trust, disappointment cuts a larger fraction of
what there is. Strangers start at zero; a shared partner passes trust on
(reputation transfer, 003 §2.1).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class TrustNetwork:
    """Directed trust in [0, 1]; absent edges are zero."""

    def __init__(self) -> None:
        self._out: dict[int, dict[int, float]] = {}

    def get(self, i: int, j: int) -> float:
        return self._out.get(i, {}).get(j, 0.0)

    def set(self, i: int, j: int, value: float) -> None:
        self._out.setdefault(i, {})[j] = min(1.0, max(0.0, float(value)))

    def toward(self, i: int, others: np.ndarray) -> np.ndarray:
        """i's trust in each of `others`."""
        row = self._out.get(i)
        if not row:
            return np.zeros(len(others))
        return np.array([row.get(int(j), 0.0) for j in others])

    def reinforce(self, i: int, j: int, gain: float) -> None:
        """Success: trust moves up by `gain` of the remaining gap."""
        t = self.get(i, j)
        self.set(i, j, t + gain * (1.0 - t))

    def disappoint(self, i: int, j: int, loss: float) -> None:
        """Disappointment: trust loses `loss` of its value."""
        t = self.get(i, j)
        self.set(i, j, t - loss * t)

    def reputation(self, i: int, j: int, weight: float) -> float:
        """Trust i may place in j through shared partners: weight * max_k t(i,k) t(k,j)."""
        best = 0.0
        for k, t_ik in self._out.get(i, {}).items():
            if k != j:
                best = max(best, t_ik * self._out.get(k, {}).get(j, 0.0))
        return weight * best

    def reputations(self, i: int, others: np.ndarray, weight: float) -> np.ndarray:
        """`reputation(i, j)` for each j in `others`, in one pass over i's two-hop paths."""
        best: dict[int, float] = {}
        for k, t_ik in self._out.get(i, {}).items():
            for j, t_kj in self._out.get(k, {}).items():
                if j != i and t_ik * t_kj > best.get(j, 0.0):
                    best[j] = t_ik * t_kj
        return weight * np.array([best.get(int(j), 0.0) for j in others])

    def mean_among(self, members: Iterable[int]) -> float:
        """Mean trust over ordered pairs of distinct members (0 for fewer than two)."""
        members = list(members)
        n = len(members)
        if n < 2:
            return 0.0
        # Summed in the order of the pairs; absent edges add nothing, so they are skipped.
        total = 0.0
        for i in members:
            row = self._out.get(i)
            if row:
                for j in members:
                    if j != i and j in row:
                        total += row[j]
        return total / (n * (n - 1))

    def mean_toward_each_other(self, members: list[int]) -> list[float]:
        """`mean_toward_others(i, members)` for each member i, in one pass."""
        if len(members) < 2:
            return [0.0] * len(members)
        means = []
        for i in members:
            row = self._out.get(i)
            total = 0.0
            if row:
                for j in members:
                    if j != i and j in row:
                        total += row[j]
            means.append(total / (len(members) - 1))
        return means

    def mean_toward_others(self, i: int, members: Iterable[int]) -> float:
        """i's mean trust in the other members."""
        others = [j for j in members if j != i]
        if not others:
            return 0.0
        row = self._out.get(i)
        if not row:
            return 0.0
        total = 0.0
        for j in others:
            if j in row:
                total += row[j]
        return total / len(others)

    def edges(self) -> Iterable[tuple[int, int, float]]:
        for i, row in self._out.items():
            for j, t in row.items():
                yield i, j, t

    def values(self) -> np.ndarray:
        return np.fromiter((t for _, _, t in self.edges()), float)
