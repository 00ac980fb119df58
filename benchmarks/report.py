"""The benchmark's results as a plain-text table, with each target and whether it holds."""

from __future__ import annotations

from typing import Any

# Issue 5's targets: (what, limit, direction). Measured and reported, never asserted.
TARGETS = {
    "exponent_default": ("time-per-step exponent, default policies", 1.15, "<="),
    "exponent_levers": ("time-per-step exponent, every lever on", 1.15, "<="),
    "reference_ratio": ("ClusterModel / BoltzmannWealth per step", 1.0, "<="),
    "efficiency": ("parallel efficiency at the most workers", 0.8, ">="),
    "memory_ratio": ("coordinator peak RSS, long / short sweep", 1.2, "<="),
}


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The five figures that have targets."""
    scaling = {s["levers"]: s for s in results["scaling"]}
    return {
        "exponent_default": scaling[False]["exponent"],
        "exponent_levers": scaling[True]["exponent"],
        "reference_ratio": results["reference"]["ratio"],
        "efficiency": results["sweeps"][-1]["efficiency"],
        "memory_ratio": results["coordinator_memory"]["ratio"],
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
    lines.append(f"  {'':<22}" + "".join(f"{n:>10,}" for n in header) + "  exponent")
    for s in results["scaling"]:
        label = "every lever on" if s["levers"] else "default policies"
        cells = "".join(f"{1000 * t:>10.1f}" for t in s["seconds_per_step"])
        lines.append(f"  {label:<22}{cells}  {s['exponent']:8.2f}")
    ref = results["reference"]
    cluster = sorted(ref["cluster_seconds"])[len(ref["cluster_seconds"]) // 2]
    boltzmann = sorted(ref["boltzmann_seconds"])[len(ref["boltzmann_seconds"]) // 2]
    lines += [
        "",
        f"reference at {ref['n_agents']:,} agents, {ref['steps']} steps, "
        f"median of {len(ref['cluster_seconds'])} alternating runs",
        f"  ClusterModel {1000 * cluster:.1f} ms/step, BoltzmannWealth {1000 * boltzmann:.1f} "
        f"ms/step, ratio {ref['ratio']:.2f}",
    ]
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
