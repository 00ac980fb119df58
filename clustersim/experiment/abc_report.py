"""What an ABC-SMC calibration leaves in its folder, and the check of its held-out patterns.

From pyabc's history: `posterior.parquet` (the final generation's particles, one column
per calibrated parameter as `clustersim.parameters` names it, plus `weight`, summing
to 1), `abc.json` (the settings and, per generation, the threshold, evaluations,
acceptance rate, effective sample size and wall time), `abc.md` (the same, readable,
with each parameter's posterior mean and 5-95 % interval against its prior range) and
two figures.

The posterior predictive check asks of the patterns the fit never saw: in what share
of plausible worlds does the model meet them? It is a robustness experiment
(`kind = "robustness"`, OUT/predictive.toml) over the reference scenario and every
scenario a held-out target is measured on, run on the same engine into OUT/predictive;
a world meets a target when its mean over replications lies in the target's range.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyabc
from pyabc.weighted_statistics import effective_sample_size, weighted_quantile

from clustersim.config import read_toml
from clustersim.experiment.abc import particle_values
from clustersim.experiment.abc_plan import AbcPlan
from clustersim.experiment.engine import Engine, Outcome, run_experiment
from clustersim.experiment.spec import WEIGHT, load_experiment
from clustersim.experiment.validation import BY_STATISTIC, statistics_by_run
from clustersim.formatting import Table, markdown_table, number, text_table

POSTERIOR = "posterior.parquet"
SUMMARY = "abc.json"
PAGE = "abc.md"
MARGINALS = "posterior_marginals.png"
PAIRS = "posterior_pairs.png"
PREDICTIVE = "predictive"  # the check's experiment file (.toml) and results folder
REFERENCE = "baseline"


def posterior_table(history: pyabc.History, plan: AbcPlan) -> pd.DataFrame:
    """The final generation: the plan's parameters in its order, integers whole, and weights."""
    frame, weights = history.get_distribution(t=history.max_t)
    names = [d.name for d in plan.priors]
    integers = tuple(d.name for d in plan.priors if d.integer)
    rows = [particle_values(row, integers) for row in frame[names].to_dict("records")]
    table = pd.DataFrame(rows, columns=names)
    table[WEIGHT] = np.asarray(weights, dtype=float) / float(np.sum(weights))
    return table


def generation_records(history: pyabc.History) -> list[dict[str, Any]]:
    """Per generation: threshold, accepted particles, evaluations, acceptance, ESS, wall time."""
    populations = history.get_all_populations()
    records = []
    for row in populations.loc[populations["t"] >= 0].itertuples():
        _, weights = history.get_distribution(t=int(row.t))
        records.append(
            {
                "generation": int(row.t),
                "epsilon": float(row.epsilon),
                "particles": int(row.particles),
                "evaluations": int(row.samples),
                "acceptance_rate": row.particles / row.samples,
                "effective_sample_size": float(effective_sample_size(weights)),
                "wall_seconds": float(row.wall_time),
            }
        )
    return records


def parameter_summary(posterior: pd.DataFrame, plan: AbcPlan) -> list[dict[str, Any]]:
    """Per parameter: prior range, posterior mean and 5-95 % interval, and how much it narrowed."""
    weights = posterior[WEIGHT].to_numpy()
    rows = []
    for d in plan.priors:
        values = posterior[d.name].to_numpy(dtype=float)
        low, high = (float(weighted_quantile(values, weights, alpha=a)) for a in (0.05, 0.95))
        rows.append(
            {
                "parameter": d.name,
                "prior": [d.low, d.high],
                "mean": float(np.sum(values * weights)),
                "q05": low,
                "q95": high,
                "interval_share_of_prior": (high - low) / (d.high - d.low),
            }
        )
    return rows


