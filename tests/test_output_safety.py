"""Output folders: a command never deletes what it did not write, refuses an unwritable
path before any work, and never shares a results folder with another command."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from clustersim.config import ConfigError, load_config
from clustersim.experiment.spec import load_experiment
from clustersim.outdir import folder_lock
from tests.processes import assert_one_line_error, clustersim, started
from tests.test_experiments import run as run_experiment_serially
from tests.test_experiments import write_compare, write_sweep
from tests.test_no_orphans import wait_for

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with its bytes (None for a folder): to prove it untouched."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def home_like(folder: Path) -> Path:
    """A user's folder with a stray manifest.json among their own files."""
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my web app"}\n')
    (folder / "thesis.txt").write_text("three years of work\n")
    (folder / "notes").mkdir()
    (folder / "notes" / "chapter1.md").write_text("# One\n")
    (folder / ".bashrc").write_text("alias ll='ls -l'\n")
    return folder


def test_run_refuses_a_compare_results_folder_and_leaves_it_untouched(tmp_path):
    out = tmp_path / "compare"
    run_experiment_serially(write_compare(tmp_path, replications=1, months=3), out)
    before = snapshot(out)
    result = clustersim("run", str(BASELINE), "--months", "3", "--out", str(out))
    assert_one_line_error(result, str(out), "not the folder of an earlier")
    assert result.stdout == "", "refused before simulating"
    assert snapshot(out) == before


def test_run_refuses_the_current_folder_holding_a_stray_manifest(tmp_path):
    here = home_like(tmp_path / "thesis")
    before = snapshot(here)
    result = clustersim("run", str(BASELINE), "--months", "3", "--out", ".", cwd=here)
    assert_one_line_error(result, str(here), "current folder")
    assert snapshot(here) == before


def test_run_refuses_a_home_like_folder_with_a_stray_manifest(tmp_path):
    home = home_like(tmp_path / "home")
    before = snapshot(home)
    result = clustersim("run", str(BASELINE), "--months", "3", "--out", str(home))
    assert_one_line_error(result, str(home), "thesis.txt")
    assert result.stdout == ""
    assert snapshot(home) == before


def test_run_replaces_only_a_folder_holding_exactly_an_earlier_run(tmp_path):
    earlier = tmp_path / "earlier"
    first = clustersim("run", str(BASELINE), "--months", "3", "--out", str(earlier))
    assert first.returncode == 0, first.stderr
    again = clustersim("run", str(BASELINE), "--months", "3", "--seed", "2", "--out", str(earlier))
    assert again.returncode == 0, again.stderr
    assert json.loads((earlier / "manifest.json").read_text())["seed"] == 2
    beside = sorted(p.name for p in tmp_path.iterdir())
    assert beside == [".earlier.lock", "earlier"], "no staging or old folder left aside"
    (earlier / "my-plot.png").write_bytes(b"mine")  # now it holds something of the user's
    before = snapshot(earlier)
    third = clustersim("run", str(BASELINE), "--months", "3", "--out", str(earlier))
    assert_one_line_error(third, "my-plot.png")
    assert snapshot(earlier) == before


