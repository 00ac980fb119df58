"""Trust between organisations: a sparse, directed, weighted graph.

Trust is asymmetric in two senses. It is directed (i may trust j more than j trusts
i, e.g. after i found j free riding), and its dynamics are asymmetric: success
closes a fraction of the gap to full trust, disappointment cuts a larger fraction of
what there is. Strangers have none until they sign up together; then a shared
partner passes trust on (reputation transfer, 003 §2.1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np


class TrustNetwork:
    """Directed trust in [0, 1]; absent edges are zero."""

    def __init__(self) -> None:
        self._out: dict[int, dict[int, float]] = {}
        # Groups' trust means are asked for every month and mostly unchanged: they are
        # remembered with the count of changes when computed, and recomputed once a
        # member's own trust changed after that (`_row_changed`: i -> count at i's last).
        self._changes = 0
        self._row_changed: defaultdict[int, int] = defaultdict(int)
        self._group_means: dict[tuple[int, ...], tuple[int, float, list[float]]] = {}

    def get(self, i: int, j: int) -> float:
        return self._out.get(i, {}).get(j, 0.0)

    def set(self, i: int, j: int, value: float) -> None:
        self._out.setdefault(i, {})[j] = min(1.0, max(0.0, float(value)))
        self._changes += 1
        self._row_changed[i] = self._changes

    def toward(self, i: int, others: np.ndarray) -> np.ndarray:
        """i's trust in each of `others`."""
        row = self._out.get(i)
        if not row:
            return np.zeros(len(others))
        return np.array([row.get(j, 0.0) for j in np.asarray(others).tolist()])

    def reinforce(self, i: int, j: int, gain: float) -> None:
        """Success: trust moves up by `gain` of the remaining gap."""
        t = self.get(i, j)
        self.set(i, j, t + gain * (1.0 - t))

    def disappoint(self, i: int, j: int, loss: float) -> None:
        """Disappointment: trust loses `loss` of its value."""
        t = self.get(i, j)
        self.set(i, j, t - loss * t)

    def reinforce_among(
        self, members: list[int], gain: float, competitor_keys: list[int], competitor_drag: float
    ) -> None:
        """A shared result: members trust each other more, competitors more slowly (003 §3.7)."""
        for a in members:
            for b in members:
                if a != b:
                    competing = competitor_keys[a] == competitor_keys[b]
                    self.reinforce(a, b, gain * (1.0 - competitor_drag * competing))

    def disappoint_among(self, members: list[int], loss: float) -> None:
        """A shared failure, e.g. a missed milestone: each member trusts each other less."""
        for a in members:
            for b in members:
                if a != b:
                    self.disappoint(a, b, loss)

    def disappoint_in(self, culprit: int, members: list[int], loss: float) -> None:
        """The other members trust `culprit` less, e.g. a free rider found out (003 §2.2)."""
        for other in members:
            if other != culprit:
                self.disappoint(other, culprit, loss)

    def set_priors(self, members: list[int], stranger: float, reputation_weight: float) -> None:
        """A new partnership's members set their trust in each other.

        A pair with a history keeps its trust, bad or good. Strangers sign a letter of
        intent (001 phase 5), worth `stranger`, and what shared partners pass on closes
        part of the remaining gap (003 §2.1). All priors are read before any is set, so
        the order of pairs does not matter.
        """
        priors = {}
        for a in members:
            others = [b for b in members if b != a]
            row = self._out.get(a, {})
            reputations = self.reputations_among(a, others, reputation_weight)
            for b, reputation in zip(others, reputations, strict=True):
                if b not in row:
                    priors[a, b] = stranger + (1.0 - stranger) * reputation
        for (a, b), prior in priors.items():
            self.set(a, b, prior)

    def reputation(self, i: int, j: int, weight: float) -> float:
        """Trust i may place in j through shared partners: weight * max_k t(i,k) t(k,j)."""
        best = 0.0
        for k, t_ik in self._out.get(i, {}).items():
            if k != j:
                best = max(best, t_ik * self._out.get(k, {}).get(j, 0.0))
        return weight * best

    def reputations_among(self, i: int, others: list[int], weight: float) -> list[float]:
        """`reputation(i, j)` for each j in `others`, in one pass over i's two-hop paths."""
        best = self._best_two_hop(i, others)
        return [weight * best[j] for j in others]

    def reputations(self, i: int, others: np.ndarray, weight: float) -> np.ndarray:
        """`reputations_among` for an array of candidates, as an array."""
        return np.array(self.reputations_among(i, others.tolist(), weight))

    def _best_two_hop(self, i: int, others: list[int]) -> dict[int, float]:
        """max_k t(i,k) t(k,j) for each j in `others` (0 for i itself).

        Each partner k's edges or `others`, whichever is fewer, are walked.
        """
        best = dict.fromkeys(others, 0.0)
        for k, t_ik in self._out.get(i, {}).items():
            row = self._out.get(k)
            if not row:
                continue
            if len(row) <= len(best):
                for j, t_kj in row.items():
                    if j in best and j != i and t_ik * t_kj > best[j]:
                        best[j] = t_ik * t_kj
            else:
                for j in best:
                    if j != i and j in row and t_ik * row[j] > best[j]:
                        best[j] = t_ik * row[j]
        return best

    def mean_among(self, members: Iterable[int]) -> float:
        """Mean trust over ordered pairs of distinct members (0 for fewer than two)."""
        return self._means(tuple(members))[0]

    def mean_toward_each_other(self, members: list[int]) -> list[float]:
        """`mean_toward_others(i, members)` for each member i, in one pass."""
        return list(self._means(tuple(members))[1])

    def _means(self, group: tuple[int, ...]) -> tuple[float, list[float]]:
        """`mean_among(group)` and each member's mean trust in the others, remembered."""
        n = len(group)
        if n < 2:
            return 0.0, [0.0] * n
        known = self._group_means.get(group)
        if known is not None and max(map(self._row_changed.__getitem__, group)) <= known[0]:
            return known[1], known[2]
        # Summed in the order of the pairs; absent edges add nothing, so they are skipped.
        total = 0.0
        rows = []
        for i in group:
            row = self._out.get(i)
            row_total = 0.0
            if row:
                for j in group:
                    if j != i and j in row:
                        total += row[j]
                        row_total += row[j]
            rows.append(row_total / (n - 1))
        mean = total / (n * (n - 1))
        self._group_means[group] = (self._changes, mean, rows)
        return mean, rows

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
