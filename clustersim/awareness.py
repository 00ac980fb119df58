"""Whom each organisation knows: the pool it chooses partners from.

Most small firms know only their literal neighbours (003 §3.6.2). Awareness grows
through partnerships (members meet each other and their partners' partners) and
through matchmaking, which introduces organisations beyond their neighbourhood
(002; 003 §3.6.2 "Kennis aan het IJ").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np


class Awareness:
    """Neighbours (fixed, from the spatial index) plus contacts made over time."""

    def __init__(self, neighbours: list[np.ndarray]) -> None:
        self._neighbours = neighbours
        self._contacts: list[set[int]] = [set() for _ in neighbours]
        self._joint: list[Counter[int]] = [Counter() for _ in neighbours]

    def known(self, i: int) -> np.ndarray:
        """Everyone i knows, sorted, without i."""
        contacts = self._contacts[i]
        if not contacts:
            return self._neighbours[i]
        extra = np.fromiter(contacts, np.int64, len(contacts))
        return np.union1d(self._neighbours[i], extra)

    def introduce(self, i: int, j: int) -> None:
        """i and j get to know each other."""
        if i != j:
            self._contacts[i].add(j)
            self._contacts[j].add(i)

    def record_partnership(self, members: Iterable[int]) -> None:
        """Members now know each other, their partners' partners, and have worked together."""
        members = list(members)
        partners_of_partners = set().union(*(self._joint[m].keys() for m in members))
        for i in members:
            for j in members:
                if i != j:
                    self._joint[i][j] += 1
                    self.introduce(i, j)
            for k in partners_of_partners:
                self.introduce(i, k)

    def joint_partnerships(self, i: int, others: np.ndarray) -> np.ndarray:
        """How many partnerships i has shared with each of `others`."""
        joint = self._joint[i]
        if not joint:
            return np.zeros(len(others))
        return np.array([joint.get(j, 0) for j in np.asarray(others).tolist()], dtype=float)

    def have_worked_together(self, members: Iterable[int]) -> bool:
        """Whether any two members have been partners before (an existing tie)."""
        members = list(members)
        return any(self._joint[i].get(j, 0) > 0 for i in members for j in members if i != j)
