"""The results folder of an experiment: data, manifest and status log.

Layout::

    RESULTS/
      manifest.json     what produced the results (experiment, versions, seeds, design, times)
      status.jsonl      append-only log: one line per finished batch, failed run or compaction
      data/<table>/scenario=<s>/batch-<id>.parquet     a batch of runs, while the scenario runs
      data/<table>/scenario=<s>/compact-<id>.parquet   all its runs, once the scenario is done

`<table>` is series, partnerships, ties, memberships, organisations or runs (one
summary row per run): a hive-partitioned Parquet dataset (scenario in the folder
name; point and replication are columns in the files) that DuckDB, pyarrow and
pandas read across runs, e.g. on a finished folder
`read_parquet('data/runs/**/*.parquet', hive_partitioning=true)`.

Why batches *and* compaction. A worker simulates a batch of runs of one scenario
(about a second of model time) and writes one file per table for all of them: that
removes the per-run costs (five fsynced files, a status line, a task) that made small
runs slow, and bounds the files written while the experiment runs to about five per
second of model time. Batches alone would still leave a 100,000-run sweep with
thousands of files, so when a scenario's runs are all settled the coordinator merges
its files into one file per table (`compaction`): a finished folder holds about
six files per scenario, whatever the number of runs, and `report` or DuckDB opens
those few. Compacting at the end rather than writing big files from the start keeps
a run's data durable as soon as its batch is written, which is what resume needs.

Crash safety. Every file is written to a temporary name, fsynced and renamed (and
its folder fsynced), with Parquet page checksums. The status log is the catalogue: a
batch's name is logged (`submitted`) before anything is written under it, and its
runs are done only once its `done` line is logged, after its files are durable; a
compaction is announced (`compacting`) before it writes and real only once its line
is logged, after its files are durable, and that line names the files it replaces,
which readers then ignore and which are deleted afterwards. So a crash (SIGKILL
included) at any moment leaves at most announced files no `done` line names (ignored
by readers, deleted on resume) or files a compaction replaced (ignored, deleted): no
run is read twice or missed. Nothing the log did not announce is ever deleted, and a
torn last line is cut off before the log is appended to. One coordinator at a time:
the folder is locked while it writes. On resume, each file the log names is read in full once
(checksums verified) and its row count compared with the log's; a damaged file's
batch is dropped in the log, named in one line to readers, and its runs redone.

Folders written before batches (one file per run under `point=<p>/replication=<r>/`,
one log line per run) still read and resume; their runs are merged into the
scenario's compacted file when it is next compacted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from clustersim.experiment.spec import Experiment, RunSpec
from clustersim.outdir import OutputError
from clustersim.provenance import model_sha256, software_versions
from clustersim.records import MODEL_TABLES

TABLES = (*MODEL_TABLES, "runs")
PARTITIONS = ("scenario", "point", "replication")
LOCK_NAME = ".clustersim.lock"  # held by the one process writing a results folder
# The only names a batch or compaction of this tool has: a log line naming anything
# else (an absolute path, `..`, another scenario's folder) is ignored, never followed.
UNIT_NAME = re.compile(r"(batch|compact)-[0-9a-f]{12}")
_SCENARIO = re.compile(r"[^/\\\x00]+")


class StoreError(Exception):
    """A results folder that cannot be used as asked; one line for the user."""


@dataclass(frozen=True)
class RunKey:
    """Where a run sits in the design: all the store needs to find its files."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int


def run_path(data_dir: Path, table: str, run: RunSpec | RunKey) -> Path:
    """Where one table of one run lived in folders written before batches."""
    return (
        Path(data_dir)
        / table
        / f"scenario={run.scenario}"
        / f"point={run.point}"
        / f"replication={run.replication}"
        / f"{run.run_id}.parquet"
    )


def batch_path(data_dir: Path, table: str, scenario: str, name: str) -> Path:
    """Where one table of a batch (or of a compaction) of one scenario lives."""
    return Path(data_dir) / table / f"scenario={scenario}" / f"{name}.parquet"


