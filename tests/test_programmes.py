"""Programme presets (configs/programmes/): each loads, runs, and keeps its defining rule.

The presets replay settings described in the sources (001-004); these tests state
the rule each one encodes, checked in a run rather than only in its parameters.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim import ClusterModel
from clustersim.config import load_config
from clustersim.dashboard.frames import scenario_frame
from clustersim.dashboard.models import ScenarioModel
from clustersim.dashboard.presets import load_presets
from clustersim.dashboard.region_map import map_datasets, map_spec
from clustersim.dashboard.scenario import Scenario
from clustersim.experiment.spec import load_experiment
from clustersim.organisations import Government
from clustersim.parameters import ParameterError, Parameters
from clustersim.partnership import Cause
from clustersim.policy import AdmissionRules, Policy

from .conftest import SMALL, run_model

ROOT = Path(__file__).resolve().parent.parent
PROGRAMMES = ROOT / "configs" / "programmes"
PRESETS = sorted(p.stem for p in PROGRAMMES.glob("*.toml"))


def _preset(name: str, **overrides) -> dict:
    return {**load_config(PROGRAMMES / f"{name}.toml").parameters.as_dict(), **overrides}


def _run(name: str, months: int, seed: int = 3, **overrides) -> ClusterModel:
    model = ClusterModel(seed=seed, **_preset(name, months=months, **overrides))
    while model.running:
        model.step()
    return model


def test_the_programme_presets_are_all_there():
    assert set(PRESETS) >= {
        "klict_call",
        "portnet_path",
        "flemish_networks",
        "european_cluster_org",
        "municipal_ict",
        "horizontal_competitors",
        "vertical_chain",
    }


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_validates_runs_and_forms_partnerships(name):
    model = _run(name, months=24)
    assert model.month == 24
    assert len(model.partnership_table()) > 0


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_opens_with_a_comment_citing_its_source(name):
    header = (PROGRAMMES / f"{name}.toml").read_text().split("\nbase")[0]
    assert header.startswith("# ")
    assert re.search(r"\b00[0-4]\b", header), "the header names no source (000-004)"


def test_no_klict_project_has_fewer_than_three_firms_or_outlasts_its_year():
    model = _run("klict_call", months=48)
    table = model.partnership_table()
    assert (table["n_sme"] >= 3).all()
    assert (table["duration"] <= 12).all()
    completed = table["cause"] == str(Cause.COMPLETED)
    assert completed.any()
    # A project that reached its planned end is censored there, not counted as failed.
    assert not table.loc[completed, "dissolved"].any()
    assert model.series()["dissolved"].sum() == table["dissolved"].sum()


def test_a_klict_project_is_only_subsidised_for_collaborating_firms():
    table = _run("klict_call", months=36).partnership_table()
    assert table["subsidised"].any()
    assert (table.loc[table["subsidised"], "n_sme"] >= 3).all()


def test_flemish_basic_funding_stops_at_36_months():
    """Formed at the end of a month, a partnership works, and is funded, from the next:
    its 36th month of funding is the 36th month after it formed, and none comes after."""
    model = ClusterModel(seed=4, **_preset("flemish_networks", months=60))
    paid: dict[int, float] = {}
    while model.running:
        model.step()
        for part in model.partnerships.values():
            if model.month - part.formed_month > 36:
                assert part.subsidy_eur == paid.get(part.id, 0.0), "paid after 36 months"
            paid[part.id] = part.subsidy_eur
    assert any(p.subsidy_eur > 0 for p in model.partnerships.values())
    assert any(model.month - p.formed_month > 36 for p in model.partnerships.values())


def test_municipal_presets_contain_only_government_agents():
    model = _run("municipal_ict", months=36)
    assert all(isinstance(agent, Government) for agent in model.agents)
    table = model.partnership_table()
    assert len(table) > 0
    assert (table["n_government"] == table["size_at_formation"]).all()


def test_horizontal_and_vertical_presets_differ_only_in_composition():
    horizontal = load_config(PROGRAMMES / "horizontal_competitors.toml").parameters.as_dict()
    vertical = load_config(PROGRAMMES / "vertical_chain.toml").parameters.as_dict()
    differ = {k for k in horizontal if horizontal[k] != vertical[k]}
    assert differ == {"invite_only_competitors", "invite_no_competitors"}


def test_horizontal_partnerships_are_all_competitors_and_vertical_ones_none():
    horizontal = _run("horizontal_competitors", months=36).partnership_table()
    vertical = _run("vertical_chain", months=36).partnership_table()
    pairs = horizontal["size_at_formation"] * (horizontal["size_at_formation"] - 1) // 2
    assert len(horizontal) and (horizontal["competitor_pairs"] == pairs).all()
    assert len(vertical) and (vertical["competitor_pairs"] == 0).all()


def test_portnet_climbs_a_ladder_of_growing_milestones_to_the_large_project():
    p = Parameters(**_preset("portnet_path"))
    plan = Policy.from_parameters(p).milestones
    work = [m.work for m in plan.quick_wins]
    months = [m.planned_months for m in plan.quick_wins]
    assert len(work) == 3 and work[0] == p.quick_win_work
    assert work == sorted(work) and work[-1] < plan.main.work
    assert months == sorted(months) and months[-1] <= plan.main.planned_months
    assert [plan.after(k) for k in range(5)] == [*plan.quick_wins, plan.main, plan.main]


def test_portnet_partnerships_bring_firms_and_government_services_together():
    table = _run("portnet_path", months=48).partnership_table()
    assert len(table) and ((table["n_sme"] > 0) & (table["n_government"] > 0)).all()
    # Small results come first: nobody reaches a main milestone without the quick wins.
    assert (table.loc[table["milestones_reached"] > 0, "quick_win_reached"]).all()


def test_a_single_quick_win_step_is_the_plain_quick_win():
    p = Parameters(quick_win=True)
    plan = Policy.from_parameters(p).milestones
    (only,) = plan.quick_wins
    assert (only.work, only.planned_months) == (p.quick_win_work, p.quick_win_latest_months)
    assert only.value_share == p.quick_win_work / p.milestone_work
    assert plan.window == (p.quick_win_earliest_months, p.quick_win_latest_months)
    rng = np.random.default_rng(1)
    planned = {plan.first(rng).planned_months for _ in range(200)}
    assert planned == set(range(p.quick_win_earliest_months, p.quick_win_latest_months + 1))


# Partnerships each programme's manager serves at 8 hours a month, as its file says.
MANAGED = {"european_cluster_org": 30, "flemish_networks": 35, "klict_call": 40}


@pytest.mark.parametrize(("name", "partnerships"), MANAGED.items())
def test_a_programmes_manager_serves_as_many_partnerships_as_its_hours_allow(name, partnerships):
    p = Parameters(**_preset(name))
    manager = Policy.from_parameters(p).manager
    assert manager.present
    assert int(manager.hours // manager.hours_per_partnership) == partnerships
    assert manager.cost_eur == pytest.approx(
        p.cluster_manager_salary_eur * p.cluster_manager_hours / 140
    )
    assert not Policy.from_parameters(Parameters()).manager.present  # no manager by default


def test_a_programmes_manager_is_paid_every_month_whatever_it_achieves():
    model = _run("klict_call", months=24, **SMALL)
    p = model.p
    monthly = (
        p.cluster_manager_public_share
        * p.cluster_manager_salary_eur
        * p.cluster_manager_hours
        / 140
    )
    spent = model.series()["manager_spent_eur"]
    assert spent.iloc[0] == 0.0
    assert spent.diff().iloc[1:].tolist() == pytest.approx([monthly] * 24)


NEW_LEVERS = {
    "minimum firms": {"min_firms": 3},
    "project duration cap": {"project_months": 12},
    "quick-win ladder": {"quick_win": True, "quick_win_steps": 3},
    "competitors only": {"invite_only_competitors": True},
    "no competitors": {"invite_no_competitors": True},
    "public quota": {"min_public_members": 1},
    "manager hours": {"cluster_manager_hours": 80.0},
    "manager leadership": {"cluster_manager_hours": 40.0, "cluster_manager_leadership": 0.95},
}
LEVER_BASES = {
    "quick-win ladder": {"quick_win": True},
    "manager hours": {"cluster_manager_hours": 16.0},
    "manager leadership": {"cluster_manager_hours": 40.0},
}


# A region with enough partnerships (about 25 in 60 months) that every lever finds some
# to act on: with the calibrated hours, the small test region forms only 7-11.
LEVER_RUN = {"months": 60, "seed": 21, "n_smes": 200}


@pytest.fixture(scope="module")
def plain_run() -> pd.DataFrame:
    """The partnerships of the run with every lever off, the base of most levers below:
    run once for the module, not once per lever."""
    return run_model(**LEVER_RUN).partnership_table()


@pytest.mark.parametrize("lever", NEW_LEVERS)
def test_switching_a_programme_lever_on_changes_the_outcome(lever, plain_run):
    if lever in LEVER_BASES:
        off = run_model(**LEVER_RUN, **LEVER_BASES[lever]).partnership_table()
    else:
        off = plain_run
    on = run_model(**LEVER_RUN, **NEW_LEVERS[lever]).partnership_table()
    assert not off.equals(on)


def test_composition_rules_that_contradict_each_other_are_refused_in_one_line():
    with pytest.raises(ParameterError, match="switch one of them off") as err:
        Parameters(invite_only_competitors=True, invite_no_competitors=True)
    assert "\n" not in str(err.value)
    with pytest.raises(ParameterError, match="min_public_members must be 0"):
        Parameters(invite_only_competitors=True, min_public_members=1)
    with pytest.raises(ParameterError, match="below min_firms"):
        Parameters(min_firms=4, participant_cap=3)


def test_a_public_quota_puts_a_government_member_in_every_partnership():
    table = run_model(months=48, seed=8, min_public_members=1, n_governments=10).partnership_table()
    assert len(table) and (table["n_government"] >= 1).all()


def test_the_dashboard_draws_a_preset_without_firms():
    presets = load_presets(ROOT / "configs")
    model = ScenarioModel(Scenario(presets["programmes/municipal_ict"], seed=2))
    for _ in range(12):
        model.step()
    frame = scenario_frame(model, serial=1)
    assert map_spec(frame.region)  # the map of 60 municipalities and no firm
    data = map_datasets(frame, None)
    assert set(data) == {"links", "members", "chosen"}
    assert len(data["members"]) <= 60


def test_a_call_with_a_minimum_of_firms_plans_partnerships_big_enough():
    table = run_model(months=36, seed=8, min_firms=3).partnership_table()
    assert len(table) and (table["n_sme"] >= 3).all()


def test_the_dashboard_lists_the_programme_presets():
    labels = load_presets(ROOT / "configs").labels
    assert {f"programmes/{name}" for name in PRESETS} <= set(labels)


def test_the_programmes_experiment_compares_every_preset_with_common_seeds():
    experiment = load_experiment(ROOT / "experiments" / "programmes.toml")
    assert set(PRESETS) <= set(experiment.scenarios)
    seeds = {}
    for run in experiment.runs():
        seeds.setdefault(run.replication, set()).add(run.seed)
    assert all(len(s) == 1 for s in seeds.values())


def test_small_overrides_keep_a_preset_runnable():
    # Researchers shrink presets for quick looks; the rules must survive that.
    model = ClusterModel(seed=1, **_preset("klict_call", **SMALL, months=24))
    while model.running:
        model.step()
    assert np.all(model.partnership_table()["n_sme"].to_numpy() >= 3)


def test_a_call_invites_one_firm_per_chain_position_and_government_first():
    keys = np.array([5, 7, 5, -3, 7, -9])  # equal keys compete; institutions are unique
    public = np.array([False, False, False, True, False, True])
    chain = AdmissionRules(0, 0, only_competitors=False, no_competitors=True)
    assert chain.invitation_order(keys, public, 0).tolist() == [0, 1, 3, 5]
    quota = AdmissionRules(0, 1, only_competitors=False, no_competitors=False)
    assert quota.invitation_order(keys, public, 1).tolist() == [3, 0, 1, 2, 4, 5]
    assert quota.invitation_order(keys, public, 0).tolist() == [0, 1, 2, 3, 4, 5]
