"""Each submodel in isolation: the rules the ODD document states, one at a time.

Submodels are functions of arrays and small objects, so most tests build only what
the rule reads (`World`); a few check the model's bookkeeping through its public phases.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clustersim import ClusterModel, Parameters, beliefs
from clustersim.acceptance import Outlook
from clustersim.awareness import Awareness
from clustersim.culture import culture_fit
from clustersim.formation import Invitations
from clustersim.leaving import departures, dissolution_cause, still_worth_it
from clustersim.organisations import Population, Regime, generate_population
from clustersim.partner_choice import FACTORS, PartnerScore
from clustersim.partnership import (
    Cause,
    Partnership,
    choose_leader,
    new_partnership,
    progress_rate,
    revealed,
    work_month,
)
from clustersim.policy import ClusterManager, ParticipantCap, Policy, StartSubsidy, member_costs_eur
from clustersim.trust import TrustNetwork

from .conftest import SMALL, run_model


def invitations(
    members: list[int],
    p: Parameters,
    population: Population,
    policy: Policy,
    *,
    quality: float | None = None,
    subsidised: bool | None = None,
    value_eur: float | None = None,
    prior_rate: float | None = None,
) -> Invitations:
    """A round in which everyone asked said yes: `members[0]` asked the others.

    By default the project is of median quality, every member takes it for that and
    values a main result at `expected_value_eur`; the subsidy is granted when the members
    are eligible.
    """
    n = len(members)
    quality = p.project_quality_median if quality is None else quality
    estimate = np.full(n, p.project_quality_median)
    rate = beliefs.expected_rate(estimate, p) if prior_rate is None else np.full(n, prior_rate)
    value = np.full(n, p.expected_value_eur if value_eur is None else value_eur)
    if subsidised is None:
        firms = int((population.regime[members] == Regime.COMMERCIAL).sum())
        subsidised = policy.subsidy.eligible(firms)
    invitees = np.array(members[1:], dtype=np.int64)
    return Invitations(
        initiator=members[0],
        invitees=invitees,
        terms=np.zeros((n - 1, len(FACTORS))),
        scores=np.zeros(n - 1),
        decisive=np.zeros(n - 1, dtype=np.int64),
        accepted=np.ones(n - 1, dtype=bool),
        quality=quality,
        subsidised=subsidised,
        outlook=Outlook(value, estimate, rate),
    )


@dataclass
class World:
    """What the submodels read and change, without a model: drawn from the parameters."""

    p: Parameters
    population: Population
    policy: Policy
    trust: TrustNetwork
    rng: np.random.Generator

    @classmethod
    def of(cls, seed: int = 5, **overrides) -> World:
        p = Parameters(**{**SMALL, "shock_rate": 0.0, "capacity_pull_rate": 0.0, **overrides})
        rng = np.random.default_rng(seed)
        return cls(p, generate_population(p, rng), Policy.from_parameters(p), TrustNetwork(), rng)

    def invitations(self, members: list[int], **outlook) -> Invitations:
        return invitations(members, self.p, self.population, self.policy, **outlook)

    def partnership(
        self, members: list[int], month: int = 0, pid: int = 1, **outlook
    ) -> Partnership:
        """A partnership of `members` formed in `month`, strangers trusting each other at
        formation trust; `outlook` as for `invitations`."""
        part = new_partnership(
            pid,
            self.invitations(members, **outlook),
            month,
            self.population,
            self.p,
            self.policy,
            False,
            self.rng,
        )
        self.trust.set_priors(members, self.p.formation_trust, self.p.reputation_weight)
        return part

    def work(self, parts: list[Partnership], month: int) -> list:
        return work_month(
            parts,
            month,
            population=self.population,
            trust=self.trust,
            p=self.p,
            policy=self.policy,
            rng=self.rng,
        )

    def leavers(
        self, part: Partnership, month: int, unable_to_pay=frozenset(), cost_eur: float = 0.0
    ) -> list:
        """Who leaves `part` in `month`, when each member pays `cost_eur` this month."""
        decisions = departures(
            [part],
            month=month,
            population=self.population,
            trust=self.trust,
            p=self.p,
            costs_eur=[cost_eur],
            unable_to_pay=set(unable_to_pay),
            rng=self.rng,
        )
        return decisions.leavers(0)


def _twin_candidates(model: ClusterModel, chooser: int, a: int, b: int) -> None:
    """Make b an exact copy of a in everything the score reads, except location."""
    pop = model.population
    for field in (
        "regime",
        "culture",
        "motives",
        "ambition",
        "knowledge",
        "expertise",
        "experience",
    ):
        getattr(pop, field)[b] = getattr(pop, field)[a]


def test_a_nearer_candidate_scores_higher_all_else_equal(small_model):
    m, chooser, near, far = small_model, 0, 1, 2
    _twin_candidates(m, chooser, near, far)
    pos = m.population.position_km
    pos[near] = pos[chooser] + [0.5, 0.0]
    pos[far] = pos[chooser] + [4.0, 0.0]
    cands = np.array([near, far])
    terms = m.scorer.terms(m.population, m.awareness, m.trust, chooser, cands)
    scores = m.scorer.scores(terms, m.scorer.regime_factor(m.population, chooser, cands))
    assert scores[0] > scores[1]
    assert np.array_equal(terms[0, 1:], terms[1, 1:])  # only proximity differs


@given(
    st.lists(st.floats(0, 1), min_size=6, max_size=6),
    st.lists(st.floats(-1, 1), min_size=6, max_size=6),
)
def test_culture_distance_lowers_fit(base, direction):
    a = np.array(base)
    d = np.array(direction)
    steps = [a + t * d for t in (0.0, 0.1, 0.2)]
    fits = [float(culture_fit(a, s)) for s in steps]
    assert fits[0] == pytest.approx(1.0)
    if np.linalg.norm(d) > 1e-6:
        assert fits[0] > fits[1] > fits[2]


def test_trust_rises_on_success_and_falls_faster_on_failure():
    p = Parameters()
    up, down = TrustNetwork(), TrustNetwork()
    up.set(0, 1, 0.5)
    down.set(0, 1, 0.5)
    up.reinforce(0, 1, p.trust_gain)
    down.disappoint(0, 1, p.trust_loss)
    assert up.get(0, 1) > 0.5 > down.get(0, 1)
    assert 0.5 - down.get(0, 1) > up.get(0, 1) - 0.5
    assert up.get(1, 0) == 0.0  # trust is directed


@given(st.floats(0, 1), st.floats(0, 1), st.lists(st.booleans(), max_size=30))
def test_trust_stays_in_unit_interval_under_any_history(gain, loss, history):
    net = TrustNetwork()
    for success in history:
        (net.reinforce if success else net.disappoint)(0, 1, gain if success else loss)
        assert 0.0 <= net.get(0, 1) <= 1.0


def test_a_partner_of_a_trusted_partner_gets_prior_trust(small_model):
    m = small_model
    a, b, c = 0, 1, 2
    m.trust.set(a, b, 0.8)
    m.trust.set(b, c, 0.9)
    assert m.trust.reputation(a, c, 0.8) == pytest.approx(0.8 * 0.72)
    assert m.trust.get(a, c) == 0.0
    trust_term = m.scorer.terms(m.population, m.awareness, m.trust, a, np.array([c]))[
        0, FACTORS.index("trust")
    ]
    assert trust_term == pytest.approx(0.8 * 0.72)
    # ...and that reputation closes part of the gap above the letter of intent's trust
    m.found(invitations([a, c], m.p, m.population, m.policy))
    stranger = m.p.formation_trust
    reputation = m.p.reputation_weight * 0.72
    assert m.trust.get(a, c) == pytest.approx(stranger + (1.0 - stranger) * reputation)
    assert m.trust.get(c, a) == stranger  # c knows no partner of a


def test_pairs_with_a_history_keep_their_trust_and_strangers_start_from_a_letter_of_intent():
    trust = TrustNetwork()
    trust.set(0, 1, 0.9)  # from an earlier partnership
    trust.set(1, 2, 0.5)
    trust.set(0, 2, 0.1)  # a bad experience: no floor lifts it back
    trust.set_priors([0, 1, 2], stranger=0.3, reputation_weight=1.0)
    assert trust.get(0, 1) == 0.9  # kept
    assert trust.get(0, 2) == 0.1  # kept, although 1 would vouch for 2 (0.9 * 0.5)
    assert trust.get(2, 0) == 0.3  # a stranger: the letter of intent, nobody to vouch
    assert trust.get(1, 0) == 0.3  # 1's partner 2 has no trust in 0 to pass on
    assert trust.get(2, 1) == 0.3


def test_reputation_closes_part_of_a_strangers_gap():
    trust = TrustNetwork()
    trust.set(0, 1, 0.8)
    trust.set(1, 2, 0.5)
    trust.set_priors([0, 2], stranger=0.3, reputation_weight=1.0)
    assert trust.get(0, 2) == pytest.approx(0.3 + 0.7 * 0.8 * 0.5)
    without = TrustNetwork()
    without.set(0, 1, 0.8)
    without.set(1, 2, 0.5)
    without.set_priors([0, 2], stranger=0.3, reputation_weight=0.0)  # mechanism_reputation off
    assert without.get(0, 2) == 0.3


def _progress(**conditions) -> float:
    """Expected monthly progress of a middling partnership under `conditions`."""
    middling = dict(
        size=4,
        leadership=0.5,
        mean_trust=0.5,
        min_knowledge=0.5,
        culture_fit=0.8,
        competitor_share=0.0,
        experience=0.0,
    )
    return progress_rate(Parameters(), **{**middling, **conditions})


def test_progress_slows_with_size_without_a_leader():
    leaderless = [_progress(size=n, leadership=0.0) for n in (2, 4, 6, 10)]
    assert all(x > y for x, y in itertools.pairwise(leaderless))
    led = [_progress(size=n, leadership=1.0) for n in (2, 4, 6, 10)]
    assert led == pytest.approx([led[0]] * 4)  # a strong leader removes the drag


def test_competitors_and_culture_misfit_slow_progress():
    assert _progress(competitor_share=0.0) > _progress(competitor_share=0.5)
    assert _progress(culture_fit=0.9) > _progress(culture_fit=0.6)


def test_the_projects_quality_decides_how_much_work_turns_into_results():
    progress = {}
    for quality in (0.0, 0.3, 0.6):
        world = World.of(seed=2)  # the same draws for each quality
        part = world.partnership([0, 1], quality=quality)
        world.work([part], month=1)
        progress[quality] = part.progress
    assert progress[0.0] == 0.0
    assert progress[0.6] == pytest.approx(2 * progress[0.3]) and progress[0.3] > 0.0


def test_progress_rate_reads_no_policy():
    """What a policy changes reaches progress only through a mechanism's inputs (who
    coordinates, trust, experience), never as an argument of its own."""
    import inspect

    arguments = set(inspect.signature(progress_rate).parameters)
    assert arguments == {
        "p",
        "size",
        "leadership",
        "mean_trust",
        "min_knowledge",
        "culture_fit",
        "competitor_share",
        "experience",
    }


def test_a_member_who_no_longer_trusts_leaves_for_that_reason():
    world = World.of()
    part = world.partnership([0, 1])
    world.trust.set(0, 1, 0.0)  # member 0 no longer trusts member 1
    assert world.leavers(part, month=1) == [(0, Cause.TRUST)]


def test_a_member_that_cannot_pay_leaves_because_funds_ran_out():
    world = World.of()
    part = world.partnership([0, 1])
    assert world.leavers(part, month=1, unable_to_pay={(part.id, 1)}) == [(1, Cause.FUNDS)]


def test_a_member_leaves_for_the_first_reason_that_applies():
    world = World.of()
    part = world.partnership([0, 1])
    world.trust.set(1, 0, 0.0)
    assert world.leavers(part, month=1, unable_to_pay={(part.id, 1)}) == [(1, Cause.FUNDS)]


def test_a_partnership_left_with_one_member_dissolves_for_its_leavers_most_pressing_reason():
    world = World.of()
    part = world.partnership([0, 1, 2])
    part.members = [0]  # 1 and 2 left this month
    assert dissolution_cause(part, [Cause.TRUST, Cause.FUNDS], True, None) == Cause.FUNDS
    part.members = [0, 1]
    assert dissolution_cause(part, [Cause.FUNDS], True, None) is None  # two can go on


def test_a_partnership_the_call_no_longer_admits_dissolves_whatever_its_size():
    world = World.of()
    part = world.partnership([0, 1, 2, 3])
    part.members = [0, 1, 2]  # large enough, but the call wanted four firms
    assert dissolution_cause(part, [Cause.CAPACITY], False, None) == Cause.CAPACITY
    assert dissolution_cause(part, [], False, None) is None  # nobody left: nothing changed


def test_a_partnership_that_lost_its_champion_dissolves_for_the_champions_reason():
    world = World.of()
    part = world.partnership([0, 1, 2])
    assert dissolution_cause(part, [Cause.SHOCK], True, Cause.SHOCK) == Cause.SHOCK
    assert dissolution_cause(part, [Cause.SHOCK], True, None) is None


def _months_until_stalled(world: World, part: Partnership, cost_eur: float) -> int:
    """The first month after formation in which a member leaves because results are
    no longer worth `cost_eur` a month."""
    for month in range(part.formed_month + 1, part.formed_month + 600):
        leavers = world.leavers(part, month, cost_eur=cost_eur)
        if leavers:
            assert {cause for _, cause in leavers} == {Cause.STALLED}
            return month - part.formed_month
    raise AssertionError("nobody ever left")


def _waiting_world(**overrides) -> tuple[World, Partnership, float]:
    """Two novices who expect a main result every ten months, each worth 12,000 EUR to
    them, and pay 1,000 EUR a month: worth it at first, with a margin of 20 %."""
    world = World.of(**overrides)
    world.population.experience[:] = 0
    part = world.partnership([0, 1], value_eur=12_000.0, prior_rate=0.1)
    part.patience_months = dict.fromkeys(part.members, 10.0)
    return world, part, 1_000.0


def test_members_leave_when_the_results_they_expect_are_no_longer_worth_the_cost():
    world, part, cost = _waiting_world()
    assert world.leavers(part, month=1, cost_eur=cost) == []  # worth it at first
    waited = _months_until_stalled(world, part, cost)
    # Gamma-Poisson: after T empty months the expected rate is P r0 / (P + T); members
    # leave once that times the value is below the cost: T > P (r0 v / c - 1).
    trust = world.trust.mean_toward_each_other(part.members)[0]
    patience = 10.0 * (1.0 + world.p.patience_trust_gain * trust)
    assert waited == int(np.floor(patience * 0.2)) + 1
    # ...and nobody ever leaves over results when membership costs nothing
    assert world.leavers(part, month=part.formed_month + 500, cost_eur=0.0) == []


def test_a_quarter_of_the_work_lengthens_the_stay_a_quarter_as_much_as_a_full_result():
    stays = {}
    for evidence in (0.0, 0.25, 1.0):
        world, part, cost = _waiting_world()
        part.evidence = evidence  # results so far, in main milestones' worth of work
        stays[evidence] = _months_until_stalled(world, part, cost)
    quarter, full = stays[0.25] - stays[0.0], stays[1.0] - stays[0.0]
    assert 0 < quarter < full
    # each main result's worth of evidence adds v / c months: 12 here; a quarter adds 3
    assert abs(quarter - full / 4) <= 1


def test_the_belief_about_results_moves_with_evidence_in_proportion_to_its_size():
    prior, patience = np.array([0.1]), np.array([12.0])
    at_once = beliefs.posterior_rate(prior, patience, np.array([0.0]), np.array([0.0]))[0]
    assert at_once == pytest.approx(0.1)  # no evidence yet: the prior
    full = beliefs.posterior_rate(prior, patience, np.array([6.0]), np.array([1.0]))[0]
    quarters = beliefs.posterior_rate(prior, patience, np.array([6.0]), np.array([4 * 0.25]))[0]
    assert full == quarters == pytest.approx((1.2 + 1.0) / 18.0)
    waiting = beliefs.posterior_rate(prior, patience, np.array([6.0, 12.0]), np.zeros(2))
    assert waiting[0] > waiting[1]  # every month without a result is evidence too
    assert beliefs.worth_it(np.array([0.1]), np.array([10.0]), np.array([1.0]))[0]
    assert not beliefs.worth_it(np.array([0.099]), np.array([10.0]), np.array([1.0]))[0]


def test_without_learning_members_keep_the_expectation_they_joined_with():
    world, part, cost = _waiting_world(mechanism_learning=False)
    assert world.leavers(part, month=part.formed_month + 500, cost_eur=cost) == []
    idx = np.array(part.members)
    sizes = np.array([part.size])
    trust = np.array(world.trust.mean_toward_each_other(part.members))
    kept = still_worth_it([part], idx, sizes, 500, trust, world.population, world.p, [cost])
    assert kept.all()
    assert not still_worth_it(
        [part], idx, sizes, 500, trust, world.population, world.p, [2 * cost]
    ).any()  # ...but still weigh it against what they pay


def _found(m: ClusterModel, members: list[int]) -> Partnership:
    return m.found(invitations(members, m.p, m.population, m.policy))


def _decide(m: ClusterModel, unable_to_pay: set[tuple[int, int]] = frozenset()) -> None:
    """This month's membership decisions, when membership costs nothing this month."""
    m.decide_memberships([0.0] * len(m.active_partnerships), set(unable_to_pay))