def make_folders(folder: Path) -> None:
    """Create `folder` and its missing parents durably: each new folder's parent is
    fsynced, so a file renamed into it cannot vanish with its folder after a crash."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        fsync_folder(new.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename or creation in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_atomically(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write Parquet to a temporary sibling, fsync it, then rename it into place and
    fsync the folder: only then is the file durable, and its batch may be logged done."""
    make_folders(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(frame, pa.Table):
        pq.write_table(frame, temporary, write_page_checksum=True)
    else:
        frame.to_parquet(temporary, index=False, write_page_checksum=True)  # read back verified
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)


@dataclass(frozen=True)
class Unit:
    """Files the log names together: a batch, a compaction or one run of an older folder.

    `files` maps each table to its path under data/ and its row count; `legacy` marks
    an older folder's run, whose files hold no point and replication columns.
    """

    name: str
    scenario: str
    runs: tuple[str, ...]
    files: dict[str, tuple[str, int]]
    legacy: bool = False


class ResultStore:
    """One experiment's results folder and the runs it is designed to hold."""

    def __init__(self, root: Path, runs: list[RunKey]) -> None:
        self.root = Path(root)
        self.runs = runs
        self.data_dir = self.root / "data"
        self.status_path = self.root / "status.jsonl"
        self.manifest_path = self.root / "manifest.json"
        self._order = {run.run_id: i for i, run in enumerate(runs)}

    # ------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, root: Path, experiment: Experiment) -> ResultStore:
        """Create the folder, or reopen it for the same experiment; refuse a different one.

        The store holds the folder's lock until `close` (or the process ends): a second
        writer, however it names the folder, is refused rather than raced.
        """
        store = cls(root, [_key(run) for run in experiment.runs()])
        store._refuse_foreign()
        make_folders(store.root)
        store._lock()
        if store.manifest_path.exists():
            manifest = store.read_manifest()
            store._check_same(manifest, experiment)
            manifest["resumed"] = [*manifest.get("resumed", []), _now()]
            manifest.pop("finished", None)  # until this invocation finishes
        else:
            store._refuse_foreign()
            manifest = _new_manifest(experiment)
        store._write_manifest(manifest)
        store._cut_torn_line()
        return store

    def _refuse_foreign(self) -> None:
        """Refuse a folder holding anything but an experiment's results (or our lock)."""
        if self.manifest_path.exists() or not self.root.exists():
            return
        if any(entry.name != LOCK_NAME for entry in self.root.iterdir()):
            raise StoreError(
                f"{self.root}: exists and is not an experiment results folder; "
                "choose another --out folder"
            )

    def _check_same(self, manifest: dict[str, Any], experiment: Experiment) -> None:
        """Refuse to resume a folder of another experiment or model."""
        if "experiment_sha256" not in manifest:
            raise StoreError(
                f"{self.manifest_path}: is damaged or not a compare's or sweep's (it "
                "names no experiment); use a new --out folder"
            )
        if manifest.get("experiment_sha256") != experiment.sha256:
            raise StoreError(
                f"{self.root}: holds results of a different experiment "
                f"({manifest.get('experiment_path')}, changed since or another file); "
                "use a new --out folder, or delete this one to start over"
            )
        if manifest.get("model_sha256") != model_sha256():
            raise StoreError(
                f"{self.root}: holds results of another version of the model (its code "
                "has changed since); use a new --out folder, or delete this one to start over"
            )

    def _lock(self) -> None:
        """Take the folder's lock, a file inside it (so every path to it, symbolic
        links included, meets the same lock); the kernel frees it if we die."""
        handle = open(self.root / LOCK_NAME, "a+b")  # noqa: SIM115 - held until close
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(
                f"{self.root}: another clustersim command is writing this folder right now; "
                "wait for it to finish, or choose another --out"
            ) from None
        self._lock_handle = handle

    def close(self) -> None:
        """Release the folder's lock (a store opened for writing)."""
        handle = getattr(self, "_lock_handle", None)
        if handle is not None:
            handle.close()
            self._lock_handle = None

    def _cut_torn_line(self) -> None:
        """Cut the log back to its last newline: a line cut off by a crash was never
        acted on, and a line appended after it must not be swallowed with it."""
        if not self.status_path.exists():
            return
        with open(self.status_path, "r+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            end = size
            while end > 0:
                start = max(0, end - 65536)
                handle.seek(start)
                chunk = handle.read(end - start)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    end = start + cut + 1
                    break
                end = start
            if end != size:
                handle.truncate(end)
                os.fsync(handle.fileno())

    @classmethod
    def existing(cls, root: Path) -> ResultStore:
        """Reopen a results folder for reading, from its manifest alone."""
        manifest_path = Path(root) / "manifest.json"
        if not manifest_path.is_file():
            raise StoreError(
                f"{root}: not an experiment results folder (no manifest.json); "
                "give the folder that compare or sweep wrote"
            )
        key = _file_state(manifest_path)
        if key in _EXISTING:  # one report opens a folder many times: its design once
            return cls(root, _EXISTING[key])
        manifest = _load_manifest(manifest_path)
        if manifest.get("kind") == "run" or "config_sha256" in manifest:
            raise StoreError(
                f"{root}: is the folder of one `clustersim run`, not of a compare or sweep; "
                "its tables are the .parquet files in it (read them with pandas or DuckDB)"
            )
        runs, design = manifest.get("runs"), manifest.get("design")
        try:
            if not isinstance(design, dict):
                raise TypeError("no design")
            keys = [RunKey(**run) for run in runs]
        except TypeError:
            raise StoreError(
                f"{manifest_path}: is damaged (its list of runs or design is missing or "
                "malformed); restore it, or run the experiment again into a new --out folder"
            ) from None
        if key is not None:
            _EXISTING.clear()
            _EXISTING[key] = keys
        return cls(root, keys)

    def finish(self, failed: int) -> None:
        """Record that every run is settled; a folder resumed later loses this until then."""
        manifest = self.read_manifest()
        manifest["finished"] = _now()
        manifest["failed_runs"] = failed
        self._write_manifest(manifest)

    # --------------------------------------------------------------- status
    def log(self, entry: dict[str, Any], durable: bool = True) -> None:
        """Append one line to the status log and (unless told not to) make it durable.

        A log left without a final newline (a torn line: another process died writing
        it) first gets one, so this line stays a line of its own.
        """
        line = json.dumps({"time": _now(), **entry}) + "\n"
        with open(self.status_path, "a+b") as handle:
            if handle.seek(0, os.SEEK_END) > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    line = "\n" + line
            handle.write(line.encode("utf-8"))
            handle.flush()
            if durable:
                os.fsync(handle.fileno())

    def mark_batch_done(self, batch: str, scenario: str, result: dict[str, Any]) -> None:
        """Log a batch's runs as done: its files are durable (the worker fsynced them)."""
        entry = {"status": "done", "batch": batch, "scenario": scenario}
        self.log({**entry, "runs": result["runs"], "files": result["files"]})

    def mark_failed(self, run: RunKey | RunSpec, error: str, attempt: int) -> None:
        self.log({"run": run.run_id, "status": "failed", "attempt": attempt, "error": error})

    def entries(self) -> Iterator[dict[str, Any]]:
        """The status log's lines as dicts; a line cut off by a crash is skipped."""
        if not self.status_path.exists():
            return
        with open(self.status_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut off by a crash: that batch is simply not done
                if isinstance(entry, dict):
                    yield entry

    def units(self) -> dict[str, Unit]:
        """The live units, by name, in log order: what the log says the data is.

        The log is replayed once per state of the file (its size and time), however
        many readers ask. A line naming files where this tool never writes is ignored
        (named once on stderr); a unit repeating a run another live unit holds is
        skipped, so no run is ever read twice.
        """
        key = _log_state(self.status_path, self.runs)
        cached = _REPLAYS.get(key) if key is not None else None
        if cached is None:
            cached = self._replay()
            if key is not None:
                _REPLAYS.clear()  # one folder's state at a time: bounded memory
                _REPLAYS[key] = cached
        return dict(cached)

    def _replay(self) -> dict[str, Unit]:
        keys = {run.run_id: run for run in self.runs}
        live: dict[str, Unit] = {}
        held: dict[str, str] = {}  # run -> live unit
        ignored = []
        for number, entry in enumerate(self.entries(), 1):
            unit = None
            if _done_entry(entry) and entry["run"] in keys:  # a folder from before batches
                unit = _legacy_unit(self.data_dir, keys[entry["run"]], entry["rows"])
            elif _batch_entry(entry) or _batch_entry(entry, "compacted"):
                files = _files(entry)
                if files is None:
                    ignored.append(number)
                    continue
                if entry["status"] == "done":
                    runs = tuple(r for r in entry["runs"] if r in keys)
                else:
                    replaced = [live.pop(u) for u in entry["replaces"] if u in live]
                    runs = tuple(r for u in replaced for r in u.runs)
                    for r in runs:
                        held.pop(r, None)
                unit = Unit(entry["batch"], entry["scenario"], runs, files)
            elif entry.get("status") == "dropped" and isinstance(entry.get("units"), list):
                for name in entry["units"]:
                    gone = live.pop(name, None) if isinstance(name, str) else None
                    for r in gone.runs if gone else ():
                        held.pop(r, None)
            if unit is not None and unit.name in live:  # an older folder's run logged again
                for r in live.pop(unit.name).runs:
                    held.pop(r, None)
            if unit is not None and not any(r in held for r in unit.runs):
                live[unit.name] = unit
                held.update((r, unit.name) for r in unit.runs)
        if ignored and (str(self.status_path), ignored[0]) not in _WARNED:
            _WARNED.add((str(self.status_path), ignored[0]))
            shown = ", ".join(map(str, ignored[:5])) + (", ..." if len(ignored) > 5 else "")
            print(
                f"clustersim: warning: {self.status_path}: line(s) {shown} name files outside "
                "the folder's data/ layout; ignored (their runs count as not done)",
                file=sys.stderr,
            )
        return live

    def logged_done(self) -> dict[str, str]:
        """Run id -> the unit holding it, for runs the log says are done."""
        return {run: unit.name for unit in self.units().values() for run in unit.runs}

    def intact_units(self, verify: bool = False) -> list[Unit]:
        """Live units whose every file is present, readable and of the logged size,
        in design order of their first run.

        With `verify`, every file is read in full, its page checksums checked, so a file
        with damaged data pages behind an intact footer is not taken as done (resume).
        """
        units = [u for u in self.units().values() if u.runs and self._intact(u, verify)]
        return sorted(units, key=lambda u: min(self._order[r] for r in u.runs))

    def completed(self, verify: bool = False) -> set[str]:
        """Ids of runs whose every file is present, readable and of the logged size."""
        return {run for unit in self.intact_units(verify) for run in unit.runs}

    def _intact(self, unit: Unit, verify: bool) -> bool:
        for relative, rows in unit.files.values():
            path = self.data_dir / relative
            if _row_count(path) != rows:
                return False
            if verify and damage(path) is not None:
                return False
        return True

    def absent(self, unit: Unit) -> str | None:
        """Why a unit's files cannot be looked at (data/ or its scenario's folder is
        missing: a disk not mounted?); None when they can, so a missing or damaged
        file is positive evidence that the unit is lost."""
        if not self.data_dir.is_dir():
            return f"{self.data_dir}: missing or not a folder"
        for relative, _ in unit.files.values():
            parts = relative.split("/")
            folder = self.data_dir / parts[0] / parts[1]
            if not os.access(folder, os.R_OK | os.X_OK) or not folder.is_dir():
                return f"{folder}: missing or unreadable"
        return None

    # ------------------------------------------------------------- reading
    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One table across all completed runs, with scenario, point and replication
        columns, rows in design order (so batch sizes and workers change nothing)."""
        units = self.intact_units()
        wanted = None if columns is None else list(dict.fromkeys([*columns, *PARTITIONS]))
        frames = [
            _read_files(self.root, table, self._paths(table, units, legacy), wanted)
            for legacy in (False, True)
        ]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame()
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        frame = self._in_design_order(frame)
        if columns is not None:
            return frame[columns]
        rest = [c for c in frame.columns if c not in PARTITIONS]
        return frame[[*rest, *PARTITIONS]]

    def _paths(self, table: str, units: list[Unit], legacy: bool) -> list[str]:
        keys = {run.run_id: run for run in self.runs}
        paths = []
        for unit in (u for u in units if u.legacy == legacy):
            if table in unit.files:
                paths.append(str(self.data_dir / unit.files[table][0]))
            elif legacy:  # stored before runs had this table: named, so reading says so
                paths.append(str(run_path(self.data_dir, table, keys[unit.runs[0]])))
        return paths

    def _in_design_order(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows sorted by their run's place in the design, stably (a no-op when sorted)."""
        scenarios = list(dict.fromkeys(run.scenario for run in self.runs))
        replications = max((run.replication for run in self.runs), default=0) + 1
        points = max((run.point for run in self.runs), default=0) + 1
        code = pd.Categorical(frame["scenario"], categories=scenarios).codes.astype(np.int64)
        key = (code * points + frame["point"].to_numpy()) * replications
        key = key + frame["replication"].to_numpy()
        if len(key) > 1 and (np.diff(key) < 0).any():
            frame = frame.iloc[np.argsort(key, kind="stable")]
        return frame.reset_index(drop=True)

    def file_of(self, table: str, run_id: str) -> Path:
        """The file holding `table`'s rows of a run the log says is done."""
        unit = self.units()[self.logged_done()[run_id]]
        return self.data_dir / unit.files[table][0]

    def completed_files(self, table: str) -> list[str]:
        """The files of `table` that hold completed runs, in design order."""
        units = self.intact_units()
        legacy = self._paths(table, units, True)
        return [*self._paths(table, units, False), *legacy]

    # ------------------------------------------------------------ manifest
    def read_manifest(self) -> dict[str, Any]:
        return _load_manifest(self.manifest_path)

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically and durably: a crash leaves the old or the new."""
        temporary = self.manifest_path.with_name(".manifest.json.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(manifest, indent=2, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.manifest_path)
        fsync_folder(self.root)


_WARNED: set[tuple[str, int]] = set()  # logs whose ignored lines were named already
_EXISTING: dict[tuple, list[RunKey]] = {}  # the last manifest read, and its runs
_REPLAYS: dict[tuple, dict[str, Unit]] = {}  # the last log state replayed, and its units
_ROWS: dict[str, tuple[tuple[int, int, int], int]] = {}  # path -> (size, mtime, inode), rows


def _file_state(path: Path) -> tuple | None:
    """What identifies one state of a file: its real path, inode, size and time."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _log_state(path: Path, runs: list[RunKey]) -> tuple | None:
    """What identifies one replay of a log: the file's state and the design."""
    state = _file_state(path)
    design = (len(runs), runs[0], runs[-1]) if runs else (0,)
    return None if state is None else (*state, design)


def _row_count(path: Path) -> int | None:
    """A Parquet file's row count from its footer; None if it cannot be read. Cached
    on the file's size, time and inode, so a second check of an unchanged file is a stat."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = str(path)
    state = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    cached = _ROWS.get(key)
    if cached is not None and cached[0] == state:
        return cached[1]
    try:
        rows = pq.read_metadata(path).num_rows
    except (OSError, ValueError, pa.ArrowException):
        return None
    if len(_ROWS) > 1_000_000:
        _ROWS.clear()
    _ROWS[key] = (state, rows)
    return rows


def _load_manifest(path: Path) -> dict[str, Any]:
    """A results folder's manifest as a dict; a damaged one is a StoreError naming it."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        manifest = None
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path}: is damaged (not valid JSON: {exc.msg} at line {exc.lineno}); restore it, "
            "or run the experiment again into a new --out folder"
        ) from None
    if not isinstance(manifest, dict):
        raise StoreError(
            f"{path}: is damaged (not a JSON object of UTF-8 text); restore it, or run the "
            "experiment again into a new --out folder"
        )
    return manifest


