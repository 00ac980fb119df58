"""Whom each organisation knows: the pool it chooses partners from.

Most small firms know only their literal neighbours (003 §3.6.2). Awareness grows
through partnerships (members meet each other and their partners' partners) and
through matchmaking, which introduces organisations beyond their neighbourhood
(002; 003 §3.6.2 "Kennis aan het IJ").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np


class Awareness:
    """Neighbours (fixed, from the spatial index) plus contacts made over time.

    Contacts and shared partnerships are kept only for organisations that have any:
    an empty set and an empty Counter for each of 200,000 organisations took 330
    bytes an organisation, more than its neighbours.
    """

    def __init__(self, neighbours: Sequence[np.ndarray]) -> None:
        self._neighbours = neighbours
        self._contacts: dict[int, set[int]] = {}
        self._joint: dict[int, Counter[int]] = {}

    @property
    def neighbour_pairs(self) -> int:
        """Ordered pairs of neighbours: 8 bytes each in memory (`clustersim.resources`)."""
        return int(sum(map(len, self._neighbours)))

    def known(self, i: int) -> np.ndarray:
        """Everyone i knows, sorted, without i."""
        contacts = self._contacts.get(i)
        if not contacts:
            return self._neighbours[i]
        extra = np.fromiter(contacts, np.int64, len(contacts))
        return np.union1d(self._neighbours[i], extra)

    def introduce(self, i: int, j: int) -> None:
        """i and j get to know each other."""
        if i != j:
            self._contacts.setdefault(i, set()).add(j)
            self._contacts.setdefault(j, set()).add(i)

    def record_partnership(self, members: Iterable[int]) -> None:
        """Members now know each other, their partners' partners, and have worked together."""
        members = list(members)
        nobody: Counter[int] = Counter()
        partners_of_partners = set().union(*(self._joint.get(m, nobody).keys() for m in members))
        for i in members:
            joint = self._joint.setdefault(i, Counter())
            for j in members:
                if i != j:
                    joint[j] += 1
                    self.introduce(i, j)
            for k in partners_of_partners:
                self.introduce(i, k)

    def joint_partnerships(self, i: int, others: np.ndarray) -> np.ndarray:
        """How many partnerships i has shared with each of `others`."""
        joint = self._joint.get(i)
        if not joint:
            return np.zeros(len(others))
        return np.array([joint.get(j, 0) for j in np.asarray(others).tolist()], dtype=float)

    def have_worked_together(self, members: Iterable[int]) -> bool:
        """Whether any two members have been partners before (an existing tie)."""
        members = list(members)
        nobody: Counter[int] = Counter()
        return any(
            self._joint.get(i, nobody).get(j, 0) > 0 for i in members for j in members if i != j
        )