def test_a_partnership_with_fewer_than_two_members_dissolves_with_its_cause():
    m = ClusterModel(seed=5, **{**SMALL, "shock_rate": 0.0, "capacity_pull_rate": 0.0})
    m.step()
    part = _found(m, [0, 1])
    m.trust.set(0, 1, 0.0)  # member 0 no longer trusts member 1
    _decide(m)
    assert not part.active
    assert part.cause == Cause.TRUST
    assert part.members == []
    assert part.id not in m.partnerships_of(0)
    table = m.membership_table()
    rows = table[table.partnership == part.id].set_index("organisation")
    assert rows.loc[0, "reason"] == "trust_collapsed"
    assert rows.loc[1, "reason"] == "partnership_dissolved"


def test_the_most_inclined_member_leads_if_inclined_enough():
    leadership = np.array([0.2, 0.9, 0.6])
    assert choose_leader([0, 1, 2], leadership, 0.5) == 1
    assert choose_leader([0, 2], leadership, 0.5) == 2
    assert choose_leader([0, 2], leadership, 0.7) is None


def _lose_the_leader(successor_leadership: float, **overrides) -> Partnership:
    """A three-member partnership whose leader (10) cannot pay its share and leaves;
    member 11 has `successor_leadership`, member 12 cannot lead."""
    m = ClusterModel(
        seed=5,
        **{
            **SMALL,
            "shock_rate": 0.0,
            "capacity_pull_rate": 0.0,
            "leader_threshold": 0.5,
            **overrides,
        },
    )
    m.step()
    m.population.leadership[[10, 11, 12]] = [1.0, successor_leadership, 0.1]
    part = _found(m, [10, 11, 12])
    assert part.leader == 10
    m.manage()  # a manager, if there is one, picks the partnerships it serves
    _decide(m, unable_to_pay={(part.id, 10)})
    assert 10 not in part.members
    return part


