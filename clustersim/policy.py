"""Policy instruments: start subsidy, participant cap, quick-win milestones,
matchmaking and a cluster manager.

Each instrument is built from the parameters and switched off by its documented
off-value, so scenarios are just parameter files. The model asks instruments
questions ("is this partnership eligible?", "what is the first milestone?") and
never hard-codes a policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clustersim.awareness import Awareness
from clustersim.parameters import Parameters
from clustersim.partnership import Milestone


@dataclass
class StartSubsidy:
    """A share of members' costs for the first months, from a finite budget (003 Box 0)."""

    share: float
    months: int
    budget_eur: float
    min_firms: int
    application_hours: float
    reporting_hours: float
    hourly_cost_eur: float
    spent_eur: float = 0.0

    @property
    def open(self) -> bool:
        return self.share > 0 and self.months > 0 and self.spent_eur < self.budget_eur

    def eligible(self, n_firms: int) -> bool:
        """003 §2.2: support only when firms actually collaborate (KLICT: >= 3)."""
        return self.open and n_firms >= self.min_firms

    def admin_cost_eur(self, months: int) -> float:
        """Application plus `months` of reporting, per member (003 Box 3)."""
        return (self.application_hours + self.reporting_hours * months) * self.hourly_cost_eur

    def pay(self, amount_eur: float) -> float:
        """Pay up to `amount_eur` from what is left of the budget; return what was paid."""
        paid = min(amount_eur, self.budget_eur - self.spent_eur)
        self.spent_eur += paid
        return paid


@dataclass(frozen=True)
class ParticipantCap:
    """At most `max_members` per partnership; 0 means no cap (003 §3.2.2)."""

    max_members: int

    def limit(self, size: int) -> int:
        return min(size, self.max_members) if self.max_members else size


@dataclass(frozen=True)
class MilestonePlan:
    """The milestones a new partnership works through: an optional quick win, then main ones."""

    main: Milestone
    quick_win: Milestone | None

    def first(self) -> Milestone:
        return self.quick_win or self.main


@dataclass
class Matchmaking:
    """Events where government introduces organisations beyond their neighbourhood (002)."""

    enabled: bool
    interval_months: int
    participants: int
    introductions: int
    cost_eur: float
    spent_eur: float = 0.0

    def due(self, month: int) -> bool:
        return self.enabled and month % self.interval_months == 0

    def hold(self, n_organisations: int, awareness: Awareness, rng: np.random.Generator) -> int:
        """Run one event; return how many introductions were made."""
        k = min(self.participants, n_organisations)
        guests = rng.choice(n_organisations, size=k, replace=False)
        made = 0
        for position, guest in enumerate(guests):
            others = np.delete(guests, position)
            met = rng.choice(others, size=min(self.introductions, len(others)), replace=False)
            for other in met:
                awareness.introduce(int(guest), int(other))
                made += 1
        self.spent_eur += self.cost_eur
        return made


@dataclass
class ClusterManager:
    """A facilitator serving a limited number of partnerships at once (004)."""

    capacity: int
    boost: float
    served: set[int] = field(default_factory=set)

    def admit(self, partnership_id: int) -> bool:
        if len(self.served) < self.capacity:
            self.served.add(partnership_id)
            return True
        return False

    def release(self, partnership_id: int) -> None:
        self.served.discard(partnership_id)


@dataclass
class Policy:
    """All instruments of one scenario."""

    subsidy: StartSubsidy
    cap: ParticipantCap
    milestones: MilestonePlan
    matchmaking: Matchmaking
    manager: ClusterManager

    @classmethod
    def from_parameters(cls, p: Parameters) -> Policy:
        main = Milestone(p.milestone_work, p.milestone_months, value_share=1.0)
        quick = (
            Milestone(
                p.quick_win_work, p.quick_win_months, p.quick_win_work / p.milestone_work, True
            )
            if p.quick_win
            else None
        )
        return cls(
            subsidy=StartSubsidy(
                p.subsidy_share,
                p.subsidy_months,
                p.subsidy_budget_eur,
                p.subsidy_min_firms,
                p.application_hours,
                p.reporting_hours,
                p.hourly_cost_eur,
            ),
            cap=ParticipantCap(p.participant_cap),
            milestones=MilestonePlan(main, quick),
            matchmaking=Matchmaking(
                p.matchmaking,
                p.matchmaking_interval_months,
                p.matchmaking_participants,
                p.matchmaking_introductions,
                p.matchmaking_cost_eur,
            ),
            manager=ClusterManager(p.cluster_manager_capacity, p.cluster_manager_boost),
        )

    @property
    def spent_eur(self) -> float:
        """Public money spent so far: subsidies plus matchmaking events."""
        return self.subsidy.spent_eur + self.matchmaking.spent_eur
