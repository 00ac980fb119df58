"""`python -m benchmarks [--quick] [--out FILE] [--workers 1,2]`: print the table, write JSON.

The full benchmark takes about two minutes on two idle cores; `--quick` runs every
measurement at small sizes in well under a minute, for CI and for checking that the
benchmark itself works. docs/performance.md explains each measurement.
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

from benchmarks import timing
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


FULL = Plan([1000, 2000, 4000, 8000, 16000], 120, 10_000, 5, 16, 311, 120, (250, 1000), 40, 12)
QUICK = Plan([100, 200, 400], 12, 400, 5, 2, 60, 12, (10, 40), 30, 6)


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
    say = _progress  # to stderr, so the table on stdout stays clean
    say("default run")
    default_run = _child("default-run")
    scaling = []
    for levers in (False, True):
        say(f"scaling, {'every lever on' if levers else 'default policies'}")
        scaling.append(asdict(timing.scaling(plan.sizes, plan.months, seed, levers)))
    say("reference: BoltzmannWealth")
    ref = timing.reference(plan.reference_size, plan.months, plan.reference_repeats, seed)
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
    return {
        "machine": machine(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "default_run": default_run,
        "scaling": scaling,
        "reference": {**asdict(ref), "ratio": ref.ratio, "cpu_ratio": ref.cpu_ratio},
        "sweeps": sweeps,
        "coordinator_memory": {
            "sweeps": memory,
            "ratio": memory[1]["peak_rss_mib"] / memory[0]["peak_rss_mib"],
        },
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