def test_when_the_champion_leaves_another_capable_member_takes_over():
    part = _lose_the_leader(0.9)
    assert part.active and part.leader == 11 and part.members == [11, 12]


def test_losing_the_champion_ends_a_partnership_nobody_else_can_lead():
    part = _lose_the_leader(0.1)
    assert not part.active
    assert part.cause == Cause.FUNDS  # the champion's reason, although two members remain
    assert part.size_at_end == 2


def test_a_partnership_a_manager_serves_survives_losing_its_champion():
    part = _lose_the_leader(0.1, cluster_manager_hours=800.0)
    assert part.served
    assert part.active and part.leader is None and part.members == [11, 12]


def test_without_the_leadership_mechanism_no_partnership_ends_with_its_leader():
    part = _lose_the_leader(0.1, mechanism_leadership=False)
    assert part.active and part.leader is None


def test_subsidy_stops_after_its_budget():
    subsidy = StartSubsidy(0.5, 36, 1000.0, 3, 0.0, 0.0, 75.0)
    paid = [subsidy.pay(400.0) for _ in range(5)]
    assert paid == [400.0, 400.0, 200.0, 0.0, 0.0]
    assert not subsidy.open
    assert not subsidy.eligible(10)


def test_subsidy_stops_after_its_months():
    months = 6
    m = ClusterModel(
        seed=2,
        **{
            **SMALL,
            "subsidy_share": 0.5,
            "subsidy_months": months,
            "subsidy_min_firms": 2,
            "months": 40,
        },
    )
    paid_in: dict[int, list[int]] = {}
    before: dict[int, float] = {}
    while m.running:
        m.step()
        for part in m.partnerships.values():
            if part.subsidy_eur > before.get(part.id, 0.0):
                paid_in.setdefault(part.id, []).append(m.month)
            before[part.id] = part.subsidy_eur
    assert paid_in, "some partnership should have been subsidised"
    for pid, months_paid in paid_in.items():
        # formed at the month's end, it claims from the next month, for `months` at most
        formed = m.partnerships[pid].formed_month
        assert all(formed < month <= formed + months for month in months_paid)
    assert any(len(months_paid) == months for months_paid in paid_in.values())


