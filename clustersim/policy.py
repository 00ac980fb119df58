"""Policy instruments: start subsidy, participant cap, a call's admission rules,
quick-win milestones, project duration, matchmaking and a cluster manager.

Each instrument is built from the parameters and switched off by its documented
off-value, so scenarios are just parameter files. The model asks instruments
questions ("is this partnership eligible?", "what is the first milestone?") and
never hard-codes a policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from clustersim import portable
from clustersim.awareness import Awareness
from clustersim.groups import members_end_to_end, waves_without_shared_members
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

        The partnership stops claiming once the subsidy pays less than its reporting
        costs (as running costs after a first result are small); the subsidy also ends
        when its months are over or the budget runs dry.
        """
        if not part.subsidy_active(month):
            return per_member_eur
        reporting = self.admin_cost_eur(1) - self.admin_cost_eur(0)
        if self.share * per_member_eur < reporting:
            part.subsidy_until_month = month - 1
            return per_member_eur
        wanted = self.share * per_member_eur * part.size
        paid = self.pay(wanted)
        part.subsidy_eur += paid
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
    """The milestones a new partnership works through: quick wins, then main ones.

    A programme asks for the quick win within a window of months (003 §3.7: 6-12);
    each partnership plans its own within it.
    """

    main: Milestone
    quick_wins: tuple[Milestone, ...] = ()
    window: tuple[int, int] = (1, 1)

    def first(self, rng: np.random.Generator) -> Milestone:
        """The first milestone; a quick win is planned for a month drawn in the window."""
        first = self.after(0)
        if not self.quick_wins:
            return first
        months = int(rng.integers(self.window[0], self.window[1] + 1))
        return replace(first, planned_months=months)

    def after(self, reached: int) -> Milestone:
        """The milestone to work on once `reached` milestones are behind a partnership."""
        return self.quick_wins[reached] if reached < len(self.quick_wins) else self.main


def quick_win_ladder(p: Parameters) -> tuple[Milestone, ...]:
    """Quick wins growing geometrically from the first towards a main milestone.

    003 §3.1 PortNET: small projects 'within eyesight' first, then the large one.
    Step k of n has work `quick_win_work * (milestone_work / quick_win_work) ** (k / n)`,
    and its planned months grow the same way from the window's end; with one step it is
    the plain quick win.
    """
    if not p.quick_win:
        return ()
    work_ratio = p.milestone_work / p.quick_win_work
    months_ratio = p.milestone_months / p.quick_win_latest_months
    ladder = []
    for k in range(p.quick_win_steps):
        growth = k / p.quick_win_steps
        work = p.quick_win_work * portable.power(work_ratio, growth)
        months = max(1, round(p.quick_win_latest_months * portable.power(months_ratio, growth)))
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

    def hold(
        self, n_organisations: int, awareness: Awareness, remember: bool, rng: np.random.Generator
    ) -> int:
        """Run one event; return how many introductions were made (and remembered, unless
        the awareness mechanism is switched off)."""
        k = min(self.participants, n_organisations)
        guests = rng.choice(n_organisations, size=k, replace=False)
        made = 0
        for position, guest in enumerate(guests):
            others = np.delete(guests, position)
            met = rng.choice(others, size=min(self.introductions, len(others)), replace=False)
            for other in met:
                if remember:
                    awareness.introduce(int(guest), int(other))
                made += 1
        self.spent_eur += self.cost_eur
        return made


FULL_TIME_HOURS = 140.0  # a manager's month, for prorating the salary


