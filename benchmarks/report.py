"""The benchmark's results as a plain-text table, with each target and whether it holds."""

from __future__ import annotations

import statistics
from typing import Any

# Issues 5 and 15's targets: (what, limit, direction). Measured and reported, never
# asserted. A figure that could not be measured here (no 16-core machine, no git
# history) is reported as not measured.
TARGETS = {
    "reference_ratio": ("ClusterModel / BoltzmannWealth per step", 0.5, "<="),
    "reference_ratio_cpu": ("  the same in CPU time", 0.5, "<="),
    "exponent_default": ("time-per-step exponent, default policies", 1.1, "<="),
    "exponent_default_cpu": ("  the same in CPU time", 1.1, "<="),
    "exponent_levers": ("time-per-step exponent, every lever on", 1.15, "<="),
    "default_run_ratio": ("default run model time / before issue 15", 0.25, "<="),
    "engine_efficiency": ("engine efficiency, default runs", 0.9, ">="),
    "files_per_run": ("files per run in the store, after completion", 0.01, "<="),
    "report_s": ("`report` over the store, seconds", 30.0, "<="),
    "peak_memory_gib": ("peak memory of the largest region, GiB", 4.0, "<="),
    "efficiency": ("parallel efficiency at 16 workers", 0.9, ">="),
    "memory_ratio": ("coordinator peak RSS, long / short sweep", 1.2, "<="),
}
FULL_WORKERS = 16  # the parallel-efficiency target is for 16 workers on 16 cores


def headline(results: dict[str, Any]) -> dict[str, float | None]:
    """The figures that have targets; None where this machine could not measure one."""
    scaling = {s["levers"]: s for s in results["scaling"]}
    last = results["sweeps"][-1]
    on_16 = last["workers"] >= FULL_WORKERS and results["machine"]["cores"] >= FULL_WORKERS
    side = results["default_run"]["side_by_side"]
    return {
        "exponent_default": scaling[False]["exponent"],
        "exponent_default_cpu": scaling[False]["cpu_exponent"],
        "exponent_levers": scaling[True]["exponent"],
        "reference_ratio": results["reference"]["ratio"],
        "reference_ratio_cpu": results["reference"]["cpu_ratio"],
        "default_run_ratio": side.get("ratio"),
        "engine_efficiency": results["engine"]["efficiency"],
        "files_per_run": results["store"]["files_per_run"],
        "report_s": results["store"]["report_s"],
        "peak_memory_gib": results["large_regions"]["runs"][-1]["peak_rss_mib"] / 1024,
        "efficiency": last["efficiency"] if on_16 else None,
        "memory_ratio": results["coordinator_memory"]["ratio"],
    }