# ------------------------------------------------------------------ predictive check
def write_predictive_file(plan: AbcPlan, out: Path) -> Path:
    """OUT/predictive.toml: a robustness experiment over the posterior in OUT."""
    held = [t for t in BY_STATISTIC if t in plan.split.held_out]
    others = sorted({plan.split.scenario(s, REFERENCE) for s in held} - {REFERENCE})
    files = read_toml(plan.split.path).get("scenarios", {})
    scenarios = {
        REFERENCE: plan.base_file,
        **{s: plan.split.path.parent / files[s] for s in others},
    }
    lines = [
        "# The posterior predictive check of the held-out targets, written by clustersim calibrate",
        f'name = "{plan.name}-predictive"',
        'kind = "robustness"',
        f"seed = {plan.seed}",
        f"replications = {plan.draw_replications}",
        f'reference = "{REFERENCE}"',
        'posterior = "."',
        f"draws = {plan.draws}",
        *([f"months = {plan.months}"] if plan.months is not None else []),
        "",
        "[scenarios]",
        *(
            f'{k} = "{os.path.relpath(Path(v).resolve(), out.resolve())}"'
            for k, v in scenarios.items()
        ),
    ]
    path = out / f"{PREDICTIVE}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def predictive_check(
    plan: AbcPlan, out: Path, engine: Engine, progress: bool
) -> tuple[list[dict[str, Any]], Outcome]:
    """Run the check's worlds (resumably) and say, per held-out target, how many meet it."""
    experiment = load_experiment(write_predictive_file(plan, out))
    outcome = run_experiment(experiment, out / PREDICTIVE, engine, progress=progress)
    per_run = statistics_by_run(out / PREDICTIVE, experiment)
    means = per_run.groupby(["scenario", "point"]).mean(numeric_only=True)
    rows = []
    for statistic in (t for t in BY_STATISTIC if t in plan.split.held_out):
        target = BY_STATISTIC[statistic]
        scenario = plan.split.scenario(statistic, REFERENCE)
        values = means.loc[scenario, statistic].to_numpy(dtype=float)
        met = np.isfinite(values) & (target.low <= values) & (values <= target.high)
        rows.append(
            {
                "statistic": statistic,
                "scenario": scenario,
                "range": [target.low, target.high],
                "draws": len(values),
                "defined": int(np.isfinite(values).sum()),
                "met": int(met.sum()),
                "share_met": float(met.mean()) if len(values) else float("nan"),
            }
        )
    return rows, outcome


# ------------------------------------------------------------------ files
def write_summary(out: Path, summary: dict[str, Any]) -> None:
    (out / SUMMARY).write_text(json.dumps(summary, indent=2, default=float) + "\n")


def abc_markdown(summary: dict[str, Any]) -> str:
    """abc.md: the run's rules, each generation, the posterior and the predictive check."""
    s = summary["settings"]
    gens = summary["generations"]
    runs = sum(g["evaluations"] for g in gens) * s["replications_per_particle"]
    lines = [
        f"# ABC-SMC calibration: {summary['name']}",
        "",
        f"pyabc ABC-SMC over uniform priors; {s['population']} particles a generation, "
        f"{len(gens)} of at most {s['generations']} generations, {s['replications_per_particle']} "
        f"run(s) per particle, seed {s['seed']}. Distance: the root of the summed squared misses "
        f"of the fitted targets of `{s['targets']}` ({', '.join(s['fitted'])}). Threshold: the "
        "median distance of the generation before (generation 0 accepts every prior draw). "
        f"{runs} model runs in {sum(g['wall_seconds'] for g in gens):.0f} s of sampling.",
        "",
        "## Generations",
        "",
        markdown_table(_generations_table(gens)),
        "",
        "## Posterior (final generation, weighted)",
        "",
        markdown_table(_parameters_table(summary["parameters"])),
        "",
        f"![marginals]({MARGINALS})",
        "",
        f"![pairs]({PAIRS})",
        "",
        *_predictive_section(summary.get("predictive")),
    ]
    return "\n".join(lines) + "\n"


def _span(low: float, high: float) -> str:
    return f"{number(low, '.3g')}-{number(high, '.3g')}"


def _generations_table(gens: list[dict[str, Any]]) -> Table:
    return Table(
        ["generation", "epsilon", "evaluations", "acceptance", "ESS", "wall (s)"],
        [
            [
                str(g["generation"]),
                number(g["epsilon"], ".3g"),
                str(g["evaluations"]),
                number(100 * g["acceptance_rate"], ".1f", suffix=" %"),
                number(g["effective_sample_size"], ".1f"),
                number(g["wall_seconds"], ".1f"),
            ]
            for g in gens
        ],
    )