def test_a_run_manifest_alone_does_not_make_a_folder_replaceable(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    for name in ("series", "partnerships", "ties", "memberships"):
        (fake / f"{name}.parquet").write_bytes(b"someone's data")
    (fake / "manifest.json").write_text('{"kind": "compare"}\n')
    before = snapshot(fake)
    result = clustersim("run", str(BASELINE), "--months", "3", "--out", str(fake))
    assert_one_line_error(result, str(fake))
    assert snapshot(fake) == before


@pytest.mark.parametrize(
    ("command", "out", "words"),
    [
        ("run", "pyproject.toml/results", "is a file"),
        ("run", "/proc/clustersim-results", "cannot write"),
        ("compare", "pyproject.toml/results", "is a file"),
        ("compare", "/proc/clustersim-results", "cannot write"),
    ],
)
def test_an_unwritable_out_is_refused_before_any_work(tmp_path, command, out, words):
    target = BASELINE if command == "run" else write_compare(tmp_path, replications=1, months=3)
    result = clustersim(command, str(target), "--out", out)
    assert_one_line_error(result, out, words)
    assert result.stdout == "", "refused before simulating"
    assert "File exists" not in result.stderr


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_a_results_folder_in_use_is_refused_in_one_line(tmp_path, command):
    target = {
        "run": lambda: BASELINE,
        "compare": lambda: write_compare(tmp_path, replications=1, months=3),
        "sweep": lambda: write_sweep(tmp_path, "grid"),
    }[command]()
    out = tmp_path / "out"
    options = ["--months", "3"] if command == "run" else ["--serial", "--no-progress"]
    with folder_lock(out):  # as another command running on the same folder holds it
        refused = clustersim(command, str(target), "--out", str(out), *options)
    assert_one_line_error(refused, str(out), "another clustersim command")
    assert not out.exists(), "refused before doing anything"
    if command != "sweep":  # released, the same command runs
        assert clustersim(command, str(target), "--out", str(out), *options).returncode == 0


def test_two_compares_on_one_folder_do_each_run_once(tmp_path):
    experiment = write_compare(tmp_path, replications=10, months=60)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "clustersim", "compare", str(experiment), "--out", str(out)]
    with started(
        [*command, "--workers", "1", "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as first:
        wait_for(lambda: logged(out, "submitted"), what="the first compare under way")
        first.send_signal(signal.SIGSTOP)  # it holds the folder, and cannot finish meanwhile
        try:
            second = clustersim("compare", str(experiment), "--out", str(out), "--serial")
        finally:
            first.send_signal(signal.SIGCONT)
        assert_one_line_error(second, str(out), "another clustersim command")
        assert first.wait(timeout=600) == 0, first.stderr.read()
    done = [run for entry in logged(out, "done") for run in entry["runs"]]
    assert len(done) == len(set(done)) == 20, "every run done exactly once"


def logged(out: Path, status: str) -> list[dict]:
    """The status log's entries of one status (none before the log exists)."""
    path = out / "status.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    entries = []
    for line in lines:
        with contextlib.suppress(ValueError):  # a line being written
            entries.append(json.loads(line))
    return [entry for entry in entries if entry.get("status") == status]


BAD_NAMES = ["../../escaped", "/tmp/absolute", "a/b", "a\\\\b", "..", ".", "", "  ", "x\\u0000y"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_config_name_that_leaves_results_is_refused(tmp_path, name):
    config = tmp_path / "scenario.toml"
    config.write_text(f'base = "{BASELINE}"\nname = "{name}"\n')
    with pytest.raises(ConfigError, match=r"scenario\.toml: name .*results/<name>"):
        load_config(config)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_an_experiment_name_that_leaves_results_is_refused(tmp_path, name):
    experiment = write_compare(tmp_path, replications=1, months=3)
    experiment.write_text(experiment.read_text().replace('name = "tiny"', f'name = "{name}"'))
    with pytest.raises(ConfigError, match=r"tiny\.toml: name .*results/<name>"):
        load_experiment(experiment)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_an_escaping_name_is_refused_in_one_line_and_writes_nothing(tmp_path, command):
    work = tmp_path / "work"
    work.mkdir()
    if command == "run":
        target = work / "scenario.toml"
        target.write_text(f'base = "{BASELINE}"\nname = "../../escaped"\n')
    else:
        target = write_compare(work, replications=1, months=3)
        target.write_text(target.read_text().replace('name = "tiny"', 'name = "../../escaped"'))
    result = clustersim(
        command,
        str(target),
        "--months" if command == "run" else "--serial",
        *(["3"] if command == "run" else []),
        cwd=work,
    )
    assert_one_line_error(result, str(target.name), "name '../../escaped'")
    assert not list(tmp_path.rglob("escaped*")) and not (work / "results").exists()
