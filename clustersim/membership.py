"""Membership: who belongs to which active partnership, changed in one place only.

A partnership's `members` list is the fact. Two indexes of it are kept here, and only
here, because formation reads them for every initiator and candidate each month: each
organisation's active partnerships (`partnerships_of`, `partners_of`) and their count
(`Population.memberships`, from which the hours in use derive). Every join and
departure is also written to the membership log, the run's membership table.
"""

from __future__ import annotations

from clustersim.organisations import Population
from clustersim.partnership import Cause, Partnership
from clustersim.records import MembershipLog


class Roster:
    """The one place where organisations join and leave partnerships."""

    def __init__(self, population: Population) -> None:
        self._population = population
        self._of: list[dict[int, Partnership]] = [{} for _ in range(len(population))]
        self.log = MembershipLog()

    def enrol(self, part: Partnership, month: int) -> None:
        """A new partnership's founding members join it."""
        pop = self._population
        for member in part.members:
            self._of[member][part.id] = part
            self.log.join(part.id, member, month)
        pop.memberships[part.members] += 1
        pop.ever_member[part.members] = True

    def leave(self, part: Partnership, member: int, month: int, reason: Cause) -> None:
        """`member` leaves `part` in `month` for `reason`."""
        part.members.remove(member)
        del self._of[member][part.id]
        self._population.memberships[member] -= 1
        self.log.leave(part.id, member, month, str(reason))

    def partnerships_of(self, organisation: int) -> list[int]:
        """Ids of the active partnerships an organisation belongs to."""
        return sorted(self._of[organisation])

    def partners_of(self, organisation: int) -> set[int]:
        """Everyone who shares an active partnership with the organisation."""
        partners: set[int] = set()
        for part in self._of[organisation].values():
            partners.update(part.members)
        partners.discard(organisation)
        return partners
