"""Engine throughput and storage at scale (issue 15, parts 2 and 3).

`engine_efficiency` times the same runs twice, each side in a fresh process
(`python -m benchmarks.storage model|engine ...`): the model alone, in-process, as CPU
seconds per run; and the experiment engine on `workers` local processes, as runs per
wall second from start to finished folder (pool start, writes, log, compaction).
Efficiency is engine runs/s divided by workers / model seconds per run: 1.0 means
the engine costs nothing beyond the model.

`store_figures` builds a store of `n_runs` small runs. What is real and what is
replicated: a few hundred small runs (50 organisations, 24 months) are simulated for
real, through the engine, into a store of their own. Simulating 100,000 runs is out of
reach on two cores, so their tables are then replicated, run by run in turn, under the
run ids of an experiment of `n_runs` replications: written as the engine writes them
(batches of the size the engine would choose, with `worker`'s and `store`'s own
writer, fsynced, one status line per batch), then compacted by the real compaction
code. The report (the real CLI, in a subprocess) and a DuckDB query then read that
store; the timings and file counts are of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from clustersim.experiment import compaction
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import Compare, Experiment
from clustersim.experiment.store import TABLES, ResultStore, batch_path, read_table
from clustersim.parameters import Parameters

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"n_smes": 47, "n_knowledge_institutions": 2, "n_governments": 1, "months": 24}
REAL_RUNS = 300  # small runs simulated for real to build a store of any size


def experiment(folder: Path, runs: int, seed: int, parameters: Parameters) -> Experiment:
    """An experiment of `runs` replications of one scenario (its file exists for the store)."""
    path = Path(folder) / "storage-benchmark.toml"
    path.write_text(f"# {runs} runs, seed {seed}\n")
    return Experiment(
        path=path,
        name=f"storage-{runs}",
        description="storage and throughput benchmark",
        seed=seed,
        replications=runs,
        scenarios={"benchmark": parameters},
        reference="benchmark",
        design=Compare(("benchmark",), "benchmark"),
    )


# ----------------------------------------------------------------- engine efficiency
def model_only(runs: int, seed: int) -> dict[str, float]:
    """CPU seconds per run of the model alone, on the engine's very runs (default size)."""
    from clustersim.experiment.worker import run_tables

    with tempfile.TemporaryDirectory() as folder:
        specs = experiment(Path(folder), runs, seed, Parameters()).runs()
    start = time.process_time()
    for spec in specs:
        run_tables(spec)
    return {"model_s_per_run": (time.process_time() - start) / runs}


def engine_only(runs: int, workers: int, seed: int) -> dict[str, float]:
    """Runs per wall second of the whole engine, pool start to finished folder."""
    with tempfile.TemporaryDirectory(prefix="clustersim-bench-") as folder:
        exp = experiment(Path(folder), runs, seed, Parameters())
        start = time.perf_counter()
        with Engine.local(workers) as local:
            outcome = run_experiment(exp, Path(folder) / "out", local, progress=False)
        wall = time.perf_counter() - start
        files = sum(1 for p in (Path(folder) / "out" / "data").rglob("*") if p.is_file())
    if outcome.failed or outcome.missing:
        raise SystemExit(f"engine benchmark: {len(outcome.failed)} runs failed")
    return {"engine_wall_s": wall, "engine_runs_per_s": runs / wall, "data_files": files}


def engine_efficiency(runs: int, workers: int, seed: int) -> dict[str, Any]:
    """Engine runs/s over the model's own on `workers` cores; each side in a fresh process."""
    model = _child("model", runs, seed)
    engine_side = _child("engine", runs, workers, seed)
    ideal = workers / model["model_s_per_run"]
    return {
        "runs": runs,
        "workers": workers,
        **model,
        **engine_side,
        "ideal_runs_per_s": ideal,
        "efficiency": engine_side["engine_runs_per_s"] / ideal,
    }


