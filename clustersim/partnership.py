"""Partnerships: how they are founded and led, how they progress, and why they end.

Founding sets members' prior trust, makes them known to each other's partners and
gives the partnership its leader: the member most inclined to lead, if anyone is
inclined enough. A partnership works towards one milestone at a time. Its monthly progress grows
with its leader, trust, shared base knowledge and culture fit, and falls with size
when nobody leads (coordination drag) and with direct competitors among its members
(003 §2.2, §3.2.2, §3.7). Reaching a milestone releases benefits and builds trust;
missing its planned month disappoints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from clustersim import portable
from clustersim.awareness import Awareness
from clustersim.culture import mean_culture_fit, mean_culture_fits
from clustersim.groups import group_means, members_end_to_end, pairs_sharing_a_key
from clustersim.organisations import TYPE_NAMES, Population, Regime
from clustersim.parameters import Parameters
from clustersim.trust import TrustNetwork

if TYPE_CHECKING:
    from clustersim.formation import Invitations
    from clustersim.policy import MilestonePlan, Policy


class Cause(StrEnum):
    """Why a member left, and so why a partnership dissolved. Checked in this order."""

    SHOCK = "shock"  # owner change or key champion lost, 003 §3.2.2
    CAPACITY = "capacity_needed_elsewhere"  # core business takes the time back
    FUNDS = "funds_ran_out"  # cannot pay its share, e.g. after the subsidy ended
    TRUST = "trust_collapsed"
    STALLED = "stalled"  # results too slow to be worth what members pay
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
    competitor_pairs: int
    built_on_existing_ties: bool
    culture_fit_at_formation: float
    composition: dict[str, int]  # members by type at formation
    quality: float  # the chance that its work turns into results, unknown to members
    value_eur: dict[int, float]  # what one main result is worth to each member
    prior_rate: dict[int, float]  # main results per month each member expected on joining
    patience_months: dict[int, float]  # what each member's expectation is worth, in months
    progress: float = 0.0
    evidence: float = 0.0  # results so far, in main milestones' worth of work
    served: bool = False  # by the cluster manager this month
    served_months: int = 0
    last_result_month: int = -1
    milestones_reached: int = 0
    main_milestones_reached: int = 0
    quick_win_month: int | None = None
    subsidy_eur: float = 0.0
    led_at_formation: bool = field(init=False)
    size_at_end: int | None = None  # set when it dissolves
    ended_month: int | None = None
    cause: Cause | None = None
    basis: WorkBasis | None = field(default=None, repr=False, compare=False)

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

    def reach_milestone(self, month: int, plan: MilestonePlan) -> Milestone:
        """The current milestone is reached in `month` and work starts on the next; returns
        the one reached."""
        reached = self.milestone
        self.evidence += reached.value_share
        self.milestones_reached += 1
        self.last_result_month = month
        if not reached.quick_win:
            self.main_milestones_reached += 1
        elif self.quick_win_month is None:  # the first of a ladder of quick wins
            self.quick_win_month = month
        self.progress = 0.0
        self.milestone = plan.after(self.milestones_reached)
        self.due_month = month + self.milestone.planned_months
        return reached

    def miss_milestone(self, month: int) -> None:
        """The planned month passed without the result: the deadline is renegotiated."""
        self.due_month = month + self.milestone.planned_months


def found_partnership(
    pid: int,
    asked: Invitations,
    month: int,
    *,
    population: Population,
    awareness: Awareness,
    trust: TrustNetwork,
    p: Parameters,
    policy: Policy,
    rng: np.random.Generator,
) -> Partnership:
    """The members of `asked` found a partnership in `month`. They pay for any subsidy
    application, set their prior trust in each other and get to know each other's partners."""
    members = asked.members
    part = new_partnership(
        pid, asked, month, population, p, policy, awareness.have_worked_together(members), rng
    )
    if part.subsidised:
        policy.subsidy.charge_application(population.cash_eur, members)
    trust.set_priors(
        members, p.formation_trust, p.reputation_weight if p.mechanism_reputation else 0.0
    )
    awareness.record_partnership(members)
    return part


