"""A coordinator killed hard (SIGKILL) takes its whole local pool with it: the workers,
the forkserver and the resource tracker; and what they finish after is never counted."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import psutil

from clustersim.experiment.export import export_csv
from clustersim.experiment.store import TABLES, ResultStore, read_table
from tests.test_experiments import done_runs as runs_done
from tests.test_experiments import run as run_serially
from tests.test_experiments import write_compare

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, timeout: float = 120.0, what: str = "condition") -> None:
    """Poll for a state; the timeout only stops a broken test from hanging."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


def gone(process: psutil.Process) -> bool:
    """Ended, or a zombie no one has reaped yet (it holds no memory and runs nothing)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_sigkill_of_the_coordinator_leaves_no_process_behind(tmp_path):
    experiment = write_compare(tmp_path, replications=40, months=120)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "clustersim", "compare", str(experiment), "--out", str(out)]
    coordinator = subprocess.Popen(
        [*command, "--workers", "2", "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    leader = psutil.Process(coordinator.pid)
    descendants: list[psutil.Process] = []
    try:
        wait_for(lambda: runs_done(out) >= 1, what="a first run logged done")
        descendants = leader.children(recursive=True)
        assert len(descendants) >= 4, "forkserver, resource tracker and two workers run"
        assert coordinator.poll() is None, "killed while it still has runs to do"
        coordinator.kill()
        coordinator.wait(timeout=30)
        wait_for(lambda: all(gone(p) for p in descendants), timeout=10, what="no orphans")
    finally:
        for process in [leader, *descendants]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        coordinator.wait(timeout=30)
    assert len(read_table(out, "runs")) == runs_done(out), "only runs logged done are read"


def test_files_of_a_run_not_logged_done_are_never_read(tmp_path):
    """What a dying worker may leave: complete files of runs the status log never got."""
    out = tmp_path / "out"
    run_serially(write_compare(tmp_path, replications=2, months=3), out)
    store = ResultStore.existing(out)
    last = store.runs[-1]
    files = [store.file_of(t, last.run_id) for t in TABLES]
    lines = (out / "status.jsonl").read_text().splitlines(keepends=True)
    (out / "status.jsonl").write_text("".join(x for x in lines if last.scenario not in x))
    assert all(path.exists() for path in files)
    assert last.run_id not in set(read_table(out, "runs")["run_id"])
    assert len(read_table(out, "runs")) == len(store.runs) - 2  # its scenario's two runs
    counts = export_csv(ResultStore.existing(out), tmp_path / "csv")
    assert counts["runs"] == len(store.runs) - 2