def read_table(root: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One table of a results folder across its completed runs, with design columns."""
    return ResultStore.existing(root).read(table, columns)


def _read_files(root: Path, table: str, files: list[str], columns: list[str] | None):
    if not files:
        return pd.DataFrame()
    checked = ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    layout = {
        "format": ds.ParquetFileFormat(default_fragment_scan_options=checked),
        "partitioning": ds.partitioning(flavor="hive"),
        "partition_base_dir": str(Path(root) / "data" / table),
    }
    try:
        # A run without partnerships writes empty columns of type null; the dataset would
        # take the first file's types for all, so the files' types are unified first.
        unified = pa.unify_schemas([pq.read_schema(f) for f in files])
        found = ds.dataset(files, **layout).schema
        partitions = [f for f in found if f.name not in unified.names]
        dataset = ds.dataset(files, schema=pa.schema([*unified, *partitions]), **layout)
        frame = dataset.to_table(columns=columns).to_pandas()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise damaged_error(files, exc) from None
    for column in PARTITIONS:
        if column in frame:
            frame[column] = frame[column].astype(str if column == "scenario" else np.int64)
    return frame


def damage(path: Path | str) -> str | None:
    """Why a Parquet file cannot be read in full with its page checksums; None if it can.

    Read one row group at a time, so a large compacted file never sits in memory whole.
    """
    try:
        with pq.ParquetFile(path, page_checksum_verification=True) as parquet:
            for group in range(parquet.num_row_groups):
                parquet.read_row_group(group)
    except (OSError, ValueError, pa.ArrowException) as exc:
        return one_line(exc)
    return None


def damaged_error(files: list[str], error: BaseException) -> StoreError:
    """The one-line error for a failed read: the first damaged file by name, and the fix."""
    for path in files:
        why = damage(path)
        if why is not None:
            return StoreError(
                f"{path}: damaged ({why}); run the same compare or sweep command again, "
                "which redoes that run"
            )
    return StoreError(f"cannot read the results ({one_line(error)})")


def one_line(error: BaseException) -> str:
    """An exception's message on one line, as errors are shown to the user."""
    return " ".join(str(error).split()) or type(error).__name__


def _new_manifest(exp: Experiment) -> dict[str, Any]:
    """What produced the results: the experiment, versions, code state, seeds and design."""
    path = exp.path.resolve()
    commit, dirty = _git_state(path.parent)
    return {
        "experiment_path": str(exp.path),
        "experiment_name": exp.name,
        "experiment_file_sha256": _file_sha256(path),
        "experiment_sha256": exp.sha256,
        "description": exp.description,
        "versions": software_versions(),
        "model_sha256": model_sha256(),
        "git_commit": commit,
        "git_dirty": dirty,
        "root_seed": exp.seed,
        "replication_seeds": exp.replication_seeds,
        "runs": [_key(run).__dict__ for run in exp.runs()],
        "design": exp.describe(),
        "points": exp.points.to_dict("records"),
        "scenarios": {name: p.as_dict() for name, p in exp.scenarios.items()},
        "host": socket.gethostname(),
        "started": _now(),
    }


def _done_entry(entry: Any) -> bool:
    """Whether a status line says a run is done, in the shape the store writes; else ignored."""
    return (
        isinstance(entry, dict)
        and entry.get("status") == "done"
        and isinstance(entry.get("run"), str)
        and isinstance(entry.get("rows"), dict)
    )


def _batch_entry(entry: dict[str, Any], status: str = "done") -> bool:
    """Whether a status line logs a batch (or, with status "compacted", a compaction)."""
    listed = "runs" if status == "done" else "replaces"
    files = entry.get("files")
    return (
        entry.get("status") == status
        and isinstance(entry.get("batch"), str)
        and isinstance(entry.get("scenario"), str)
        and isinstance(entry.get(listed), list)
        and isinstance(files, dict)
        and all(
            isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], int)
            for f in files.values()
        )
    )


