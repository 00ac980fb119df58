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
from clustersim.experiment import store as store_module
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.store import TABLES, ResultStore, StoreError, read_table, run_path

from .processes import clustersim
from .test_error_paths import damage_data_pages
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
def test_sigkill_during_compaction_then_resume_gives_the_complete_tables(tmp_path, reference, step):
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


def uncompacted(tmp_path: Path, path: Path, monkeypatch) -> Path:
    """The reference experiment run one run per batch with compaction switched off: a
    folder as a coordinator killed before compacting leaves it."""
    monkeypatch.setattr(engine_module, "MAX_BATCH", 1)
    monkeypatch.setattr(compaction, "compact", lambda store, scenario: False)
    out = tmp_path / "out"
    run(path, out)
    monkeypatch.undo()
    return out


def resume_serially(path: Path, out: Path):
    with Engine.serial() as serial_engine:
        return run_experiment(load_experiment(path), out, serial_engine, progress=False)


def test_clean_deletes_only_what_the_tool_announced(tmp_path, reference):
    _, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    store = ResultStore.existing(out)
    folder = store.file_of("runs", store.runs[0].run_id).parent
    scenario = store.runs[0].scenario
    store.log({"status": "submitted", "batch": "batch-0123456789ab", "scenario": scenario})
    announced = [
        folder / "batch-0123456789ab.parquet",
        folder / ".batch-0123456789ab.parquet.7.tmp",
    ]
    mine = [
        folder / "batch-orphan.parquet",  # tool-shaped, but never announced
        folder / "batch-aaaaaaaaaaaa.parquet",  # exact shape, never announced
        folder / ".notes.tmp",
        folder / "notes.txt",
    ]
    for path in [*announced, *mine]:
        path.write_bytes(b"x")
    assert compaction.clean(store) == 2
    assert not any(p.exists() for p in announced)
    assert all(p.exists() for p in mine)


def test_a_torn_last_line_swallows_nothing(tmp_path, reference, monkeypatch):
    """A crash mid-append leaves a line without its newline; the next line (here the
    compactions') must stay a line of its own, or its files would be deleted as orphans."""
    path, serial = reference
    out = uncompacted(tmp_path, path, monkeypatch)
    with open(out / "status.jsonl", "a") as log:
        log.write('{"time": "2026-01-01T00:00:00+00:00", "status": "comp')
    resume_serially(path, out)
    assert len(data_files(out)) == len(TABLES) * 2
    assert all(json.loads(line) for line in (out / "status.jsonl").read_text().splitlines())
    again = resume_serially(path, out)
    assert again.already_done == 6 and again.completed == 0
    assert_identical(serial, out)


def test_a_torn_line_then_an_append_keeps_the_appended_line(tmp_path, reference):
    _, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    with open(out / "status.jsonl", "a") as log:
        log.write('{"status": "do')
    ResultStore.existing(out).log({"status": "interrupted"})
    assert json.loads((out / "status.jsonl").read_text().splitlines()[-1])["status"] == (
        "interrupted"
    )


