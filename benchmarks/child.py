"""Measurements that need a fresh process of their own, so its peak memory is theirs.

`python -m benchmarks.child default-run` runs the default model once;
`python -m benchmarks.child sweep RUNS WORKERS SIZE MONTHS` coordinates a sweep of RUNS
runs on WORKERS local processes; `python -m benchmarks.child large-region N MONTHS SEED`
runs one region of N organisations (`benchmarks.large`). Each prints one JSON line:
wall seconds and the peak resident memory of this process alone (workers are other
processes and are not counted: the coordinator's memory is what must not grow with
the number of runs).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.population import region_of
from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.spec import Compare, Experiment
from clustersim.parameters import Parameters
from clustersim.run import simulate


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB.

    Linux's VmHWM, where there is one: `ru_maxrss` would also count the parent's
    memory at the fork that started this process, which survives the exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # bytes on macOS


def default_run() -> dict[str, float]:
    """The default model run, as `clustersim run configs/baseline.toml` makes it."""
    start = time.perf_counter()
    simulate(Parameters(), seed=1)
    return {"wall_s": time.perf_counter() - start, "peak_rss_mib": peak_rss_mib()}


def sweep(runs: int, workers: int, n_organisations: int, months: int) -> dict[str, float]:
    """Coordinate `runs` replications of one small scenario through the experiment engine."""
    parameters = Parameters(**region_of(n_organisations), months=months)
    with tempfile.TemporaryDirectory(prefix="clustersim-bench-") as folder:
        # The store hashes the experiment's file; this one exists only for the benchmark.
        path = Path(folder) / "benchmark.toml"
        path.write_text(f"# {runs} runs of {n_organisations} organisations, {months} months\n")
        return _timed_sweep(_experiment(path, parameters, runs), workers, Path(folder) / "out")


def _experiment(path: Path, parameters: Parameters, runs: int) -> Experiment:
    return Experiment(
        path=path,
        name=f"benchmark-{runs}",
        description="sweep scaling benchmark",
        seed=1,
        replications=runs,
        scenarios={"benchmark": parameters},
        reference="benchmark",
        design=Compare(("benchmark",), "benchmark"),
    )


def _timed_sweep(experiment: Experiment, workers: int, out_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    with Engine.local(workers) as engine:
        outcome = run_experiment(experiment, out_dir, engine, progress=False)
    wall = time.perf_counter() - start
    if outcome.failed or outcome.missing:
        raise SystemExit(f"sweep benchmark: {len(outcome.failed)} runs failed")
    runs = outcome.completed
    return {"wall_s": wall, "runs_per_s": runs / wall, "peak_rss_mib": peak_rss_mib()}


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    if task == "default-run":
        result = default_run()
    elif task == "large-region":
        from benchmarks.large import one_region

        result = one_region(*map(int, args))
    else:
        result = sweep(*map(int, args))
    print(json.dumps(result))
