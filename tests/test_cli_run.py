"""End-to-end: the `clustersim` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from clustersim.parameter_docs import baseline_toml

from . import processes

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("series", "partnerships", "ties", "memberships")


def clustersim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`clustersim ARGS` as a user runs it; nothing it started outlives the call."""
    return processes.clustersim(*args, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("runs") / "baseline"
    result = clustersim(
        "run", "configs/baseline.toml", "--seed", "1", "--months", "60", "--out", str(out)
    )
    return result, out


def test_run_prints_a_summary_and_writes_the_tables(baseline_run):
    result, out = baseline_run
    assert result.returncode == 0, result.stderr
    for words in (
        "organisations",
        "partnerships formed",
        "collaborated",
        "12 months",
        "36 months",
        "60 months",
        "dissolved by cause",
    ):
        assert words in result.stdout
    for name in TABLES:
        assert len(pd.read_parquet(out / f"{name}.parquet")) > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["months"] == 60
    assert len(manifest["config_sha256"]) == 64
    assert {"clustersim", "mesa", "python"} <= set(manifest["versions"])
    assert manifest["summary"]["partnerships_formed"] == len(
        pd.read_parquet(out / "partnerships.parquet")
    )
    staging = [p for p in out.parent.glob(".baseline.*") if p.name != ".baseline.lock"]
    assert not staging, "no staging folder is left behind (the lock file stays beside it)"


def test_the_same_seed_gives_identical_parquet_files(baseline_run, tmp_path):
    _, first = baseline_run
    again = clustersim(
        "run",
        "configs/baseline.toml",
        "--seed",
        "1",
        "--months",
        "60",
        "--out",
        str(tmp_path / "again"),
    )
    assert again.returncode == 0, again.stderr
    for name in TABLES:
        assert (first / f"{name}.parquet").read_bytes() == (
            tmp_path / "again" / f"{name}.parquet"
        ).read_bytes()


def test_a_different_seed_gives_different_results(baseline_run, tmp_path):
    _, first = baseline_run
    other = clustersim(
        "run",
        "configs/baseline.toml",
        "--seed",
        "2",
        "--months",
        "60",
        "--out",
        str(tmp_path / "other"),
    )
    assert other.returncode == 0, other.stderr
    a = pd.read_parquet(first / "partnerships.parquet")
    b = pd.read_parquet(tmp_path / "other" / "partnerships.parquet")
    assert not a.equals(b)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "configs/baseline.toml", "--months", "0"], "--months"),
        (["run", "configs/baseline.toml", "--months", "5000"], "--months"),
        (["run", "configs/baseline.toml", "--seed", "abc"], "--seed"),
        (["run", "configs/baseline.toml", "--out", "pyproject.toml"], "pyproject.toml"),
        (["run", "no/such/config.toml"], "no/such/config.toml"),
        (["dashboard", "--port", "70000"], "--port = 70000 is out of range [1, 65535]"),
    ],
)
def test_bad_command_line_input_gives_one_line_and_exit_2(args, words):
    result = clustersim(*args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) <= 2  # argparse prints usage + one error line; ours print one line


def test_a_run_never_replaces_a_folder_that_holds_something_else(tmp_path):
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("not a run")
    result = clustersim("run", "configs/baseline.toml", "--months", "6", "--out", str(keep))
    assert result.returncode == 2 and "not the folder of an earlier" in result.stderr
    assert (keep / "mine.txt").read_text() == "not a run"
    earlier = tmp_path / "earlier"
    for seed in ("1", "2"):  # an earlier run's folder is replaced by the new run
        again = clustersim(
            "run", "configs/baseline.toml", "--months", "6", "--seed", seed, "--out", str(earlier)
        )
        assert again.returncode == 0, again.stderr
    assert json.loads((earlier / "manifest.json").read_text())["seed"] == 2


def test_help_is_available_for_every_command():
    for args in (["--help"], ["run", "--help"], ["validate", "--help"], ["params", "--help"]):
        result = clustersim(*args)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_baseline_config_is_generated_from_the_parameter_declarations():
    assert (ROOT / "configs" / "baseline.toml").read_text() == baseline_toml()


def test_odd_parameter_table_is_true_to_the_code():
    from clustersim.parameter_docs import markdown_table

    odd = (ROOT / "docs" / "ODD.md").read_text()
    begin, end = "<!-- parameters:begin -->\n", "<!-- parameters:end -->"
    assert begin in odd and end in odd
    block = odd.split(begin, 1)[1].split(end, 1)[0]
    assert block.strip() == markdown_table().strip()