def test_subsidy_requires_enough_firms():
    assert not StartSubsidy(0.5, 36, 1e6, 3, 0, 0, 75).eligible(2)
    assert StartSubsidy(0.5, 36, 1e6, 3, 0, 0, 75).eligible(3)
    assert not StartSubsidy(0.0, 36, 1e6, 3, 0, 0, 75).eligible(5)  # share 0: switched off


@given(st.integers(0, 20), st.integers(1, 60))
def test_participant_cap_limits_every_planned_size(cap, planned):
    limited = ParticipantCap(cap).limit(planned)
    assert limited <= planned
    if cap:
        assert limited <= cap


def test_participant_cap_is_never_exceeded_in_a_run():
    m = run_model(months=48, participant_cap=3, target_size_mean=8.0)
    table = m.partnership_table()
    assert len(table) > 0
    assert table["size_at_formation"].max() <= 3


def test_each_partnership_plans_its_quick_win_for_a_month_in_the_window():
    m = ClusterModel(
        seed=4,
        **{
            **SMALL,
            "quick_win": True,
            "quick_win_earliest_months": 6,
            "quick_win_latest_months": 12,
            "months": 60,
        },
    )
    seen_due = {}
    while m.running:
        m.step()
        for part in m.active_partnerships:
            if part.milestones_reached == 0 and part.id not in seen_due:
                assert part.milestone.quick_win
                seen_due[part.id] = part.due_month - part.formed_month
    assert seen_due and set(seen_due.values()) <= set(range(6, 13))
    assert len(set(seen_due.values())) > 1  # a window, not one due month
    reached = m.partnership_table().query("quick_win_reached")
    assert len(reached) > 0
    assert (reached["quick_win_month"] > reached["formed"]).all()


