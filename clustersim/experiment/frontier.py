"""The cost-effectiveness frontier of a lever sweep: which settings buy the most for the least.

Each effective lever setting of a sweep (a design point; see `designs.lever_grid`) is
placed by its mean public spending per run against what it buys per run: surviving
partnerships and collaboration-months per organisation, as `analysis.run_outcomes`
defines them. A setting is efficient when no other spends no more and achieves at
least as much, one of the two strictly (`efficient_mask`). Its spending and outcome
are means over replications with their t-intervals (`analysis.outcome_means`); the
frontier is drawn through the means, so a setting just off it may not differ from one
on it by more than the dice, and the best of many noisy means is biased upwards (the
winner's curse): read the intervals, and confirm a chosen setting with fresh seeds.

`frontier_blocks` gives the report's section (shown by `report.sweep_sections` when a
sweep varies a lever) and `write_frontier` writes RESULTS/frontier.md and frontier.png
for `clustersim frontier`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from clustersim.experiment import analysis, designs
from clustersim.formatting import (
    Block,
    Plot,
    Table,
    eur,
    interval,
    markdown,
    number,
    plots,
    text,
)

COST = "policy_spent_eur"
OUTCOMES = {
    "survivors": f"partnerships alive {analysis.SURVIVOR_MONTHS} months after forming, per run",
    "membership_months_per_organisation": "collaboration-months per organisation",
}
NOT_APPLICABLE = "–"  # a setting of a lever that is switched off at this point
WRITER = "clustersim frontier"  # marks the files the command writes, and may rewrite
MARK = f"<!-- written by {WRITER}; running it again rewrites this file -->"
FILES = ("frontier.md", "frontier.png")
DPI = 110


class FrontierError(Exception):
    """A results folder the frontier cannot be drawn from; one line for the user."""


def efficient_mask(cost: Sequence[float], outcome: Sequence[float]) -> np.ndarray:
    """True where no other point spends no more and achieves at least as much, one strictly.

    Points equal on both axes do not dominate each other, so both are efficient. A
    point with a NaN is neither efficient nor dominates another: it was not measured.
    """
    c, o = np.asarray(cost, dtype=float), np.asarray(outcome, dtype=float)
    if c.ndim != 1 or c.shape != o.shape:
        raise ValueError(
            f"cost and outcome must be flat and of equal length, got shapes {c.shape} and {o.shape}"
        )
    known = ~(np.isnan(c) | np.isnan(o))
    # Undominated: the best outcome among equal spending, and better than anything cheaper.
    # Sorting by spending keeps this O(n log n), for sweeps of many points.
    frame = pd.DataFrame({"cost": c[known], "outcome": o[known]})
    best_at_cost = frame.groupby("cost")["outcome"].max()
    best_cheaper = best_at_cost.cummax().shift(1, fill_value=-np.inf)
    top = frame["outcome"] == frame["cost"].map(best_at_cost)
    efficient = np.zeros(len(c), dtype=bool)
    efficient[known] = (top & (frame["outcome"] > frame["cost"].map(best_cheaper))).to_numpy()
    return efficient


def varies_levers(parameters: Sequence[str]) -> bool:
    """Whether a sweep over `parameters` varies a policy lever, so that it has a frontier."""
    return any(designs.lever_of(name) for name in parameters)


def frontier_table(runs: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """One row per effective setting: its parameters, runs, means with intervals, efficiency.

    `runs` has a `point` column and the `analysis.run_outcomes` columns; `points` is the
    design, one row per point. Of points that differ only in a switched-off lever's
    settings (a plain grid makes them), the first stands for all: they run the same
    model with the same seeds. Columns: the parameters (None where a lever is off),
    runs, then <outcome>, <outcome>_low, <outcome>_high for the cost and each outcome,
    and efficient_<outcome> for each outcome. Sorted by spending.
    """
    settings = designs.effective_settings(points)
    kept = settings.index[~settings.duplicated().to_numpy()]
    labels = [str(p) for p in kept]
    means = analysis.outcome_means(
        runs[runs["point"].isin(kept)].assign(scenario=runs["point"].astype(str)),
        [COST, *OUTCOMES],
        order=labels,
    )
    table = settings.loc[kept].copy()
    table.index = pd.Index(kept, name="point")
    for name, rows in means.groupby("outcome", sort=False):
        rows = rows.set_index("scenario").reindex(labels)
        table["runs"] = rows["runs"].to_numpy()
        for suffix, column in (("", "mean"), ("_low", "ci_low"), ("_high", "ci_high")):
            table[f"{name}{suffix}"] = rows[column].to_numpy()
    for outcome in OUTCOMES:
        table[f"efficient_{outcome}"] = efficient_mask(table[COST], table[outcome])
    return table.sort_values([COST, *OUTCOMES], kind="stable")


def frontier_section(
    runs: pd.DataFrame, points: pd.DataFrame, parameters: Sequence[str]
) -> tuple[pd.DataFrame, list[Block]]:
    """The frontier table of a lever sweep's runs and design points, and its report blocks."""
    table = frontier_table(runs, points)
    return table, frontier_blocks(table, parameters, merged=len(points) - len(table))


