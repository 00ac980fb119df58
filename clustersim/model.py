"""ClusterModel: SMEs, knowledge institutions and government forming partnerships.

Organisations sit in a region around business parks and town centres. Each month
some of them start a partnership: they score the organisations they know by
proximity, goals, ambition, shared experience, expertise, culture fit and trust,
and invite the best. Invitees join when the expected benefit outweighs the cost,
which is front-loaded and lowered by a start subsidy. Partnerships then work
towards milestones; results build trust, missed deadlines and free riders erode it.
Members leave when trust collapses, money runs out, patience for a result ends,
their time is needed elsewhere or a shock hits; a partnership with fewer than two
members dissolves, and its cause is recorded.

One step is one month. The state of all organisations lives in numpy arrays
(`Population`); the Mesa agents give them identity and a place in Mesa's space.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from itertools import chain

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector
from mesa.space import ContinuousSpace

from clustersim import portable
from clustersim.awareness import Awareness
from clustersim.culture import converge_groups, mean_culture_fit, mean_culture_fits
from clustersim.network import group_statistics
from clustersim.organisations import AGENT_CLASSES, Organisation, Regime, generate_population
from clustersim.parameters import Parameters, specs
from clustersim.partner_choice import PartnerScore
from clustersim.partnership import DISSOLUTION_CAUSES, Cause, Partnership, progress_rate
from clustersim.policy import Policy
from clustersim.records import Event, MembershipLog, TieLog, partnership_table
from clustersim.region import neighbours_within
from clustersim.trust import TrustNetwork

TYPE_NAMES = {
    Regime.COMMERCIAL: "sme",
    Regime.NON_PROFIT: "knowledge_institution",
    Regime.PUBLIC: "government",
}

# How a dissolution, and a single member's departure, read in the event feed.
CAUSE_WORDS = {
    Cause.SHOCK: "a key member was lost (owner change or champion left)",
    Cause.CAPACITY: "members needed their time elsewhere",
    Cause.FUNDS: "the money ran out",
    Cause.TRUST: "trust collapsed",
    Cause.STALLED: "it stalled without results",
}
LEAVE_WORDS = {
    Cause.SHOCK: "an owner change or the loss of its champion",
    Cause.CAPACITY: "its time was needed for core business",
    Cause.FUNDS: "it could not pay its share",
    Cause.TRUST: "it lost trust in its partners",
    Cause.STALLED: "it ran out of patience waiting for results",
}

SERIES = (
    "active_partnerships",
    "formed",
    "dissolved",
    *(f"dissolved_{cause}" for cause in DISSOLUTION_CAUSES),
    "members",
    "mean_size",
    "share_collaborating",
    "share_ever_collaborated",
    "mean_trust",
    "subsidised_active",
    "subsidy_spent_eur",
    "policy_spent_eur",
    "network_density",
    "network_clustering",
    "largest_component_share",
    "clusters",
    "mean_cluster_size",
)


class ClusterModel(mesa.Model):
    """Partnership formation and survival in a region; see the module docstring.

    Every model parameter (see `clustersim.parameters.Parameters`) is a keyword
    argument with its default, so Mesa's `batch_run`, `SolaraViz` and other tools
    can drive the model directly. Pass `seed` (or a numpy `rng`) for reproducibility.
    """

    def __init__(self, *, seed: int | None = None, rng=None, **parameters) -> None:
        super().__init__(seed=seed, rng=rng)
        self.p = Parameters(**parameters)
        self.policy = Policy.from_parameters(self.p)
        self.scorer = PartnerScore.from_parameters(self.p)
        self.population = generate_population(self.p, self.rng)
        self.competitor_keys = self.population.competitor_keys()
        self._competitor_key_list = self.competitor_keys.tolist()  # fast scalar lookups
        n = len(self.population)

        self.space = ContinuousSpace(self.p.region_km, self.p.region_km, torus=False)
        self.organisations: list[Organisation] = []
        for i in range(n):
            agent = AGENT_CLASSES[Regime(self.population.regime[i])](self, i)
            self.space.place_agent(agent, tuple(self.population.position_km[i]))
            self.organisations.append(agent)

        self.awareness = Awareness(
            neighbours_within(self.population.position_km, self.p.awareness_radius_km)
        )
        self.trust = TrustNetwork()
        self.partnerships: dict[int, Partnership] = {}
        self._active: dict[int, Partnership] = {}
        self._member_of: list[set[int]] = [set() for _ in range(n)]
        self.ties = TieLog()
        self.memberships = MembershipLog()
        self.events: list[Event] = []
        self.month = 0
        self._counts: Counter[str] = Counter()
        self.statistics: dict[str, float] = {}
        self.datacollector = DataCollector(model_reporters={key: _reporter(key) for key in SERIES})
        self._collect()
        self.running = True

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month, in the order of the ODD document's schedule."""
        self.month = self.steps
        self._counts = Counter()
        self.replenish_reserves()
        self.hold_matchmaking()
        self.form_partnerships()
        self.work_on_milestones()
        unable_to_pay = self.pay_costs()
        self.converge_cultures()
        self.decide_memberships(unable_to_pay)
        self.complete_projects()
        self._collect()
        self.running = self.month < self.p.months

    # ------------------------------------------------------------ 0. reserves
    def replenish_reserves(self) -> None:
        """Each organisation puts its monthly income into its collaboration reserve."""
        pop = self.population
        np.minimum(pop.cash_eur + pop.income_eur, pop.cash_ceiling_eur, out=pop.cash_eur)

    # ------------------------------------------------------- 1-2. policy, awareness
    def hold_matchmaking(self) -> None:
        """Government's matchmaking event widens who knows whom (002)."""
        if self.policy.matchmaking.due(self.month):
            made = self.policy.matchmaking.hold(len(self.population), self.awareness, self.rng)
            self._tell("matchmaking", -1, f"a matchmaking event made {made} introductions")

    # --------------------------------------------------------------- 3. formation
    def form_partnerships(self) -> None:
        """Organisations with free time may start a partnership, likelier if they lead."""
        pop, p = self.population, self.p
        free = pop.free_hours() >= p.hours_per_membership
        draws = self.rng.random(len(pop))
        initiators = np.flatnonzero(free & (draws < p.initiation_rate * pop.leadership))
        for initiator in self.rng.permutation(initiators):
            self._try_to_form(int(initiator))

    def _try_to_form(self, initiator: int) -> None:
        pop, p = self.population, self.p
        if pop.free_hours(initiator) < p.hours_per_membership:
            return  # joined another partnership earlier this month
        known = self.awareness.known(initiator)
        candidates = known[pop.free_hours(known) >= p.hours_per_membership]
        current = self._current_partners(initiator)
        if current:
            candidates = candidates[~np.isin(candidates, list(current))]
        admission = self.policy.admission
        candidates = admission.candidates(self.competitor_keys, initiator, candidates)
        if len(candidates) == 0:
            return
        smallest = max(p.min_members, admission.required)
        extra = max(0.0, p.target_size_mean - smallest)
        planned = self.policy.cap.limit(smallest + int(self.rng.poisson(extra)))
        terms = self.scorer.terms(pop, self.awareness, self.trust, initiator, candidates)
        scores = self.scorer.scores(terms, self.scorer.regime_factor(pop, initiator, candidates))
        noisy = scores + portable.gumbel(self.rng, 0.0, p.choice_noise, len(candidates))
        # Invite down the ranking until enough accept, asking at most twice the places.
        ranked = np.argsort(-noisy, kind="stable")
        invitable = admission.invitation_order(
            self.competitor_keys[candidates[ranked]],
            pop.regime[candidates[ranked]] == Regime.PUBLIC,
            admission.min_public - int(pop.regime[initiator] == Regime.PUBLIC),
        )
        order = ranked[invitable][: 2 * (planned - 1)]
        accepted = self._accepts(initiator, candidates[order], terms[order], planned)
        asked = int(np.searchsorted(np.cumsum(accepted), planned - 1) + 1)
        order, accepted = order[:asked], accepted[:asked]
        invitees = candidates[order]
        members = [initiator, *invitees[accepted].tolist()]
        regimes = pop.regime[members]
        admitted = len(members) >= p.min_members and admission.admits(
            int((regimes == Regime.COMMERCIAL).sum()), int((regimes == Regime.PUBLIC).sum())
        )
        pid = self._found(members) if admitted else -1
        self.ties.add(
            self.month,
            initiator,
            invitees,
            terms[order],
            scores[order],
            self.scorer.decisive_factor(terms[order]),
            accepted,
            pid,
        )

    def _accepts(
        self, initiator: int, invitees: np.ndarray, chosen_by: np.ndarray, planned: int
    ) -> np.ndarray:
        """Each invitee joins when its expected benefit beats its expected cost.

        Invitees judge the partnership as planned: the initiator and its `planned - 1`
        best candidates. Costs are front-loaded (003 §3.1), so the months until the
        first result matter; a subsidy lowers them but adds admin hours (003 Box 3).
        `chosen_by` holds the initiator's score terms of the invitees.
        """
        pop, p = self.population, self.p
        view = self.scorer.terms_in_return(pop, self.trust, chosen_by, invitees, initiator)
        regime = self.scorer.regime_factor(pop, invitees, initiator)
        fit = self.scorer.scores(view, regime)
        planned_members = np.append(invitees[: planned - 1], initiator)
        firms = int((pop.regime[planned_members] == Regime.COMMERCIAL).sum())
        months = self.policy.milestones.first().planned_months
        subsidy = self.policy.subsidy
        share = subsidy.share if subsidy.eligible(firms) else 0.0
        cost = p.preparation_cost_eur * months * (1.0 - share)
        if share:
            cost += subsidy.admin_cost_eur(months)
        overlap = 0.5 + 0.5 * np.minimum(pop.knowledge[invitees], pop.knowledge[initiator])
        scale = np.sqrt(np.sqrt(len(planned_members) / 2))  # bigger ones promise more: n**(1/4)
        experience = 1.0 + p.experience_acceptance_bonus * pop.experience_factor(
            p.experience_scale, invitees
        )
        noise = p.acceptance_noise
        perceived = portable.lognormal(self.rng, -0.5 * noise * noise, noise, len(invitees))
        benefit = p.expected_value_eur * fit * overlap * scale * experience * perceived
        # Only an invitee that can fund its share until the first result can say yes.
        committed = pop.memberships[invitees] * p.preparation_cost_eur
        affordable = pop.cash_eur[invitees] + months * (pop.income_eur[invitees] - committed)
        return (benefit > cost) & (affordable >= cost)

    def _found(self, members: list[int]) -> int:
        """Create a partnership of `members`; return its id."""
        pop, p = self.population, self.p
        pid = len(self.partnerships) + 1
        idx = np.array(members)
        firms = int((pop.regime[idx] == Regime.COMMERCIAL).sum())
        subsidised = self.policy.subsidy.eligible(firms)
        if subsidised:  # the application's hours, as far as the reserve stretches
            application = self.policy.subsidy.admin_cost_eur(0)
            pop.cash_eur[idx] = np.maximum(pop.cash_eur[idx] - application, 0.0)
        built_on_ties = self.awareness.have_worked_together(members)
        # Priors first, then set, so the order of pairs doesn't matter.
        priors = {}
        for a in members:
            others = [b for b in members if b != a]
            reputations = self.trust.reputations_among(a, others, p.reputation_weight)
            for b, reputation in zip(others, reputations, strict=True):
                priors[a, b] = max(self.trust.get(a, b), p.formation_trust, reputation)
        for (a, b), prior in priors.items():
            self.trust.set(a, b, prior)
        self.awareness.record_partnership(members)
        milestone = self.policy.milestones.first()
        patience = portable.lognormal(self.rng, portable.log(p.patience_months), 0.25, len(members))
        part = Partnership(
            id=pid,
            members=list(members),
            leader=self._choose_leader(members),
            formed_month=self.month,
            milestone=milestone,
            due_month=self.month + milestone.planned_months,
            subsidised=subsidised,
            subsidy_until_month=self.month + p.subsidy_months - 1,
            managed=self.policy.manager.admit(pid),
            competitor_pairs=self._competitor_pairs(members),
            built_on_existing_ties=built_on_ties,
            culture_fit_at_formation=mean_culture_fit(pop.culture[idx]),
            composition={TYPE_NAMES[r]: int((pop.regime[idx] == r).sum()) for r in Regime},
            patience_months=dict(zip(members, patience.tolist(), strict=True)),
            joined_month=dict.fromkeys(members, self.month),
        )
        self.partnerships[pid] = part
        self._active[pid] = part
        for m in members:
            self._member_of[m].add(pid)
            self.memberships.join(pid, m, self.month)
        pop.hours_used[idx] += p.hours_per_membership
        pop.memberships[idx] += 1
        pop.ever_member[idx] = True
        self._counts["formed"] += 1
        lead = self.organisations[members[0]].name
        subsidy = ", subsidised" if subsidised else ""
        self._tell(
            "formed",
            pid,
            f"{lead} and {len(members) - 1} partner{'s' if len(members) > 2 else ''} formed "
            f"partnership {pid} ({len(members)} members{subsidy})",
        )
        return pid

    # ---------------------------------------------------------------- 4. working
    def work_on_milestones(self) -> None:
        """Each partnership makes progress; results build trust, missed deadlines erode it."""
        pop, p = self.population, self.p
        boost = self.policy.manager.boost_at(self.month)
        parts = list(self._active.values())
        if not parts:
            return
        # What does not change during the month, for all partnerships at once; trust
        # does change (a result in one partnership builds trust used by the next).
        idx, sizes, starts = _members_of(parts)
        min_knowledge = np.minimum.reduceat(pop.knowledge[idx], starts).tolist()
        culture_fits = mean_culture_fits(pop.culture[idx], sizes).tolist()
        experience = _group_means(pop.experience_factor(p.experience_scale)[idx], sizes).tolist()
        knowledge_mean = _group_means(pop.knowledge[idx], sizes)
        rides = pop.knowledge[idx] < p.free_rider_share * np.repeat(knowledge_mean, sizes)
        competitor_pairs = _pairs_sharing_a_key(self.competitor_keys[idx], sizes).tolist()
        owner = np.repeat(np.arange(len(parts)), sizes)
        rider_owner = owner[rides]  # partnerships in order, so each one's riders are adjacent
        groups = np.split(idx[rides], np.flatnonzero(np.diff(rider_owner)) + 1)
        riders_of = dict(zip(np.unique(rider_owner).tolist(), groups, strict=False))
        leaders = [-1 if part.leader is None else part.leader for part in parts]
        leadership_of = np.where(np.array(leaders) < 0, 0.0, pop.leadership[leaders]).tolist()
        noise_mean = -0.5 * p.progress_noise * p.progress_noise
        for k, part in enumerate(parts):
            size = part.size
            pairs = size * (size - 1) / 2
            rate = progress_rate(
                p,
                size=size,
                leadership=leadership_of[k],
                mean_trust=self.trust.mean_among(part.members),
                min_knowledge=min_knowledge[k],
                culture_fit=culture_fits[k],
                competitor_share=competitor_pairs[k] / pairs if pairs else 0.0,
                experience=experience[k],
                manager_boost=boost if part.managed else 0.0,
                subsidised=part.subsidy_active(self.month),
            )
            # Mean-one noise, so `rate` stays the expected progress.
            part.progress += rate * portable.lognormal(self.rng, noise_mean, p.progress_noise)
            if part.progress >= part.milestone.work:
                self._reach_milestone(part)
            elif self.month >= part.due_month:
                self._miss_milestone(part)
            if k in riders_of:
                self._expose_free_riders(part, riders_of[k])

    def _reach_milestone(self, part: Partnership) -> None:
        pop, p = self.population, self.p
        reached = part.milestone
        idx = np.array(part.members)
        part.milestones_reached += 1
        part.last_result_month = self.month
        if reached.quick_win:
            if part.quick_win_month is None:  # the first of a ladder of quick wins
                part.quick_win_month = self.month
            self._tell(
                "quick_win",
                part.id,
                f"partnership {part.id} reached its quick win in month {self.month}",
            )
        else:
            part.main_milestones_reached += 1
            if part.main_milestones_reached == 1:
                pop.experience[idx] += 1  # a completed project: 003 §2.2
            self._tell(
                "milestone",
                part.id,
                f"partnership {part.id} reached milestone {part.main_milestones_reached}",
            )
        pop.cash_eur[idx] = np.minimum(
            pop.cash_eur[idx] + p.milestone_value_eur * reached.value_share,
            pop.cash_ceiling_eur[idx],
        )
        boost = self.policy.manager.boost_at(self.month) if part.managed else 0.0
        gain = p.trust_gain * (1.0 + boost)
        for a in part.members:
            for b in part.members:
                if a != b:
                    # 003 §3.7: competitors trust each other more slowly
                    competing = self._competing(a, b)
                    self.trust.reinforce(a, b, gain * (1.0 - p.competitor_drag * competing))
        part.progress = 0.0
        part.milestone = self.policy.milestones.after(part.milestones_reached)
        part.due_month = self.month + part.milestone.planned_months

    def _miss_milestone(self, part: Partnership) -> None:
        for a in part.members:
            for b in part.members:
                if a != b:
                    self.trust.disappoint(a, b, self.p.trust_loss)
        part.due_month = self.month + part.milestone.planned_months
        self._tell("missed", part.id, f"partnership {part.id} missed its planned milestone")

    def _expose_free_riders(self, part: Partnership, riders: np.ndarray) -> None:
        """Members far below the partnership's knowledge take more than they give (003 §2.2)."""
        found = riders[self.rng.random(len(riders)) < self.p.free_rider_detection]
        for rider in found.tolist():
            for other in part.members:
                if other != rider:
                    self.trust.disappoint(other, rider, self.p.trust_loss)

    # ------------------------------------------------------------------ costs
    def pay_costs(self) -> set[tuple[int, int]]:
        """Members pay their monthly share; return (partnership, member) pairs that could not."""
        cash = self.population.cash_eur
        parts = list(self._active.values())
        # The subsidy budget pays partnerships first come, first served, in this order.
        share_of = {part.id: self._own_share(part) for part in parts}
        unable: set[tuple[int, int]] = set()
        # Partnerships that share no member pay together: nobody's reserve is read twice.
        for run in _runs_without_shared_members(parts):
            idx, sizes, _ = _members_of(run)
            own = np.repeat([share_of[part.id] for part in run], sizes)
            can_pay = cash[idx] >= own
            cash[idx[can_pay]] -= own[can_pay]
            owner = np.repeat([part.id for part in run], sizes)
            unable.update(zip(owner[~can_pay].tolist(), idx[~can_pay].tolist(), strict=True))
        return unable

    def _own_share(self, part: Partnership) -> float:
        """A member's cost this month, after any subsidy, which this pays out."""
        p, subsidy = self.p, self.policy.subsidy
        per_member = p.running_cost_eur if part.main_milestones_reached else p.preparation_cost_eur
        if not part.subsidy_active(self.month):
            return per_member
        wanted = subsidy.share * per_member * part.size
        paid = subsidy.pay(wanted)
        part.subsidy_eur += paid
        reporting = subsidy.admin_cost_eur(1) - subsidy.admin_cost_eur(0)
        if paid < wanted or self.month == part.subsidy_until_month:
            part.subsidy_until_month = self.month
            self._tell("subsidy_ended", part.id, f"subsidy for partnership {part.id} ended")
        return per_member - paid / part.size + reporting

    # ---------------------------------------------------------------- 5. culture
    def converge_cultures(self) -> None:
        """Partners' cultures drift slowly towards their partnership's mean."""
        if self.p.culture_convergence == 0:
            return
        culture = self.population.culture
        for batch in _runs_without_shared_members(list(self._active.values())):
            idx, sizes, _ = _members_of(batch)
            culture[idx] = converge_groups(culture[idx], sizes, self.p.culture_convergence)

    # -------------------------------------------------------- 6. stay or leave
    def decide_memberships(self, unable_to_pay: set[tuple[int, int]]) -> None:
        """Each member stays or leaves for the first reason that applies; then dissolutions."""
        pop, p = self.population, self.p
        parts = list(self._active.values())
        if not parts:
            return
        # All members of all partnerships at once, partnership after partnership: the
        # same random numbers, in the same order, as drawing (2, size) per partnership.
        idx, sizes, starts = _members_of(parts)
        ends = starts + sizes
        draws = self.rng.random(2 * len(idx))
        # The member at position i, in a partnership starting at position `start`, drew
        # numbers start + i (shock) and start + size + i (capacity).
        shock_row = np.arange(len(idx)) + np.repeat(starts, sizes)
        shock_draw, capacity_draw = draws[shock_row], draws[shock_row + np.repeat(sizes, sizes)]
        trust_in_others = np.array(
            [t for part in parts for t in self.trust.mean_toward_each_other(part.members)]
        )
        last_result = np.repeat([part.last_result_month for part in parts], sizes)
        joined = [part.joined_month[m] for part in parts for m in part.members]
        waited = self.month - np.maximum(last_result, joined)
        experience = pop.experience_factor(p.experience_scale)
        patience = (
            np.array([part.patience_months[m] for part in parts for m in part.members])
            * (1.0 + p.patience_trust_gain * trust_in_others)
            * (1.0 + experience[idx])
        )
        reasons = np.column_stack(
            [
                shock_draw < p.shock_rate,
                capacity_draw
                < p.capacity_pull_rate
                * p.hours_per_membership
                / np.maximum(pop.capacity_hours[idx], 1e-9),
                [(part.id, m) in unable_to_pay for part in parts for m in part.members]
                if unable_to_pay
                else np.zeros(len(idx), dtype=bool),
                trust_in_others < p.leave_trust,
                waited > patience,
            ]
        )
        leaving = reasons.any(axis=1)
        first_reason = np.argmax(reasons, axis=1)
        anyone_leaving = np.logical_or.reduceat(leaving, starts)
        for k, part in enumerate(parts):
            if anyone_leaving[k]:
                here = slice(starts[k], ends[k])
                self._members_leave(part, idx[here], leaving[here], first_reason[here])
            elif self.month - part.last_result_month > p.stall_months:
                self._dissolve(part, Cause.STALLED)

    def _members_leave(
        self, part: Partnership, idx: np.ndarray, leaving: np.ndarray, first_reason: np.ndarray
    ) -> None:
        """Members leave for their first reason; the partnership dissolves, stalls or re-leads."""
        causes = [DISSOLUTION_CAUSES[r] for r in first_reason[leaving].tolist()]
        leader_left = part.leader in set(idx[leaving].tolist())
        for member, cause in zip(idx[leaving].tolist(), causes, strict=True):
            self._leave(part, member, cause)
            self._tell(
                "member_left",
                part.id,
                f"{self.organisations[member].name} left partnership {part.id}: "
                f"{LEAVE_WORDS[cause]}",
            )
        if part.size < 2:
            self._dissolve(part, min(causes, key=DISSOLUTION_CAUSES.index))
        elif self.month - part.last_result_month > self.p.stall_months:
            self._dissolve(part, Cause.STALLED)
        elif leader_left:
            part.leader = self._choose_leader(part.members)
            if part.leader is None:
                self._tell(
                    "leader_lost",
                    part.id,
                    f"partnership {part.id} lost its leader and nobody can take over",
                )

    def _leave(self, part: Partnership, member: int, cause: Cause) -> None:
        part.members.remove(member)
        part.joined_month.pop(member)
        self._member_of[member].discard(part.id)
        self.population.hours_used[member] -= self.p.hours_per_membership
        self.population.memberships[member] -= 1
        self.memberships.leave(part.id, member, self.month, str(cause))

    def _dissolve(self, part: Partnership, cause: Cause) -> None:
        self._end(part, cause, Cause.DISSOLVED)
        self._counts[f"dissolved_{cause}"] += 1
        self._tell("dissolved", part.id, f"partnership {part.id} dissolved: {CAUSE_WORDS[cause]}")

    def _end(self, part: Partnership, cause: Cause, members_reason: Cause) -> None:
        part.size_at_end = part.size
        for member in list(part.members):
            self._leave(part, member, members_reason)
        part.ended_month = self.month
        part.cause = cause
        del self._active[part.id]
        self.policy.manager.release(part.id)

    # ---------------------------------------------------------- 7. projects end
    def complete_projects(self) -> None:
        """A project capped at `project_months` ends complete: not a failure (003 §3.2.2, KLICT)."""
        months = self.p.project_months
        if not months:
            return
        for part in list(self._active.values()):
            if self.month - part.formed_month >= months:
                self._end(part, Cause.COMPLETED, Cause.COMPLETED)
                self._tell(
                    "completed",
                    part.id,
                    f"partnership {part.id} completed its project after {months} months",
                )

    # ---------------------------------------------------------------- helpers
    def _choose_leader(self, members: list[int]) -> int | None:
        """The member most inclined to lead, if anyone is inclined enough (003 §3.2.2)."""
        leadership = self.population.leadership[members]
        best = int(np.argmax(leadership))
        return members[best] if leadership[best] >= self.p.leader_threshold else None

    def _competing(self, a: int, b: int) -> bool:
        """Direct competitors: two SMEs in the same sector at the same chain stage."""
        keys = self._competitor_key_list
        return keys[a] == keys[b]

    def _competitor_pairs(self, idx: Iterable[int]) -> int:
        """Pairs of direct competitors among `idx` (plain Python: groups are small)."""
        keys = self._competitor_key_list
        counts = Counter(keys[i] for i in idx)
        return sum(c * (c - 1) // 2 for c in counts.values())

    def _current_partners(self, i: int) -> set[int]:
        partners: set[int] = set()
        for pid in self._member_of[i]:
            partners.update(self._active[pid].members)
        partners.discard(i)
        return partners

    def _tell(self, kind: str, partnership: int, text: str) -> None:
        self.events.append(Event(self.month, kind, partnership, text))

    def partnerships_of(self, organisation: int) -> list[int]:
        """Ids of the active partnerships an organisation belongs to."""
        return sorted(self._member_of[organisation])

    @property
    def active_partnerships(self) -> list[Partnership]:
        return list(self._active.values())

    # ----------------------------------------------------------------- outputs
    def _collect(self) -> None:
        pop = self.population
        active = list(self._active.values())
        sizes = [part.size for part in active]
        dissolved = {f"dissolved_{c}": self._counts[f"dissolved_{c}"] for c in DISSOLUTION_CAUSES}
        self.statistics = {
            "active_partnerships": len(active),
            "formed": self._counts["formed"],
            "dissolved": sum(dissolved.values()),
            **dissolved,
            "members": sum(sizes),
            "mean_size": float(np.mean(sizes)) if sizes else 0.0,
            "share_collaborating": float((pop.memberships > 0).mean()),
            "share_ever_collaborated": float(pop.ever_member.mean()),
            "mean_trust": float(np.mean([self.trust.mean_among(a.members) for a in active]))
            if active
            else 0.0,
            "subsidised_active": sum(a.subsidy_active(self.month) for a in active),
            "subsidy_spent_eur": self.policy.subsidy.spent_eur,
            "policy_spent_eur": self.policy.spent_eur,
            **group_statistics(len(pop), [part.members for part in active]),
        }
        self.datacollector.collect(self)

    def series(self) -> pd.DataFrame:
        """Model-level time series, one row per month (month 0 is the initial state)."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(len(frame)))
        return frame

    def partnership_table(self) -> pd.DataFrame:
        """One row per partnership; those alive now are censored at this month."""
        return partnership_table(self.partnerships.values(), self.month, TYPE_NAMES.values())

    def tie_table(self) -> pd.DataFrame:
        """One row per invitation, with its score terms and decisive factor."""
        return self.ties.table()

    def membership_table(self) -> pd.DataFrame:
        """One row per membership: who joined which partnership, when, and why they left."""
        return self.memberships.table()


def _members_of(parts: list[Partnership]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All partnerships' members end to end, with each partnership's size and first position."""
    groups = [part.members for part in parts]
    sizes = np.fromiter(map(len, groups), np.int64, len(groups))
    idx = np.fromiter(chain.from_iterable(groups), np.int64, int(sizes.sum()))
    return idx, sizes, np.cumsum(sizes) - sizes


def _runs_without_shared_members(parts: list[Partnership]) -> list[list[Partnership]]:
    """Consecutive runs of partnerships that share no member, in order.

    Within a run the partnerships touch different organisations, so updating them
    together is the same as updating them one after another.
    """
    runs: list[list[Partnership]] = []
    seen: set[int] = set()
    for part in parts:
        if not runs or not seen.isdisjoint(part.members):
            runs.append([])
            seen = set()
        runs[-1].append(part)
        seen.update(part.members)
    return runs


def _pairs_sharing_a_key(keys: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For consecutive groups of `sizes`, the number of pairs in each with equal keys."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((keys, group))
    group, keys = group[order], keys[order]
    starts_run = np.r_[True, (group[1:] != group[:-1]) | (keys[1:] != keys[:-1])]
    run_length = np.bincount(np.cumsum(starts_run) - 1)
    pairs = run_length * (run_length - 1) // 2
    return np.bincount(group[starts_run], weights=pairs, minlength=len(sizes)).astype(np.int64)


def _group_means(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """`values[group].mean()` of consecutive groups of `sizes`, bit for bit, batched by size."""
    starts = np.cumsum(sizes) - sizes
    means = np.empty(len(sizes))
    for n in np.unique(sizes).tolist():
        which = np.flatnonzero(sizes == n)
        means[which] = values[starts[which, None] + np.arange(n)].mean(axis=1)
    return means


def _reporter(key: str):
    return lambda model: model.statistics[key]


def _signature() -> inspect.Signature:
    """Expose every parameter as a real keyword argument, for introspecting tools."""
    params = [
        inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
        for name, (f, _) in specs().items()
    ]
    return inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *params]
    )


ClusterModel.__init__.__signature__ = _signature()
