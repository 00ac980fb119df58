"""Partnerships: who is in them, how they progress, and why they end.

A partnership works towards one milestone at a time. Its monthly progress grows
with its leader, trust, shared base knowledge and culture fit, and falls with size
when nobody leads (coordination drag) and with direct competitors among its members
(003 §2.2, §3.2.2, §3.7). Reaching a milestone releases benefits and builds trust;
missing its planned month disappoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clustersim.parameters import Parameters


class Cause(StrEnum):
    """Why a member left, and so why a partnership dissolved. Checked in this order."""

    SHOCK = "shock"  # owner change or key champion lost, 003 §3.2.2
    CAPACITY = "capacity_needed_elsewhere"  # core business takes the time back
    FUNDS = "funds_ran_out"  # cannot pay its share, e.g. after the subsidy ended
    TRUST = "trust_collapsed"
    STALLED = "stalled"  # no result for longer than patience allows
    DISSOLVED = "partnership_dissolved"  # a member's reason only: the others left
    COMPLETED = "project_completed"  # not a dissolution: the project reached its planned end


DISSOLUTION_CAUSES = (Cause.SHOCK, Cause.CAPACITY, Cause.FUNDS, Cause.TRUST, Cause.STALLED)


class CollaborationLevel(StrEnum):
    """000: collaboration deepens from cost sharing to a network."""

    COOPERATION = "cooperation"
    COORDINATION = "coordination"
    NETWORK = "network"


@dataclass(frozen=True)
class Milestone:
    """A result to reach: how much work, planned within how many months, worth what."""

    work: float
    planned_months: int
    value_share: float  # share of a main milestone's value
    quick_win: bool = False


@dataclass
class Partnership:
    """A partnership and its history, owned by the model."""

    id: int
    members: list[int]
    leader: int | None
    formed_month: int
    milestone: Milestone
    due_month: int
    subsidised: bool
    subsidy_until_month: int
    managed: bool
    competitor_pairs: int
    built_on_existing_ties: bool
    culture_fit_at_formation: float
    composition: dict[str, int]  # members by type at formation
    patience_months: dict[int, float]  # each member's own patience, before trust
    joined_month: dict[int, int]
    progress: float = 0.0
    last_result_month: int = -1
    milestones_reached: int = 0
    main_milestones_reached: int = 0
    quick_win_month: int | None = None
    subsidy_eur: float = 0.0
    led_at_formation: bool = field(init=False)
    size_at_end: int | None = None  # set when it dissolves
    ended_month: int | None = None
    cause: Cause | None = None

    def __post_init__(self) -> None:
        self.led_at_formation = self.leader is not None
        if self.last_result_month < 0:
            self.last_result_month = self.formed_month

    @property
    def active(self) -> bool:
        return self.ended_month is None

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def size_at_formation(self) -> int:
        return sum(self.composition.values())

    @property
    def horizontal(self) -> bool:
        """Horizontal when direct competitors share it; otherwise vertical (003 §2.1)."""
        return self.competitor_pairs > 0

    @property
    def collaboration_level(self) -> CollaborationLevel:
        if self.main_milestones_reached >= 3:
            return CollaborationLevel.NETWORK
        if self.main_milestones_reached >= 1:
            return CollaborationLevel.COORDINATION
        return CollaborationLevel.COOPERATION

    def subsidy_active(self, month: int) -> bool:
        return self.subsidised and month <= self.subsidy_until_month

    def duration(self, month: int) -> int:
        """Months from formation to its end, or to `month` while it lives."""
        return (self.ended_month if self.ended_month is not None else month) - self.formed_month


def progress_rate(
    p: Parameters,
    *,
    size: int,
    leadership: float,
    mean_trust: float,
    min_knowledge: float,
    culture_fit: float,
    competitor_share: float,
    experience: float,
    manager_boost: float,
    subsidised: bool,
) -> float:
    """Expected work done in a month; `leadership` is 0 when nobody leads.

    Coordination drag: each member beyond two slows the work, unless a leader
    coordinates it (003 §3.2.2: with many participants nobody takes the lead).
    """
    coordination = 1.0 / (1.0 + p.coordination_drag * max(0, size - 2) * (1.0 - leadership))
    rate = (
        p.base_progress
        * (0.5 + 0.5 * leadership)
        * coordination
        * (0.4 + 0.6 * mean_trust)
        * (0.5 + 0.5 * min_knowledge)  # 003 §2.2: a minimum base knowledge is needed
        * (1.0 - p.culture_drag * (1.0 - culture_fit))
        * (1.0 - p.competitor_drag * competitor_share)  # vertical moves faster, 003 §3.7
        * (1.0 + 0.5 * experience)
    )
    rate *= 1.0 + manager_boost  # 0 unless a cluster manager serves it
    if subsidised:
        rate *= 1.0 - p.adverse_selection
    return rate
