"""`python -m benchmarks [--quick] [--out FILE] [--workers 1,2]`: print the table, write JSON.

The full benchmark takes about 12 minutes on two idle cores, most of it the 200k
region and the 100,000-run store; `--quick` runs every measurement at small sizes in
about a minute, for CI and for checking that the benchmark itself works.
docs/performance.md explains each measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from benchmarks import baseline, large, storage, timing
from benchmarks.report import format_table, verdicts

DEFAULT_OUT = Path("results") / "benchmarks.json"


@dataclass(frozen=True)
class Plan:
    """Sizes of every measurement; `full` is what the issue asks for, `quick` is for CI."""

    sizes: list[int]
    months: int
    reference_size: int
    reference_repeats: int
    sweep_runs_per_worker: int  # at the most workers; every worker count runs as many
    sweep_size: int
    sweep_months: int
    memory_runs: tuple[int, int]  # the two sweep lengths whose coordinator RSS is compared
    memory_size: int
    memory_months: int
    large_sizes: list[int]  # large regions, each in a fresh process, over `months`
    baseline: tuple[int, int, int]  # rounds, seeds a round, months of the side-by-side runs
    engine_runs: int  # default runs behind the engine's efficiency
    store_runs: int  # runs in the store that `report` reads


FULL = Plan(
    *([1000, 2000, 4000, 8000, 16000], 120, 10_000, 5, 16, 311, 120, (250, 1000), 40, 12),
    *([50_000, 100_000, 200_000], (4, 2, 120), 120, 100_000),
)
QUICK = Plan(
    *([100, 200, 400], 12, 400, 5, 2, 60, 12, (10, 40), 30, 6),
    *([1000, 2000], (1, 1, 12), 4, 60),
)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement of the plan, print the table and write it as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--workers", default="1,2", help="worker counts for sweep scaling (default 1,2)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    workers = sorted({int(w) for w in args.workers.split(",")} | {1})

    results = run(plan, workers, args.seed)
    results["plan"] = "quick" if args.quick else "full"
    results["targets"] = verdicts(results)
    print(format_table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


def run(plan: Plan, workers: list[int], seed: int) -> dict[str, Any]:
    """Every measurement, as a JSON-ready dict."""
    return {
        "machine": machine(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **_model_figures(plan, seed),
        **_engine_figures(plan, workers, seed),
    }


def _model_figures(plan: Plan, seed: int) -> dict[str, Any]:
    """The model alone: the default run, time per step by size, the reference."""
    say = _progress  # to stderr, so the table on stdout stays clean
    say("default run")
    default_run = _child("default-run")
    say("default run side by side with the code before issue 15")
    default_run["side_by_side"] = baseline.side_by_side(*plan.baseline)
    scaling = []
    for levers in (False, True):
        say(f"scaling, {'every lever on' if levers else 'default policies'}")
        scaling.append(timing.scaling(plan.sizes, plan.months, seed, levers))
    say(f"large regions: {', '.join(f'{n:,}' for n in plan.large_sizes)} organisations")
    large_regions = large.large_regions(plan.large_sizes, plan.months, seed)
    scaling[0] = timing.extended(scaling[0], plan.months, large_regions)
    say("reference: BoltzmannWealth")
    ref = timing.reference(plan.reference_size, plan.months, plan.reference_repeats, seed)
    return {
        "default_run": default_run,
        "scaling": [asdict(s) for s in scaling],
        "large_regions": large_regions,
        "reference": {**asdict(ref), "ratio": ref.ratio, "cpu_ratio": ref.cpu_ratio},
    }


def _engine_figures(plan: Plan, workers: list[int], seed: int) -> dict[str, Any]:
    """The experiment engine and its store: scaling, memory, efficiency, files, reading."""
    say = _progress
    sweeps = []
    runs = plan.sweep_runs_per_worker * max(workers)
    for w in workers:
        say(f"sweep scaling, {runs} runs on {w} worker(s)")
        args = (runs, w, plan.sweep_size, plan.sweep_months)
        sweeps.append({"workers": w, "runs": runs, **_child("sweep", *args)})
    one = sweeps[0]["runs_per_s"]
    for s in sweeps:
        s["efficiency"] = s["runs_per_s"] / (s["workers"] * one)  # = T1 / (W * TW)
    memory = []
    for runs in plan.memory_runs:
        say(f"coordinator memory, {runs} runs")
        args = (runs, max(workers), plan.memory_size, plan.memory_months)
        memory.append({"runs": runs, **_child("sweep", *args)})
    engine_workers = 2 if 2 in workers else max(workers)
    say(f"engine efficiency, {plan.engine_runs} default runs on {engine_workers} worker(s)")
    engine = storage.engine_efficiency(plan.engine_runs, engine_workers, seed)
    say(f"a store of {plan.store_runs:,} runs: files, report and a DuckDB query")
    return {
        "sweeps": sweeps,
        "coordinator_memory": {
            "sweeps": memory,
            "ratio": memory[1]["peak_rss_mib"] / memory[0]["peak_rss_mib"],
        },
        "engine": engine,
        "store": storage.store_figures(plan.store_runs),
    }


def machine() -> dict[str, Any]:
    """Where the figures come from: they mean little without it."""
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _child(task: str, *args: int) -> dict[str, float]:
    """Run a measurement in a fresh process (see benchmarks.child); return its JSON."""
    command = [sys.executable, "-m", "benchmarks.child", task, *map(str, args)]
    root = Path(__file__).resolve().parent.parent  # where `benchmarks` imports from
    done = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _progress(text: str) -> None:
    print(f"[benchmarks] {text} ...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
