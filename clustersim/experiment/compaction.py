"""Compaction: a scenario's batch files merged into one file per table, crash-safely.

Why: batches bound the files written per second of model time, not per experiment;
merging a settled scenario's files bounds them per scenario, so `report` and DuckDB
open a few files however many runs there are. The order of steps is what makes a
SIGKILL at any moment harmless (see `store`): the merged files are written and made
durable under new names, then one log line records them and the units they replace,
then the replaced files are deleted. Before that line the new files are orphans that
readers never see and `clean` deletes; after it the old files are ignored until
deleted. Every name is announced in the log before anything is written under it (a
`submitted` line per batch, a `compacting` line per merge), and `clean` deletes only
files of announced names that no live unit holds: never a file the log does not
name (a user's, or one a truncated log forgot), never outside the folder's data/.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clustersim.experiment.store import (
    TABLES,
    UNIT_NAME,
    ResultStore,
    StoreError,
    Unit,
    _safe_scenario,
    batch_path,
    damage,
    fsync_folder,
    one_line,
    run_path,
)

KILL_AT = "CLUSTERSIM_TEST_KILL_AT"  # tests: SIGKILL this process at the named step
ROW_GROUP = 131_072  # rows per row group of a merged file: large enough to scan fast
# Exactly the names this tool writes under a scenario's folder: a unit's file, and the
# temporary a write goes through (`.<file>.<pid>.tmp`).
OURS = re.compile(
    r"(?P<temp>\.)?(?P<name>(batch|compact)-[0-9a-f]{12})\.parquet(?(temp)\.\d+\.tmp)"
)
DESIGN_KEY = [("point", "ascending"), ("replication", "ascending")]  # within a scenario
ANNOUNCING = ("submitted", "compacting", "done", "compacted")


def checkpoint(step: str) -> None:
    """Die here, as a crash would, when a test names this step in $CLUSTERSIM_TEST_KILL_AT."""
    if os.environ.get(KILL_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def compact(store: ResultStore, scenario: str) -> bool:
    """Merge the scenario's intact units into one file per table; False if nothing to do.

    A unit whose file turns out damaged while merging is dropped in the log (its runs
    are redone by the next invocation) and the scenario is left uncompacted.
    """
    units = [u for u in store.intact_units() if u.scenario == scenario]
    if len(units) < 2 and not any(u.legacy for u in units):
        return False
    name = f"compact-{uuid.uuid4().hex[:12]}"
    store.log({"status": "compacting", "batch": name, "scenario": scenario})
    files = {}
    for table in TABLES:
        path = batch_path(store.data_dir, table, scenario, name)
        try:
            rows = merge(store, units, table, path)
        except (OSError, ValueError, pa.ArrowException) as exc:
            _drop_damaged(store, units, exc)
            return False
        files[table] = [path.relative_to(store.data_dir).as_posix(), rows]
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


def _drop_damaged(store: ResultStore, units: list[Unit], error: BaseException) -> None:
    """Drop the units with a file that fails its checks (positive evidence); if none
    does, the error is not the data's: stop with one line."""
    damaged = [
        u.name
        for u in units
        if any(damage(store.data_dir / relative) for relative, _ in u.files.values())
    ]
    if not damaged:
        raise StoreError(f"{store.root}: cannot compact ({one_line(error)})") from None
    store.log({"status": "dropped", "units": damaged, "why": f"damaged: {one_line(error)}"})


def merge(store: ResultStore, units: list[Unit], table: str, path: Path) -> int:
    """Write `table` of `units`, in design order, to `path` atomically; return its rows.

    Sources are read a row group at a time (checksums verified), so memory holds about
    one row group, not a table; only units whose runs interleave (a run redone after
    its neighbours) are read whole, those units together, and sorted.
    """
    keys = {run.run_id: run for run in store.runs}
    sources = [(store.data_dir / u.files[table][0], u) for u in units if table in u.files]
    parts = [_keyed_schema(pq.read_schema(p), u) for p, u in sources]
    schema = pa.unify_schemas(parts or [_empty_schema()], promote_options="permissive")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    rows, pending, waiting = 0, [], 0
    with pq.ParquetWriter(temporary, schema, write_page_checksum=True) as writer:
        for piece in _pieces(store, sources, keys):
            piece = piece.select(schema.names).cast(schema)
            pending.append(piece)
            rows, waiting = rows + piece.num_rows, waiting + piece.num_rows
            if waiting >= ROW_GROUP:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
                pending, waiting = [], 0
        if pending or not rows:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table())
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)
    return rows