def test_log_lines_naming_files_outside_data_are_ignored(tmp_path, reference, monkeypatch):
    path, _ = reference
    out = uncompacted(tmp_path, path, monkeypatch)
    store = ResultStore.existing(out)
    unit = next(iter(store.units().values()))
    victim = tmp_path / "victim"
    victim.mkdir()
    files = {}
    for table, (relative, rows) in unit.files.items():
        shutil.copy(out / "data" / relative, victim / f"{table}.parquet")
        files[table] = [str(victim / f"{table}.parquet"), rows]
    for name, paths in [
        ("batch-0123456789ab", files),
        ("batch-ba9876543210", {t: [f"../../{t}.parquet", r] for t, (_, r) in files.items()}),
    ]:
        store.log(
            {
                "status": "done",
                "batch": name,
                "scenario": unit.scenario,
                "runs": list(unit.runs),
                "files": paths,
            }
        )
    runs = read_table(out, "runs")
    assert runs["run_id"].is_unique and len(runs) == 6
    resume_serially(path, out)
    assert sorted(p.name for p in victim.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    assert len(read_table(out, "runs")) == 6


def test_a_truncated_log_deletes_no_data(tmp_path, reference):
    """The log cut short (its compaction lines gone): no file is deleted; runs the log
    no longer names are redone."""
    path, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    before = set(data_files(out))
    lines = (out / "status.jsonl").read_text().splitlines(keepends=True)
    first_done = next(i for i, x in enumerate(lines) if '"done"' in x)
    (out / "status.jsonl").write_text("".join(lines[: first_done + 1]))
    resume_serially(path, out)
    assert before <= set(data_files(out))


def test_a_missing_data_folder_stops_with_one_line_and_drops_nothing(tmp_path, reference):
    """data/ on a disk that is not mounted: the command stops, the log is untouched."""
    path, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    disk = tmp_path / "disk"
    disk.mkdir()
    shutil.move(str(out / "data"), str(disk / "data"))
    os.symlink(disk / "data", out / "data")
    disk.rename(tmp_path / "offline")
    log = (out / "status.jsonl").read_text()
    with pytest.raises(StoreError, match="data: missing") as error:
        resume_serially(path, out)
    assert "\n" not in str(error.value) and "mount" in str(error.value)
    assert "dropped" not in (out / "status.jsonl").read_text()
    assert (out / "status.jsonl").read_text() == log
    assert (out / "data").is_symlink() and not (out / "data").exists()


def test_new_folders_and_renames_are_made_durable(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(store_module, "fsync_folder", lambda folder: synced.append(folder))
    target = tmp_path / "data" / "runs" / "scenario=a" / "batch-0123456789ab.parquet"
    store_module.write_atomically(pd.DataFrame({"x": [1]}), target)
    folders = [tmp_path, tmp_path / "data", tmp_path / "data" / "runs"]
    assert synced == [*folders, target.parent]  # each new folder's parent, then the rename


def test_a_second_writer_is_refused_whatever_path_names_the_folder(tmp_path, reference):
    path, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    (tmp_path / "link").symlink_to(out)
    experiment = load_experiment(path)
    first = ResultStore.open(out, experiment)
    try:
        with pytest.raises(StoreError, match="another clustersim command is writing"):
            ResultStore.open(tmp_path / "link", experiment)
    finally:
        first.close()
    ResultStore.open(tmp_path / "link", experiment).close()  # free again once closed


def test_a_run_logged_in_two_live_units_is_read_once(tmp_path, reference, monkeypatch):
    """What two coordinators racing on a folder left: every run twice, in other batches."""
    path, serial = reference
    out = uncompacted(tmp_path, path, monkeypatch)
    lines = (out / "status.jsonl").read_text().splitlines(keepends=True)
    with open(out / "status.jsonl", "a") as log:
        for line in lines:
            entry = json.loads(line)
            if entry.get("status") != "done":
                continue
            copied = {}
            for table, (relative, rows) in entry["files"].items():
                new = relative.replace(entry["batch"], "batch-ffffffffff" + entry["batch"][-2:])
                shutil.copy(out / "data" / relative, out / "data" / new)
                copied[table] = [new, rows]
            entry["batch"] = "batch-ffffffffff" + entry["batch"][-2:]
            log.write(json.dumps({**entry, "files": copied}) + "\n")
    assert_identical(serial, out)
    resume_serially(path, out)
    assert_identical(serial, out)


def test_resuming_clears_finished_until_the_run_finishes(tmp_path, reference):
    path, serial = reference
    out = Path(shutil.copytree(serial, tmp_path / "copy"))
    store = ResultStore.open(out, load_experiment(path))
    assert "finished" not in store.read_manifest()  # killed now: not finished
    store.close()
    resume_serially(path, out)
    assert "finished" in json.loads((out / "manifest.json").read_text())


def test_compaction_after_a_retry_keeps_design_order(tmp_path, reference, monkeypatch):
    """A run that fails once inside a batch is redone in a later one, so its unit's span
    overlaps its neighbours': the merged files still hold every row in design order."""
    path, serial = reference
    real, failed, sorted_together = worker.run_tables, [], []

    def fails_once(spec):
        if spec.replication == 1 and not failed:  # the middle run of the first scenario
            failed.append(spec.run_id)
            raise RuntimeError("once")
        return real(spec)

    overlapping = compaction._overlapping

    def spy(ranked, spans):
        clusters = overlapping(ranked, spans)
        sorted_together.extend(c for c in clusters if len(c) > 1)
        return clusters

    monkeypatch.setattr(worker, "run_tables", fails_once)
    monkeypatch.setattr(compaction, "_overlapping", spy)
    out = tmp_path / "out"
    run(path, out)
    assert failed and sorted_together  # the retried run's unit overlapped its batch's
    assert_identical(serial, out)
    for file in data_files(out):
        frame = pq.read_table(file).to_pandas()
        assert frame[["point", "replication"]].apply(tuple, axis=1).is_monotonic_increasing


def test_a_file_damaged_before_compaction_is_dropped_not_a_traceback(
    tmp_path, reference, monkeypatch
):
    path, serial = reference
    out = uncompacted(tmp_path, path, monkeypatch)
    store = ResultStore.existing(out)
    unit = next(iter(store.units().values()))
    damage_data_pages(out / "data" / unit.files["series"][0])  # behind an intact footer
    assert compaction.compact(store, unit.scenario) is False
    assert "dropped" in (out / "status.jsonl").read_text()
    resume_serially(path, out)
    assert_identical(serial, out)


def test_runs_lost_to_damage_while_merging_leave_the_folder_unfinished(
    tmp_path, reference, monkeypatch
):
    """A batch file damaged between its write and the final merge: its runs are dropped,
    the invocation says they are missing, and the folder is not marked finished."""
    path, serial = reference
    real = compaction.compact

    def damaged_first(store, scenario):
        unit = next(u for u in store.units().values() if u.scenario == scenario)
        damage_data_pages(store.data_dir / unit.files["series"][0])
        monkeypatch.setattr(compaction, "compact", real)  # only the first scenario's
        return real(store, scenario)

    monkeypatch.setattr(engine_module, "MAX_BATCH", 1)
    monkeypatch.setattr(compaction, "compact", damaged_first)
    out = tmp_path / "out"
    outcome = resume_serially(path, out)
    assert outcome.missing >= 1 and not outcome.failed
    assert "finished" not in json.loads((out / "manifest.json").read_text())
    monkeypatch.undo()
    resume_serially(path, out)
    assert_identical(serial, out)
    assert "finished" in json.loads((out / "manifest.json").read_text())