def headline(table: pd.DataFrame) -> str:
    """One line naming the efficient settings (design points) for each outcome."""
    parts = [
        f"for {label}: points "
        + ", ".join(str(p) for p in table.index[table[f"efficient_{outcome}"]])
        for outcome, label in OUTCOMES.items()
    ]
    return f"Efficient settings (cost-effectiveness frontier) {'; '.join(parts)}"


def frontier_blocks(table: pd.DataFrame, parameters: Sequence[str], merged: int = 0) -> list[Block]:
    """The report section: what the frontier is, its figure, and the efficient settings."""
    blocks: list[Block] = [
        "## Cost-effectiveness frontier",
        "Each dot is one lever setting: its mean public spending per run (subsidy, "
        "matchmaking and the cluster manager's public share) against what it bought, mean "
        "over its replications. A setting is efficient when no other setting spends no more "
        "and achieves at least as much, one of the two strictly; the line joins the "
        "efficient settings. Bars and brackets are 95 % t-intervals over replications: "
        "settings whose intervals overlap may not truly differ, and of many settings measured "
        "with few replications, those that look best are partly lucky; re-run them with "
        "fresh seeds before relying on one. "
        f"{NOT_APPLICABLE} marks a setting of a lever that is switched off there.",
    ]
    if merged:
        blocks.append(
            f"{merged} design points differ from an earlier one only in the settings of a "
            "switched-off lever, so they ran the same model; each is counted once, as the "
            'earlier point (a `method = "levers"` design does not make them).'
        )
    blocks.append(Plot("frontier.png", "Cost-effectiveness frontier", partial(plot, table)))
    blocks += _without_levers(table)
    for outcome, label in OUTCOMES.items():
        efficient = table[table[f"efficient_{outcome}"]]
        blocks += [
            f"### Efficient settings for {label}",
            f"{len(efficient)} of {len(table)} settings, from the cheapest.",
            efficient_table(efficient, parameters, outcome),
        ]
    return blocks


def _without_levers(table: pd.DataFrame) -> list[Block]:
    """What the setting with every swept lever off achieved, to read the others against."""
    switches = [s for s in designs.LEVER_SWITCHES.values() if s in table]
    off = ~table[switches].astype(bool).any(axis=1).to_numpy()
    if not switches or not off.any():
        return []
    point, r = next(table[off].iterrows())
    achieved = "; ".join(
        f"{label} {interval(r[o], r[f'{o}_low'], r[f'{o}_high'], '.2f')}"
        for o, label in OUTCOMES.items()
    )
    return [f"With every swept lever off (point {point}), for {eur(r[COST])}: {achieved}."]


def efficient_table(table: pd.DataFrame, parameters: Sequence[str], outcome: str) -> Table:
    """Settings with their spending and `outcome`, each with its interval."""
    spec = ".2f" if outcome == "membership_months_per_organisation" else ".1f"
    rows = [
        [
            str(point),
            *(_setting(r[p]) for p in parameters),
            str(int(r["runs"])),
            _eur_interval(r[COST], r[f"{COST}_low"], r[f"{COST}_high"]),
            interval(r[outcome], r[f"{outcome}_low"], r[f"{outcome}_high"], spec),
        ]
        for point, r in table.iterrows()
    ]
    header = ["point", *parameters, "runs", "policy spending per run", OUTCOMES[outcome]]
    return Table(header, rows)


def _setting(value: object) -> str:
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, bool | np.bool_):
        return "on" if value else "off"
    return number(value, ".4g")


def _eur_interval(mean: float, low: float, high: float) -> str:
    """EUR with its interval; without one where spending did not vary (a fixed budget)."""
    shown = eur(mean)
    if any(pd.isna(x) for x in (mean, low, high)) or low == high:
        return shown
    return f"{shown} [{number(low, ',.0f')}, {number(high, ',.0f')}]"


