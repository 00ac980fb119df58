"""Policy instruments: start subsidy, participant cap, a call's admission rules,
quick-win milestones, project duration, matchmaking and a cluster manager.

Each instrument is built from the parameters and switched off by its documented
off-value, so scenarios are just parameter files. The model asks instruments
questions ("is this partnership eligible?", "what is the first milestone?") and
never hard-codes a policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from clustersim import portable
from clustersim.awareness import Awareness
from clustersim.groups import members_end_to_end, runs_without_shared_members
from clustersim.parameters import Parameters
from clustersim.partnership import Milestone, Partnership


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

    def charge_application(self, cash_eur: np.ndarray, members: list[int]) -> None:
        """Members pay the application's hours, as far as their reserves stretch (003 Box 3)."""
        cash_eur[members] = np.maximum(cash_eur[members] - self.admin_cost_eur(0), 0.0)

    def member_cost_eur(self, part: Partnership, month: int, per_member_eur: float) -> float:
        """A member's cost this month after the subsidy, which this pays out, plus reporting.

        Ends the partnership's subsidy when its months are over or the budget runs dry.
        """
        if not part.subsidy_active(month):
            return per_member_eur
        wanted = self.share * per_member_eur * part.size
        paid = self.pay(wanted)
        part.subsidy_eur += paid
        reporting = self.admin_cost_eur(1) - self.admin_cost_eur(0)
        if paid < wanted or month == part.subsidy_until_month:
            part.subsidy_until_month = month
        return per_member_eur - paid / part.size + reporting


@dataclass(frozen=True)
class ParticipantCap:
    """At most `max_members` per partnership; 0 means no cap (003 §3.2.2)."""

    max_members: int

    def limit(self, size: int) -> int:
        return min(size, self.max_members) if self.max_members else size


@dataclass(frozen=True)
class AdmissionRules:
    """Who may form a partnership together: a call's composition rules (003 §3.2.2).

    Direct competitors share a competitor key (`Population.competitor_keys`).
    """

    min_firms: int
    min_public: int
    only_competitors: bool
    no_competitors: bool

    @property
    def required(self) -> int:
        """Members the composition rules require at least."""
        return self.min_firms + self.min_public

    def admits(self, n_firms: int, n_public: int) -> bool:
        """003 §3.2.2: KLICT admits only projects with at least 3 firms; 003 §3.1: PortNET
        brings firms and government services together."""
        return n_firms >= self.min_firms and n_public >= self.min_public

    def candidates(self, keys: np.ndarray, initiator: int, candidates: np.ndarray) -> np.ndarray:
        """The candidates the initiator may invite at all.

        Only SMEs share keys, so an institution finds no competitor to invite.
        """
        if self.only_competitors:
            return candidates[keys[candidates] == keys[initiator]]
        if self.no_competitors:
            return candidates[keys[candidates] != keys[initiator]]
        return candidates

    def invitation_order(
        self, ranked_keys: np.ndarray, ranked_public: np.ndarray, public_needed: int
    ) -> np.ndarray:
        """Positions down a ranking in the order they are invited.

        Without competitors, only the best-ranked of each competitor key; with a public
        quota, the best-ranked `public_needed` government candidates first.
        """
        order = np.arange(len(ranked_keys))
        if self.no_competitors:
            _, first = np.unique(ranked_keys, return_index=True)
            order = np.sort(first)
        if public_needed > 0:
            public = order[ranked_public[order]][:public_needed]
            order = np.concatenate([public, order[~np.isin(order, public)]])
        return order


@dataclass(frozen=True)
class MilestonePlan:
    """The milestones a new partnership works through: quick wins, then main ones."""

    main: Milestone
    quick_wins: tuple[Milestone, ...] = ()

    def first(self) -> Milestone:
        return self.after(0)

    def after(self, reached: int) -> Milestone:
        """The milestone to work on once `reached` milestones are behind a partnership."""
        return self.quick_wins[reached] if reached < len(self.quick_wins) else self.main


