"""Sensitivity indices from a Sobol or Morris sweep, with SALib.

Replicates are averaged per design point first, so the indices describe the
parameters' effect on the expected outcome rather than on one noisy draw. The
analysis mirrors the sampler the sweep used (SALib's sample/analyze pairs), which
is why only sweeps with `method = "sobol"` or `"morris"` can be analysed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from clustersim.experiment.designs import Dimension, salib_problem
from clustersim.experiment.store import ResultStore, read_table

DEFAULT_OUTPUTS = ("survival_36", "partnerships_formed", "share_collaborated")


class SensitivityError(Exception):
    """The results cannot be analysed as asked; one line for the user."""


def point_means(
    runs: pd.DataFrame, outputs: tuple[str, ...], n_points: int, replications: int
) -> pd.DataFrame:
    """Mean of each output over replications, one row per design point, in design order.

    Every replication of every point must be there: a mean over fewer draws would pass
    a partial sweep off as a whole one.
    """
    finished = runs.groupby("point").size().reindex(range(n_points), fill_value=0)
    incomplete = int((finished < replications).sum())
    if incomplete:
        raise SensitivityError(
            f"{incomplete} of {n_points} design points lack some of their {replications} "
            "replications; re-run the sweep to complete it first"
        )
    means = runs.groupby("point")[list(outputs)].mean().sort_index()
    for output in outputs:
        undefined = int(means[output].isna().sum())
        if undefined:
            raise SensitivityError(
                f"output {output} is undefined at {undefined} design points "
                "(e.g. no partnership observed that long); choose another "
                "--output"
            )
    return means


def analyse(root: Path, outputs: tuple[str, ...] = DEFAULT_OUTPUTS) -> dict[str, pd.DataFrame]:
    """Indices per output: Sobol S1/ST with confidence intervals, or Morris mu*/sigma."""
    manifest = ResultStore.existing(root).read_manifest()
    design = manifest["design"]
    if design.get("method") not in ("sobol", "morris"):
        raise SensitivityError(
            f"{root}: sensitivity needs a sweep with method = sobol or "
            f"morris, this one is {design.get('method') or design['kind']}"
        )
    runs = read_table(root, "runs")
    # Outputs are the runs' numeric results, not the columns that say which run it was.
    labels = ("run_id", "seed", "scenario", "point", "replication")
    choices = [c for c in runs.select_dtypes("number").columns if c not in labels]
    unknown = [o for o in outputs if o not in choices]
    if unknown:
        raise SensitivityError(
            f"--output {unknown[0]}: not a run-level output; choose from {', '.join(choices)}"
        )
    dims = [Dimension(**d) for d in design["dimensions"]]
    problem = salib_problem(dims)
    means = point_means(runs, outputs, design["points"], design["replications"])
    seed = manifest["root_seed"]
    results = {}
    for output in outputs:
        y = means[output].to_numpy(dtype=float)
        if design["method"] == "sobol":
            s = sobol_analyze.analyze(problem, y, calc_second_order=True, seed=seed)
            table = pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "S1": s["S1"],
                    "S1_conf": s["S1_conf"],
                    "ST": s["ST"],
                    "ST_conf": s["ST_conf"],
                }
            )
        else:
            x = pd.DataFrame(manifest["points"])[problem["names"]].to_numpy(dtype=float)
            s = morris_analyze.analyze(problem, x, y, num_levels=design["levels"], seed=seed)
            table = pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "mu_star": s["mu_star"],
                    "mu_star_conf": s["mu_star_conf"],
                    "sigma": s["sigma"],
                    "mu": s["mu"],
                }
            )
        results[output] = table
    return results


def write_sensitivity(root: Path, results: dict[str, pd.DataFrame]) -> Path:
    """One CSV and one bar plot per output, plus sensitivity.md, in RESULTS/sensitivity/."""
    folder = Path(root) / "sensitivity"
    folder.mkdir(exist_ok=True)
    lines = ["# Sensitivity analysis", ""]
    for output, table in results.items():
        table.to_csv(folder / f"{output}.csv", index=False)
        main, conf = ("ST", "ST_conf") if "ST" in table else ("mu_star", "mu_star_conf")
        fig = Figure(figsize=(6, 0.4 * len(table) + 1.5))
        ax = fig.subplots()
        order = table.sort_values(main)
        ax.barh(order["parameter"], order[main], xerr=order[conf], color="#4c72b0", capsize=3)
        if main == "ST":
            ax.barh(order["parameter"], order["S1"], color="#dd8452", height=0.4, label="S1")
            ax.legend(["ST (total)", "S1 (first order)"], loc="lower right")
        ax.set_xlabel(f"{main} of {output}")
        ax.set_title(output)
        fig.tight_layout()
        fig.savefig(folder / f"{output}.png", dpi=110)
        lines += [
            f"## {output}",
            "",
            table.to_markdown(index=False, floatfmt=".3f"),
            "",
            f"![{output}]({output}.png)",
            "",
        ]
    (folder / "sensitivity.md").write_text("\n".join(lines))
    return folder


def format_results(results: dict[str, pd.DataFrame]) -> str:
    """The index tables for the terminal."""
    return "\n\n".join(
        f"{output}\n{table.to_string(index=False, float_format='%.3f')}"
        for output, table in results.items()
    )
