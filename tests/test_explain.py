"""`clustersim explain`: a comparison run as a mechanism ablation on common seeds, each
policy's effect against the reference, and how much of it remains with each mechanism off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clustersim.experiment.explain import (
    ALL_ON,
    COLLABORATION,
    COLUMNS,
    effects,
    explanation,
    load_ablation,
    losses,
)
from clustersim.experiment.spec import load_experiment
from clustersim.formatting import markdown

from .processes import assert_one_line_error, clustersim
from .test_experiments import write_compare, write_sweep


def write_explainable(folder: Path, months: int = 40, replications: int = 3) -> Path:
    """A tiny comparison with a named reference: a baseline and a quick-win scenario."""
    return write_compare(folder, replications, months, reference="baseline")


def test_the_ablation_runs_every_scenario_with_each_mechanism_off_on_common_seeds(tmp_path):
    path = write_explainable(tmp_path, replications=5)
    plan = load_ablation(path, "learning,trust", replications=3)
    runs = plan.experiment.runs()
    assert len(runs) == 2 * 3 * 3  # scenarios x (all on + 2 off) x replications
    assert plan.policies == ["quick_win"] and plan.reference == "baseline"
    # replication k of every group, and of the plain comparison, runs with the same seed
    compare_seeds = load_experiment(path).replication_seeds[:3]
    for run in runs:
        assert run.seed == compare_seeds[run.replication]
    for run in runs:
        scenario, off = plan.groups[run.scenario]
        assert run.parameters["quick_win"] is (scenario == "quick_win")
        for name in ("learning", "trust", "selection"):
            assert run.parameters[f"mechanism_{name}"] is (name != off)
    assert {off for _, off in plan.groups.values()} == {ALL_ON, "learning", "trust"}


def hand_made_table() -> pd.DataFrame:
    """Three replications of a baseline and a policy, all on and with learning off."""
    base = [0.50, 0.40, 0.60]
    values = {  # (scenario, mechanism): S(36) per replication
        ("baseline", ALL_ON): base,
        ("quick_win", ALL_ON): [0.60, 0.52, 0.68],  # differences 0.10, 0.12, 0.08
        ("baseline", "learning"): base,
        ("quick_win", "learning"): [0.52, 0.43, 0.61],  # differences 0.02, 0.03, 0.01
    }
    rows = [
        {
            "scenario": scenario,
            "mechanism": mechanism,
            "replication": k,
            "survival_36": s36[k],
            "partnerships_formed": 10.0 + k,  # the same in every group: no effect
            COLLABORATION: 2.0 + (scenario == "quick_win") * (2.0 + 0.1 * k),  # +2.0, +2.1, +2.2
        }
        for (scenario, mechanism), s36 in values.items()
        for k in range(3)
    ]
    return pd.DataFrame(rows)


def t_interval(mean: float, sd: float, n: int = 3) -> list[float]:
    """A mean and its Student-t 95 % interval, by the textbook formula."""
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    return [mean, mean - half, mean + half]


def test_effects_and_what_remains_match_a_hand_computation():
    found = effects(hand_made_table(), "baseline")
    assert list(found.columns) == COLUMNS
    assert set(found["policy"]) == {"quick_win"}
    found = found.set_index(["mechanism", "outcome"])
    full = found.loc[(ALL_ON, "survival_36")]  # differences 0.10, 0.12, 0.08: s.d. 0.02
    assert full[["effect", "ci_low", "ci_high"]].tolist() == pytest.approx(t_interval(0.10, 0.02))
    assert full["share_remaining"] == pytest.approx(1.0)
    off = found.loc[("learning", "survival_36")]  # differences 0.02, 0.03, 0.01: s.d. 0.01
    assert off[["effect", "ci_low", "ci_high"]].tolist() == pytest.approx(t_interval(0.02, 0.01))
    assert off["share_remaining"] == pytest.approx(0.2)  # 0.02 of 0.10 remains
    formed = found.loc[(ALL_ON, "partnerships_formed")]
    assert formed["effect"] == 0 and np.isnan(formed["share_remaining"])  # nothing to share
    together = found.loc[(ALL_ON, COLLABORATION)]  # differences 2.0, 2.1, 2.2: s.d. 0.1
    assert together[["effect", "ci_low", "ci_high"]].tolist() == pytest.approx(t_interval(2.1, 0.1))


def test_the_loss_is_the_paired_difference_of_the_full_effect_and_the_effect_with_it_off():
    lost = losses(hand_made_table(), "baseline").set_index(["mechanism", "outcome"])
    assert list(lost.index.unique("mechanism")) == ["learning"]  # the full effect loses nothing
    # 0.10 - 0.02, 0.12 - 0.03, 0.08 - 0.01 = 0.08, 0.09, 0.07: s.d. 0.01
    loss = lost.loc[("learning", "survival_36")]
    assert loss[["loss", "ci_low", "ci_high"]].tolist() == pytest.approx(t_interval(0.08, 0.01))


def test_the_words_come_from_the_numbers(tmp_path):
    plan = load_ablation(write_explainable(tmp_path), "learning", replications=3)
    table = hand_made_table()
    found, lost = effects(table, "baseline"), losses(table, "baseline")
    text = "\n".join(markdown(explanation(plan, found, lost)))
    # a clear effect of which 20 % remains with learning off: learning carries it
    assert "quick_win raises it, +10.0 points" in text
    assert "learning carries it (20.0% remains with it off)" in text
    # an effect whose interval includes 0 is not read
    assert "**partnerships formed per run**: no clear effect" in text
    # learning takes none of the collaboration effect away: no mechanism is named
    assert "no one mechanism carries it" in text


def test_an_explanation_of_a_tiny_comparison_is_written_and_resumed(tmp_path):
    path = write_explainable(tmp_path, months=40, replications=5)
    out = tmp_path / "out"
    options = ["--out", out, "--replications", "2", "--mechanisms", "learning,trust"]
    first = clustersim("explain", path, *options, "--workers", "2", "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "12 of 12 runs done (0 from before, 12 now)" in first.stderr
    written = pd.read_csv(out / "explain.csv")
    assert list(written.columns) == COLUMNS
    assert len(written) == 1 * 3 * 3  # a policy x (all on + 2 off) x three outcomes
    assert set(written["mechanism"]) == {ALL_ON, "learning", "trust"}
    document = (out / "explain.md").read_text()
    assert document.startswith("# Why the policies work: tiny")
    assert "## quick_win against baseline" in document
    assert document.strip() in first.stdout
    again = clustersim("explain", path, *options, "--serial", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "12 of 12 runs done (12 from before, 0 now)" in again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "explain.csv"), written)


def test_an_unknown_mechanism_is_refused_in_one_line_with_a_suggestion(tmp_path):
    path = write_explainable(tmp_path)
    result = clustersim(
        "explain", path, "--mechanisms", "learning,lerning", "--out", tmp_path / "o"
    )
    assert_one_line_error(result, "--mechanisms", "lerning", "did you mean learning?")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "write, words",
    [
        (lambda folder: write_sweep(folder, "grid"), ["is a sweep", "compare"]),
        (write_compare, ["names no reference scenario", "reference ="]),
    ],
    ids=["a sweep", "a comparison without a reference"],
)
def test_what_cannot_be_explained_is_refused_in_one_line(tmp_path, write, words):
    result = clustersim("explain", write(tmp_path), "--out", tmp_path / "o")
    assert_one_line_error(result, *words)
    assert not (tmp_path / "o").exists()
