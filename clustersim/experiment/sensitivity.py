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

from clustersim.experiment.designs import METHODS, Dimension, salib_problem
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
    method = METHODS.get(design.get("method"))
    if method is None or method.analyse is None:
        raise SensitivityError(
            f"{root}: sensitivity needs a sweep with method = "
            f"{' or '.join(m for m in METHODS if METHODS[m].analyse)}, "
            f"this one is {design.get('method') or design['kind']}"
        )
    runs = read_table(root, "runs")
    _check_outputs(runs, outputs)
    problem = salib_problem([Dimension(**d) for d in design["dimensions"]])
    means = point_means(runs, outputs, design["points"], design["replications"])
    x = pd.DataFrame(manifest["points"])[problem["names"]].to_numpy(dtype=float)
    return {
        output: method.analyse(
            problem,
            x,
            means[output].to_numpy(dtype=float),
            design["levels"],
            manifest["root_seed"],
        )
        for output in outputs
    }


def _check_outputs(runs: pd.DataFrame, outputs: tuple[str, ...]) -> None:
    """Outputs are the runs' numeric results, not the columns that say which run it was."""
    labels = ("run_id", "seed", "scenario", "point", "replication")
    choices = [c for c in runs.select_dtypes("number").columns if c not in labels]
    unknown = [o for o in outputs if o not in choices]
    if unknown:
        raise SensitivityError(
            f"--output {unknown[0]}: not a run-level output; choose from {', '.join(choices)}"
        )


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
