"""Robustness experiments: worlds drawn from a posterior by weight, common random numbers
within a world and not across worlds, per-world effects, the share of worlds a policy
beats the reference in, regret, one-line errors and the report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.config import ConfigError
from clustersim.experiment.robustness import (
    draw_effects,
    paired_effects,
    policy_summary,
    regret_summary,
    wilson_interval,
)
from clustersim.experiment.spec import load_experiment, resample

from .processes import clustersim
from .test_experiments import SMALL_CONFIG as SMALL_CONFIG_OF_MONTHS

ROOT = Path(__file__).resolve().parent.parent
SMALL_CONFIG = SMALL_CONFIG_OF_MONTHS.format(months=40)
# A posterior over two parameters; the last particle has weight 0 and must never be drawn.
POSTERIOR = {
    "initiation_rate": [0.03, 0.05, 0.07, 0.09],
    "awareness_radius_km": [2.0, 3.0, 4.0, 5.0],
    "weight": [0.5, 0.3, 0.2, 0.0],
}


def write_posterior(folder: Path, columns: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(POSTERIOR if columns is None else columns).to_parquet(folder / "posterior.parquet")
    return folder


def write_robustness(
    folder: Path,
    draws: int = 3,
    replications: int = 2,
    reference: str = "baseline",
    posterior: str = "abc",
    columns: dict | None = None,
) -> Path:
    """A tiny robustness experiment: baseline, quick_win and `same` (a copy of baseline),
    with the posterior `columns` (default POSTERIOR) in the folder abc beside it."""
    write_posterior(folder / "abc", columns)
    (folder / "small.toml").write_text(SMALL_CONFIG)
    (folder / "small_qw.toml").write_text('base = "small.toml"\n[quick_win]\nquick_win = true\n')
    path = folder / "robust.toml"
    path.write_text(
        f'name = "robust"\nkind = "robustness"\nseed = 11\nreplications = {replications}\n'
        f'reference = "{reference}"\nposterior = "{posterior}"\ndraws = {draws}\n'
        '[scenarios]\nbaseline = "small.toml"\nquick_win = "small_qw.toml"\n'
        'same = "small.toml"\n'
    )
    return path


# ------------------------------------------------------------ hand-made results
def hand_runs() -> pd.DataFrame:
    """Three worlds, two replications, a reference and two policies, numbers chosen by hand."""
    s36 = {
        "baseline": [[0.5, 0.6], [0.4, 0.4], [0.3, 0.5]],
        "a": [[0.6, 0.7], [0.3, 0.4], [0.4, 0.6]],  # +10, -5, +10 points
        "b": [[0.55, 0.6], [0.5, 0.5], [0.2, 0.4]],  # +2.5, +10, -10 points
    }
    survivors = {
        "baseline": [[1, 1], [1, 1], [1, 1]],
        "a": [[3, 3], [0, 0], [1, 2]],  # +2, -1, +0.5
        "b": [[1, 1], [1, 1], [1, 1]],
    }
    rows = []
    for name in s36:
        for point in range(3):
            for rep in range(2):
                rows.append(
                    {
                        "scenario": name,
                        "point": point,
                        "replication": rep,
                        "survival_36": s36[name][point][rep],
                        "survivors": float(survivors[name][point][rep]),
                        "policy_spent_eur": 1000.0 if name == "a" else 0.0,
                        "membership_months_per_organisation": 2.0 + point + rep
                        if name != "b"
                        else 1.0,
                    }
                )
    return pd.DataFrame(rows)


WORLDS = pd.DataFrame({"initiation_rate": [0.03, 0.05, 0.07]})


def test_per_world_effects_are_the_paired_means_against_the_reference():
    effects = paired_effects(hand_runs(), "baseline", WORLDS).set_index(["scenario", "point"])
    assert effects.loc[("a", 0), "delta_s36"] == pytest.approx(10.0)
    assert effects.loc[("a", 1), "delta_s36"] == pytest.approx(-5.0)
    assert effects.loc[("b", 0), "delta_s36"] == pytest.approx(2.5)
    assert effects.loc[("a", 2), "initiation_rate"] == 0.07
    # EUR 1,000 more per run buys 2 more survivors in world 0, 0.5 in world 2; none in world 1
    assert effects.loc[("a", 0), "eur_per_additional_survivor"] == pytest.approx(500.0)
    assert effects.loc[("a", 2), "eur_per_additional_survivor"] == pytest.approx(2000.0)
    assert math.isnan(effects.loc[("a", 1), "eur_per_additional_survivor"])
    assert effects.loc[("b", 1), "delta_collaboration_months"] == pytest.approx(1.0 - 3.5)
    assert list(effects["helps"]) == [True, False, True, True, True, False]


def test_regret_is_the_best_choice_minus_this_one_in_each_world():
    effects = paired_effects(hand_runs(), "baseline", WORLDS).set_index(["scenario", "point"])
    # the best in every world gains 10 points: a in 0 and 2, b in 1
    assert list(effects.loc["a", "regret_s36"]) == pytest.approx([0.0, 15.0, 0.0])
    assert list(effects.loc["b", "regret_s36"]) == pytest.approx([7.5, 0.0, 20.0])
    regret = regret_summary(effects.reset_index(), "baseline").set_index("scenario")
    assert list(regret.index) == ["baseline", "a", "b"]
    assert regret.loc["baseline", "regret_mean"] == pytest.approx(10.0)
    assert regret.loc["a", ["regret_mean", "regret_max"]].tolist() == pytest.approx([5.0, 15.0])
    assert regret.loc["b", "regret_mean"] == pytest.approx(27.5 / 3)
    assert regret["best"].tolist() == pytest.approx([0.0, 2 / 3, 1 / 3])


def test_the_share_of_worlds_carries_the_wilson_interval():
    summary = policy_summary(paired_effects(hand_runs(), "baseline", WORLDS))
    a = summary.set_index("scenario").loc["a"]
    z = 1.959963984540054
    p, n = 2 / 3, 3
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (a["helps"], a["worlds"]) == (2, 3)
    assert a[["share_helps", "share_low", "share_high"]].tolist() == pytest.approx(
        [p, centre - half, centre + half]
    )
    assert a[["delta_s36_median", "regret_mean", "regret_max"]].tolist() == pytest.approx(
        [10.0, 5.0, 15.0]
    )
    assert wilson_interval(0, 10)[1] == 0.0 and wilson_interval(0, 10)[2] > 0.2
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


# ------------------------------------------------------------------- the design
def test_worlds_are_drawn_by_weight_deterministically(tmp_path):
    weights = np.array(POSTERIOR["weight"])
    drawn = resample(weights, 10_000, seed=3)
    assert 3 not in drawn  # weight 0: never a world
    assert np.array_equal(drawn, resample(weights, 10_000, seed=3))
    assert not np.array_equal(drawn, resample(weights, 10_000, seed=4))
    shares = np.bincount(drawn, minlength=4) / len(drawn)
    assert shares[:3] == pytest.approx(weights[:3], abs=0.02)
    first = load_experiment(write_robustness(tmp_path, draws=20))
    again = load_experiment(tmp_path / "robust.toml")
    assert first.design.worlds == again.design.worlds and first.sha256 == again.sha256
    assert 3 not in first.design.particles


def test_the_hash_changes_with_the_posterior_and_the_draws(tmp_path):
    path = write_robustness(tmp_path, draws=5)
    before = load_experiment(path).sha256
    write_robustness(tmp_path, draws=6)
    assert load_experiment(path).sha256 != before
    write_robustness(tmp_path, draws=5)
    assert load_experiment(path).sha256 == before
    write_posterior(tmp_path / "abc", {**POSTERIOR, "awareness_radius_km": [2.0, 3.0, 4.5, 5.0]})
    assert load_experiment(path).sha256 != before


def test_replication_r_of_a_world_has_one_seed_in_every_scenario_and_worlds_differ(tmp_path):
    experiment = load_experiment(write_robustness(tmp_path, draws=4, replications=3))
    runs = experiment.runs()
    assert len(runs) == 3 * 4 * 3 and len({r.run_id for r in runs}) == len(runs)
    seeds = pd.DataFrame([r.__dict__ for r in runs])
    per_run = seeds.groupby(["point", "replication"])["seed"].nunique()
    assert (per_run == 1).all()  # common random numbers within a world
    assert seeds.groupby("point")["seed"].apply(frozenset).nunique() == 4  # new seeds per world
    assert seeds[["point", "replication"]].drop_duplicates().shape[0] == seeds["seed"].nunique()
    for run in runs:  # each world's values replace the scenario's own
        values = experiment.design.worlds[run.point]
        world = dict(zip(experiment.design.parameters, values, strict=True))
        assert {k: run.parameters[k] for k in world} == world


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"posterior": "nowhere"}, "no posterior.parquet"),
        ({"draws": 0}, "draws"),
        ({"reference": "nothing"}, "reference 'nothing' is not one of the scenarios"),
        ({"columns": {**POSTERIOR, "initiation_rat": [0.1] * 4}}, "'initiation_rat' is not a"),
        ({"columns": {**POSTERIOR, "initiation_rate": [0.1, 7, 0.1, 0.1]}}, "particle 1:"),
        ({"columns": {"initiation_rate": [0.1]}}, "no weight column"),
        ({"columns": {**POSTERIOR, "weight": [0.0] * 4}}, "every weight is 0"),
    ],
)
def test_a_bad_robustness_file_is_one_line_naming_the_problem(tmp_path, change, words):
    path = write_robustness(tmp_path, **change)
    with pytest.raises(ConfigError) as error:
        load_experiment(path)
    message = str(error.value)
    assert "\n" not in message and words in message and str(path) in message


def test_an_unreadable_posterior_is_one_line(tmp_path):
    path = write_robustness(tmp_path)
    (tmp_path / "abc" / "posterior.parquet").write_text("not parquet")
    with pytest.raises(ConfigError) as error:
        load_experiment(path)
    assert "\n" not in str(error.value) and "posterior.parquet: cannot be read" in str(error.value)


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A tiny robustness experiment run by the command line, as a user runs it."""
    folder = tmp_path_factory.mktemp("robust")
    path = write_robustness(folder, draws=3, replications=2)
    out = folder / "results"
    result = clustersim("robustness", str(path), "--out", str(out), "--serial", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "worlds where it beats baseline" in result.stdout
    return out


def test_a_scenario_identical_to_the_reference_has_no_effect_in_any_world(finished):
    effects = draw_effects(finished)
    same = effects[effects["scenario"] == "same"]
    assert list(same["point"]) == [0, 1, 2]
    assert same["delta_s36"].notna().any()  # S(36) was measured, so 0 is a finding
    assert (same["delta_s36"].dropna() == 0).all()
    assert (same["delta_collaboration_months"] == 0).all() and not same["helps"].any()
    assert (effects["regret_s36"].dropna() >= 0).all()
    assert set(effects.columns) >= {"initiation_rate", "awareness_radius_km", "delta_survivors"}


def test_the_report_says_what_a_world_is_and_has_every_section(finished):
    result = clustersim("report", str(finished))
    assert result.returncode == 0, result.stderr
    report = (finished / "report" / "report.md").read_text()
    for heading in (
        "## Robustness across plausible worlds",
        "### Effect on partnership survival, world by world",
        "### Collaboration and cost across worlds",
        "### Regret: what each choice forgoes",
        "### The worlds",
    ):
        assert heading in report
    assert "A **world** is one draw from that posterior" in report
    assert "3 worlds" in report and "2 replications" in report
    for figure in ("robustness_s36.png", "robustness_share.png", "robustness_regret.png"):
        assert (finished / "report" / figure).stat().st_size > 0


def test_a_bad_robustness_file_ends_the_command_in_one_line(tmp_path):
    path = write_robustness(tmp_path, posterior="nowhere")
    result = clustersim("robustness", str(path), "--serial")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "no posterior.parquet" in lines[0]
