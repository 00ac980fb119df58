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

from clustersim import ClusterModel, Parameters
from clustersim.awareness import Awareness
from clustersim.culture import culture_fit
from clustersim.leaving import departures, dissolution_cause
from clustersim.organisations import Population, generate_population
from clustersim.partner_choice import FACTORS, PartnerScore
from clustersim.partnership import (
    Cause,
    Partnership,
    choose_leader,
    new_partnership,
    progress_rate,
    work_month,
)
from clustersim.policy import ParticipantCap, Policy, StartSubsidy
from clustersim.trust import TrustNetwork

from .conftest import SMALL, run_model


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

    def partnership(self, members: list[int], month: int = 0, pid: int = 1) -> Partnership:
        """A partnership of `members` formed in `month`, trusting each other at formation trust."""
        part = new_partnership(
            pid, members, month, self.population, self.p, self.policy, False, self.rng
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

    def leavers(self, part: Partnership, month: int, unable_to_pay=frozenset()) -> list:
        decisions = departures(
            [part],
            month=month,
            population=self.population,
            trust=self.trust,
            p=self.p,
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
    # ...and that prior carries into a new partnership above the formation trust
    m.found([a, c])
    assert m.trust.get(a, c) == pytest.approx(0.8 * 0.72)
    assert m.trust.get(c, a) == m.p.formation_trust < 0.8 * 0.72  # c knows no partner of a


def test_new_partners_start_from_the_most_trust_they_have_reason_for():
    trust = TrustNetwork()
    trust.set(0, 1, 0.9)  # from an earlier partnership
    trust.set(1, 2, 0.5)
    trust.set(0, 2, 0.1)
    trust.set_priors([0, 1, 2], floor=0.3, reputation_weight=1.0)
    assert trust.get(0, 1) == 0.9  # kept
    assert trust.get(0, 2) == pytest.approx(0.45)  # via 1: 0.9 * 0.5, above the floor
    assert trust.get(2, 0) == 0.3  # the floor


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
        manager_boost=0.0,
        subsidised=False,
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
    assert dissolution_cause(part, [Cause.TRUST, Cause.FUNDS], 1, 12) == Cause.FUNDS
    part.members = [0, 1]
    assert dissolution_cause(part, [Cause.FUNDS], 1, 12) is None  # two can go on


def test_a_partnership_without_results_for_too_long_dissolves_as_stalled():
    world = World.of(patience_months=240.0, stall_months=3)
    part = world.partnership([0, 1])
    month = part.formed_month + 4
    assert world.leavers(part, month) == []  # patient members stay...
    assert dissolution_cause(part, [], month, world.p.stall_months) == Cause.STALLED
    assert dissolution_cause(part, [], month - 1, world.p.stall_months) is None


def test_a_partnership_with_fewer_than_two_members_dissolves_with_its_cause():
    m = ClusterModel(seed=5, **{**SMALL, "shock_rate": 0.0, "capacity_pull_rate": 0.0})
    m.step()
    part = m.found([0, 1])
    m.trust.set(0, 1, 0.0)  # member 0 no longer trusts member 1
    m.decide_memberships(set())
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


@pytest.mark.parametrize(("successor_leadership", "takes_over"), [(0.9, True), (0.1, False)])
def test_when_the_leader_leaves_another_member_leads_only_if_able(successor_leadership, takes_over):
    m = ClusterModel(
        seed=5, **{**SMALL, "shock_rate": 0.0, "capacity_pull_rate": 0.0, "leader_threshold": 0.5}
    )
    m.step()
    m.population.leadership[[10, 11, 12]] = [1.0, successor_leadership, 0.1]
    part = m.found([10, 11, 12])
    assert part.leader == 10
    for other in (11, 12):
        m.trust.set(10, other, 0.0)  # the leader loses faith and leaves
    m.decide_memberships(set())
    assert part.active and 10 not in part.members
    assert (part.leader == 11) if takes_over else (part.leader is None)


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
        formed = m.partnerships[pid].formed_month
        assert all(formed <= month < formed + months for month in months_paid)


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


def test_quick_win_milestone_comes_due_in_its_window():
    m = ClusterModel(seed=4, **{**SMALL, "quick_win": True, "quick_win_months": 8, "months": 60})
    seen_due = {}
    while m.running:
        m.step()
        for part in m.active_partnerships:
            if part.milestones_reached == 0 and part.id not in seen_due:
                assert part.milestone.quick_win
                seen_due[part.id] = part.due_month - part.formed_month
    assert seen_due and set(seen_due.values()) == {8}
    reached = m.partnership_table().query("quick_win_reached")
    assert len(reached) > 0
    assert (reached["quick_win_month"] > reached["formed"]).all()


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
    world = World.of(quick_win=True, quick_win_months=8)
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
