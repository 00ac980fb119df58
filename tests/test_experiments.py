"""Experiments: common random numbers, identical results on every engine, a real Dask
cluster, worker death, interruption and resume, corrupt files, designs and analyses."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pandas as pd
import pytest

from clustersim.experiment import designs, worker
from clustersim.experiment import engine as engine_module
from clustersim.experiment.abc_plan import is_abc, read_abc_plan
from clustersim.experiment.engine import MAX_ATTEMPTS, Engine, run_experiment
from clustersim.experiment.sensitivity import SensitivityError, analyse, point_means
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.store import ResultStore, StoreError, read_table

from .processes import clustersim, run_command, started

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
DASK = Path(sys.executable).parent / "dask"

SMALL_CONFIG = f"""
base = "{BASELINE}"
[population]
n_smes = 50
n_knowledge_institutions = 2
n_governments = 1
[region]
region_km = 20.0
n_centres = 2
[run]
months = {{months}}
"""


def write_compare(
    folder: Path, replications: int = 3, months: int = 24, reference: str | None = None
) -> Path:
    """A tiny comparison of two scenarios, its configs beside it; `reference` names one."""
    (folder / "small.toml").write_text(SMALL_CONFIG.format(months=months))
    (folder / "small_qw.toml").write_text('base = "small.toml"\n[quick_win]\nquick_win = true\n')
    path = folder / "tiny.toml"
    named = f'reference = "{reference}"\n' if reference else ""
    path.write_text(
        f'name = "tiny"\nkind = "compare"\nseed = 5\nreplications = {replications}\n{named}'
        '[scenarios]\nbaseline = "small.toml"\nquick_win = "small_qw.toml"\n'
    )
    return path


def write_sweep(folder: Path, method: str, samples: int = 4, extra: str = "") -> Path:
    (folder / "small.toml").write_text(SMALL_CONFIG.format(months=24))
    ranges = (
        "subsidy_share = [0.0, 0.5]\nparticipant_cap = [0, 3, 4]\n"
        if method == "grid"
        else "subsidy_share = { low = 0.0, high = 0.8 }\n"
        "initiation_rate = { low = 0.01, high = 0.08 }\n"
        "awareness_radius_km = { low = 1.0, high = 5.0 }\n"
    )
    path = folder / f"{method}.toml"
    path.write_text(
        f'kind = "sweep"\nbase = "small.toml"\nseed = 3\nreplications = 2\n{extra}'
        f'[design]\nmethod = "{method}"\n'
        + (f"samples = {samples}\n" if method != "grid" else "")
        + ("levels = 4\n" if method == "morris" else "")
        + f"[parameters]\n{ranges}"
    )
    return path


def run(path: Path, out: Path, engine: AbstractContextManager[Engine] | None = None) -> None:
    with engine or Engine.serial() as b:
        outcome = run_experiment(load_experiment(path), out, b, progress=False)
    assert not outcome.failed


def tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every table, in a canonical row order, for comparing two results folders."""
    keys = {
        "series": ["month"],
        "partnerships": ["partnership"],
        "ties": ["month", "chooser", "rank"],
        "memberships": ["partnership", "organisation"],
        "runs": [],
    }
    result = {}
    for table, extra in keys.items():
        frame = read_table(out, table)
        order = ["scenario", "point", "replication", *extra]
        result[table] = frame.sort_values(order, kind="stable").reset_index(drop=True)
    return result


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_like=True)


def compare_command(path: Path, out: Path) -> list[str]:
    """`clustersim compare` on two local workers, as a subprocess a test can signal."""
    options = ["--out", str(out), "--workers", "2", "--no-progress"]
    return [sys.executable, "-m", "clustersim", "compare", str(path), *options]


