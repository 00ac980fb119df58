"""Formation, acceptance, payments and membership as functions, without a model."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim import ClusterModel
from clustersim.acceptance import accepts, expected_cost_eur, reserve_until_result_eur
from clustersim.awareness import Awareness
from clustersim.formation import admitted, invite, planned_size
from clustersim.membership import Roster
from clustersim.organisations import Regime
from clustersim.partner_choice import PartnerScore
from clustersim.partnership import Cause
from clustersim.policy import StartSubsidy, member_costs_eur, pay_costs

from .conftest import SMALL
from .test_mechanisms import World


def _everyone_knows_everyone(n: int) -> Awareness:
    return Awareness([np.delete(np.arange(n), i) for i in range(n)])


def _accepts(world: World, initiator: int, invitees: np.ndarray) -> np.ndarray:
    scorer = PartnerScore.from_parameters(world.p)
    terms = scorer.terms(
        world.population,
        _everyone_knows_everyone(len(world.population)),
        world.trust,
        initiator,
        invitees,
    )
    return accepts(
        initiator,
        invitees,
        terms,
        len(invitees) + 1,
        population=world.population,
        scorer=scorer,
        trust=world.trust,
        policy=world.policy,
        p=world.p,
        rng=world.rng,
    )


def test_a_subsidy_lowers_the_cost_until_the_first_result_but_adds_admin():
    plain = StartSubsidy(0.0, 36, 1e6, 3, 40.0, 2.0, 75.0)
    half = StartSubsidy(0.5, 36, 1e6, 3, 40.0, 2.0, 75.0)
    assert expected_cost_eur(1000.0, plain, firms=3, months=10) == 10_000.0
    admin = (40.0 + 2.0 * 10) * 75.0
    assert expected_cost_eur(1000.0, half, firms=3, months=10) == 5_000.0 + admin
    assert expected_cost_eur(1000.0, half, firms=2, months=10) == 10_000.0  # not eligible


def test_current_partnerships_eat_into_what_an_invitee_can_fund():
    world = World.of()
    pop, invitees = world.population, np.array([0, 1])
    free = reserve_until_result_eur(pop, invitees, 6, 1000.0)
    pop.memberships[1] += 1
    busy = reserve_until_result_eur(pop, invitees, 6, 1000.0)
    assert busy[0] == free[0] and busy[1] == free[1] - 6 * 1000.0


def test_an_invitee_joins_when_the_promise_beats_the_cost_and_it_can_pay():
    invitees = np.array([1, 2, 3])
    rich = World.of(expected_value_eur=1e7, acceptance_noise=0.0)
    rich.population.cash_eur[:] = 1e9
    assert _accepts(rich, 0, invitees).all()
    rich.population.cash_eur[2] = 0.0
    rich.population.income_eur[2] = 0.0
    assert _accepts(rich, 0, invitees).tolist() == [True, False, True]
    unpromising = World.of(expected_value_eur=1.0, acceptance_noise=0.0)
    unpromising.population.cash_eur[:] = 1e9
    assert not _accepts(unpromising, 0, invitees).any()


def test_the_planned_size_respects_the_rules_and_the_cap():
    world = World.of(participant_cap=4, min_firms=3, target_size_mean=9.0)
    sizes = [planned_size(world.p, world.policy, world.rng) for _ in range(200)]
    assert min(sizes) >= 3 and max(sizes) <= 4


def _invite(world: World, initiator: int, partners: set[int]):
    return invite(
        initiator,
        partners,
        population=world.population,
        awareness=_everyone_knows_everyone(len(world.population)),
        trust=world.trust,
        scorer=PartnerScore.from_parameters(world.p),
        policy=world.policy,
        p=world.p,
        rng=world.rng,
    )


def test_an_initiator_invites_the_free_it_knows_but_not_its_partners_nor_more_than_needed():
    world = World.of(target_size_mean=3.0)
    asked = _invite(world, 0, partners={1, 2})
    assert asked is not None and asked.initiator == 0
    assert not {0, 1, 2} & set(asked.invitees.tolist())
    assert asked.members == [0, *asked.invitees[asked.accepted].tolist()]
    world.population.memberships[0] = 100  # no time left
    assert _invite(world, 0, partners=set()) is None


def test_a_call_admits_only_its_mix():
    world = World.of(min_firms=3)
    firms = np.flatnonzero(world.population.regime == Regime.COMMERCIAL)[:3].tolist()
    institution = int(np.flatnonzero(world.population.regime != Regime.COMMERCIAL)[0])
    assert admitted(firms, world.population, world.p, world.policy)
    assert not admitted([*firms[:2], institution], world.population, world.p, world.policy)


def test_the_subsidy_pays_a_share_of_members_costs_until_its_months_are_over():
    world = World.of(subsidy_share=0.5, subsidy_months=2, subsidy_min_firms=2)
    part = world.partnership([0, 1], month=0)
    assert part.subsidised and part.subsidy_until_month == 1
    costs = [member_costs_eur([part], world.p, world.policy.subsidy, m)[0] for m in (0, 1, 2)]
    reporting = world.policy.subsidy.admin_cost_eur(1) - world.policy.subsidy.admin_cost_eur(0)
    assert costs[0] == pytest.approx(0.5 * world.p.preparation_cost_eur + reporting)
    assert costs[2] == world.p.preparation_cost_eur  # its months are over
    assert part.subsidy_eur == pytest.approx(2 * world.p.preparation_cost_eur)
    assert world.policy.subsidy.spent_eur == part.subsidy_eur


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
