"""Compaction: a scenario's batch files merged into one file per table, crash-safely.

Why: batches bound the files written per second of model time, not per experiment;
merging a settled scenario's files bounds them per scenario, so `report` and DuckDB
open a few files however many runs there are. The order of steps is what makes a
SIGKILL at any moment harmless (see `store`): the merged files are written and made
durable under new names, then one log line records them and the units they replace,
then the replaced files are deleted. Before that line the new files are orphans that
readers never see and `clean` deletes; after it the old files are ignored until
deleted. Only files this tool writes, under the folder's own data/, are ever deleted.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clustersim.experiment.store import TABLES, ResultStore, Unit, batch_path

KILL_AT = "CLUSTERSIM_TEST_KILL_AT"  # tests: SIGKILL this process at the named step
ROW_GROUP = 131_072  # rows per row group of a merged file: large enough to scan fast
OURS = re.compile(r"(batch|compact)-[\w.-]+\.parquet|\..*\.tmp")


def checkpoint(step: str) -> None:
    """Die here, as a crash would, when a test names this step in $CLUSTERSIM_TEST_KILL_AT."""
    if os.environ.get(KILL_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def compact(store: ResultStore, scenario: str) -> bool:
    """Merge the scenario's intact units into one file per table; False if nothing to do."""
    units = [u for u in store.intact_units() if u.scenario == scenario]
    if len(units) < 2 and not any(u.legacy for u in units):
        return False
    if any(table not in u.files for u in units for table in TABLES):
        return False  # an older folder's runs without a table: left as they are
    name = f"compact-{uuid.uuid4().hex[:12]}"
    files = {}
    for table in TABLES:
        path = batch_path(store.data_dir, table, scenario, name)
        files[table] = [
            path.relative_to(store.data_dir).as_posix(),
            merge(store, units, table, path),
        ]
        checkpoint("compaction-file-written")
    checkpoint("compaction-written")
    replaced = [u.name for u in units]
    store.log(
        {
            "status": "compacted",
            "batch": name,
            "scenario": scenario,
            "replaces": replaced,
            "files": files,
        }
    )
    checkpoint("compaction-logged")
    for unit in units:
        _remove_files(store, unit)
    return True


def merge(store: ResultStore, units: list[Unit], table: str, path: Path) -> int:
    """Write `table` of `units`, in order, to `path` atomically; return its row count."""
    sources = [(store.data_dir / u.files[table][0], u) for u in units]
    keys = {run.run_id: run for run in store.runs}
    schema = pa.unify_schemas(
        [_keyed_schema(pq.read_schema(p), u) for p, u in sources], promote_options="permissive"
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    rows, pending = 0, []
    with pq.ParquetWriter(temporary, schema, write_page_checksum=True) as writer:
        for source, unit in sources:
            piece = _keyed(pq.read_table(source, page_checksum_verification=True), keys, unit)
            pending.append(piece.select(schema.names).cast(schema))
            rows += piece.num_rows
            if sum(p.num_rows for p in pending) >= ROW_GROUP:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
                pending = []
        if pending or not rows:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table())
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)
    return rows


def _keyed_schema(schema: pa.Schema, unit: Unit) -> pa.Schema:
    if not unit.legacy:
        return schema
    return schema.append(pa.field("point", pa.int64())).append(pa.field("replication", pa.int64()))


def _keyed(table: pa.Table, keys: dict, unit: Unit) -> pa.Table:
    """A unit's table with point and replication columns, rows in design order."""
    if unit.legacy:
        run = keys[unit.runs[0]]
        rows = table.num_rows
        table = table.append_column("point", pa.array([run.point] * rows, pa.int64()))
        return table.append_column("replication", pa.array([run.replication] * rows, pa.int64()))
    order = pc.sort_indices(table, sort_keys=[("point", "ascending"), ("replication", "ascending")])
    return table.take(order)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _remove_files(store: ResultStore, unit: Unit) -> None:
    for relative, _ in unit.files.values():
        path = store.data_dir / relative
        path.unlink(missing_ok=True)
        if unit.legacy:
            _remove_empty(path.parent, store.data_dir / relative.split("/")[0])


def _remove_empty(folder: Path, top: Path) -> None:
    """Remove empty folders from `folder` up to (not including) the scenario's folder."""
    while folder.parent != top and folder != top:
        try:
            folder.rmdir()  # fails on a folder with anything in it: nothing else is lost
        except OSError:
            return
        folder = folder.parent


def clean(store: ResultStore) -> int:
    """Delete files under data/ that this tool wrote and no live unit names: a batch or
    compaction whose line was never logged, a replaced file, a temporary. Only when no
    worker is writing (before runs are submitted, after all have ended)."""
    live = {rel for unit in store.units().values() for rel, _ in unit.files.values()}
    designed = {f"{run.run_id}.parquet" for run in store.runs}
    removed = 0
    for table in TABLES:
        for path in sorted((store.data_dir / table).glob("scenario=*/**/*")):
            relative = path.relative_to(store.data_dir).as_posix()
            legacy = "/point=" in relative and path.name in designed
            if path.is_file() and relative not in live and (OURS.fullmatch(path.name) or legacy):
                path.unlink()
                removed += 1
                if legacy:
                    _remove_empty(path.parent, store.data_dir / table)
    return removed