def test_a_window_of_one_month_is_one_due_month():
    plan = Policy.from_parameters(
        Parameters(quick_win=True, quick_win_earliest_months=8, quick_win_latest_months=8)
    ).milestones
    rng = np.random.default_rng(0)
    assert {plan.first(rng).planned_months for _ in range(20)} == {8}
    assert plan.first(rng).work == plan.quick_wins[0].work
    plain = Policy.from_parameters(Parameters()).milestones
    assert plain.first(rng) == plain.main  # no quick win: the main milestone, as planned


def test_a_missed_milestone_cuts_trust():
    world = World.of(base_progress=0.0)
    part = world.partnership([0, 1])
    before = world.trust.get(0, 1)
    month = part.due_month
    assert world.work([part], month) == [(part, None)]
    assert world.trust.get(0, 1) < before
    assert part.due_month > month  # renegotiated


def test_reaching_a_milestone_builds_trust_and_experience():
    world = World.of()
    part = world.partnership([0, 1])
    part.progress = part.milestone.work  # any more work reaches it
    before = world.trust.get(0, 1)
    cash = world.population.cash_eur[[0, 1]].copy()
    [(worked, reached)] = world.work([part], month=1)
    assert worked is part and reached is not None and not reached.quick_win
    assert part.milestones_reached == 1 and part.last_result_month == 1
    assert world.trust.get(0, 1) > before
    assert world.population.experience[[0, 1]].tolist() == [1, 1]
    assert (world.population.cash_eur[[0, 1]] >= cash).all()