def _files(entry: dict[str, Any]) -> dict[str, tuple[str, int]] | None:
    """A line's files, if every one lies where this tool writes that unit's tables:
    `<table>/scenario=<its scenario>/<its name>.parquet`; else None (ignore the line)."""
    name, scenario = entry["batch"], entry["scenario"]
    if not UNIT_NAME.fullmatch(name) or not _safe_scenario(scenario):
        return None
    files = {}
    for table, (path, rows) in entry["files"].items():
        if table not in TABLES or path != f"{table}/scenario={scenario}/{name}.parquet":
            return None
        files[table] = (path, rows)
    return files


def _safe_scenario(scenario: str) -> bool:
    """A scenario name that is one folder name (no separator, not . or ..)."""
    return bool(_SCENARIO.fullmatch(scenario)) and scenario not in (".", "..")


def _legacy_unit(data_dir: Path, run: RunKey, rows: dict[str, Any]) -> Unit:
    """A run of a folder written before batches: one file per table, point and
    replication in the path. (A run logged before runs stored their organisations
    is whole without them.)"""
    where = f"scenario={run.scenario}/point={run.point}/replication={run.replication}"
    files = {  # as run_path, relative to data/, built as text: 100,000 lines replay fast
        table: (f"{table}/{where}/{run.run_id}.parquet", rows[table])
        for table in TABLES
        if table in rows
    }
    return Unit(f"run:{run.run_id}", run.scenario, (run.run_id,), files, legacy=True)


