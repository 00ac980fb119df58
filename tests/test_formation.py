"""Formation, acceptance, payments and membership as functions, without a model."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim import ClusterModel, acceptance
from clustersim.acceptance import Outlook, monthly_cost_eur, reserve_until_result_eur
from clustersim.awareness import Awareness
from clustersim.formation import Plan, admitted, invite, planned_size
from clustersim.membership import Roster
from clustersim.organisations import Regime
from clustersim.partner_choice import PartnerScore
from clustersim.partnership import Cause
from clustersim.policy import StartSubsidy, member_costs_eur, pay_costs

from .conftest import SMALL
from .test_mechanisms import World


def _everyone_knows_everyone(n: int) -> Awareness:
    return Awareness([np.delete(np.arange(n), i) for i in range(n)])


def test_a_subsidy_lowers_the_monthly_cost_until_the_first_result_but_adds_admin():
    world = World.of(subsidy_share=0.5)
    p, subsidy = world.p, world.policy.subsidy
    assert monthly_cost_eur(p, subsidy, subsidised=False) == p.preparation_cost_eur
    # the unpaid half, a month's reporting and the application spread over the plan
    admin = (p.application_hours / p.milestone_months + p.reporting_hours) * p.hourly_cost_eur
    assert monthly_cost_eur(p, subsidy, subsidised=True) == pytest.approx(
        0.5 * p.preparation_cost_eur + admin
    )
    assert monthly_cost_eur(p, subsidy, subsidised=True) < p.preparation_cost_eur
    # without the price mechanism members decide at the full price
    blind = World.of(subsidy_share=0.5, mechanism_price=False)
    assert monthly_cost_eur(blind.p, blind.policy.subsidy, True) == p.preparation_cost_eur


def test_current_partnerships_eat_into_what_an_invitee_can_fund():
    world = World.of()
    pop, invitees = world.population, np.array([0, 1])
    free = reserve_until_result_eur(pop, invitees, 6, 1000.0)
    pop.memberships[1] += 1
    busy = reserve_until_result_eur(pop, invitees, 6, 1000.0)
    assert busy[0] == free[0] and busy[1] == free[1] - 6 * 1000.0


def _views(n: int, rate: float, value_eur: float) -> Outlook:
    return Outlook(np.full(n, value_eur), np.full(n, 0.6), np.full(n, rate))


def test_an_invitee_joins_when_expected_results_are_worth_the_cost_and_it_can_pay():
    world = World.of()
    pop, p = world.population, world.p
    who = np.array([1, 2, 3])
    pop.cash_eur[:] = 1e9
    pop.capacity_hours[:] = 1e3  # time never binds here
    cost = p.preparation_cost_eur
    worth = _views(3, rate=0.1, value_eur=10 * cost)  # exactly worth it
    assert acceptance.decide(who, worth, cost, 0.0, population=pop, p=p).all()
    short = _views(3, rate=0.1, value_eur=10 * cost * 0.99)
    assert not acceptance.decide(who, short, cost, 0.0, population=pop, p=p).any()
    mixed = Outlook(np.array([1e6, 1.0, 1e6]), np.full(3, 0.6), np.full(3, 0.1))
    assert acceptance.decide(who, mixed, cost, 0.0, population=pop, p=p).tolist() == [
        True,
        False,
        True,
    ]
    pop.cash_eur[2] = 0.0
    pop.income_eur[2] = 0.0  # cannot fund its share until the first result
    assert acceptance.decide(who, worth, cost, 0.0, population=pop, p=p).tolist() == [
        True,
        False,
        True,
    ]


def test_only_members_who_can_pay_the_application_now_may_join_a_subsidised_plan():
    world = World.of()
    pop, p = world.population, world.p
    who = np.array([1, 2])
    pop.capacity_hours[:] = 1e3  # time never binds here
    pop.income_eur[[1, 2]] = 1e6  # either can fund its share from income...
    pop.cash_eur[[1, 2]] = [3_000.0, 2_999.0]  # ...but only 1 has the application's 3,000
    views = _views(2, rate=1.0, value_eur=1e6)
    assert acceptance.decide(who, views, 100.0, 3_000.0, population=pop, p=p).tolist() == [
        True,
        False,
    ]
    assert acceptance.decide(who, views, 100.0, 0.0, population=pop, p=p).all()


def test_an_invitee_joins_only_with_the_hours_a_month_it_takes():
    world = World.of()
    pop, p = world.population, world.p
    who = np.array([1, 2])
    pop.cash_eur[:] = 1e9
    views = _views(2, rate=1.0, value_eur=1e6)
    membership, reporting = p.hours_per_membership, p.reporting_hours
    pop.capacity_hours[[1, 2]] = [membership + reporting, membership]
    decide = acceptance.decide
    assert decide(who, views, 100.0, 0.0, population=pop, p=p).all()  # a membership: both
    subsidised = membership + reporting  # a subsidised plan: its reporting as well
    assert decide(who, views, 100.0, 0.0, population=pop, p=p, hours=subsidised).tolist() == [
        True,
        False,
    ]
    pop.memberships[1] = 1  # already in a partnership: no time for another
    assert not decide(who, views, 100.0, 0.0, population=pop, p=p)[0]


def test_the_application_is_paid_from_reserves_and_never_below_zero():
    subsidy = StartSubsidy(0.5, 36, 1e6, 2, 40.0, 2.0, 75.0)
    cash = np.array([5_000.0, 1_000.0, 9_000.0])
    subsidy.charge_application(cash, [0, 1])
    assert cash.tolist() == [2_000.0, 0.0, 9_000.0]


def test_the_planned_size_respects_the_rules_and_the_cap():
    world = World.of(participant_cap=4, min_firms=3, target_size_mean=9.0)
    sizes = [planned_size(world.p, world.policy, world.rng) for _ in range(200)]
    assert min(sizes) >= 3 and max(sizes) <= 4


def _invite(world: World, initiator: int, partners: set[int], rng=None):
    return invite(
        initiator,
        partners,
        population=world.population,
        awareness=_everyone_knows_everyone(len(world.population)),
        trust=world.trust,
        scorer=PartnerScore.from_parameters(world.p),
        policy=world.policy,
        p=world.p,
        rng=world.rng if rng is None else rng,
    )


def test_an_initiator_invites_the_free_it_knows_but_not_its_partners_nor_more_than_needed():
    world = World.of(target_size_mean=3.0, expected_value_eur=1e7)
    world.population.capacity_hours[:] = 1e3  # the plan is worth it and time binds only
    world.population.cash_eur[:] = 1e9  # where the test says
    asked = _invite(world, 0, partners={1, 2})
    assert asked is not None and asked.initiator == 0
    assert not {0, 1, 2} & set(asked.invitees.tolist())
    assert asked.members == [0, *asked.invitees[asked.accepted].tolist()]
    world.population.memberships[0] = 100  # no time left
    assert _invite(world, 0, partners=set()) is None


def test_an_initiator_invites_nobody_to_a_plan_it_finds_not_worth_its_cost():
    world = World.of(expected_value_eur=1.0)
    world.population.cash_eur[:] = 1e9
    assert all(_invite(world, k, partners=set()) is None for k in range(20))


def _plans_formed(subsidy_share: float, projects: int = 300) -> dict[int, float]:
    """The quality of each planned project that forms a partnership, by project number.

    Project k has its own random numbers, the same with or without a subsidy: the same
    initiator, candidates, noise, latent quality and estimates. Neither money nor hours
    bind, and a main result is worth half the default, so the bar binds for many projects.
    """
    world = World.of(subsidy_share=subsidy_share, subsidy_min_firms=2, expected_value_eur=60_000.0)
    world.population.cash_eur[:] = 1e9
    world.population.capacity_hours[:] = 1e3
    firms = np.flatnonzero(world.population.regime == Regime.COMMERCIAL)
    formed = {}
    for k in range(projects):
        asked = _invite(world, int(firms[k % len(firms)]), set(), np.random.default_rng(k))
        if asked is not None and admitted(asked.members, world.population, world.p, world.policy):
            formed[k] = asked.quality
    return formed


def test_a_subsidy_admits_projects_of_lower_quality_than_no_subsidy_at_the_same_seed():
    """Adverse selection as selection (De Man & Duysters, 003 §2.1): with a lower price,
    projects that members expect less of clear the bar too."""
    plain, subsidised = _plans_formed(0.0), _plans_formed(0.8)
    assert set(plain) <= set(subsidised)  # nothing that pays its way is turned away
    only_subsidised = [subsidised[k] for k in set(subsidised) - set(plain)]
    assert len(only_subsidised) >= 20
    assert np.mean(only_subsidised) < np.mean(list(plain.values()))
    assert np.mean(list(subsidised.values())) < np.mean(list(plain.values()))
    assert min(subsidised.values()) <= min(plain.values())


def test_without_selection_members_cannot_tell_a_good_project_from_a_bad_one():
    formed = {}
    for selection in (True, False):
        world = World.of(mechanism_selection=selection)
        world.population.cash_eur[:] = 1e9
        asked = [_invite(world, k, set(), np.random.default_rng(k)) for k in range(40)]
        formed[selection] = [a.outlook.estimate for a in asked if a is not None]
    assert all((e == world.p.project_quality_median).all() for e in formed[False])
    assert any((e != world.p.project_quality_median).any() for e in formed[True])


def _plan(world: World, applies: bool, cost_eur: float, own_value_eur: float) -> Plan:
    own = Outlook(np.array([own_value_eur]), np.array([0.6]), np.array([0.1]))
    hours = world.p.hours_per_membership + (world.p.reporting_hours if applies else 0.0)
    return Plan(
        initiator=0,
        applies=applies,
        cost_eur=cost_eur,
        application_eur=0.0,
        hours=hours,
        own=own,
        initiator_agrees=True,
    )


def test_eligibility_is_applied_for_on_the_plan_and_granted_on_the_actual_members():
    world = World.of(subsidy_share=0.5, subsidy_min_firms=3)
    pop, p, policy = world.population, world.p, world.policy
    pop.cash_eur[:] = 1e9
    pop.capacity_hours[:] = 1e3  # neither money nor time binds
    firm_a, firm_b = 1, 2
    institution = int(np.flatnonzero(pop.regime != Regime.COMMERCIAL)[0])
    full = monthly_cost_eur(p, policy.subsidy, False)
    cheap = monthly_cost_eur(p, policy.subsidy, True)
    # invitee a finds the project worth the subsidised price only; the institution any price
    views = Outlook(
        np.array([10 * cheap, 10 * cheap, 100 * full]), np.full(3, 0.6), np.full(3, 0.1)
    )
    asked = np.array([firm_a, firm_b, institution])
    plan = _plan(world, applies=True, cost_eur=cheap, own_value_eur=100 * full)
    # as planned: three firms with the initiator; granted
    got, stays = plan.settle(asked, np.array([True, True, False]), views, pop, policy, p)
    assert got and stays.tolist() == [True, True, False]
    # firm b said no: two firms are not eligible, so everyone decides again at full price
    got, stays = plan.settle(asked, np.array([True, False, True]), views, pop, policy, p)
    assert not got and stays.tolist() == [False, False, True]
    # ...and an initiator who finds the full price too much takes everyone out with it
    shy = _plan(world, applies=True, cost_eur=cheap, own_value_eur=10 * cheap)
    got, stays = shy.settle(asked, np.array([True, False, True]), views, pop, policy, p)
    assert not got and not stays.any()
    # a plan that did not apply keeps its members and gets nothing
    plain = _plan(world, applies=False, cost_eur=full, own_value_eur=100 * full)
    got, stays = plain.settle(asked, np.array([True, True, True]), views, pop, policy, p)
    assert not got and stays.all()


def test_the_plan_applies_when_its_planned_members_would_be_eligible():
    world = World.of(subsidy_share=0.5, subsidy_min_firms=3, expected_value_eur=1e7)
    pop, p, policy = world.population, world.p, world.policy
    pop.cash_eur[:] = 1e9
    pop.capacity_hours[:] = 1e3  # neither money nor time binds
    public = np.flatnonzero(pop.regime != Regime.COMMERCIAL)[:2]
    ranked_firms_first = np.array([1, 2, *public])
    ranked_public_first = np.array([*public, 1, 2])
    scores = np.ones(4)

    def plan(ranked):
        return Plan.of(0, ranked, scores, 3, 0.6, pop, policy, p, np.random.default_rng(0))

    firms_first = plan(ranked_firms_first)
    assert firms_first.applies and firms_first.initiator_agrees
    assert firms_first.cost_eur == monthly_cost_eur(p, policy.subsidy, True)
    assert firms_first.application_eur == policy.subsidy.admin_cost_eur(0) > 0
    public_first = plan(ranked_public_first)
    assert not public_first.applies  # the plan is with the institutions: one firm
    assert public_first.cost_eur == p.preparation_cost_eur
    assert public_first.application_eur == 0.0


def test_a_partnership_formed_in_a_month_starts_work_the_next_month():
    m = ClusterModel(seed=3, **{**SMALL, "months": 24, "initiation_rate": 0.1})
    first_month: dict[int, tuple[float, int]] = {}
    while m.running:
        m.step()
        for part in m.active_partnerships:
            if part.formed_month == m.month:
                assert part.progress == 0.0 and part.milestones_reached == 0
                assert part.due_month == m.month + part.milestone.planned_months
            elif part.formed_month == m.month - 1:
                first_month[part.id] = (part.progress, part.milestones_reached)
    worked = [e for e in m.events if e.kind in {"milestone", "quick_win", "missed"}]
    assert all(e.month > m.partnerships[e.partnership].formed_month for e in worked)
    assert first_month and any(
        progress > 0 or reached for progress, reached in first_month.values()
    )


def test_reporting_takes_collaboration_hours_while_a_subsidy_is_claimed():
    m = ClusterModel(
        seed=2, **{**SMALL, "subsidy_share": 0.5, "subsidy_min_firms": 2, "months": 12}
    )
    while m.running:
        m.step()
    claiming = [part for part in m.active_partnerships if part.subsidy_active(m.month)]
    assert claiming
    m.replenish_reserves()  # books this month's reporting hours
    expected = np.zeros(len(m.population))
    for part in claiming:
        expected[part.members] += m.p.reporting_hours
    pop = m.population
    assert pop.admin_hours.tolist() == expected.tolist()
    busy = pop.memberships * pop.hours_per_membership + expected
    assert pop.free_hours().tolist() == pytest.approx((pop.capacity_hours - busy).tolist())


def test_a_call_admits_only_its_mix():
    world = World.of(min_firms=3)
    firms = np.flatnonzero(world.population.regime == Regime.COMMERCIAL)[:3].tolist()
    institution = int(np.flatnonzero(world.population.regime != Regime.COMMERCIAL)[0])
    assert admitted(firms, world.population, world.p, world.policy)
    assert not admitted([*firms[:2], institution], world.population, world.p, world.policy)


def test_the_subsidy_pays_a_share_of_members_costs_until_its_months_are_over():
    world = World.of(subsidy_share=0.5, subsidy_months=2, subsidy_min_firms=2)
    part = world.partnership([0, 1], month=0)
    # formed at the end of month 0, it works, and claims, in months 1 and 2
    assert part.subsidised and part.subsidy_until_month == 2
    costs = [member_costs_eur([part], world.p, world.policy, m).paid_eur[0] for m in (1, 2, 3)]
    reporting = world.policy.subsidy.admin_cost_eur(1) - world.policy.subsidy.admin_cost_eur(0)
    assert costs[0] == pytest.approx(0.5 * world.p.preparation_cost_eur + reporting)
    assert costs[2] == world.p.preparation_cost_eur  # its months are over
    assert part.subsidy_eur == pytest.approx(2 * world.p.preparation_cost_eur)
    assert world.policy.subsidy.spent_eur == part.subsidy_eur


def test_a_partnership_stops_claiming_a_subsidy_that_pays_less_than_its_reporting():
    world = World.of(subsidy_share=0.5, subsidy_months=36, subsidy_min_firms=2)
    p, subsidy = world.p, world.policy.subsidy
    reporting = subsidy.admin_cost_eur(1) - subsidy.admin_cost_eur(0)
    assert 0.5 * p.running_cost_eur < reporting < 0.5 * p.preparation_cost_eur
    part = world.partnership([0, 1], month=0)
    [before] = member_costs_eur([part], p, world.policy, 1).paid_eur
    assert before == pytest.approx(0.5 * p.preparation_cost_eur + reporting)  # worth claiming
    part.main_milestones_reached = 1  # now only running costs, of which half is too little
    spent = subsidy.spent_eur
    [after] = member_costs_eur([part], p, world.policy, 2).paid_eur
    assert after == p.running_cost_eur  # no subsidy, and no reporting either
    assert subsidy.spent_eur == spent
    assert not part.subsidy_active(2) and not part.subsidy_active(3)
    assert part.subsidy_until_month == 1


def test_a_member_without_the_money_does_not_pay_and_is_reported():
    world = World.of()
    first, second = world.partnership([0, 1], pid=1), world.partnership([1, 2], pid=2)
    cash = world.population.cash_eur
    cash[[0, 1, 2]] = [500.0, 600.0, 100.0]
    unable = pay_costs(cash, [first, second], [400.0, 300.0])
    assert unable == {(2, 1), (2, 2)}  # 1 paid the first partnership and has 200 left
    assert cash[[0, 1, 2]].tolist() == [100.0, 200.0, 100.0]


def test_membership_changes_in_one_place_and_hours_follow_it():
    world = World.of(hours_per_membership=10.0)
    pop, roster = world.population, Roster(world.population)
    first, second = world.partnership([0, 1], pid=1), world.partnership([1, 2], pid=2)
    roster.enrol(first, month=0)
    roster.enrol(second, month=1)
    assert pop.memberships[[0, 1, 2]].tolist() == [1, 2, 1]
    assert pop.hours_used[[0, 1, 2]].tolist() == [10.0, 20.0, 10.0]
    assert roster.partnerships_of(1) == [1, 2] and roster.partners_of(1) == {0, 2}
    roster.leave(second, 1, month=3, reason=Cause.TRUST)
    assert second.members == [2]
    assert pop.memberships[1] == 1 and pop.hours_used[1] == 10.0
    assert roster.partnerships_of(1) == [1] and roster.partners_of(1) == {0}
    assert pop.ever_member[[0, 1, 2]].all()
    log = roster.log.table().set_index(["partnership", "organisation"])
    assert log.loc[(2, 1), "left"] == 3 and log.loc[(2, 1), "reason"] == "trust_collapsed"


def test_the_month_is_meshas_step_count():
    m = ClusterModel(seed=1, **{**SMALL, "months": 3})
    assert m.month == m.steps == 0
    m.step()
    m.step()
    assert m.month == m.steps == 2