def test_a_quick_win_leads_on_to_the_main_milestone():
    world = World.of(quick_win=True, quick_win_earliest_months=8, quick_win_latest_months=8)
    part = world.partnership([0, 1])
    assert part.milestone.quick_win and part.due_month == 8
    part.progress = part.milestone.work
    [(_, reached)] = world.work([part], month=2)
    assert reached.quick_win and part.quick_win_month == 2
    assert not part.milestone.quick_win
    assert part.due_month == 2 + world.p.milestone_months
    assert world.population.experience[[0, 1]].tolist() == [0, 0]  # not yet a project done


def test_same_regime_preference_fades_with_experience(small_model):
    m = small_model
    sme, institution = 0, len(m.population) - 1
    novice = m.scorer.regime_factor(m.population, sme, np.array([institution]))[0]
    m.population.experience[sme] = 10
    veteran = m.scorer.regime_factor(m.population, sme, np.array([institution]))[0]
    assert novice < veteran <= 1.0
    assert m.scorer.regime_factor(m.population, sme, np.array([1]))[0] == 1.0


def test_partners_meet_their_partners_partners():
    aware = Awareness([np.array([], dtype=np.int64) for _ in range(5)])
    aware.record_partnership([0, 1])
    aware.record_partnership([1, 2])
    assert 0 in aware.known(2)  # 0 was 1's partner
    assert aware.have_worked_together([0, 1, 4])
    assert not aware.have_worked_together([0, 2])


def test_matchmaking_introduces_beyond_the_neighbourhood():
    base = run_model(months=24, seed=7)
    matched = run_model(months=24, seed=7, matchmaking=True)
    known = lambda m: sum(len(m.awareness.known(i)) for i in range(len(m.population)))  # noqa: E731
    assert known(matched) > known(base)


def test_scores_are_normalised_by_the_weights():
    score = PartnerScore.from_parameters(Parameters())
    ones = np.ones((1, len(FACTORS)))
    assert score.scores(ones, np.ones(1))[0] == pytest.approx(1.0)