@dataclass
class ClusterManager:
    """A facilitator with limited hours and a salary (004).

    Each month it serves the partnerships most in need, as far as its hours go: those
    without a capable leader first, then those whose members trust each other least,
    older before younger on ties. A served partnership has it as coordinator when its
    leader is weaker, and its mediation when a deadline is missed; losing its champion
    does not end it. Hours no partnership needs go to introductions between
    organisations with time to collaborate. The programme pays the public share of its
    salary; members of served partnerships pay the rest as a fee.
    """

    hours: float
    hours_per_partnership: float
    introduction_hours: float
    salary_eur: float
    public_share: float
    public_spent_eur: float = 0.0

    @property
    def present(self) -> bool:
        return self.hours > 0

    @property
    def cost_eur(self) -> float:
        """Its monthly cost: the salary prorated to its hours."""
        return self.salary_eur * self.hours / FULL_TIME_HOURS

    def choose(self, parts: Sequence[Partnership], need: Sequence[tuple[bool, float]]) -> None:
        """Serve the partnerships most in need; `need` is (has a capable leader, mean trust)."""
        slots = int(self.hours // self.hours_per_partnership)
        order = sorted(range(len(parts)), key=lambda k: need[k])  # stable: older first
        chosen = set(order[:slots])
        for k, part in enumerate(parts):
            part.served = k in chosen
            part.served_months += part.served

    def spare_hours(self, served: int) -> float:
        return max(0.0, self.hours - served * self.hours_per_partnership)

    def introduce(
        self,
        free: np.ndarray,
        served: int,
        awareness: Awareness,
        remember: bool,
        rng: np.random.Generator,
    ) -> int:
        """Introductions from spare hours, between organisations with free time; how many."""
        count = int(self.spare_hours(served) // self.introduction_hours)
        if count == 0 or len(free) < 2:
            return 0
        pairs = rng.choice(free, size=(count, 2))
        made = 0
        for a, b in pairs.tolist():
            if a != b:
                if remember:
                    awareness.introduce(a, b)
                made += 1
        return made

    def pay(self) -> float:
        """Charge a month: the programme pays its share; returns the members' fee in total."""
        self.public_spent_eur += self.public_share * self.cost_eur
        return (1.0 - self.public_share) * self.cost_eur


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
            milestones=MilestonePlan(
                main,
                quick_win_ladder(p),
                (p.quick_win_earliest_months, p.quick_win_latest_months),
            ),
            matchmaking=Matchmaking(
                p.matchmaking,
                p.matchmaking_interval_months,
                p.matchmaking_participants,
                p.matchmaking_introductions,
                p.matchmaking_cost_eur,
            ),
            manager=ClusterManager(
                p.cluster_manager_hours,
                p.cluster_manager_hours_per_partnership,
                p.cluster_manager_introduction_hours,
                p.cluster_manager_salary_eur,
                p.cluster_manager_public_share,
            ),
        )

    @property
    def spent_eur(self) -> float:
        """Public money spent so far: subsidies, matchmaking events and the manager's share."""
        return self.subsidy.spent_eur + self.matchmaking.spent_eur + self.manager.public_spent_eur


@dataclass(frozen=True)
class MonthCosts:
    """Each partnership's cost per member this month: what members pay, and what they
    judge staying by (the same, unless the price mechanism is off: then the full price)."""

    paid_eur: list[float]
    judged_eur: list[float]


def member_costs_eur(
    parts: Sequence[Partnership], p: Parameters, policy: Policy, month: int
) -> MonthCosts:
    """Each partnership's cost per member this month: preparation until its first main
    milestone, running costs after, and the manager's fee where it serves. The subsidy
    budget pays first come, first served, in the order of `parts`."""
    full = [
        p.running_cost_eur if part.main_milestones_reached else p.preparation_cost_eur
        for part in parts
    ]
    paid = [
        policy.subsidy.member_cost_eur(part, month, cost)
        for part, cost in zip(parts, full, strict=True)
    ]
    if policy.manager.present:
        fee_eur = policy.manager.pay()
        served = sum(part.size for part in parts if part.served)
        if served:
            fees = [fee_eur / served * part.served for part in parts]
            paid = [c + fee for c, fee in zip(paid, fees, strict=True)]
            full = [c + fee for c, fee in zip(full, fees, strict=True)]
    return MonthCosts(paid, paid if p.mechanism_price else full)


def pay_costs(
    cash_eur: np.ndarray, parts: Sequence[Partnership], costs_eur: Sequence[float]
) -> set[tuple[int, int]]:
    """Members pay their partnership's cost from their reserves, partnership after
    partnership; returns the (partnership, member) pairs that could not pay."""
    groups = [part.members for part in parts]
    unable: set[tuple[int, int]] = set()
    # Partnerships that share no member pay together: nobody's reserve is read twice.
    for wave in waves_without_shared_members(groups):
        idx, sizes, _ = members_end_to_end([groups[k] for k in wave])
        own = np.repeat([costs_eur[k] for k in wave], sizes)
        can_pay = cash_eur[idx] >= own
        cash_eur[idx[can_pay]] -= own[can_pay]
        owner = np.repeat([parts[k].id for k in wave], sizes)
        unable.update(zip(owner[~can_pay].tolist(), idx[~can_pay].tolist(), strict=True))
    return unable