def new_partnership(
    pid: int,
    asked: Invitations,
    month: int,
    population: Population,
    p: Parameters,
    policy: Policy,
    built_on_existing_ties: bool,
    rng: np.random.Generator,
) -> Partnership:
    """A partnership of `asked`'s members formed in `month`: its leader, first milestone,
    subsidy, composition, and each member's expectation and patience (drawn here)."""
    pop, members = population, asked.members
    idx = np.array(members)
    milestone = policy.milestones.first(rng)
    patience = portable.lognormal(rng, portable.log(p.patience_months), 0.25, len(members))
    view = asked.outlook
    return Partnership(
        id=pid,
        members=list(members),
        leader=choose_leader(members, pop.leadership, p.leader_threshold),
        formed_month=month,
        milestone=milestone,
        due_month=month + milestone.planned_months,
        subsidised=asked.subsidised and policy.subsidy.open,
        subsidy_until_month=month + p.subsidy_months,
        competitor_pairs=competitor_pairs(members, pop.competitor_key_list),
        built_on_existing_ties=built_on_existing_ties,
        culture_fit_at_formation=mean_culture_fit(pop.culture[idx]),
        composition={TYPE_NAMES[r]: int((pop.regime[idx] == r).sum()) for r in Regime},
        quality=asked.quality,
        value_eur=dict(zip(members, view.value_eur.tolist(), strict=True)),
        prior_rate=dict(zip(members, view.prior_rate.tolist(), strict=True)),
        patience_months=dict(zip(members, patience.tolist(), strict=True)),
    )


def choose_leader(members: Sequence[int], leadership: np.ndarray, threshold: float) -> int | None:
    """The member most inclined to lead, if anyone is inclined enough (003 §3.2.2)."""
    inclination = leadership[members]
    best = int(np.argmax(inclination))
    return members[best] if inclination[best] >= threshold else None


def competitor_pairs(members: Sequence[int], competitor_keys: list[int]) -> int:
    """Pairs of direct competitors among `members` (plain Python: groups are small)."""
    counts = Counter(competitor_keys[i] for i in members)
    return sum(c * (c - 1) // 2 for c in counts.values())


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
) -> float:
    """Work a month turns out, before the project's quality decides how much of it becomes
    results; `leadership` is whoever coordinates: the leader, or a manager serving it.

    Coordination drag: each member beyond two slows the work, unless someone coordinates
    it (003 §3.2.2: with many participants nobody takes the lead).
    """
    drag = p.coordination_drag if p.mechanism_coordination else 0.0
    coordination = 1.0 / (1.0 + drag * max(0, size - 2) * (1.0 - leadership))
    return (
        p.base_progress
        * (0.5 + 0.5 * leadership)
        * coordination
        * (0.4 + 0.6 * mean_trust)
        * (0.5 + 0.5 * min_knowledge)  # 003 §2.2: a minimum base knowledge is needed
        * (1.0 - p.culture_drag * (1.0 - culture_fit))
        * (1.0 - p.competitor_drag * competitor_share)  # vertical moves faster, 003 §3.7
        * (1.0 + 0.5 * experience)
    )


FEW = 4  # partnerships up to which `work_bases` works one at a time


@dataclass(frozen=True)
class WorkBasis:
    """What a partnership's members alone decide about its work: fixed while they stay."""

    members: list[int]  # whom it was worked out for
    min_knowledge: float
    competitor_share: float  # share of member pairs that compete directly
    free_riders: np.ndarray | None  # members far below the mean knowledge, if any