def _pieces(store: ResultStore, sources: list, keys: dict) -> Iterator[pa.Table]:
    """The sources' rows with point and replication, in design order, a piece at a time."""
    order = store._order
    spans = [(min(order[r] for r in u.runs), max(order[r] for r in u.runs)) for _, u in sources]
    for cluster in _overlapping(sorted(range(len(sources)), key=lambda i: spans[i]), spans):
        if len(cluster) > 1:  # a run redone after its neighbours: these units sorted together
            whole = [_read(*sources[i], keys) for i in cluster]
            table = pa.concat_tables(whole, promote_options="permissive")
            yield table.take(pc.sort_indices(table, sort_keys=DESIGN_KEY))
            continue
        source, unit = sources[cluster[0]]
        runs = [order[r] for r in unit.runs]
        if unit.legacy or runs != sorted(runs):  # one run's file, or rows to sort first
            yield _read(source, unit, keys)
            continue
        with pq.ParquetFile(source, page_checksum_verification=True) as parquet:
            for group in range(parquet.num_row_groups):
                yield parquet.read_row_group(group)


def _overlapping(ranked: list[int], spans: list[tuple[int, int]]) -> list[list[int]]:
    """The units, ranked by their runs' span in the design, grouped where spans overlap:
    only those groups need sorting together; every other unit streams on its own."""
    clusters: list[list[int]] = []
    end = -1
    for i in ranked:
        start, stop = spans[i]
        if clusters and start < end:
            clusters[-1].append(i)
        else:
            clusters.append([i])
        end = max(end, stop)
    return clusters


def _read(source: Path, unit: Unit, keys: dict) -> pa.Table:
    return _keyed(pq.read_table(source, page_checksum_verification=True), keys, unit)


def _empty_schema() -> pa.Schema:
    """The schema of a table no source has (older runs without it): design columns only."""
    return pa.schema([("point", pa.int64()), ("replication", pa.int64())])


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
    return table.take(pc.sort_indices(table, sort_keys=DESIGN_KEY))


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
    """Delete the files of names the log announced that no live unit holds: a batch or
    compaction whose done line never came, a replaced file, a temporary of ours.
    Nothing the log never named is touched. Only when no worker is writing (before
    runs are submitted, after all have ended)."""
    live = store.units()
    announced: dict[str, set[str]] = {}
    legacy_runs = set()
    for entry in store.entries():
        name, scenario = entry.get("batch"), entry.get("scenario")
        if entry.get("status") in ANNOUNCING and _ours(name, scenario):
            announced.setdefault(scenario, set()).add(name)
        elif entry.get("status") == "done" and isinstance(entry.get("run"), str):
            legacy_runs.add(entry["run"])
    removed = 0
    for scenario, names in announced.items():
        for table in TABLES:
            removed += _clean_folder(store.data_dir / table / f"scenario={scenario}", names, live)
    for run in store.runs:
        if run.run_id in legacy_runs and f"run:{run.run_id}" not in live:
            for table in TABLES:
                path = run_path(store.data_dir, table, run)
                if path.is_file():
                    path.unlink()
                    removed += 1
                    _remove_empty(path.parent, store.data_dir / table)
    return removed


def _ours(name: object, scenario: object) -> bool:
    """Whether a line names a unit as this tool names them, in a scenario's own folder."""
    return (
        isinstance(name, str)
        and isinstance(scenario, str)
        and bool(UNIT_NAME.fullmatch(name))
        and _safe_scenario(scenario)
    )


def _clean_folder(folder: Path, announced: set[str], live: dict[str, Unit]) -> int:
    """Delete, in one scenario's folder, our temporaries and dead units' files."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    for filename in names:
        match = OURS.fullmatch(filename)
        if not match or match["name"] not in announced:
            continue
        if match["temp"] or match["name"] not in live:
            (folder / filename).unlink(missing_ok=True)
            removed += 1
    return removed
