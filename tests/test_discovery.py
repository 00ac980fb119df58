"""Scenario discovery: PRIM finds a planted box and says so as a rule; it says in one line
why there is no box when the data cannot give one; `clustersim discover` errors are one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.experiment.discovery import (
    MIN_WORLDS,
    discover,
    discovery_section,
    policy_blocks,
)
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import load_experiment

from .processes import assert_one_line_error, clustersim
from .test_experiments import write_compare
from .test_robustness import write_robustness

PLANT = {"x0_below": 0.3, "x1_above": 0.6}


def planted(seed: int, n: int = 500, noise: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """n uniform worlds in 3 dimensions; failing inside x0 < 0.3 and x1 > 0.6, 5 % flipped."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 3)), columns=["x0", "x1", "x2"])
    inside = (x["x0"] < PLANT["x0_below"]) & (x["x1"] > PLANT["x1_above"])
    return x, (inside ^ (rng.random(n) < noise)).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_finds_a_planted_box_and_names_only_its_parameters(seed):
    x, fails = planted(seed)
    found = discover(x, fails)
    bounds = {r.parameter: r for r in found.box.restrictions}
    assert set(bounds) == {"x0", "x1"}, found.rule()
    assert bounds["x0"].lower is None and bounds["x1"].upper is None
    assert abs(bounds["x0"].upper - PLANT["x0_below"]) <= 0.05
    assert abs(bounds["x1"].lower - PLANT["x1_above"]) <= 0.05
    assert found.box.coverage >= 0.5 and found.box.density >= 0.85
    assert all(r.quasi_p < 0.05 for r in found.box.restrictions)
    assert found.rule("quick_win").startswith("quick_win fails to help when x0 <= 0.")
    assert " and x1 >= 0." in found.rule("quick_win")


def test_the_box_holds_at_least_the_asked_share_of_failing_worlds():
    x, fails = planted(3)
    for share in (0.5, 0.65):  # the plant holds about 72 % of the failing worlds
        box = discover(x, fails, min_coverage=share).box
        assert box.coverage >= share
        assert box.failing == round(box.coverage * fails.sum())


def test_the_same_data_give_the_same_box():
    x, fails = planted(4)
    assert discover(x, fails) == discover(x, fails)


def test_failures_spread_at_random_give_no_box():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.random((300, 3)), columns=["a", "b", "c"])
    found = discover(x, rng.random(300) < 0.3)
    assert found.box is None
    assert "the failures are spread out" in found.rule()


@pytest.mark.parametrize(
    ("fails", "worlds", "says"),
    [
        (False, 100, "helps in all 100 worlds"),
        (True, 100, "fails to help in all 100 worlds"),
        (True, MIN_WORLDS - 1, f"too few worlds for PRIM: {MIN_WORLDS - 1}"),
    ],
)
def test_no_failing_world_all_failing_or_too_few_worlds_is_one_line(fails, worlds, says):
    x = pd.DataFrame({"a": np.linspace(0, 1, worlds)})
    found = discover(x, np.full(worlds, fails))
    assert found.box is None
    assert says in found.rule() and "\n" not in found.rule()


def test_inputs_with_gaps_or_words_are_refused():
    x, fails = planted(6, n=40)
    with pytest.raises(ValueError, match="x1"):
        discover(x.assign(x1=np.nan), fails)
    with pytest.raises(ValueError, match="one outcome per world"):
        discover(x, fails[:-1])


def test_the_report_section_has_a_rule_per_policy_and_leaves_undefined_worlds_out():
    x, fails = planted(7, n=300)
    delta = np.where(fails, -1.0, 1.0)
    effects = pd.concat(
        [
            x.assign(scenario="quick_win", point=range(300), delta_s36=delta),
            x.assign(scenario="idle", point=range(300), delta_s36=1.0),
        ],
        ignore_index=True,
    )
    effects.loc[effects.index[:10], "delta_s36"] = np.nan  # S(36) undefined in 10 worlds
    blocks = discovery_section(effects, ["quick_win", "idle"], ["x0", "x1", "x2"])
    text = "\n".join(blocks)
    assert "**quick_win fails to help when x0 <= " in text
    assert "10 more worlds are left out" in text
    assert "idle helps in all 300 worlds" in text
    assert "| x0 " in text and "| x2 " not in text
    rows = effects[effects["scenario"] == "quick_win"]
    assert "of 290 worlds." in policy_blocks(rows, "quick_win", ["x0", "x1", "x2"])[0]


# ------------------------------------------------------------------ the command
@pytest.fixture(scope="module")
def robustness_results(tmp_path_factory) -> Path:
    """A tiny robustness experiment's results: 3 worlds, too few for PRIM."""
    folder = tmp_path_factory.mktemp("robust")
    out = folder / "results"
    path = write_robustness(folder, draws=3, replications=1)
    with Engine.serial() as engine:
        assert not run_experiment(load_experiment(path), out, engine, progress=False).failed
    return out


def test_discover_writes_its_file_and_says_why_there_is_no_box(robustness_results):
    result = clustersim("discover", robustness_results, "--policy", "quick_win")
    assert result.returncode == 0, result.stderr
    assert "quick_win was run in too few worlds for PRIM: 3" in result.stdout
    written = robustness_results / "discover-quick_win.md"
    assert result.stdout.strip() in written.read_text()
    again = clustersim("discover", robustness_results, "--policy", "quick_win")
    assert again.returncode == 0, again.stderr  # its own file it rewrites


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--policy", "quick_wn"), "--policy quick_wn: not a policy of this experiment; did you"),
        (("--policy", "zzz"), "choices: quick_win, same"),
        (("--policy", "baseline"), "not a policy of this experiment"),
        (("--policy", "quick_win", "--min-coverage", "1.5"), "--min-coverage must be in (0, 1]"),
    ],
)
def test_discover_refuses_an_unknown_policy_in_one_line(robustness_results, args, says):
    assert_one_line_error(clustersim("discover", robustness_results, *args), says)


def test_discover_never_overwrites_a_file_it_did_not_write(robustness_results):
    mine = robustness_results / "discover-same.md"
    mine.write_text("my notes\n")
    result = clustersim("discover", robustness_results, "--policy", "same")
    assert_one_line_error(result, str(mine), "was not written by clustersim discover")
    assert mine.read_text() == "my notes\n"
    mine.unlink()


def test_discover_refuses_what_is_not_a_robustness_folder(tmp_path):
    out = tmp_path / "cmp"
    with Engine.serial() as engine:
        experiment = load_experiment(write_compare(tmp_path, replications=1, months=12))
        run_experiment(experiment, out, engine, progress=False)
    for folder, says in ((out, "not of a robustness experiment"), (tmp_path, "manifest.json")):
        assert_one_line_error(clustersim("discover", folder, "--policy", "quick_win"), says)


def test_the_robustness_report_section_covers_every_policy(robustness_results):
    from clustersim.experiment.discovery import report_section
    from clustersim.experiment.robustness import draw_effects
    from clustersim.experiment.spec import design_of
    from clustersim.experiment.store import ResultStore

    design = design_of(ResultStore.existing(robustness_results).read_manifest())
    blocks = report_section(design, draw_effects(robustness_results))
    assert "### quick_win" in blocks and "### same" in blocks and "### baseline" not in blocks
    assert any("than baseline's" in b for b in blocks)
