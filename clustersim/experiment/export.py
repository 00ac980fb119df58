"""Tidy CSV files for spreadsheet users, one per table, via DuckDB.

Only runs the status log marks done (and whose files are intact) are exported, so
a half-finished experiment never exports a half-written run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clustersim.experiment.store import TABLES, ResultStore, damage, damaged_error


def export_csv(store: ResultStore, out_dir: Path) -> dict[str, int]:
    """Write `<table>.csv` for every table into `out_dir`; return row counts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    with duckdb.connect() as con:
        for table in TABLES:
            files = store.completed_files(table)
            target = out_dir / f"{table}.csv"
            if not files:
                target.write_text("")
                counts[table] = 0
                continue
            # DuckDB does not check page checksums: verify first, so no damaged page is exported.
            if any(damage(path) is not None for path in files):
                raise damaged_error(files, ValueError("damaged file"))
            try:
                # union_by_name: a run without partnerships writes null-typed columns, and
                # DuckDB would otherwise take the first file's types for all of them.
                relation = con.read_parquet(files, hive_partitioning=True, union_by_name=True)
                relation.write_csv(str(target))
                counts[table] = relation.count("*").fetchall()[0][0]
            except duckdb.Error as exc:
                raise damaged_error(files, exc) from None
    return counts
