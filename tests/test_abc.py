"""ABC-SMC calibration (`clustersim calibrate` with method = "abc-smc"): it recovers a known
parameter, gives the same posterior on any number of workers, resumes after Ctrl-C to the
posterior an uninterrupted run gives, and refuses a bad file in one line."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyabc
import pytest

from clustersim.cli import main
from clustersim.experiment.abc import ParticleModel, TargetDistance, prior, sample_posterior
from clustersim.experiment.abc_plan import read_abc_plan
from clustersim.experiment.abc_report import POSTERIOR, posterior_table
from clustersim.experiment.abc_sampler import EngineSampler
from clustersim.experiment.engine import Engine
from clustersim.experiment.validation import Target, pattern_statistics
from clustersim.run import simulate
from tests.conftest import SMALL
from tests.processes import started

ROOT = Path(__file__).resolve().parent.parent
VALIDATION = ROOT / "experiments" / "validation.toml"
TINY_CONFIG = f"""
base = "{ROOT / "configs" / "baseline.toml"}"
name = "tiny"
[run]
months = 36
[population]
n_smes = {SMALL["n_smes"]}
n_knowledge_institutions = {SMALL["n_knowledge_institutions"]}
n_governments = {SMALL["n_governments"]}
[region]
region_km = {SMALL["region_km"]}
n_centres = {SMALL["n_centres"]}
"""


def write_plan(folder: Path, *, population: int = 8, generations: int = 3, **extra: str) -> Path:
    """A tiny ABC file: two priors, the real calibration targets, no predictive check."""
    (folder / "tiny.toml").write_text(TINY_CONFIG)
    parameters = extra.pop(
        "parameters",
        "weight_proximity = { low = 0.05, high = 1.0 }\n"
        "target_size_mean = { low = 3.0, high = 10.0 }\n",
    )
    path = folder / "abc.toml"
    path.write_text(
        f'name = "abc-tiny"\nseed = 11\nbase = "tiny.toml"\n'
        f'[calibration]\nmethod = "abc-smc"\ntargets = "{VALIDATION}"\n'
        f"population = {population}\ngenerations = {generations}\n"
        f"[parameters]\n{parameters}"
    )
    return path


def test_abc_recovers_a_choice_weight_from_statistics_the_model_made(tmp_path: Path) -> None:
    """Shares of ties decided by proximity observed at weight 0.6: the 90 % interval holds 0.6."""
    plan = read_abc_plan(
        write_plan(tmp_path, parameters="weight_proximity = { low = 0.05, high = 1.0 }\n")
    )
    truth = plan.base.replace(weight_proximity=0.6)
    observed = np.mean(
        [pattern_statistics(simulate(truth, s), truth, s)["decisive_proximity"] for s in (1, 2, 3)]
    )
    synthetic = Target("decisive_proximity", "", "", "", "", observed - 10, observed + 10, 10.0)
    with Engine.serial() as engine:
        abc = pyabc.ABCSMC(
            ParticleModel(plan.base.as_dict(), (), replications=2),
            prior(plan),
            TargetDistance((synthetic,)),
            population_size=16,
            sampler=EngineSampler(engine, seed=5),
            eps=pyabc.MedianEpsilon(initial_epsilon=np.inf),
        )
        abc.new("sqlite://", {})
        with np.errstate(invalid="ignore"):  # pyabc compares inf - inf after generation 0
            history = abc.run(max_nr_populations=3)
    frame, weights = history.get_distribution(t=history.max_t)
    values = frame["weight_proximity"].to_numpy()
    low = pyabc.weighted_statistics.weighted_quantile(values, weights, alpha=0.05)
    high = pyabc.weighted_statistics.weighted_quantile(values, weights, alpha=0.95)
    assert low <= 0.6 <= high
    assert high - low < 0.95 - 0.05  # narrower than the prior: the data said something


def test_the_posterior_is_the_same_on_one_process_and_on_two(tmp_path: Path) -> None:
    plan = read_abc_plan(write_plan(tmp_path))
    posteriors = []
    for name, engine in (("serial", Engine.serial()), ("two", Engine.local(2))):
        with engine as e:
            posteriors.append(posterior_table(sample_posterior(plan, tmp_path / name, e), plan))
    pd.testing.assert_frame_equal(posteriors[0], posteriors[1], check_exact=True)
    assert posteriors[0]["weight"].sum() == pytest.approx(1.0)
    assert list(posteriors[0].columns) == ["weight_proximity", "target_size_mean", "weight"]


def _generations_in(database: Path) -> int:
    if not database.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:  # not yet created, or being written
        return 0


def test_ctrl_c_stops_cleanly_and_rerunning_finishes_with_the_uninterrupted_posterior(
    tmp_path: Path,
) -> None:
    path = write_plan(tmp_path, population=8, generations=3)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    command = [sys.executable, "-m", "clustersim", "calibrate", str(path), "--no-progress"]
    assert main(["calibrate", str(path), "--out", str(whole), "--serial", "--no-progress"]) == 0
    with started([*command, "--out", cut, "--workers", "2"]) as proc:
        while _generations_in(cut / "abc.db") < 1 and proc.poll() is None:
            time.sleep(0.05)
        group = [proc, *psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        assert proc.wait(timeout=60) == 130
        _, alive = psutil.wait_procs(group[1:], timeout=30)
        assert not alive  # no worker left behind
    assert 1 <= _generations_in(cut / "abc.db") < 3
    assert not (cut / POSTERIOR).exists()
    assert main(["calibrate", str(path), "--out", str(cut), "--workers", "2", "--no-progress"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(whole / POSTERIOR), pd.read_parquet(cut / POSTERIOR), check_exact=True
    )


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ("weight_proximity = { low = 0.9, high = 0.2 }\n", ["weight_proximity", "below"]),
        ("no_such_parameter = { low = 1.0, high = 2.0 }\n", ["unknown parameter"]),
        ("weight_proximity = [0.1, 0.2]\n", ["weight_proximity", "for a uniform prior"]),
    ],
)
def test_a_bad_prior_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], parameters: str, words: list[str]
) -> None:
    path = write_plan(tmp_path, parameters=parameters)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out"), "--serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("clustersim: error: ")
    assert "Traceback" not in err[0]
    for word in words:
        assert word in err[0]
    assert not (tmp_path / "out").exists()


def test_a_folder_of_another_abc_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["calibrate", str(write_plan(tmp_path, generations=1)), "--out", str(out),
                 "--serial", "--no-progress"]) == 0  # fmt: skip
    other = write_plan(tmp_path, generations=2)
    assert main(["calibrate", str(other), "--out", str(out), "--serial"]) == 2