def _key(run: RunSpec) -> RunKey:
    return RunKey(run.run_id, run.scenario, run.point, run.replication, run.seed)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_state(folder: Path) -> tuple[str | None, bool | None]:
    """The commit of the checkout holding the experiment file, and whether it has changes."""
    try:
        commit = _git(folder, "rev-parse", "HEAD").strip()
        status = _git(folder, "status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=True
    ).stdout


# ------------------------------------------------------------ single runs (`clustersim run`)
RUN_FILES = frozenset({"manifest.json", *(f"{name}.parquet" for name in MODEL_TABLES)})
# A run folder written before the organisations table existed is still an earlier run.
LEGACY_RUN_FILES = RUN_FILES - {"organisations.parquet"}


def earlier_run(out_dir: Path) -> bool:
    """Whether `out_dir` is provably a folder `clustersim run` wrote, and nothing else.

    Its manifest must say it is a run and the folder must hold exactly the files a
    run writes: a folder with anything more is someone's, and is never replaced.
    """
    try:
        entries = list(Path(out_dir).iterdir())
        if {e.name for e in entries} not in (RUN_FILES, LEGACY_RUN_FILES):
            return False
        if any(e.is_symlink() or not e.is_file() for e in entries):
            return False
        manifest = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    legacy = "config_sha256" in manifest and "seed" in manifest  # written before `kind`
    return manifest.get("kind", "run" if legacy else None) == "run"