def _child(*args: Any) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.storage", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- store at scale
def store_figures(n_runs: int) -> dict[str, Any]:
    """Files per run, `clustersim report` time and a DuckDB query's time on a store of
    `n_runs` small runs (REAL_RUNS real, the rest replicated: see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="clustersim-store-") as name:
        folder = Path(name)
        real = _real_store(folder / "real", min(REAL_RUNS, n_runs))
        out = folder / "big" / "out"
        store = ResultStore.open(out, experiment(_mkdir(folder / "big"), n_runs, 1, _small()))
        start = time.perf_counter()
        batches = _replicate(store, real["tables"], real["batch_runs"])
        written_s = time.perf_counter() - start
        start = time.perf_counter()
        compaction.compact(store, "benchmark")
        compaction.clean(store)
        compact_s = time.perf_counter() - start
        files = sum(1 for p in (out / "data").rglob("*") if p.is_file())
        figures = {
            "runs": n_runs,
            "real_runs": real["runs"],
            "real_engine_s": real["wall_s"],
            "runs_per_batch": real["batch_runs"],
            "batch_files_written": batches * len(TABLES),
            "replicated_write_s": written_s,
            "compaction_s": compact_s,
            "files_after_completion": files,
            "files_per_run": files / n_runs,
            "files_written_per_run": (batches + 1) * len(TABLES) / n_runs,
            "report_s": _timed([sys.executable, "-m", "clustersim", "report", str(out)]),
        }
        figures.update(_duckdb_seconds(out))
        return figures


def _small() -> Parameters:
    from benchmarks.population import region_of

    return Parameters(**region_of(50), months=24)


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _real_store(folder: Path, runs: int) -> dict[str, Any]:
    """`runs` small runs simulated through the engine (2 workers); each run's tables,
    and the runs per batch the engine chose for them."""
    exp = experiment(_mkdir(folder), runs, 1, _small())
    start = time.perf_counter()
    with Engine.local(2) as local:
        run_experiment(exp, folder / "out", local, progress=False)
    wall = time.perf_counter() - start
    sizes = [
        len(entry["runs"])
        for entry in ResultStore.existing(folder / "out").entries()
        if entry.get("status") == "done"
    ]
    tables = {}
    for table in TABLES:
        frame = read_table(folder / "out", table).drop(columns=["scenario"])
        by_run = dict(iter(frame.groupby("replication", sort=True)))
        empty = frame.iloc[0:0]
        tables[table] = [
            pa.Table.from_pandas(by_run.get(r, empty), preserve_index=False) for r in range(runs)
        ]
    batch = max(sorted(sizes)[len(sizes) // 2], 1)  # the median batch the engine sent
    return {"runs": runs, "wall_s": wall, "tables": tables, "batch_runs": batch}


def _replicate(store: ResultStore, tables: dict[str, list[pa.Table]], size: int) -> int:
    """Write the store's runs as the engine would: run j is real run j mod len(real),
    under j's id and seed, in batches of `size`, one status line per batch."""
    runs, real, batches = store.runs, len(tables["runs"]), 0
    for first in range(0, len(runs), size):
        keys = runs[first : first + size]
        name, files = f"batch-{first:012x}", {}
        for table in TABLES:
            pieces = [tables[table][i % real] for i in range(first, first + len(keys))]
            combined = _relabelled(
                pa.concat_tables(pieces, promote_options="permissive"), keys, pieces
            )
            path = batch_path(store.data_dir, table, "benchmark", name)
            _write(combined, path)
            files[table] = [path.relative_to(store.data_dir).as_posix(), combined.num_rows]
        store.mark_batch_done(name, "benchmark", {"runs": [k.run_id for k in keys], "files": files})
        batches += 1
    return batches


def _relabelled(table: pa.Table, keys: list, pieces: list[pa.Table]) -> pa.Table:
    """The replicas' rows under their own replication number (and, in runs, id and seed)."""

    def column(values: list) -> pa.Array:
        return pa.array([v for v, p in zip(values, pieces, strict=True) for _ in range(p.num_rows)])

    replacements = {"replication": column([k.replication for k in keys])}
    if "run_id" in table.column_names:
        replacements |= {
            "run_id": column([k.run_id for k in keys]),
            "seed": column([k.seed for k in keys]),
        }
    for name, values in replacements.items():
        i = table.column_names.index(name)
        table = table.set_column(i, name, values.cast(table.schema.field(name).type))
    return table


def _write(table: pa.Table, path: Path) -> None:
    from clustersim.experiment.store import write_atomically

    write_atomically(table, path)


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start


def _duckdb_seconds(out: Path) -> dict[str, float]:
    """A DuckDB query over every run's series and runs tables, as a user would write it."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return {}

    def scan(table: str) -> str:
        return f"read_parquet('{out}/data/{table}/**/*.parquet', hive_partitioning=true)"

    start = time.perf_counter()
    with duckdb.connect() as con:
        con.sql(
            f"SELECT scenario, month, avg(members) FROM {scan('series')} GROUP BY ALL"
        ).fetchall()
        rows = con.sql(f"SELECT count(*) FROM {scan('runs')}").fetchall()[0][0]
    return {"duckdb_query_s": time.perf_counter() - start, "duckdb_runs_counted": rows}


if __name__ == "__main__":
    what, *numbers = sys.argv[1:]
    ints = [int(n) for n in numbers]
    actions = {
        "model": model_only,
        "engine": engine_only,
        "efficiency": engine_efficiency,
        "store": store_figures,
    }
    print(json.dumps(actions[what](*ints)))
