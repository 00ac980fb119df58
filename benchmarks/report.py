"""The benchmark's results as a plain-text table, with each target and whether it holds."""

from __future__ import annotations

import statistics
from typing import Any

# Issue 5's targets: (what, limit, direction). Measured and reported, never asserted.
TARGETS = {
    "exponent_default": ("time-per-step exponent, default policies", 1.15, "<="),
    "exponent_default_cpu": ("  the same in CPU time", 1.15, "<="),
    "exponent_levers": ("time-per-step exponent, every lever on", 1.15, "<="),
    "exponent_levers_cpu": ("  the same in CPU time", 1.15, "<="),
    "reference_ratio": ("ClusterModel / BoltzmannWealth per step", 1.0, "<="),
    "reference_ratio_cpu": ("  the same in CPU time", 1.0, "<="),
    "efficiency": ("parallel efficiency at the most workers", 0.8, ">="),
    "memory_ratio": ("coordinator peak RSS, long / short sweep", 1.2, "<="),
}


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The five figures that have targets."""
    scaling = {s["levers"]: s for s in results["scaling"]}
    return {
        "exponent_default": scaling[False]["exponent"],
        "exponent_default_cpu": scaling[False]["cpu_exponent"],
        "exponent_levers": scaling[True]["exponent"],
        "exponent_levers_cpu": scaling[True]["cpu_exponent"],
        "reference_ratio": results["reference"]["ratio"],
        "reference_ratio_cpu": results["reference"]["cpu_ratio"],
        "efficiency": results["sweeps"][-1]["efficiency"],
        "memory_ratio": results["coordinator_memory"]["ratio"],
    }


def verdicts(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target's figure, limit and whether it holds, for the JSON file."""
    return {
        key: {"value": value, "limit": TARGETS[key][1], "holds": holds(key, value)}
        for key, value in headline(results).items()
    }


def holds(key: str, value: float) -> bool:
    _, limit, direction = TARGETS[key]
    return value <= limit if direction == "<=" else value >= limit


def format_table(results: dict[str, Any]) -> str:
    """Every measurement, then the targets; plain text, fit for a terminal or a doc."""
    m = results["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, Mesa {m['mesa']}"]
    lines += ["", "time per step (ms) by organisations"]
    header = results["scaling"][0]["sizes"]
    lines.append(f"  {'':<26}" + "".join(f"{n:>9,}" for n in header) + "  exponent")
    for s in results["scaling"]:
        label = "every lever on" if s["levers"] else "default policies"
        for clock, key, exponent in (
            ("wall", "seconds_per_step", "exponent"),
            ("cpu", "cpu_seconds_per_step", "cpu_exponent"),
        ):
            cells = "".join(f"{1000 * t:>9.1f}" for t in s[key])
            lines.append(f"  {label + ', ' + clock:<26}{cells}  {s[exponent]:8.2f}")
    ref = results["reference"]
    lines += [
        "",
        f"reference at {ref['n_agents']:,} agents, {ref['steps']} steps, "
        f"median of {len(ref['cluster_seconds'])} alternating runs",
    ]
    for clock, suffix, ratio in (("wall", "seconds", "ratio"), ("cpu", "cpu_seconds", "cpu_ratio")):
        cluster = statistics.median(ref[f"cluster_{suffix}"])
        boltzmann = statistics.median(ref[f"boltzmann_{suffix}"])
        lines.append(
            f"  {clock:<5}ClusterModel {1000 * cluster:.1f} ms/step, BoltzmannWealth "
            f"{1000 * boltzmann:.1f} ms/step, ratio {ref[ratio]:.2f}"
        )
    d = results["default_run"]
    lines += ["", f"default run: {d['wall_s']:.2f} s wall, peak RSS {d['peak_rss_mib']:.0f} MiB"]
    lines += ["", "sweep scaling (experiment engine, local processes)"]
    for s in results["sweeps"]:
        lines.append(
            f"  {s['workers']:>3} worker(s): {s['runs']} runs in {s['wall_s']:.1f} s, "
            f"{s['runs_per_s']:.2f} runs/s, efficiency {s['efficiency']:.2f}"
        )
    lines += ["", "coordinator peak RSS (children excluded)"]
    for s in results["coordinator_memory"]["sweeps"]:
        lines.append(f"  {s['runs']:>5} runs: {s['peak_rss_mib']:.0f} MiB")
    lines += ["", "targets"]
    for key, value in headline(results).items():
        what, limit, direction = TARGETS[key]
        verdict = "holds" if holds(key, value) else "MISSED"
        lines.append(f"  {what:<46}{value:8.2f}  {direction} {limit:<5} {verdict}")
    return "\n".join(lines)