def cli(*args: str) -> subprocess.CompletedProcess:
    """`clustersim ARGS`; it and every process it starts end by the time this returns."""
    return clustersim(*args, timeout=600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def done_runs(out: Path) -> int:
    """Runs the status log says are done: those of its batch lines."""
    status = out / "status.jsonl"
    if not status.exists():
        return 0
    done = set()
    for line in status.read_text().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("status") == "done":
                done.update(entry.get("runs", [entry.get("run")]))
    return len(done)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


# ----------------------------------------------------------------------- design
def test_replication_k_of_every_scenario_uses_the_same_seed(tmp_path):
    experiment = load_experiment(write_compare(tmp_path, replications=4))
    seeds: dict[int, set[int]] = {}
    for r in experiment.runs():
        seeds.setdefault(r.replication, set()).add(r.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({next(iter(s)) for s in seeds.values()}) == 4  # replications differ
    assert len({r.run_id for r in experiment.runs()}) == 8  # ids are unique and fixed


@pytest.mark.parametrize(
    ("method", "samples", "expected"),
    [("grid", 0, 6), ("lhs", 5, 5), ("sobol", 4, 4 * (2 * 3 + 2)), ("morris", 3, 3 * (3 + 1))],
)
def test_each_design_produces_the_expected_number_of_points(tmp_path, method, samples, expected):
    experiment = load_experiment(write_sweep(tmp_path, method, samples))
    assert len(experiment.points) == expected
    assert len(experiment.runs()) == 2 * expected
    if method != "grid":
        assert designs.expected_points(method, 3, samples) == expected
        for dim in experiment.dimensions:
            assert experiment.points[dim.name].between(dim.low, dim.high).all()


def test_integer_parameters_are_swept_in_whole_numbers(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL_CONFIG.format(months=12))
    path = tmp_path / "ints.toml"
    path.write_text(
        'kind = "sweep"\nbase = "small.toml"\nseed = 1\nreplications = 1\n'
        '[design]\nmethod = "lhs"\nsamples = 6\n'
        "[parameters]\nparticipant_cap = { low = 2, high = 9 }\n"
    )
    points = load_experiment(path).points["participant_cap"]
    assert (points == points.round()).all() and points.between(2, 9).all()


# ---------------------------------------------------------------------- engines
@pytest.fixture(scope="module")
def tiny_serial(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny comparison (2 replications) and its results, run serially once for the
    module: the reference that several tests compare with. Tests only read it."""
    folder = tmp_path_factory.mktemp("tiny")
    path = write_compare(folder, replications=2)
    run(path, folder / "serial")
    return path, folder / "serial"


def copy_of(tiny_serial: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the tiny comparison's files and results, for a test that changes them."""
    path, out = tiny_serial
    folder = shutil.copytree(path.parent, tmp_path / "copy")
    return folder / path.name, folder / out.name


def test_serial_processes_and_dask_give_identical_tables(tmp_path, tiny_serial):
    from distributed import LocalCluster

    path, serial = tiny_serial
    run(path, tmp_path / "processes", Engine.local(2))
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        run(path, tmp_path / "dask", Engine.dask(cluster.scheduler_address))
    assert_same_tables(serial, tmp_path / "processes")
    assert_same_tables(serial, tmp_path / "dask")
    assert len(read_table(serial, "runs")) == 4


@pytest.fixture
def dask_cluster() -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A real external cluster: `dask scheduler` and two `dask worker` processes, each
    killed with all it started when the test ends, however it ends."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    worker = [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
    with ExitStack() as stack:
        stack.enter_context(
            started(
                [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                **quiet,
            )
        )
        workers = [
            stack.enter_context(started([*worker, "--name", f"w{i}"], **quiet)) for i in (0, 1)
        ]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers


def test_a_compare_runs_on_an_external_dask_cluster(tmp_path, dask_cluster, tiny_serial):
    address, _ = dask_cluster
    path, serial = tiny_serial
    result = cli(
        "compare",
        str(path),
        "--out",
        str(tmp_path / "dask"),
        "--scheduler",
        address,
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    assert "Dask cluster" in result.stderr
    assert_same_tables(serial, tmp_path / "dask")


def test_a_dask_worker_that_dies_costs_a_retry_not_the_experiment(tmp_path, dask_cluster):
    address, workers = dask_cluster
    path = write_compare(tmp_path, replications=6, months=60)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "clustersim", "compare", str(path), "--out", str(out)]
    with started(
        [*command, "--scheduler", address, "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        wait_for(lambda: done_runs(out) >= 1)
        workers[0].kill()
        _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    runs = read_table(out, "runs")
    assert sorted(runs["run_id"]) == sorted(r.run_id for r in load_experiment(path).runs())


def _worker_processes(pid: int) -> list[int]:
    """Pool workers of a coordinator: children of its forkserver child."""

    def children(parent: int) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
        return found

    return [grandchild for child in children(pid) for grandchild in children(child)]


def run_or_kill_the_worker(runs, data_dir, batch):
    """The worker's job, slowed down, except that a batch holding replication 1 of
    quick_win kills its process.

    The others take longer than the killer, so they are in flight when it dies.
    """
    if any(run.scenario == "quick_win" and run.replication == 1 for run in runs):
        time.sleep(0.1)
        os._exit(1)
    time.sleep(0.5)
    return worker.execute_batch(runs, data_dir, batch)


def test_a_run_that_always_kills_its_worker_fails_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "execute_batch", run_or_kill_the_worker)
    path = write_compare(tmp_path, replications=4, months=12)
    out = tmp_path / "out"
    with Engine.local(2) as local:
        outcome = run_experiment(load_experiment(path), out, local, progress=False)
    runs = load_experiment(path).runs()
    killer = [r.run_id for r in runs if r.scenario == "quick_win" and r.replication == 1]
    assert outcome.failed == killer  # after its attempts; none of its neighbours in flight
    assert outcome.completed == outcome.total - 1


def fail_every_time(runs, data_dir: str, batch: str) -> dict[str, int]:
    """A batch that fails the same way on every attempt; each attempt of a run leaves a line."""
    with open(Path(data_dir).parent / "attempts.log", "a") as log:
        log.writelines(f"{run.run_id}\n" for run in runs)
    raise RuntimeError("deterministic failure")


@pytest.mark.parametrize("executor", ["serial", "dask"])
def test_a_deterministic_failure_is_tried_exactly_max_attempts_times(
    tmp_path, monkeypatch, executor
):
    from distributed import LocalCluster

    monkeypatch.setattr(engine_module, "execute_batch", fail_every_time)
    path = write_compare(tmp_path, replications=1, months=12)
    out = tmp_path / "out"
    with ExitStack() as stack:
        if executor == "dask":  # threads in this process, so the patched function is the one run
            cluster = stack.enter_context(
                LocalCluster(n_workers=1, processes=False, dashboard_address=None)
            )
            engine = stack.enter_context(Engine.dask(cluster.scheduler_address))
        else:
            engine = stack.enter_context(Engine.serial())
        outcome = run_experiment(load_experiment(path), out, engine, progress=False)
    attempts = (out / "attempts.log").read_text().split()
    assert sorted(outcome.failed) == sorted(set(attempts))
    assert {run_id: attempts.count(run_id) for run_id in attempts} == dict.fromkeys(
        outcome.failed, MAX_ATTEMPTS
    )


def test_a_batch_lost_as_a_whole_charges_none_of_its_runs(tmp_path, monkeypatch):
    """A batch can fail as a whole (Dask lost its worker, a write failed): its runs are
    rerun one at a time, and only a run that fails alone is charged an attempt."""
    real, calls = engine_module.execute_batch, []

    def lost_once(runs, data_dir: str, batch: str) -> dict:
        calls.append(len(runs))
        if len(calls) == 1:
            raise OSError("connection to the worker lost")
        return real(runs, data_dir, batch)

    monkeypatch.setattr(engine_module, "execute_batch", lost_once)
    path = write_compare(tmp_path, replications=3, months=12)
    with Engine.serial() as serial:
        outcome = run_experiment(load_experiment(path), tmp_path / "out", serial, progress=False)
    assert calls[0] > 1  # the lost batch held several runs
    assert outcome.failed == [] and outcome.missing == 0
    log = (tmp_path / "out" / "status.jsonl").read_text()
    assert '"failed"' not in log  # nobody was charged


def test_a_local_worker_that_dies_costs_a_retry_not_the_experiment(tmp_path):
    path = write_compare(tmp_path, replications=6, months=60)
    out = tmp_path / "out"
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with started(compare_command(path, out), **piped) as proc:
        wait_for(lambda: done_runs(out) >= 1 and _worker_processes(proc.pid))
        os.kill(_worker_processes(proc.pid)[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    log = (out / "status.jsonl").read_text()
    assert "worker process died" in log
    runs = read_table(out, "runs")
    assert sorted(runs["run_id"]) == sorted(r.run_id for r in load_experiment(path).runs())
    run(path, tmp_path / "serial")
    assert_same_tables(tmp_path / "serial", out)


# ------------------------------------------------------------- resume and damage
def test_interrupted_runs_resume_to_exactly_the_designed_runs(tmp_path):
    path = write_compare(tmp_path, replications=8, months=48)
    out = tmp_path / "out"
    command = compare_command(path, out)
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with started(command, **piped) as first:
        wait_for(lambda: done_runs(out) >= 2)
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=120)
    assert first.returncode == 130, stderr
    assert "resume" in stderr and "Traceback" not in stderr
    after_interrupt = done_runs(out)

    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with started(command, **quiet) as second:
        wait_for(lambda: done_runs(out) >= after_interrupt + 2)
        # SIGKILL to the command and all it started, as a batch system's hard stop sends:
        # no chance to clean up. (The coordinator killed alone: tests/test_no_orphans.py.)
        os.killpg(second.pid, signal.SIGKILL)
        second.wait(timeout=60)

    final = run_command(command, timeout=300)
    assert final.returncode == 0, final.stderr
    designed = sorted(r.run_id for r in load_experiment(path).runs())
    runs = read_table(out, "runs")
    assert sorted(runs["run_id"]) == designed  # none lost, none twice
    run(path, tmp_path / "uninterrupted")
    assert_same_tables(tmp_path / "uninterrupted", out)


def test_kill_stops_a_compare_as_cleanly_as_ctrl_c(tmp_path):
    path = write_compare(tmp_path, replications=6, months=48)
    out = tmp_path / "out"
    command = compare_command(path, out)
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with started(command, **piped) as running:
        wait_for(lambda: done_runs(out) >= 1)
        running.terminate()  # SIGTERM, as `kill` or a batch system sends
        _, stderr = running.communicate(timeout=120)
    assert running.returncode == 130, stderr
    assert "resume" in stderr and "Traceback" not in stderr


def test_a_scenario_that_forms_no_partnerships_reads_beside_one_that_does(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL_CONFIG.format(months=24))
    (tmp_path / "idle.toml").write_text('base = "small.toml"\n[formation]\ninitiation_rate = 0.0\n')
    path = tmp_path / "e.toml"
    path.write_text(
        'kind = "compare"\nseed = 1\nreplications = 2\nreference = "idle"\n'
        '[scenarios]\nidle = "idle.toml"\nactive = "small.toml"\n'
    )
    run(path, tmp_path / "out")
    partnerships = read_table(tmp_path / "out", "partnerships")
    assert set(partnerships["scenario"]) == {"active"} and len(partnerships) > 0
    assert cli("report", str(tmp_path / "out")).returncode == 0


def test_a_truncated_file_is_detected_and_redone(tmp_path, tiny_serial):
    path, out = copy_of(tiny_serial, tmp_path)
    experiment = load_experiment(path)
    victim = experiment.runs()[1]
    damaged = ResultStore.existing(out).file_of("partnerships", victim.run_id)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    store = ResultStore.existing(out)
    assert victim.run_id not in store.completed()
    # the damaged file's runs (its scenario's, compacted) are never read as results
    assert len(read_table(out, "runs")) == 2
    run(path, out)  # the same command again redoes them
    assert_same_tables(tiny_serial[1], out)
    redone = [json.loads(line) for line in (out / "status.jsonl").read_text().splitlines()]
    assert sum(victim.run_id in e.get("runs", []) and e["status"] == "done" for e in redone) == 2
    assert any(e["status"] == "dropped" for e in redone)


def test_a_changed_experiment_is_refused_in_the_same_folder(tmp_path, tiny_serial):
    path, out = copy_of(tiny_serial, tmp_path)
    changed = dataclasses.replace(load_experiment(path), replications=3)
    with pytest.raises(StoreError, match="different experiment"), Engine.serial() as b:
        run_experiment(changed, out, b, progress=False)
    path.write_text(path.read_text().replace("replications = 2", "replications = 3"))
    result = cli("compare", str(path), "--out", str(out), "--serial", "--no-progress")
    assert result.returncode == 2
    assert "different experiment" in result.stderr and "Traceback" not in result.stderr



def test_results_of_other_model_code_are_never_resumed_into(tmp_path, tiny_serial):
    """Versions share a number while the model changes: the manifest's fingerprint of the
    model's source keeps two models' runs out of one folder."""
    path, out = copy_of(tiny_serial, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["model_sha256"]) == 64
    manifest["model_sha256"] = "0" * 64  # as if written by other model code
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = cli("compare", str(path), "--out", str(out), "--serial", "--no-progress")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("clustersim: error: ")
    assert "another version of the model" in result.stderr

# ---------------------------------------------------------------- analyses, CLI
@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_indices_have_one_row_per_parameter(tmp_path, method):
    path = write_sweep(tmp_path, method, samples=2 if method == "sobol" else 3)
    out = tmp_path / "out"
    run(path, out, Engine.local(2))
    results = analyse(out, ("partnerships_formed", "share_collaborated"))
    assert set(results) == {"partnerships_formed", "share_collaborated"}
    for table in results.values():
        assert list(table["parameter"]) == [
            "subsidy_share",
            "initiation_rate",
            "awareness_radius_km",
        ]
        expected = (
            ["S1", "S1_conf", "ST", "ST_conf"]
            if method == "sobol"
            else ["mu_star", "mu_star_conf", "sigma"]
        )
        assert set(expected) <= set(table.columns)
        assert table[expected[0]].notna().all()


def test_sensitivity_refuses_a_sweep_missing_a_replication():
    runs = pd.DataFrame({"point": [0, 0, 1, 1, 2], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    assert point_means(runs.iloc[:4], ("y",), 2, 2)["y"].tolist() == [1.5, 3.5]
    with pytest.raises(SensitivityError, match="1 of 3 design points lack"):
        point_means(runs, ("y",), 3, 2)


def test_sensitivity_cli_writes_tables_and_plots_and_refuses_a_grid(tmp_path):
    morris = write_sweep(tmp_path, "morris", samples=2)
    out = tmp_path / "morris_out"
    assert (
        cli("sweep", str(morris), "--out", str(out), "--workers", "2", "--no-progress").returncode
        == 0
    )
    result = cli("sensitivity", str(out), "--output", "partnerships_formed")
    assert result.returncode == 0, result.stderr
    assert (out / "sensitivity" / "partnerships_formed.png").stat().st_size > 0
    assert "mu_star" in (out / "sensitivity" / "sensitivity.md").read_text()
    grid = write_sweep(tmp_path, "grid")
    grid_out = tmp_path / "grid_out"
    run(grid, grid_out)
    refused = cli("sensitivity", str(grid_out))
    assert refused.returncode == 2 and "sobol or morris" in refused.stderr


def test_export_writes_one_csv_per_table(tmp_path, tiny_serial):
    _, out = tiny_serial
    result = cli("export", str(out), "--csv", "--out", str(tmp_path / "csv"))
    assert result.returncode == 0, result.stderr
    for table in ("series", "partnerships", "ties", "memberships", "runs"):
        frame = pd.read_csv(tmp_path / "csv" / f"{table}.csv")
        assert len(frame) == len(read_table(out, table))
        assert {"scenario", "replication"} <= set(frame.columns)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('kind = "compar"\nseed = 1\nreplications = 2\n', "kind must be one of"),
        (
            'kind = "compare"\nseed = 1\nreplications = 0\n[scenarios]\na = "small.toml"\n',
            "replications must be 1 or more, got 0",
        ),
        ('kind = "compare"\nseed = 1\nreplications = 2\nreplicatons = 3\n', "did you mean"),
        (
            'kind = "compare"\nseed = 1\nreplications = 2\n[scenarios]\na = "nope.toml"\n',
            "no such config file",
        ),
        (
            'kind = "sweep"\nbase = "small.toml"\nseed = 1\nreplications = 1\n[design]\n'
            'method = "sobol"\nsamples = 3\n[parameters]\nsubsidy_share = { low = 0, high = 1 }\n'
            "initiation_rate = { low = 0.0, high = 0.1 }\n",
            "power of 2",
        ),
        (
            'kind = "sweep"\nbase = "small.toml"\nseed = 1\nreplications = 1\n[design]\n'
            'method = "lhs"\nsamples = 3\n[parameters]\nsubsidy_shar = { low = 0, high = 1 }\n',
            "did you mean subsidy_share",
        ),
        (
            'kind = "sweep"\nbase = "small.toml"\nseed = 1\nreplications = 1\n[design]\n'
            'method = "lhs"\nsamples = 3\n[parameters]\nsubsidy_share = { low = 0, high = 3 }\n',
            "out of range",
        ),
        ('kind = "compare"\nseed = 1\nreplications = 2\n[scenarios\n', "not valid TOML"),
        (
            'kind = "compare"\nseed = 1\nreplications = 2\n[scenarios]\n01 = "small.toml"\n',
            "must start with a letter",
        ),
        (
            'kind = "sweep"\nbase = "small.toml"\nseed = 1\nreplications = 1\n[design]\n'
            'method = "lhs"\nsamples = 3\n[parameters]\n'
            "quick_win_latest_months = { low = 9, high = 12 }\n",
            "no effect while quick_win is off",
        ),
    ],
)
def test_bad_experiment_files_get_one_line_and_exit_2(tmp_path, text, words):
    (tmp_path / "small.toml").write_text(SMALL_CONFIG.format(months=12))
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = cli("compare", str(path), "--out", str(tmp_path / "o"), "--serial")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clustersim: error:")
    assert "bad.toml" in lines[0] and words in lines[0]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--scheduler", "not-an-address"], "use tcp://HOST:PORT"),
        (["--out", "pyproject.toml"], "pyproject.toml"),
    ],
)
def test_a_bad_engine_or_results_folder_gets_one_line_and_exit_2(tmp_path, options, words):
    path = write_compare(tmp_path, replications=1)
    result = cli("compare", str(path), *options)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clustersim: error:") and words in lines[0]


def test_a_sweep_file_given_to_compare_is_refused(tmp_path):
    path = write_sweep(tmp_path, "grid")
    result = cli("compare", str(path), "--serial")
    assert result.returncode == 2 and "clustersim sweep" in result.stderr


def test_the_shipped_experiment_files_are_valid(tmp_path):
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        if is_abc(path):  # a calibration, not an experiment the engine runs
            assert read_abc_plan(path).priors
            continue
        experiment = load_experiment(_with_synthetic_posterior(path, tmp_path))
        assert experiment.runs()
    comparison = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    assert comparison.replications >= 20
    assert set(comparison.scenarios) >= {
        "baseline",
        "start_subsidy",
        "participant_cap",
        "quick_win",
        "matchmaking",
        "combined",
    }


def _with_synthetic_posterior(path: Path, tmp_path: Path) -> Path:
    """A robustness file reads a posterior that only `clustersim calibrate` makes (results/
    is not in the repository): check it against a synthetic posterior of the same
    parameters instead, everything else as shipped."""
    doc = tomllib.loads(path.read_text())
    if doc.get("kind") != "robustness":
        return path
    posterior = tmp_path / f"{path.stem}-posterior"
    posterior.mkdir()
    pd.DataFrame({"patience_months": [9.0, 14.0], "weight": [0.5, 0.5]}).to_parquet(
        posterior / "posterior.parquet"
    )
    text = path.read_text().replace('"../', f'"{ROOT}/')
    text = text.replace(f'"{ROOT}/{doc["posterior"][3:]}"', f'"{posterior}"')
    copy = tmp_path / path.name
    copy.write_text(text)
    return copy
