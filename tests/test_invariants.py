"""Whole-model invariants that must hold after every step, whatever the parameters."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustersim import ClusterModel
from clustersim.partnership import DISSOLUTION_CAUSES

from .conftest import SMALL

scenario = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**31 - 1),
        "n_smes": st.integers(10, 70),
        "n_knowledge_institutions": st.integers(0, 4),
        "n_governments": st.integers(0, 3),
        "subsidy_share": st.sampled_from([0.0, 0.5, 1.0]),
        "subsidy_budget_eur": st.floats(0, 200_000),
        "subsidy_months": st.integers(0, 24),
        "participant_cap": st.sampled_from([0, 2, 3, 5]),
        "quick_win": st.booleans(),
        "matchmaking": st.booleans(),
        "cluster_manager_hours": st.sampled_from([0.0, 8.0, 20.0, 60.0]),
        "cluster_manager_salary_eur": st.floats(0.0, 20_000.0),
        "quick_win_steps": st.integers(1, 3),
        "application_hours": st.floats(0.0, 80.0),
        "reporting_hours": st.floats(0.0, 10.0),
        "initiation_rate": st.floats(0.0, 0.2),
        "target_size_mean": st.floats(2.0, 9.0),
        "shock_rate": st.floats(0.0, 0.05),
        "trust_loss": st.floats(0.0, 1.0),
        "trust_gain": st.floats(0.0, 1.0),
    }
)


def check_invariants(m: ClusterModel) -> None:
    pop, p = m.population, m.p
    active = m.active_partnerships
    # the roster's indexes agree with the partnerships' members, and nobody joins more
    # partnerships than its hours allow (reporting hours too: see the test below)
    in_active = Counter(member for part in active for member in part.members)
    assert pop.memberships.tolist() == [in_active.get(i, 0) for i in range(len(pop))]
    assert (pop.hours_used <= pop.capacity_hours + 1e-9).all()
    assert m.statistics["members"] == sum(part.size for part in active)
    assert m.statistics["active_partnerships"] == len(active)
    for part in active:
        assert part.size >= 2
        assert len(set(part.members)) == part.size
        assert part.leader is None or part.leader in part.members
        if p.participant_cap:
            assert part.size_at_formation <= p.participant_cap
        for member in part.members:
            assert part.id in m.partnerships_of(member)
    for part in m.partnerships.values():
        if not part.active:
            assert part.members == [] and part.cause in DISSOLUTION_CAUSES
    # trust in [0, 1]
    values = m.trust.values()
    assert ((values >= 0) & (values <= 1)).all()
    # public money within budget, and spending by lever adds up to the programme's
    stats, policy = m.statistics, m.policy
    assert policy.subsidy.spent_eur <= p.subsidy_budget_eur + 1e-6
    assert stats["subsidy_spent_eur"] <= p.subsidy_budget_eur + 1e-6
    by_lever = (
        stats["subsidy_spent_eur"] + stats["matchmaking_spent_eur"] + stats["manager_spent_eur"]
    )
    assert stats["policy_spent_eur"] == pytest.approx(by_lever, rel=1e-12, abs=1e-9)
    assert stats["policy_spent_eur"] == pytest.approx(policy.spent_eur, rel=1e-12, abs=1e-9)
    assert stats["subsidy_spent_eur"] == pytest.approx(
        sum(part.subsidy_eur for part in m.partnerships.values()), rel=1e-9, abs=1e-6
    )
    # a manager serves no more partnerships than its hours allow
    slots = int(p.cluster_manager_hours // p.cluster_manager_hours_per_partnership)
    assert sum(part.served for part in active) <= slots
    # reporting hours only for partnerships that claim this month
    assert (pop.admin_hours >= 0).all()


def check_tables_agree(m: ClusterModel) -> None:
    series, parts = m.series(), m.partnership_table()
    members = m.membership_table()
    assert series["formed"].sum() == len(parts)
    assert series["dissolved"].sum() == parts["dissolved"].sum()
    for cause in DISSOLUTION_CAUSES:
        assert series[f"dissolved_{cause}"].sum() == (parts["cause"] == str(cause)).sum()
    assert series["active_partnerships"].iloc[-1] == (~parts["dissolved"]).sum()
    # nobody belongs to a partnership they left
    left = members.dropna(subset=["left"])
    for pid, org in zip(left["partnership"], left["organisation"], strict=True):
        assert org not in m.partnerships[pid].members
    still = members[members["left"].isna()]
    for pid, org in zip(still["partnership"], still["organisation"], strict=True):
        assert org in m.partnerships[pid].members
    # every formed tie is a membership, and every partnership's founders are in the tie table
    ties = m.tie_table()
    formed = ties[ties["tie_formed"]]
    joined = set(zip(members["partnership"], members["organisation"], strict=True))
    assert all(
        (pid, c) in joined
        for pid, c in zip(formed["partnership"], formed["candidate"], strict=True)
    )
    # spending by lever adds up every month, and only ever grows
    levers = series[["subsidy_spent_eur", "matchmaking_spent_eur", "manager_spent_eur"]]
    assert np.allclose(series["policy_spent_eur"], levers.sum(axis=1), rtol=1e-12, atol=1e-9)
    assert (series["policy_spent_eur"].diff().dropna() >= -1e-9).all()
    assert (series["subsidy_spent_eur"] <= m.p.subsidy_budget_eur + 1e-6).all()
    durations = parts["duration"]
    assert (durations >= 0).all()
    assert (parts.loc[parts["dissolved"], "ended"] >= parts.loc[parts["dissolved"], "formed"]).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario)
def test_invariants_hold_every_step(params):
    seed = params.pop("seed")
    m = ClusterModel(seed=seed, **{**SMALL, **params, "months": 30})
    check_invariants(m)
    while m.running:
        m.step()
        check_invariants(m)
    check_tables_agree(m)


def test_invariants_hold_over_a_long_default_run():
    m = ClusterModel(seed=11, months=120)
    while m.running:
        m.step()
        check_invariants(m)
    check_tables_agree(m)
    parts = m.partnership_table()
    assert parts["dissolved"].any() and (~parts["dissolved"]).any()
    assert parts["cause"].dropna().nunique() >= 2  # more than one way to fail


def test_reporting_hours_never_overbook_an_organisation():
    m = ClusterModel(
        seed=0,
        **{
            **SMALL,
            "n_smes": 15,
            "n_knowledge_institutions": 0,
            "n_governments": 0,
            "subsidy_share": 0.5,
            "subsidy_budget_eur": 1.0,
            "subsidy_months": 1,
            "application_hours": 0.0,
            "reporting_hours": 2.0,
            "initiation_rate": 0.125,
            "target_size_mean": 3.0,
            "shock_rate": 0.0,
            "months": 30,
        },
    )
    while m.running:
        m.step()
        assert (m.population.hours_used <= m.population.capacity_hours + 1e-9).all()