def check_out_dir(out_dir: Path) -> None:
    """Refuse an --out a run may not write: only a new or empty folder or an earlier run's."""
    out_dir = Path(os.path.abspath(out_dir))
    here = Path.cwd()
    if out_dir == here or out_dir in here.parents:
        raise OutputError(
            f"--out {out_dir}: is the current folder or holds it; a run writes a folder of "
            "its own; choose a new one, e.g. --out results/my-run"
        )
    if out_dir.is_symlink():
        raise OutputError(f"--out {out_dir}: is a symbolic link; give a real folder path")
    if not out_dir.is_dir() or not any(out_dir.iterdir()) or earlier_run(out_dir):
        return
    foreign = sorted(e.name for e in out_dir.iterdir() if e.name not in RUN_FILES)
    shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    raise OutputError(
        f"--out {out_dir}: is not the folder of an earlier `clustersim run`"
        f"{f' (it holds {shown})' if foreign else ''}, and a run replaces nothing else; "
        "choose a new or empty folder"
    )


def write_run_folder(tables: dict[str, pd.DataFrame], manifest: dict, out_dir: Path) -> Path:
    """Write a single run's tables as Parquet plus manifest.json into `out_dir`, atomically.

    Everything goes into a temporary sibling folder that is renamed into place only when
    complete, so a crash never leaves a folder that looks finished.
    """
    out_dir = Path(os.path.abspath(out_dir))
    check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name in MODEL_TABLES:
            table = staging / f"{name}.parquet"
            tables[name].to_parquet(table, index=False, write_page_checksum=True)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        _put_in_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # the staging folder is ours alone
        raise
    return out_dir


def _put_in_place(staging: Path, out_dir: Path) -> None:
    """Rename `staging` to `out_dir`; an earlier run there is moved aside, then its files removed.

    Only the files a run writes are unlinked, one by one, and the folder is removed
    with rmdir, which fails rather than delete anything that appeared meanwhile.
    """
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        staging.rename(out_dir)  # rename(2) replaces an empty folder, never a full one
        return
    aside = out_dir.with_name(f"{staging.name}.old")
    out_dir.rename(aside)
    if not earlier_run(aside):  # changed since it was checked: put it back, refuse
        aside.rename(out_dir)
        check_out_dir(out_dir)
        raise OutputError(f"--out {out_dir}: changed while the run was written; try again")
    try:
        staging.rename(out_dir)
    except BaseException:
        aside.rename(out_dir)
        raise
    for name in RUN_FILES:
        (aside / name).unlink(missing_ok=True)
    aside.rmdir()