def verdicts(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target's figure, limit and whether it holds, for the JSON file."""
    return {
        key: {"value": value, "limit": TARGETS[key][1], "holds": holds(key, value)}
        for key, value in headline(results).items()
    }


def holds(key: str, value: float | None) -> bool | None:
    """Whether the target holds; None when the figure was not measured."""
    if value is None:
        return None
    _, limit, direction = TARGETS[key]
    return value <= limit if direction == "<=" else value >= limit


def format_table(results: dict[str, Any]) -> str:
    """Every measurement, then the targets; plain text, fit for a terminal or a doc."""
    m = results["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, Mesa {m['mesa']}"]
    for section in (_scaling, _large, _reference, _default_run, _sweeps, _engine, _targets):
        lines += ["", *section(results)]
    return "\n".join(lines)


def _scaling(results: dict[str, Any]) -> list[str]:
    lines = ["time per step (ms) by organisations"]
    for s in results["scaling"]:
        label = "every lever on" if s["levers"] else "default policies"
        lines.append(f"  {label}: " + ", ".join(f"{n:,}" for n in s["sizes"]))
        for clock, key, exponent in (
            ("wall", "seconds_per_step", "exponent"),
            ("cpu", "cpu_seconds_per_step", "cpu_exponent"),
        ):
            cells = "".join(f"{1000 * t:>9.1f}" for t in s[key])
            lines.append(f"    {clock:<5}{cells}   exponent {s[exponent]:.2f}")
    return lines


def _large(results: dict[str, Any]) -> list[str]:
    large = results["large_regions"]
    lines = [f"large regions, default density, {large['months']} months, a fresh process each"]
    for r in large["runs"]:
        lines.append(
            f"  {r['organisations']:>9,}: {1000 * r['seconds_per_step']:8.1f} ms/step, "
            f"peak RSS {r['peak_rss_mib']:6.0f} MiB, {r['bytes_per_organisation']:6.0f} B "
            f"per organisation, {r['neighbours_per_organisation']:.1f} neighbours each"
        )
    if "memory_exponent" in large:
        lines.append(f"  memory exponent {large['memory_exponent']:.2f}")
    return lines


def _reference(results: dict[str, Any]) -> list[str]:
    ref = results["reference"]
    lines = [
        f"reference at {ref['n_agents']:,} agents, {ref['steps']} steps, "
        f"median of {len(ref['cluster_seconds'])} alternating runs"
    ]
    for clock, suffix, ratio in (("wall", "seconds", "ratio"), ("cpu", "cpu_seconds", "cpu_ratio")):
        cluster = statistics.median(ref[f"cluster_{suffix}"])
        boltzmann = statistics.median(ref[f"boltzmann_{suffix}"])
        lines.append(
            f"  {clock:<5}ClusterModel {1000 * cluster:.1f} ms/step, BoltzmannWealth "
            f"{1000 * boltzmann:.1f} ms/step, ratio {ref[ratio]:.2f}"
        )
    return lines


def _default_run(results: dict[str, Any]) -> list[str]:
    d = results["default_run"]
    lines = [f"default run: {d['wall_s']:.2f} s wall, peak RSS {d['peak_rss_mib']:.0f} MiB"]
    side = d["side_by_side"]
    if "unavailable" in side:
        return [*lines, f"  side by side with {side['baseline'][:7]}: {side['unavailable']}"]
    now, then = statistics.median(side["now_s"]), statistics.median(side["baseline_s"])
    return [
        *lines,
        f"  model time, median of {side['runs']} runs of {side['months']} months taking "
        f"turns: {now:.3f} s now, {then:.3f} s at {side['baseline'][:7]}, "
        f"ratio {side['ratio']:.2f}",
    ]


def _sweeps(results: dict[str, Any]) -> list[str]:
    lines = ["sweep scaling (experiment engine, local processes)"]
    for s in results["sweeps"]:
        lines.append(
            f"  {s['workers']:>3} worker(s): {s['runs']} runs in {s['wall_s']:.1f} s, "
            f"{s['runs_per_s']:.2f} runs/s, efficiency {s['efficiency']:.2f}"
        )
    lines += ["coordinator peak RSS (children excluded)"]
    for s in results["coordinator_memory"]["sweeps"]:
        lines.append(f"  {s['runs']:>5} runs: {s['peak_rss_mib']:.0f} MiB")
    return lines


def _engine(results: dict[str, Any]) -> list[str]:
    e, st = results["engine"], results["store"]
    return [
        f"engine: {e['runs']} default runs on {e['workers']} worker(s) in "
        f"{e['engine_wall_s']:.1f} s, {e['engine_runs_per_s']:.2f} runs/s; the model alone "
        f"{e['model_s_per_run']:.3f} s a run, so {e['ideal_runs_per_s']:.2f} runs/s at best; "
        f"efficiency {e['efficiency']:.2f}",
        f"store of {st['runs']:,} runs ({st['real_runs']} simulated, the rest replicated): "
        f"{st['files_written_per_run']:.3f} files written per run, "
        f"{st['files_after_completion']} files after completion ({st['files_per_run']:.5f} a run)",
        f"  `clustersim report` {st['report_s']:.1f} s, a DuckDB query "
        f"{st.get('duckdb_query_s', float('nan')):.2f} s",
    ]


def _targets(results: dict[str, Any]) -> list[str]:
    lines = ["targets"]
    for key, value in headline(results).items():
        what, limit, direction = TARGETS[key]
        if value is None:
            lines.append(f"  {what:<50}{'':>8}  {direction} {limit:<5} not measured here")
            continue
        verdict = "holds" if holds(key, value) else "MISSED"
        lines.append(f"  {what:<50}{value:8.2f}  {direction} {limit:<5} {verdict}")
    return lines
