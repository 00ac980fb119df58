"""The cost-effectiveness frontier: a setting is efficient when no other spends no more and
achieves at least as much; a lever that is switched off is one setting, whatever its other
settings say; `clustersim frontier` and the sweep report list the efficient settings."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.cli import main
from clustersim.experiment import designs
from clustersim.experiment.designs import Dimension
from clustersim.experiment.frontier import MARK, efficient_mask, frontier_table
from clustersim.experiment.report import runs_and_partnerships
from clustersim.experiment.spec import load_experiment

from .test_report import SMALL

SWEEP = """name = "tiny_frontier"
kind = "sweep"
base = "small.toml"
seed = 5
replications = 2
months = 48
[design]
method = "{method}"
[parameters]
{parameters}
"""
LEVERS = """subsidy_share = [0.0, 0.5]
subsidy_months = [6, 12]
cluster_manager_hours = [0.0, 35.0]"""


def write_sweep(folder: Path, parameters: str = LEVERS, method: str = "levers") -> Path:
    (folder / "small.toml").write_text(SMALL)
    path = folder / "sweep.toml"
    path.write_text(SWEEP.format(method=method, parameters=parameters))
    return path


def dominated_by_definition(cost: list[float], outcome: list[float]) -> list[bool]:
    """The definition, one pair at a time: some other point spends no more and achieves at
    least as much, one of the two strictly."""
    pairs = list(zip(cost, outcome, strict=True))
    return [
        any(cj <= ci and oj >= oi and (cj < ci or oj > oi) for cj, oj in pairs) for ci, oi in pairs
    ]


# ------------------------------------------------------------------- efficient_mask
def test_the_frontier_is_exactly_the_points_nothing_dominates():
    cost = [0, 0, 10, 10, 20, 20, 30, 5, 5]
    outcome = [1, 1, 3, 2, 3, 5, 4, np.nan, 1]
    expected = [
        True,  # (0, 1) and its duplicate: neither dominates the other
        True,
        True,  # (10, 3)
        False,  # (10, 2): same spending as (10, 3), less outcome
        False,  # (20, 3): same outcome as (10, 3), more spending
        True,  # (20, 5)
        False,  # (30, 4): dominated by (20, 5)
        False,  # not measured: neither efficient nor dominating
        False,  # (5, 1): same outcome as (0, 1), more spending
    ]
    assert efficient_mask(cost, outcome).tolist() == expected


def test_the_frontier_agrees_with_the_definition_on_many_ties():
    rng = np.random.default_rng(11)
    cost, outcome = rng.integers(0, 5, 60).tolist(), rng.integers(0, 5, 60).tolist()
    dominated = dominated_by_definition(cost, outcome)
    assert efficient_mask(cost, outcome).tolist() == [not d for d in dominated]


def test_cost_and_outcome_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="equal length"):
        efficient_mask([1.0, 2.0], [1.0])


# ------------------------------------------------- switched-off levers are one setting
def test_a_switched_off_lever_is_one_setting_whatever_its_settings():
    dims = [
        Dimension("subsidy_share", values=(0.0, 0.5)),
        Dimension("subsidy_months", values=(12, 36)),
        Dimension("quick_win", values=(False, True)),
        Dimension("quick_win_latest_months", values=(6, 12)),
        Dimension("participant_cap", values=(0, 4)),
        Dimension("initiation_rate", values=(0.01, 0.02)),  # not a lever: always varied
    ]
    points = designs.lever_grid(dims)
    # subsidy: off or 2 months; quick win: off or 2 windows; cap: 2; initiation rate: 2
    assert len(points) == 3 * 3 * 2 * 2 < len(designs.grid(dims))
    assert not designs.effective_settings(points).duplicated().any()
    off = points[points["subsidy_share"] == 0]
    assert set(off["subsidy_months"]) == {12}  # the first listed value, which does nothing
    assert set(points["initiation_rate"]) == {0.01, 0.02}


def test_a_lever_whose_switch_is_not_swept_keeps_its_settings():
    points = designs.lever_grid([Dimension("subsidy_months", values=(12, 36))])
    assert points["subsidy_months"].tolist() == [12, 36]


def test_a_levers_experiment_runs_each_effective_setting_once(tmp_path: Path):
    experiment = load_experiment(write_sweep(tmp_path))
    assert experiment.describe()["points"] == 3 * 2  # subsidy off, 6 or 12 months x manager
    assert experiment.describe()["runs"] == 6 * 2


def test_the_frontier_counts_a_plain_grids_repeated_setting_once():
    points = pd.DataFrame(
        {"subsidy_share": [0.0, 0.0, 0.5, 0.5], "subsidy_months": [12, 36, 12, 36]}
    )
    runs = pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2, 2, 3, 3],
            "policy_spent_eur": [0, 0, 0, 0, 100, 120, 300, 340],
            "survivors": [2, 4, 2, 4, 5, 7, 5, 5],
            "membership_months_per_organisation": [1, 1, 1, 1, 3, 2, 1, 2],
        }
    )
    table = frontier_table(runs, points)
    assert sorted(table.index) == [0, 2, 3]  # point 1 is point 0 again
    assert table.loc[0, "subsidy_months"] is None
    assert table.loc[2, "survivors"] == 6.0
    assert table["efficient_survivors"].to_dict() == {0: True, 2: True, 3: False}


# -------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def lever_results(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frontier")
    out = folder / "results"
    assert (
        main(["sweep", str(write_sweep(folder)), "--out", str(out), "--serial", "--no-progress"])
        == 0
    )
    return out


def listed_points(markdown: str, heading: str) -> list[int]:
    """The point numbers in the first column of the table under `heading`."""
    section = markdown.split(heading, 1)[1].split("\n#", 1)[0]
    return [int(m) for m in re.findall(r"^\| +(\d+) +\|", section, flags=re.MULTILINE)]


def test_frontier_lists_the_settings_nothing_dominates(lever_results: Path, capsys):
    assert main(["frontier", str(lever_results)]) == 0
    printed = capsys.readouterr().out
    md = (lever_results / "frontier.md").read_text()
    assert (lever_results / "frontier.png").stat().st_size > 0
    runs, _ = runs_and_partnerships(lever_results)
    means = runs.groupby("point")[
        ["policy_spent_eur", "survivors", "membership_months_per_organisation"]
    ].mean()
    for outcome, heading in (
        ("survivors", "### Efficient settings for partnerships alive"),
        ("membership_months_per_organisation", "### Efficient settings for collaboration"),
    ):
        expected = means.index[efficient_mask(means["policy_spent_eur"], means[outcome])]
        assert sorted(listed_points(md, heading)) == sorted(expected.tolist())
        assert heading[4:] in printed
    assert "With every swept lever off (point 0), for EUR 0:" in md  # to read the others by
    assert main(["frontier", str(lever_results)]) == 0  # its own files it rewrites


def test_the_sweep_report_has_the_frontier(lever_results: Path, capsys):
    assert main(["report", str(lever_results)]) == 0
    md = (lever_results / "report" / "report.md").read_text()
    assert "## Cost-effectiveness frontier" in md
    assert (lever_results / "report" / "frontier.png").stat().st_size > 0
    assert "Efficient settings (cost-effectiveness frontier)" in capsys.readouterr().out


# ---------------------------------------------------------------------- bad input
def one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err and err[-1].startswith("clustersim: error: ") and "Traceback" not in err
    return err[-1]


def test_a_file_the_command_did_not_write_is_left_alone(lever_results: Path, capsys):
    foreign = lever_results / "frontier.md"
    kept = foreign.read_text()
    foreign.write_text("my notes\n" + kept.removeprefix(MARK))
    try:
        assert main(["frontier", str(lever_results)]) == 2
        assert "not written by clustersim frontier" in one_error_line(capsys)
        assert foreign.read_text().startswith("my notes")
    finally:
        foreign.write_text(kept)


def test_a_sweep_of_no_lever_has_no_frontier(tmp_path: Path, capsys):
    sweep = write_sweep(tmp_path, "initiation_rate = [0.01, 0.02]", method="grid")
    out = tmp_path / "results"
    assert main(["sweep", str(sweep), "--out", str(out), "--serial", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["frontier", str(out)]) == 2
    assert "varies no policy lever" in one_error_line(capsys)
    assert not (out / "frontier.md").exists()


def test_a_folder_that_is_no_results_is_refused(tmp_path: Path, capsys):
    assert main(["frontier", str(tmp_path / "nothing")]) == 2
    assert str(tmp_path / "nothing") in one_error_line(capsys)
