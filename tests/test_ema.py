"""EMA Workbench interoperability: EMA drives ClusterModel through a ReplicatorModel with
the same figures as clustersim's own runs of the same seeds, and a results folder exported
for EMA loads with ema_workbench.load_results and feeds EMA's analyses."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clustersim.ema as cema
from clustersim.config import load_config
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import load_experiment
from clustersim.parameters import ParameterError

from .processes import assert_one_line_error, clustersim
from .test_experiments import write_compare

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    import ema_workbench as ema
    from ema_workbench.analysis import feature_scoring


@pytest.fixture(scope="module")
def compare_results(tmp_path_factory) -> Path:
    """A tiny comparison (baseline, quick_win) x 2 replications, run by clustersim."""
    folder = tmp_path_factory.mktemp("cmp")
    path = write_compare(folder, replications=2, months=24)
    with Engine.serial() as engine:
        assert not run_experiment(
            load_experiment(path), folder / "out", engine, progress=False
        ).failed
    return folder / "out"


def ema_model(small: Path, seeds: list[int]) -> ema.ReplicatorModel:
    """clustersim's `small.toml` in EMA: initiation_rate uncertain, quick_win a lever."""
    model = ema.ReplicatorModel("cluster", function=cema.cluster_model)
    model.uncertainties = [ema.RealParameter("initiation_rate", 0.01, 0.1)]
    model.levers = [ema.BooleanParameter("quick_win")]
    model.constants = cema.config_constants(small, varied=("initiation_rate", "quick_win"))
    model.outcomes = cema.outcomes()
    model.replications = [{"seed": seed} for seed in seeds]
    return model


def test_ema_drives_cluster_model_with_clustersim_s_own_figures(compare_results):
    manifest = json.loads((compare_results / "manifest.json").read_text())
    small = compare_results.parent / "small.toml"
    rate = load_config(small).parameters.initiation_rate
    model = ema_model(small, manifest["replication_seeds"])
    scenarios = [ema.Scenario("as configured", initiation_rate=rate)]
    scenarios.append(ema.Scenario("more initiation", initiation_rate=rate * 2))
    policies = [
        ema.Policy(name, quick_win=name == "quick_win") for name in ("baseline", "quick_win")
    ]
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = ema.perform_experiments(
            model, scenarios, policies, evaluator=evaluator
        )
    assert len(experiments) == 4
    assert set(outcomes) == set(cema.OUTCOMES)
    assert all(values.shape == (4,) for values in outcomes.values())
    own, own_outcomes = cema.ema_results(compare_results)
    for policy in ("baseline", "quick_win"):
        theirs = (experiments["scenario"] == "as configured") & (experiments["policy"] == policy)
        mine = own["policy"] == policy
        for name in cema.OUTCOMES:  # EMA's figure is the mean over the replications
            expected = np.mean(own_outcomes[name][mine.to_numpy()])
            np.testing.assert_array_equal(outcomes[name][theirs.to_numpy()], [expected], name)


def test_an_exported_folder_loads_in_ema_and_feeds_its_analyses(compare_results, tmp_path):
    archive = tmp_path / "ema.tar.gz"
    assert cema.save_ema(compare_results, archive) == (4, len(cema.OUTCOMES))
    experiments, outcomes = ema.load_results(str(archive))
    _, my_outcomes = cema.ema_results(compare_results)
    assert list(experiments.columns) == ["quick_win", "scenario", "policy", "model"]
    assert list(experiments["policy"]) == ["baseline", "baseline", "quick_win", "quick_win"]
    assert list(experiments["scenario"]) == ["0-0", "0-1", "0-0", "0-1"]  # same world and dice
    for name in cema.OUTCOMES:
        np.testing.assert_array_equal(outcomes[name], my_outcomes[name], name)
    formed = {"partnerships_formed": outcomes["partnerships_formed"]}
    scores = feature_scoring.get_feature_scores_all(experiments, formed)
    assert "quick_win" in scores.index


def test_export_format_ema_writes_the_archive_and_never_overwrites_another_file(
    compare_results, tmp_path
):
    archive = tmp_path / "runs.tar.gz"
    result = clustersim("export", compare_results, "--format", "ema", "--out", archive)
    assert result.returncode == 0, result.stderr
    assert f"{archive}: 4 experiments" in result.stdout
    assert ema.load_results(str(archive))[0].shape[0] == 4
    again = clustersim("export", compare_results, "--format", "ema", "--out", archive)
    assert again.returncode == 0, again.stderr  # an EMA archive it may replace
    notes = tmp_path / "notes.tar.gz"
    notes.write_text("not an archive")
    refused = clustersim("export", compare_results, "--format", "ema", "--out", notes)
    assert_one_line_error(refused, str(notes), "not an EMA Workbench results file")
    assert notes.read_text() == "not an archive"
    theirs = tmp_path / "their_runs.tar.gz"  # EMA results of another model: never replaced
    experiments = pd.DataFrame({"x": [0.1, 0.2], "model": ["theirs", "theirs"]})
    ema.ScalarOutcome("y")  # EMA saves an outcome by the class registered under its name
    ema.save_results((experiments, {"y": np.array([1.0, 2.0])}), str(theirs))
    before = theirs.read_bytes()
    refused = clustersim("export", compare_results, "--format", "ema", "--out", theirs)
    assert_one_line_error(refused, str(theirs), "not an EMA Workbench results file")
    assert theirs.read_bytes() == before


def test_cluster_model_names_a_parameter_it_does_not_know():
    with pytest.raises(ParameterError, match="quick_wins: not a clustersim parameter; did you"):
        cema.cluster_model(seed=1, quick_wins=True)
    with pytest.raises(ParameterError, match="n_smes"):
        cema.cluster_model(seed=1, n_smes=np.float64(2.5))


def test_sweep_ranges_become_ema_parameters(tmp_path):
    from .test_experiments import write_sweep

    found = cema.sweep_parameters(write_sweep(tmp_path, "lhs"))
    assert [(p.name, type(p).__name__) for p in found] == [
        ("subsidy_share", "RealParameter"),
        ("initiation_rate", "RealParameter"),
        ("awareness_radius_km", "RealParameter"),
    ]
    assert (found[0].lower_bound, found[0].upper_bound) == (0.0, 0.8)