# --- results are evidence: trust moves with what a result reveals ---------------------


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_result_in_quarters_moves_trust_as_much_as_one_whole_result(start, gain, loss):
    quarters, whole = TrustNetwork(), TrustNetwork()
    for net in (quarters, whole):
        net.set(0, 1, start)
    for _ in range(4):
        quarters.reinforce(0, 1, revealed(gain, 0.25))
    whole.reinforce(0, 1, revealed(gain, 1.0))
    assert quarters.get(0, 1) == pytest.approx(whole.get(0, 1), abs=1e-12)
    for _ in range(4):
        quarters.disappoint(0, 1, revealed(loss, 0.25))
    whole.disappoint(0, 1, loss)
    assert quarters.get(0, 1) == pytest.approx(whole.get(0, 1), abs=1e-12)


def test_a_smaller_result_reveals_less():
    shares = [0.0, 0.1, 0.25, 0.5, 1.0]
    changes = [revealed(0.15, share) for share in shares]
    assert changes[0] == 0.0 and changes[-1] == 0.15
    assert all(a < b for a, b in itertools.pairwise(changes))


def _first_result(quick_win: bool) -> tuple[float, float]:
    """Trust between two members before and after their first result."""
    world = World.of(quick_win=quick_win)
    part = world.partnership([0, 1])
    assert part.milestone.quick_win == quick_win
    part.progress = part.milestone.work  # any more work reaches it
    before = world.trust.get(0, 1)
    [(_, reached)] = world.work([part], month=1)
    assert reached.quick_win == quick_win
    return before, world.trust.get(0, 1)


def test_trust_rises_less_after_a_quick_win_than_after_a_main_milestone():
    before, after_quick_win = _first_result(quick_win=True)
    same, after_main = _first_result(quick_win=False)
    assert before == same
    assert before < after_quick_win < after_main
    p = Parameters()
    share = p.quick_win_work / p.milestone_work
    gap = 1.0 - before
    assert after_quick_win == pytest.approx(before + revealed(p.trust_gain, share) * gap)
    assert after_main == pytest.approx(before + p.trust_gain * gap)


def _missed_first_deadline(quick_win: bool, **overrides) -> tuple[float, float]:
    world = World.of(base_progress=0.0, quick_win=quick_win, **overrides)
    part = world.partnership([0, 1])
    before = world.trust.get(0, 1)
    assert world.work([part], part.due_month) == [(part, None)]
    return before, world.trust.get(0, 1)


def test_a_missed_quick_win_disappoints_less_than_a_missed_main_milestone():
    before, after_quick_win = _missed_first_deadline(quick_win=True)
    _, after_main = _missed_first_deadline(quick_win=False)
    assert after_main < after_quick_win < before


def test_without_the_trust_mechanism_results_and_misses_leave_trust_alone():
    before, after = _missed_first_deadline(quick_win=False, mechanism_trust=False)
    assert after == before


# --- the cluster manager: hours, a rule for whom it serves, a salary ------------------


def _manager(hours: float = 20.0, salary_eur: float = 7_000.0) -> ClusterManager:
    return ClusterManager(
        hours=hours,
        hours_per_partnership=8.0,
        introduction_hours=2.0,
        salary_eur=salary_eur,
        public_share=0.6,
    )


def test_a_manager_serves_no_more_partnerships_than_its_hours_allow_the_neediest_first():
    world = World.of()
    parts = [world.partnership([2 * k, 2 * k + 1], pid=k + 1) for k in range(5)]
    # (has a capable leader, mean trust among its members)
    need = [(True, 0.2), (False, 0.9), (True, 0.1), (False, 0.5), (True, 0.6)]
    manager = _manager(hours=20.0)  # 20 h at 8 h each: two partnerships
    manager.choose(parts, need)
    assert [part.served for part in parts] == [False, True, False, True, False]  # leaderless
    need[3] = (True, 0.05)  # partnership 4 found a leader, but its trust is lowest
    manager.choose(parts, need)
    assert [part.served for part in parts] == [False, True, False, True, False]
    need[1] = (True, 0.9)  # now all are led: the lowest trust first
    manager.choose(parts, need)
    assert [part.served for part in parts] == [False, False, True, True, False]
    assert [part.served_months for part in parts] == [0, 2, 1, 3, 0]
    assert _manager(hours=7.9).spare_hours(0) == 7.9
    _manager(hours=7.9).choose(parts, need)
    assert not any(part.served for part in parts)  # too few hours for anyone
    assert manager.spare_hours(2) == 4.0  # two introductions' worth