def plot(table: pd.DataFrame, path: Path) -> None:
    """Spending against each outcome; efficient settings with intervals, joined by a line."""
    fig = Figure(figsize=(6 * len(OUTCOMES), 4.8))
    for ax, (outcome, label) in zip(fig.subplots(1, len(OUTCOMES)), OUTCOMES.items(), strict=True):
        x, y = table[COST] / analysis.EUR_PER_UNIT, table[outcome]
        ax.scatter(x, y, s=12, color="0.65", label="setting")
        best = table[table[f"efficient_{outcome}"]]
        bx, by = best[COST] / analysis.EUR_PER_UNIT, best[outcome]
        xerr = np.vstack([best[COST] - best[f"{COST}_low"], best[f"{COST}_high"] - best[COST]])
        yerr = np.vstack([by - best[f"{outcome}_low"], best[f"{outcome}_high"] - by])
        ax.errorbar(
            bx,
            by,
            xerr=np.nan_to_num(xerr) / analysis.EUR_PER_UNIT,
            yerr=np.nan_to_num(yerr),
            fmt="o",
            color="C3",
            capsize=2,
            lw=0.8,
            label="efficient (95 % intervals)",
        )
        ax.step(bx, by, where="post", color="C3", lw=1)
        for point, px, py in zip(best.index, bx, by, strict=True):
            ax.annotate(
                str(point), (px, py), fontsize=7, xytext=(3, -9), textcoords="offset points"
            )
        ax.set_xlabel("public spending per run (EUR 1,000)")
        ax.set_ylabel(label)
        ax.legend(fontsize="small", loc="lower right")
    fig.suptitle("Cost-effectiveness frontier: mean over replications per lever setting")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata={"Software": WRITER})


# ----------------------------------------------------------------- the command
def write_frontier(root: Path) -> str:
    """Write RESULTS/frontier.md and frontier.png (each atomically); return a terminal summary.

    Refuses, in one line, results that are not a sweep over lever settings, and files of
    those names that this command did not write.
    """
    from clustersim.experiment.report import runs_and_partnerships
    from clustersim.experiment.store import ResultStore

    root = Path(root)
    manifest = ResultStore.existing(root).read_manifest()
    parameters = _lever_parameters(root, manifest)
    for name in FILES:
        _refuse_foreign(root / name)
    runs, _ = runs_and_partnerships(root)
    if runs.empty:
        raise FrontierError(f"{root}: no run has finished; run the sweep first")
    table, blocks = frontier_section(runs, pd.DataFrame(manifest["points"]), parameters)
    title = f"# Cost-effectiveness frontier: {manifest.get('experiment_name', root.name)}"
    done = f"From {len(runs)} of {manifest['design']['runs']} designed runs in `{root}`."
    for figure in plots(blocks):
        temporary = root / f".{figure.file}.{os.getpid()}.tmp.png"
        figure.draw(temporary)
        os.replace(temporary, root / figure.file)
    _write_text(root / "frontier.md", "\n".join([MARK, *markdown([title, done, *blocks])]))
    summary = [b for b in blocks if isinstance(b, Table) or str(b).startswith("###")]
    return "\n".join(text([done, headline(table), *summary]))


def _lever_parameters(root: Path, manifest: dict) -> list[str]:
    """The swept parameters of a sweep that varies a lever; FrontierError for any other."""
    design = manifest["design"]
    if design["kind"] != "sweep":
        raise FrontierError(
            f"{root}: is a {design['kind']}, not a sweep; the frontier needs a sweep over "
            'lever settings (method = "levers", e.g. experiments/frontier.toml)'
        )
    parameters = [d["name"] for d in design["dimensions"]]
    if not varies_levers(parameters):
        raise FrontierError(
            f"{root}: the sweep varies no policy lever ({', '.join(parameters)}); sweep "
            f"settings of {', '.join(designs.LEVER_SWITCHES)} to compare what they cost"
        )
    return parameters


def _refuse_foreign(path: Path) -> None:
    """Refuse to overwrite a file of the command's names that the command did not write."""
    if not path.exists():
        return
    if path.suffix == ".md":
        with open(path, encoding="utf-8", errors="replace") as handle:
            ours = handle.readline().strip() == MARK
    else:
        ours = _png_writer(path) == WRITER
    if not ours:
        raise FrontierError(
            f"{path}: exists and was not written by {WRITER}; move it away, then run it again"
        )


def _png_writer(path: Path) -> str | None:
    """The Software field of a PNG, or None for anything else."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.info.get("Software")
    except (OSError, UnidentifiedImageError):
        return None


def _write_text(path: Path, content: str) -> None:
    """Write to a temporary sibling, then rename it into place: never half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)