@dataclass(frozen=True)
class WorkConditions:
    """What shapes each partnership's progress this month and stays fixed during it.

    Trust is not among them: a result in one partnership builds trust the next works with.
    """

    leadership: list[float]  # the leader's propensity, 0 when nobody leads
    min_knowledge: list[float]
    culture_fit: list[float]
    experience: list[float]  # members' mean experience factor
    competitor_share: list[float]  # share of member pairs that compete directly
    free_riders: dict[int, np.ndarray]  # by position: members far below the mean knowledge


def work_conditions(
    parts: Sequence[Partnership], population: Population, p: Parameters
) -> WorkConditions:
    """`WorkConditions` of all partnerships at once, over their members end to end.

    What the members alone decide (`WorkBasis`) is worked out again only for the
    partnerships whose members changed; cultures and experience change every month.
    """
    pop = population
    stale = [part for part in parts if part.basis is None or part.basis.members != part.members]
    for part, basis in zip(stale, work_bases(stale, pop, p), strict=True):
        part.basis = basis
    idx, sizes, _ = members_end_to_end([part.members for part in parts])
    leaders = [-1 if part.leader is None else part.leader for part in parts]
    led = np.where(np.array(leaders) < 0, 0.0, pop.leadership[leaders])
    return WorkConditions(
        leadership=coordinating(led, [part.served for part in parts], p).tolist(),
        min_knowledge=[part.basis.min_knowledge for part in parts],
        culture_fit=mean_culture_fits(pop.culture[idx], sizes).tolist(),
        experience=group_means(pop.experience_factor(p.experience_scale, idx), sizes).tolist(),
        competitor_share=[part.basis.competitor_share for part in parts],
        free_riders={
            k: part.basis.free_riders
            for k, part in enumerate(parts)
            if part.basis.free_riders is not None
        },
    )


def work_bases(parts: Sequence[Partnership], pop: Population, p: Parameters) -> list[WorkBasis]:
    """Each partnership's `WorkBasis`, batched over their members end to end.

    Most months only the few partnerships just formed or just left need one; for so
    few, one at a time costs less than batching (the same figures, bit for bit).
    """
    if len(parts) <= FEW:
        return [work_basis(part, pop, p) for part in parts]
    idx, sizes, starts = members_end_to_end([part.members for part in parts])
    knowledge_mean = group_means(pop.knowledge[idx], sizes)
    rides = pop.knowledge[idx] < p.free_rider_share * np.repeat(knowledge_mean, sizes)
    owner = np.repeat(np.arange(len(parts)), sizes)
    rider_owner = owner[rides]  # partnerships in order, so each one's riders are adjacent
    groups = np.split(idx[rides], np.flatnonzero(np.diff(rider_owner)) + 1)
    for group in groups:
        group.flags.writeable = False  # kept for the months the members stay
    riders = dict(zip(np.unique(rider_owner).tolist(), groups, strict=False))
    pairs = pairs_sharing_a_key(pop.competitor_keys[idx], sizes).tolist()
    lowest = np.minimum.reduceat(pop.knowledge[idx], starts).tolist()
    bases = []
    for k, part in enumerate(parts):
        possible = part.size * (part.size - 1) / 2
        share = pairs[k] / possible if possible else 0.0
        bases.append(WorkBasis(list(part.members), lowest[k], share, riders.get(k)))
    return bases


def work_basis(part: Partnership, pop: Population, p: Parameters) -> WorkBasis:
    """One partnership's `WorkBasis`."""
    knowledge = pop.knowledge[part.members]
    riders = np.array(part.members)[knowledge < p.free_rider_share * knowledge.mean()]
    riders.flags.writeable = False  # kept for the months the members stay
    possible = part.size * (part.size - 1) / 2
    competing = competitor_pairs(part.members, pop.competitor_key_list)
    return WorkBasis(
        list(part.members),
        float(knowledge.min()),
        competing / possible if possible else 0.0,
        riders if len(riders) else None,
    )