def test_a_manager_breaks_ties_in_favour_of_older_partnerships():
    world = World.of()
    parts = [world.partnership([2 * k, 2 * k + 1], pid=k + 1) for k in range(3)]
    _manager(hours=16.0).choose(parts, [(False, 0.3)] * 3)
    assert [part.served for part in parts] == [True, True, False]


def test_a_managers_salary_is_charged_to_the_programme_and_the_members_it_serves():
    world = World.of(cluster_manager_hours=14.0, cluster_manager_salary_eur=7_000.0)
    policy = world.policy
    served = world.partnership([0, 1, 2], pid=1)
    alone = world.partnership([3, 4], pid=2)
    served.served = True
    unmanaged = Policy.from_parameters(Parameters())
    plain = member_costs_eur([served, alone], world.p, unmanaged, 1).paid_eur
    costs = member_costs_eur([served, alone], world.p, policy, 1).paid_eur
    monthly = 7_000.0 * 14.0 / 140.0  # prorated to its hours
    assert policy.manager.cost_eur == pytest.approx(monthly)
    assert policy.manager.public_spent_eur == pytest.approx(0.6 * monthly)
    assert policy.spent_eur == pytest.approx(0.6 * monthly)
    assert costs[0] - plain[0] == pytest.approx(0.4 * monthly / 3)  # the members' fee
    assert costs[1] == plain[1]  # not served, no fee
    member_costs_eur([served, alone], world.p, policy, 2)
    assert policy.manager.public_spent_eur == pytest.approx(2 * 0.6 * monthly)


def test_in_a_run_the_manager_serves_within_its_hours_and_its_cost_adds_up():
    hours, months = 20.0, 36
    m = ClusterModel(seed=3, **{**SMALL, "cluster_manager_hours": hours, "months": months})
    served = []
    while m.running:
        m.step()
        served.append(sum(part.served for part in m.active_partnerships))
    assert max(served) == 2 and min(served) >= 0  # 20 h at 8 h each
    monthly = m.p.cluster_manager_salary_eur * hours / 140.0
    series = m.series()
    assert series["manager_spent_eur"].iloc[-1] == pytest.approx(
        months * m.p.cluster_manager_public_share * monthly
    )
    table = m.partnership_table()
    assert table["managed_months"].sum() == sum(
        part.served_months for part in m.partnerships.values()
    )


def test_a_managers_spare_hours_go_to_introductions():
    aware = Awareness([np.array([], dtype=np.int64) for _ in range(10)])
    manager = _manager(hours=20.0)
    made = manager.introduce(np.arange(10), 2, aware, True, np.random.default_rng(1))
    assert 0 < made <= 2  # 4 spare hours at 2 h each, less any pair of one organisation
    assert sum(len(aware.known(i)) for i in range(10)) == 2 * made
    forgetful = Awareness([np.array([], dtype=np.int64) for _ in range(10)])
    manager.introduce(np.arange(10), 2, forgetful, False, np.random.default_rng(1))
    assert sum(len(forgetful.known(i)) for i in range(10)) == 0  # mechanism_awareness off
    assert manager.introduce(np.arange(10), 3, aware, True, np.random.default_rng(1)) == 0


def test_a_manager_coordinates_a_served_partnership_no_better_than_its_own_leadership():
    from clustersim.partnership import coordinating

    p = Parameters(cluster_manager_leadership=0.6)
    led = np.array([0.0, 0.9, 0.3])
    assert coordinating(led, [True, True, False], p).tolist() == [0.6, 0.9, 0.3]
    off = Parameters(cluster_manager_leadership=0.6, mechanism_manager=False)
    assert coordinating(led, [True, True, False], off).tolist() == led.tolist()


def test_a_manager_mediates_a_missed_deadline():
    world = World.of(base_progress=0.0)
    part = world.partnership([0, 1])
    part.served = True
    before = world.trust.get(0, 1)
    assert world.work([part], part.due_month) == [(part, None)]
    assert world.trust.get(0, 1) == before


def test_members_judge_staying_by_what_they_pay_unless_the_price_mechanism_is_off():
    for price in (True, False):
        world = World.of(subsidy_share=0.5, subsidy_min_firms=2, mechanism_price=price)
        p, subsidy = world.p, world.policy.subsidy
        part = world.partnership([0, 1])
        costs = member_costs_eur([part], p, world.policy, 1)
        reporting = subsidy.admin_cost_eur(1) - subsidy.admin_cost_eur(0)
        assert costs.paid_eur == [pytest.approx(0.5 * p.preparation_cost_eur + reporting)]
        judged = costs.paid_eur if price else [p.preparation_cost_eur]
        assert costs.judged_eur == judged