def _parameters_table(parameters: list[dict[str, Any]]) -> Table:
    return Table(
        ["parameter", "prior range", "mean", "5-95 % interval", "interval / prior"],
        [
            [
                p["parameter"],
                _span(*p["prior"]),
                number(p["mean"], ".3g"),
                _span(p["q05"], p["q95"]),
                number(100 * p["interval_share_of_prior"], ".0f", suffix=" %"),
            ]
            for p in parameters
        ],
    )


def _predictive_section(rows: list[dict[str, Any]] | None) -> list[str]:
    if rows is None:
        return ["## Posterior predictive check", "", "Not run (`[predictive] draws = 0`)."]
    return [
        "## Posterior predictive check of the held-out targets",
        "",
        "Worlds drawn by weight from the posterior (a robustness experiment, "
        f"`{PREDICTIVE}.toml`); a world meets a target when its mean over replications lies "
        "in the target's range.",
        "",
        markdown_table(
            Table(
                ["held-out target", "measured on", "range", "worlds meeting it", "share"],
                [
                    [
                        r["statistic"],
                        r["scenario"],
                        _span(*r["range"]),
                        f"{r['met']} of {r['draws']} ({r['defined']} defined)",
                        number(100 * r["share_met"], ".0f", suffix=" %"),
                    ]
                    for r in rows
                ],
            )
        ),
    ]


def plot_marginals(posterior: pd.DataFrame, plan: AbcPlan, path: Path) -> None:
    """One weighted histogram per parameter, drawn over its whole prior range."""
    n = len(plan.priors)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, d in zip(axes.flat, plan.priors, strict=False):
        ax.hist(posterior[d.name], bins=20, range=(d.low, d.high), weights=posterior[WEIGHT])
        ax.set_xlim(d.low, d.high)
        ax.set_title(d.name, fontsize=9)
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Posterior marginals over the prior ranges")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_pairs(posterior: pd.DataFrame, plan: AbcPlan, path: Path) -> None:
    """pyabc's KDE matrix of the posterior: marginals, pairwise densities and scatter."""
    names = [d.name for d in plan.priors]
    limits = {d.name: (d.low, d.high) for d in plan.priors}
    if len(names) < 2:  # no pair to draw: the marginal stands in
        plot_marginals(posterior, plan, path)
        return
    arr = pyabc.visualization.plot_kde_matrix(
        posterior[names], posterior[WEIGHT].to_numpy(), limits=limits, height=1.8, colorbar=False
    )
    fig = np.asarray(arr).flat[0].get_figure()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_results(
    plan: AbcPlan, out: Path, history: pyabc.History, engine: Engine, progress: bool = True
) -> str:
    """Write the posterior, run its predictive check, write abc.json, abc.md and the figures.

    Returns the posterior table as the terminal shows it.
    """
    posterior = posterior_table(history, plan)
    posterior.to_parquet(out / POSTERIOR, index=False)  # the check's experiment reads it
    summary: dict[str, Any] = {
        "name": plan.name,
        "settings": plan.settings(),
        "generations": generation_records(history),
        "parameters": parameter_summary(posterior, plan),
        "predictive": None,
    }
    if plan.draws:
        summary["predictive"], outcome = predictive_check(plan, out, engine, progress)
        summary["predictive_runs_failed"] = outcome.failed
    write_summary(out, summary)
    (out / PAGE).write_text(abc_markdown(summary))
    plot_marginals(posterior, plan, out / MARGINALS)
    plot_pairs(posterior, plan, out / PAIRS)
    return _terminal(summary)


def _terminal(summary: dict[str, Any]) -> str:
    rows = [
        [
            p["parameter"],
            number(p["mean"], ".3g"),
            _span(p["q05"], p["q95"]),
            _span(*p["prior"]),
        ]
        for p in summary["parameters"]
    ]
    table = text_table(Table(["parameter", "mean", "5-95 %", "prior"], rows))
    checks = [
        f"  {r['statistic']} ({r['scenario']}): met in {r['met']} of {r['draws']} worlds"
        for r in summary["predictive"] or []
    ]
    return "\n".join([table, *(["held-out targets:", *checks] if checks else [])]) + "\n"