def coordinating(leadership: np.ndarray, served: list[bool], p: Parameters) -> np.ndarray:
    """Who coordinates each partnership: its leader, or a manager serving it if better.

    Without the leadership mechanism, every partnership works as if led at the threshold.
    """
    if not p.mechanism_leadership:
        return np.full(len(leadership), p.leader_threshold)
    if p.mechanism_manager and any(served):
        return np.where(served, np.maximum(leadership, p.cluster_manager_leadership), leadership)
    return leadership


def work_month(
    parts: Sequence[Partnership],
    month: int,
    *,
    population: Population,
    trust: TrustNetwork,
    p: Parameters,
    policy: Policy,
    rng: np.random.Generator,
) -> list[tuple[Partnership, Milestone | None]]:
    """A month of work for each partnership, in order; returns the milestone each
    reached or missed (None), for those that reached or missed one.

    A result releases its value and builds trust in proportion to its size; a missed
    planned month disappoints in proportion to the milestone's size, unless a manager
    serving the partnership mediates; free riders found out lose their partners' trust
    (003 §2.2).
    """
    if not parts:
        return []
    conditions = work_conditions(parts, population, p)
    noise_mean = -0.5 * p.progress_noise * p.progress_noise
    results: list[tuple[Partnership, Milestone | None]] = []
    for k, part in enumerate(parts):
        rate = progress_rate(
            p,
            size=part.size,
            leadership=conditions.leadership[k],
            mean_trust=trust.mean_among(part.members),
            min_knowledge=conditions.min_knowledge[k],
            culture_fit=conditions.culture_fit[k],
            competitor_share=conditions.competitor_share[k],
            experience=conditions.experience[k],
        )
        # Mean-one noise; of the work done, the project's quality turns into results.
        part.progress += rate * part.quality * portable.lognormal(rng, noise_mean, p.progress_noise)
        if part.progress >= part.milestone.work:
            reached = part.reach_milestone(month, policy.milestones)
            release_benefits(population, part, reached, p.milestone_value_eur)
            if p.mechanism_trust:
                gain = revealed(p.trust_gain, reached.value_share)
                trust.reinforce_among(
                    part.members, gain, population.competitor_key_list, p.competitor_drag
                )
            results.append((part, reached))
        elif month >= part.due_month:
            if p.mechanism_trust and not (part.served and p.mechanism_manager):
                trust.disappoint_among(
                    part.members, revealed(p.trust_loss, part.milestone.value_share)
                )
            part.miss_milestone(month)
            results.append((part, None))
        if k in conditions.free_riders:
            _find_free_riders(part, conditions.free_riders[k], trust, p, rng)
    return results


def revealed(full_change: float, share: float) -> float:
    """The trust change a result (or a miss) of `share` of a main milestone's work makes,
    when a whole one makes `full_change`: results in parts add up to the same change."""
    return 1.0 - portable.power(1.0 - full_change, share) if share != 1.0 else full_change


def _find_free_riders(
    part: Partnership,
    riders: np.ndarray,
    trust: TrustNetwork,
    p: Parameters,
    rng: np.random.Generator,
) -> None:
    """Partners notice free riders by chance and trust them less (003 §2.2)."""
    found = riders[rng.random(len(riders)) < p.free_rider_detection]
    if p.mechanism_trust:
        for rider in found.tolist():
            trust.disappoint_in(rider, part.members, p.trust_loss)


def release_benefits(
    population: Population, part: Partnership, reached: Milestone, milestone_value_eur: float
) -> None:
    """A result pays its share of a main milestone's value into members' reserves; the
    first main milestone counts as a completed project (003 §2.2)."""
    idx = np.array(part.members)
    if not reached.quick_win and part.main_milestones_reached == 1:
        population.experience[idx] += 1
    population.cash_eur[idx] = np.minimum(
        population.cash_eur[idx] + milestone_value_eur * reached.value_share,
        population.cash_ceiling_eur[idx],
    )
