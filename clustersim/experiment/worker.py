"""What a worker does for one run: simulate, write the tables, return row counts.

This is the only function an executor runs, on whatever machine it runs, so it
takes plain data (a RunSpec and a folder path) and returns a small dict: the
tables themselves never travel back to the coordinator.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clustersim.experiment.spec import RunSpec
from clustersim.experiment.store import run_path, write_atomically
from clustersim.parameters import Parameters
from clustersim.run import simulate, summarise


def execute_run(run: RunSpec, data_dir: str) -> dict[str, int]:
    """Run one model and write its tables; return the row count of each table."""
    tables = simulate(Parameters(**run.parameters), run.seed)
    summary = {"run_id": run.run_id, "seed": run.seed, **summarise(tables)}
    tables["runs"] = pd.DataFrame([summary])
    rows = {}
    for name, frame in tables.items():
        write_atomically(frame, run_path(Path(data_dir), name, run))
        rows[name] = len(frame)
    return rows