def quick_win_ladder(p: Parameters) -> tuple[Milestone, ...]:
    """Quick wins growing geometrically from the first towards a main milestone.

    003 §3.1 PortNET: small projects 'within eyesight' first, then the large one.
    Step k of n has work `quick_win_work * (milestone_work / quick_win_work) ** (k / n)`,
    and its planned months grow the same way; with one step it is the plain quick win.
    """
    if not p.quick_win:
        return ()
    work_ratio = p.milestone_work / p.quick_win_work
    months_ratio = p.milestone_months / p.quick_win_months
    ladder = []
    for k in range(p.quick_win_steps):
        growth = k / p.quick_win_steps
        work = p.quick_win_work * portable.power(work_ratio, growth)
        months = max(1, round(p.quick_win_months * portable.power(months_ratio, growth)))
        ladder.append(Milestone(work, months, work / p.milestone_work, True))
    return tuple(ladder)


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
    experience_gain: float = 0.0  # per year of experience, 004
    experience_years: float = 0.0  # at month 0
    served: set[int] = field(default_factory=set)

    def boost_at(self, month: int) -> float:
        """004: a manager's years of experience go with better performance."""
        years = self.experience_years + month / 12
        return self.boost * (1.0 + self.experience_gain * years)

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
    admission: AdmissionRules
    milestones: MilestonePlan
    matchmaking: Matchmaking
    manager: ClusterManager

    @classmethod
    def from_parameters(cls, p: Parameters) -> Policy:
        main = Milestone(p.milestone_work, p.milestone_months, value_share=1.0)
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
            admission=AdmissionRules(
                p.min_firms,
                p.min_public_members,
                p.invite_only_competitors,
                p.invite_no_competitors,
            ),
            milestones=MilestonePlan(main, quick_win_ladder(p)),
            matchmaking=Matchmaking(
                p.matchmaking,
                p.matchmaking_interval_months,
                p.matchmaking_participants,
                p.matchmaking_introductions,
                p.matchmaking_cost_eur,
            ),
            manager=ClusterManager(
                p.cluster_manager_capacity,
                p.cluster_manager_boost,
                p.cluster_manager_experience_gain,
                p.cluster_manager_experience_years,
            ),
        )

    @property
    def spent_eur(self) -> float:
        """Public money spent so far: subsidies plus matchmaking events."""
        return self.subsidy.spent_eur + self.matchmaking.spent_eur


def member_costs_eur(
    parts: Sequence[Partnership], p: Parameters, subsidy: StartSubsidy, month: int
) -> list[float]:
    """Each partnership's cost per member this month: preparation until its first main
    milestone, running costs after. The subsidy budget pays first come, first served,
    in the order of `parts`."""
    return [
        subsidy.member_cost_eur(
            part,
            month,
            p.running_cost_eur if part.main_milestones_reached else p.preparation_cost_eur,
        )
        for part in parts
    ]


def pay_costs(
    cash_eur: np.ndarray, parts: Sequence[Partnership], costs_eur: Sequence[float]
) -> set[tuple[int, int]]:
    """Members pay their partnership's cost from their reserves, partnership after
    partnership; returns the (partnership, member) pairs that could not pay."""
    groups = [part.members for part in parts]
    unable: set[tuple[int, int]] = set()
    # Partnerships that share no member pay together: nobody's reserve is read twice.
    for run in runs_without_shared_members(groups):
        idx, sizes, _ = members_end_to_end([groups[k] for k in run])
        own = np.repeat([costs_eur[k] for k in run], sizes)
        can_pay = cash_eur[idx] >= own
        cash_eur[idx[can_pay]] -= own[can_pay]
        owner = np.repeat([parts[k].id for k in run], sizes)
        unable.update(zip(owner[~can_pay].tolist(), idx[~can_pay].tolist(), strict=True))
    return unable
