"""What a worker does for a batch of runs: simulate each, write the batch's tables, report.

This is the only function an executor runs, on whatever machine it runs, so it
takes plain data (RunSpecs, a folder path, the batch's name) and returns a small
dict: the tables themselves never travel back to the coordinator. A batch holds
runs of one scenario and writes one Parquet file per table for all of them
(`store.batch_path`), so a sweep of small runs writes few files, not five a run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from clustersim.experiment.spec import RunSpec
from clustersim.experiment.store import TABLES, batch_path, write_atomically
from clustersim.parameters import Parameters
from clustersim.run import simulate, summarise


def run_tables(run: RunSpec) -> dict[str, pd.DataFrame]:
    """One run's tables, the runs table's summary row included."""
    tables = simulate(Parameters(**run.parameters), run.seed)
    summary = {"run_id": run.run_id, "seed": run.seed, **summarise(tables)}
    tables["runs"] = pd.DataFrame([summary])
    return tables


def keyed(frame: pd.DataFrame, run: RunSpec) -> pa.Table:
    """A run's table as Arrow with its point and replication as the last columns.

    The scenario stays in the folder name (hive partition): a file holds one scenario.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = table.num_rows
    table = table.append_column("point", pa.array([run.point] * rows, pa.int64()))
    return table.append_column("replication", pa.array([run.replication] * rows, pa.int64()))


def execute_batch(runs: list[RunSpec], data_dir: str, batch: str) -> dict[str, Any]:
    """Simulate `runs` (one scenario) and write their tables, one file per table.

    A run that raises is reported in "failed" and left out; the others are written.
    Returns the runs written, the failures, each file's row count, and CPU seconds
    per run, by which the coordinator sizes later batches.
    """
    pieces: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    done, failed, seconds = [], {}, []
    for run in runs:
        start = time.process_time()
        try:
            tables = run_tables(run)
        except Exception as exc:  # one failing run must not sink its batch
            failed[run.run_id] = f"{type(exc).__name__}: {exc}"
            continue
        for name in TABLES:
            pieces[name].append(keyed(tables[name], run))
        done.append(run.run_id)
        seconds.append(time.process_time() - start)
    files: dict[str, list] = {}
    if done:
        for name in TABLES:
            table = pa.concat_tables(pieces[name], promote_options="permissive")
            path = batch_path(Path(data_dir), name, runs[0].scenario, batch)
            write_atomically(table, path)
            files[name] = [path.relative_to(data_dir).as_posix(), table.num_rows]
    return {"runs": done, "failed": failed, "files": files, "seconds": seconds}
