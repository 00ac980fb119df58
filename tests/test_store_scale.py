"""Storage that scales: batches and compaction bound the files; results do not depend
on batch size or workers; a SIGKILL during compaction or mid-batch loses nothing and
counts nothing twice; a folder written one file per run (the earlier layout) reads."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from clustersim.experiment import compaction, worker
from clustersim.experiment import engine as engine_module
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.store import TABLES, ResultStore, read_table, run_path

from .processes import clustersim
from .test_experiments import run, write_compare

KILL_STEPS = ["compaction-file-written", "compaction-written", "compaction-logged"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny comparison (2 scenarios x 3 replications) run serially: the reference."""
    folder = tmp_path_factory.mktemp("scale")
    path = write_compare(folder, replications=3, months=12)
    run(path, folder / "serial")
    return path, folder / "serial"


def data_files(out: Path) -> list[Path]:
    return sorted(p for p in (out / "data").rglob("*") if p.is_file())


def assert_identical(a: Path, b: Path) -> None:
    """The same tables, bit for bit: rows, order and types, without sorting."""
    for table in TABLES:
        pd.testing.assert_frame_equal(read_table(a, table), read_table(b, table))


def test_a_finished_folder_holds_one_file_per_table_and_scenario(reference):
    _, out = reference
    files = data_files(out)
    assert len(files) == len(TABLES) * 2  # 6 runs, 2 scenarios: whatever the number of runs
    assert {"point", "replication"} <= set(pq.read_schema(files[0]).names)


def test_batch_size_and_workers_change_no_table(tmp_path, reference, monkeypatch):
    path, serial = reference
    monkeypatch.setattr(engine_module, "MAX_BATCH", 1)  # one run per task
    run(path, tmp_path / "ones")
    monkeypatch.undo()
    monkeypatch.setattr(engine_module, "TARGET_S", 1e6)  # as many runs per task as allowed
    run(path, tmp_path / "two_workers", Engine.local(2))
    assert_identical(serial, tmp_path / "ones")
    assert_identical(serial, tmp_path / "two_workers")


@pytest.mark.parametrize("step", KILL_STEPS)
def test_sigkill_during_compaction_then_resume_gives_the_complete_tables(
    tmp_path, reference, step
):
    path, serial = reference
    out = tmp_path / "out"
    # two workers: batches of one run each here, so each scenario has files to merge
    command = ["compare", str(path), "--out", str(out), "--workers", "2", "--no-progress"]
    killed = clustersim(*command, env={**os.environ, compaction.KILL_AT: step})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = ResultStore.existing(out)
    runs = read_table(out, "runs")
    assert runs["run_id"].is_unique  # readers never count a run twice
    assert set(runs["run_id"]) == store.completed() and len(runs) >= 3  # nor miss one
    resumed = clustersim(*command)
    assert resumed.returncode == 0, resumed.stderr
    assert_identical(serial, out)
    assert len(data_files(out)) == len(TABLES) * 2  # orphans and replaced files are gone


def write_then_die_once(runs, data_dir, batch):
    """A worker that writes its batch's files, then dies before reporting: once."""
    marker = Path(data_dir).parent / "died"
    result = worker.execute_batch(runs, data_dir, batch)
    if not marker.exists():
        marker.write_text(batch)
        os._exit(1)
    return result


def test_a_worker_killed_after_writing_its_batch_leaves_every_run_done_once(
    tmp_path, reference, monkeypatch
):
    path, serial = reference
    monkeypatch.setattr(engine_module, "execute_batch", write_then_die_once)
    out = tmp_path / "out"
    with Engine.local(2) as local:
        outcome = run_experiment(load_experiment(path), out, local, progress=False)
    assert not outcome.failed and outcome.completed == 6
    assert "worker process died" in (out / "status.jsonl").read_text()
    assert_identical(serial, out)
    orphan = (out / "died").read_text()
    assert not any(orphan in f.name for f in data_files(out))  # its files were removed


def as_old_layout(new: Path, old: Path) -> None:
    """The same results as the earlier layout wrote them: one file per run and table,
    point and replication in the path, one status line per run."""
    store = ResultStore.existing(new)
    (old / "data").mkdir(parents=True)
    (old / "manifest.json").write_text((new / "manifest.json").read_text())
    lines = []
    for run_key in store.runs:
        rows = {}
        for table in TABLES:
            frame = read_table(new, table)
            mine = (frame["scenario"] == run_key.scenario) & (
                frame["replication"] == run_key.replication
            )
            part = frame[mine].drop(columns=["scenario", "point", "replication"])
            target = run_path(old / "data", table, run_key)
            target.parent.mkdir(parents=True, exist_ok=True)
            part.to_parquet(target, index=False, write_page_checksum=True)
            rows[table] = len(part)
        lines.append(json.dumps({"run": run_key.run_id, "status": "done", "rows": rows}))
    (old / "status.jsonl").write_text("\n".join(lines) + "\n")


def test_a_folder_of_the_earlier_layout_reads_reports_and_resumes(tmp_path, reference):
    path, serial = reference
    old = tmp_path / "old"
    as_old_layout(serial, old)
    for table in TABLES:
        pd.testing.assert_frame_equal(
            read_table(old, table), read_table(serial, table), check_dtype=False
        )
    assert clustersim("report", old).returncode == 0
    with Engine.serial() as serial_engine:  # in-process: the model's hash as when written
        resumed = run_experiment(load_experiment(path), old, serial_engine, progress=False)
    assert resumed.already_done == 6 and resumed.completed == 0
    assert len(data_files(old)) == len(TABLES) * 2  # merged into the new layout
    assert not list((old / "data").rglob("point=*"))
    for table in TABLES:
        pd.testing.assert_frame_equal(
            read_table(old, table), read_table(serial, table), check_dtype=False
        )


def test_clean_deletes_only_what_the_tool_wrote(tmp_path, reference):
    _, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    store = ResultStore.existing(out)
    folder = store.file_of("runs", store.runs[0].run_id).parent
    (folder / "batch-orphan.parquet").write_bytes(b"x")
    (folder / ".batch-x.parquet.1.tmp").write_bytes(b"x")
    (folder / "notes.txt").write_text("mine")
    assert compaction.clean(store) == 2
    assert (folder / "notes.txt").exists()
