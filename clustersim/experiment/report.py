"""The report of an experiment's results folder: Markdown, figures and a terminal summary.

`build_report(RESULTS)` writes RESULTS/report/report.md with every table and
figure, and returns a short plain-text summary for the terminal. It reads the
manifest and only the columns it needs of the finished runs (`read_table`), so a
large experiment does not have to fit in memory whole. A folder with fewer
finished runs than designed is reported as such, in both outputs, in a line no
reader can miss: partial results are never passed off as whole.

Comparisons get survival curves, survival at the horizons, log-rank tests against
the reference, formation, dissolution causes, and each policy's public cost beside
what it buys: survivors, collaboration-months and organisation-level outcomes, paired
against the reference (`analysis.cost_comparison`). Sweeps treat each design point
as a group ("point N") and stay compact: a table of outcomes per point, outcomes
plotted against the swept parameters, and per-group plots only when there are few
points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib import colormaps
from matplotlib.figure import Figure

from clustersim import formatting
from clustersim.experiment import analysis, frontier
from clustersim.experiment.spec import Compare, Design, Sweep, design_of
from clustersim.experiment.store import ResultStore, StoreError, read_table
from clustersim.formatting import (
    Block,
    Plot,
    Table,
    eur,
    interval,
    number,
    p_value,
    percent,
    percent_interval,
    plural,
    ratio_text,
)
from clustersim.survival import HORIZONS_MONTHS

PARTNERSHIP_COLUMNS = [*analysis.RUN_KEYS, "duration", "dissolved", "cause"]
# What `analysis.run_outcomes` reads of the other tables: spending and collaboration per run.
OUTCOME_COLUMNS = {
    "series": [*analysis.RUN_KEYS, "month", *analysis.SPENDING_COLUMNS],
    "memberships": [*analysis.RUN_KEYS, "joined", "left"],
    "organisations": [*analysis.RUN_KEYS, "organisation"],
}
MAX_GROUP_PLOTS = 12  # more groups than this and per-group curves are unreadable
DPI = 110
HORIZON_COLUMNS = [f"S({h})" for h in HORIZONS_MONTHS]


@dataclass(frozen=True)
class Sections:
    """A report as data: the Markdown blocks of report.md and the terminal summary's blocks."""

    markdown: list[Block]
    terminal: list[Block]


def build_report(root: Path) -> str:
    """Write RESULTS/report/report.md and its figures; return the terminal summary."""
    root = Path(root)
    manifest = ResultStore.existing(root).read_manifest()
    runs, parts = runs_and_partnerships(root)
    report = report_sections(manifest, runs, parts, root.name)
    if isinstance(design_of(manifest), Compare):
        report.markdown.extend(mechanisms_section(root))
    folder = root / "report"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):  # figures of an earlier report must not linger
        old.unlink()
    for plot in formatting.plots(report.markdown):
        plot.draw(folder / plot.file)
    (folder / "report.md").write_text("\n".join(formatting.markdown(report.markdown)))
    return "\n".join(formatting.text(report.terminal))


def runs_and_partnerships(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs table with each run's spending and collaboration, and the partnerships'
    columns the report reads: the tables every report of a results folder starts from."""
    runs = read_table(root, "runs")
    parts = read_table(root, "partnerships", columns=PARTNERSHIP_COLUMNS)
    if not runs.empty:
        runs = with_run_outcomes(root, runs, parts)
    return runs, parts


def mechanisms_section(root: Path) -> list[Block]:
    """Why each effect arises: the explanation `clustersim explain` wrote beside these
    results (`<results>-explain/explain.md`), or how to get it.

    The explanation re-runs the comparison once per mechanism, so the report includes it
    when it has been made rather than making it every time.
    """
    made = root.parent / f"{root.name}-explain" / "explain.md"
    if not made.exists():
        return [
            "## Why: the mechanisms behind each effect",
            f"Not made yet. `clustersim explain EXPERIMENT --out {made.parent}` "
            "re-runs this comparison with each mechanism switched off in turn (same seeds) "
            "and writes which mechanisms carry each policy's effect; this report then "
            "includes it.",
        ]
    lines = made.read_text().splitlines()
    body = [("#" + line) if line.startswith("#") else line for line in lines[1:]]
    return [
        "## Why: the mechanisms behind each effect",
        f"From `{made}` (`clustersim explain`), {_modified(made)}.",
        "\n".join(body),
    ]


def _modified(path: Path) -> str:
    return f"written {pd.Timestamp(path.stat().st_mtime, unit='s'):%Y-%m-%d %H:%M} UTC"


def with_run_outcomes(root: Path, runs: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """The runs table with each run's spending by lever and collaboration-months.

    The series is the one home of spending, so its last month replaces the runs
    table's copy of subsidy_spent_eur and policy_spent_eur.
    """
    tables = {}
    for table, columns in OUTCOME_COLUMNS.items():
        _require_columns(root, table, columns)
        tables[table] = read_table(root, table, columns=columns)
    outcomes = analysis.run_outcomes(
        tables["series"], parts, tables["memberships"], tables["organisations"]
    )
    copies = [c for c in outcomes.columns if c in runs.columns and c not in analysis.RUN_KEYS]
    return runs.drop(columns=copies).merge(outcomes, on=analysis.RUN_KEYS, how="left")


def _require_columns(root: Path, table: str, columns: list[str]) -> None:
    """Refuse, in one line, results whose `table` lacks a column the report needs.

    One file's schema tells: a folder is written by one clustersim. (Reading the
    table would also fail, but in a line that lists the file's whole schema.)
    """
    files = ResultStore.existing(root).completed_files(table)
    try:
        names = set(pq.read_schema(files[0]).names) if files else set(columns)
    except (OSError, ValueError):
        return  # a damaged file: reading the table names it
    absent = [c for c in columns if c not in names | set(analysis.RUN_KEYS)]  # keys: the path's
    if absent:
        raise StoreError(
            f"{files[0]}: has no {', '.join(absent)}; these results were written by an older "
            "clustersim, so run the experiment again into a new --out folder"
        )


def report_sections(
    manifest: dict, runs: pd.DataFrame, parts: pd.DataFrame, folder_name: str
) -> Sections:
    """The whole report from the manifest and the tables: header, then the design's sections."""
    design = design_of(manifest)
    warning = _incompleteness(manifest, len(runs))
    md: list[Block] = [f"# Experiment report: {manifest.get('experiment_name', folder_name)}"]
    if manifest.get("description"):
        md.append(manifest["description"])
    if warning:
        md.append(f"> **WARNING: {warning}**")
    md.append("\n".join(_provenance(manifest, design, len(runs))))
    text: list[Block] = [_headline(manifest, design, len(runs))]
    if warning:
        text.append(f"WARNING: {warning}")
    if runs.empty:
        md.append("No run has finished yet: there is nothing to report.")
        return Sections(md, text)
    body = design.report(manifest, runs, parts)
    return Sections(md + body.markdown, text + body.terminal)


# --------------------------------------------------------------------- comparison
def compare_sections(design: Compare, runs: pd.DataFrame, parts: pd.DataFrame) -> Sections:
    """Survival, log-rank, formation, causes and cost per scenario, against the reference."""
    order = analysis.scenario_order(list(design.scenarios), design.reference)
    colours = _colours(order)
    horizons = analysis.survival_at_horizons(parts, order=order)
    logrank = analysis.logrank_vs_reference(parts, design.reference, order)
    formed = analysis.formation(runs, order)
    cost = analysis.cost_comparison(runs, design.reference, order)
    survival = Table(
        ["scenario", "partnerships", *HORIZON_COLUMNS], _survival_rows(horizons, order)
    )
    markdown = [
        *_survival_section(analysis.survival_curves(parts, order), horizons, survival, colours),
        *_logrank_section(logrank, design.reference),
        *_formation_section(formed, order, colours),
        *_causes_section(analysis.dissolution_causes(runs, order), "Dissolution causes"),
        *_cost_section(cost, order, design.reference, runs["months"].dropna().astype(int).tolist()),
        *METHOD_NOTES,
    ]
    terminal = [
        "",
        "Partnership survival (Kaplan-Meier, pooled over replications) [95% CI]",
        survival,
        "",
        "Per scenario: mean over replications [95% t-interval]",
        _per_scenario_table(formed, order, logrank, cost, design.reference),
    ]
    return Sections(markdown, terminal)


def _survival_section(
    curves: pd.DataFrame, horizons: pd.DataFrame, table: Table, colours: dict
) -> list[Block]:
    return [
        "## Partnership survival",
        "Kaplan-Meier estimate of the share of partnerships still active a given number "
        "of months after they formed, pooling all partnerships of all replications of a "
        "scenario; partnerships active at the end of a run are censored there. Shaded: "
        "pointwise 95 % confidence band (Greenwood). Dotted lines mark the horizons "
        "tabulated below.",
        Plot(
            "survival.png",
            "Kaplan-Meier survival per scenario",
            partial(_plot_curves, curves, colours, what="scenario"),
        ),
        "### Survival at 12, 36 and 60 months",
        "S(h) with its 95 % confidence interval; n/a where no partnership was observed "
        "for that long (the run is too short, or too few formed early enough).",
        table,
        Plot(
            "survival_at_horizons.png",
            "Survival at the horizons with 95 % intervals",
            partial(_plot_horizons, horizons, colours),
        ),
    ]


def _logrank_section(logrank: pd.DataFrame, reference: str) -> list[Block]:
    rows = [
        [
            r.scenario,
            str(r.partnerships),
            str(r.dissolved),
            number(r.statistic, ".2f"),
            p_value(r.pvalue),
        ]
        for r in logrank.itertuples()
    ]
    return [
        f"## Log-rank tests against {reference}",
        f"scipy's log-rank test of each scenario's survival curve against the reference "
        f"`{reference}`. z > 0: partnerships dissolve faster than under the reference; "
        "z < 0: they last longer. The test treats partnerships as independent, which "
        "those of one run are not, so small p-values are indicative rather than proof.",
        Table(["scenario", "partnerships", "dissolved", "z", "p-value"], rows),
    ]


FORMATION_HEADER = ["scenario", "runs", "partnerships formed", "share collaborating"]


def _formation_section(formed: pd.DataFrame, order: Sequence[str], colours: dict) -> list[Block]:
    return [
        "## Formation and collaboration",
        "Partnerships formed per run and the share of organisations that ever "
        "collaborated: mean over replications with a 95 % t-interval.",
        Table(FORMATION_HEADER, _formation_rows(formed, order)),
        Plot(
            "formation.png",
            "Formation and collaboration per scenario",
            partial(_plot_formation, formed, colours),
        ),
    ]


def _causes_section(causes: pd.DataFrame, title: str, intro: bool = True) -> list[Block]:
    blocks: list[Block] = [f"## {title}"]
    if intro:
        blocks.append(
            "Mean number of partnerships dissolved per run, by the cause that ended them."
        )
    return [
        *blocks,
        _causes_table(causes),
        Plot("causes.png", "Dissolutions per run by cause", partial(_plot_causes, causes)),
    ]


COST_HEADING = "## Policies at equal public cost"


def _cost_section(
    cost: pd.DataFrame, order: Sequence[str], reference: str, months: Sequence[int]
) -> list[Block]:
    """What each scenario costs the public purse and what it buys, against the reference."""
    cells = _CostCells(cost.set_index(["scenario", "outcome"]), reference)
    return [
        COST_HEADING,
        "Survival is measured among the partnerships that form, so a lever that forms "
        "fewer, sturdier partnerships can look better on survival alone while fewer "
        "organisations collaborate. Each scenario's public cost, and what it buys in "
        "surviving partnerships and in collaboration across all organisations, are "
        "therefore shown beside survival. Replication k of every scenario shares its seed "
        f"with replication k of `{reference}`, so each Δ is the mean of the paired "
        "differences with its 95 % t-interval; levels are means per run with theirs.",
        *_spending_and_survivors(cells, order, months),
        *_collaboration(cells, order),
    ]


def _spending_and_survivors(
    cells: _CostCells, order: Sequence[str], months: Sequence[int]
) -> list[Block]:
    """What each scenario spends, by lever, and its price per additional survivor."""
    horizon = analysis.SURVIVOR_MONTHS
    lengths = sorted(set(months))
    span = "-".join(str(m) for m in dict.fromkeys([lengths[0], lengths[-1]])) if lengths else "?"
    return [
        "### Policy spending by lever",
        f"Public euros spent per run, over the whole run ({span} months).",
        Table(
            ["scenario", "runs", "subsidy", "matchmaking", "cluster manager", "total", cells.vs],
            [cells.spending(name) for name in order],
        ),
        "### Cost per additional surviving partnership",
        f"A survivor is a partnership observed active {horizon} months after it formed, as "
        f"in S({horizon}). One formed less than that before the end of the run, or whose "
        "project was completed sooner, cannot count, alike in every scenario. The price is "
        "the additional policy spending over the additional survivors per run (a ratio of "
        "the paired means, with Fieller's 95 % interval, unbounded where the gain is not "
        "clearly above zero); n/a where survivors did not rise.",
        Table(
            [
                "scenario",
                f"alive at {horizon} months per run",
                cells.vs,
                "EUR per additional survivor",
            ],
            [cells.survivors(name) for name in order],
        ),
    ]


def _collaboration(cells: _CostCells, order: Sequence[str]) -> list[Block]:
    """Collaboration bought per euro, and reach over all organisations, members or not."""
    return [
        "### Collaboration per euro",
        "Partnership-months: the months each partnership was active, summed over a run. "
        "Per EUR 1,000 of the scenario's own policy spending (n/a without spending), and "
        "the additional partnership-months per additional EUR 1,000 against the reference "
        "(n/a unless spending rose); both with Fieller's 95 % interval.",
        Table(
            [
                "scenario",
                "partnership-months per run",
                cells.vs,
                "per EUR 1,000",
                "additional per additional EUR 1,000",
            ],
            [cells.collaboration(name) for name in order],
        ),
        "### Organisation-level outcomes",
        "Over all organisations of a run, whether they joined a partnership or not: the "
        "share that was a member of one at some time during the run, and membership-months "
        "per organisation (the months organisations were members of partnerships, summed, "
        "over the number of organisations).",
        Table(
            [
                "scenario",
                "collaborated",
                f"{cells.vs} (points)",
                "membership-months per organisation",
                cells.vs,
            ],
            [cells.organisations(name) for name in order],
        ),
    ]


@dataclass(frozen=True)
class _CostCells:
    """The formatted cells of the cost tables, from `analysis.cost_comparison`'s rows."""

    rows: pd.DataFrame  # indexed by (scenario, outcome)
    reference: str

    @property
    def vs(self) -> str:
        """The header of a difference to the reference."""
        return f"Δ vs {self.reference}"

    def _get(self, name: str, outcome: str) -> pd.Series:
        """The row of `name` and `outcome`; NaN where there is none (no pairs, no runs)."""
        if (name, outcome) in self.rows.index:
            return self.rows.loc[(name, outcome)]
        return pd.Series(np.nan, index=self.rows.columns)

    def _interval(self, name: str, outcome: str) -> tuple[float, float, float]:
        row = self._get(name, outcome)
        return (row["estimate"], row["ci_low"], row["ci_high"])

    def level(self, name: str, outcome: str, spec: str) -> str:
        """A mean per run with its t-interval."""
        return interval(*self._interval(name, outcome), spec)

    def delta(self, name: str, outcome: str, spec: str, scale: float = 1) -> str:
        """A paired difference to the reference; none for the reference itself."""
        if name == self.reference:
            return "(reference)"
        return interval(*self._interval(name, f"delta_{outcome}"), spec, scale=scale)

    def ratio(self, name: str, outcome: str, spec: str) -> str:
        """A ratio with its Fieller interval; 'unbounded' where the data put no bound on it."""
        return ratio_text(*self._interval(name, outcome), spec)

    def price(self, name: str, outcome: str, spec: str) -> str:
        """A ratio against the reference: none for the reference itself."""
        return "(reference)" if name == self.reference else self.ratio(name, outcome, spec)

    def spending(self, name: str) -> list[str]:
        runs = self._get(name, "policy_spent_eur")["runs"]
        return [
            name,
            number(runs, ".0f"),
            *(self.level(name, c, ",.0f") for c in analysis.SPENDING_COLUMNS),
            self.delta(name, "policy_spent_eur", "+,.0f"),
        ]

    def survivors(self, name: str) -> list[str]:
        return [
            name,
            self.level(name, "survivors", ".2f"),
            self.delta(name, "survivors", "+.2f"),
            self.price(name, "eur_per_additional_survivor", ",.0f"),
        ]

    def collaboration(self, name: str) -> list[str]:
        return [
            name,
            self.level(name, "partnership_months", ",.0f"),
            self.delta(name, "partnership_months", "+,.0f"),
            self.ratio(name, "partnership_months_per_keur", ".2f"),
            self.price(name, "additional_partnership_months_per_keur", ".2f"),
        ]

    def organisations(self, name: str) -> list[str]:
        return [
            name,
            percent_interval(*self._interval(name, "share_collaborated")),
            self.delta(name, "share_collaborated", "+.1f", scale=100),
            self.level(name, "membership_months_per_organisation", ".2f"),
            self.delta(name, "membership_months_per_organisation", "+.2f"),
        ]


def _per_scenario_table(
    formed: pd.DataFrame,
    order: Sequence[str],
    logrank: pd.DataFrame,
    cost: pd.DataFrame,
    reference: str,
) -> Table:
    """The terminal's one table per scenario: formation, log-rank p, spending and its price."""
    p_by = dict(zip(logrank["scenario"], logrank["pvalue"], strict=True))
    cells = _CostCells(cost.set_index(["scenario", "outcome"]), reference)
    rows = [
        [
            *f,
            "(reference)" if f[0] == reference else p_value(p_by.get(f[0], np.nan)),
            cells.level(f[0], "policy_spent_eur", ",.0f"),
            cells.price(f[0], "eur_per_additional_survivor", ",.0f"),
        ]
        for f in _formation_rows(formed, order)
    ]
    header = [
        *FORMATION_HEADER,
        f"log-rank p vs {reference}",
        "policy EUR per run",
        f"EUR per additional survivor ({analysis.SURVIVOR_MONTHS} m)",
    ]
    return Table(header, rows)


def _survival_rows(horizons: pd.DataFrame, order: Sequence[str]) -> list[list[str]]:
    rows = []
    for name in order:
        h = horizons[horizons["scenario"] == name]
        n = int(h["partnerships"].iloc[0]) if len(h) else 0
        rows.append(
            [
                name,
                str(n),
                *(percent_interval(r.survival, r.ci_low, r.ci_high) for r in h.itertuples()),
            ]
        )
    return rows


def _formation_rows(formed: pd.DataFrame, order: Sequence[str]) -> list[list[str]]:
    rows = []
    for name in order:
        f = formed[formed["scenario"] == name].set_index("outcome")
        count, share = f.loc["partnerships_formed"], f.loc["share_collaborated"]
        rows.append(
            [
                name,
                str(int(count["runs"])),
                interval(count["mean"], count["ci_low"], count["ci_high"], ".1f"),
                percent_interval(share["mean"], share["ci_low"], share["ci_high"]),
            ]
        )
    return rows


def _causes_table(causes: pd.DataFrame) -> Table:
    names = [c for c in causes.columns if c not in ("scenario", "runs", "total")]
    rows = [
        [r["scenario"], str(r["runs"]), *(number(r[c], ".1f") for c in [*names, "total"])]
        for _, r in causes.iterrows()
    ]
    return Table(["scenario", "runs", *(_label(c) for c in names), "total"], rows)


# -------------------------------------------------------------------------- sweep
SWEEP_OUTCOMES = ("partnerships_formed", "share_collaborated", "subsidy_spent_eur")


def sweep_sections(
    design: Sweep, manifest: dict, runs: pd.DataFrame, parts: pd.DataFrame
) -> Sections:
    """Outcomes per design point, against the parameters, and per-point curves if few."""
    order = [f"point {p}" for p in range(int(manifest["design"]["points"]))]
    runs = runs.assign(scenario="point " + runs["point"].astype(str))
    if not parts.empty:
        parts = parts.assign(scenario="point " + parts["point"].astype(str))
    params = [d.name for d in design.dimensions]
    points = pd.DataFrame(manifest["points"], index=order)
    table = point_outcomes(runs, parts, points, params, order)
    outcomes = _point_table(table, params)
    few = len(order) <= MAX_GROUP_PLOTS
    markdown: list[Block] = [
        "## Outcomes per design point",
        "Mean over the replications of each design point of partnerships formed, share of "
        "organisations that ever collaborated and subsidy spent per run; S(h) is the "
        "Kaplan-Meier survival at h months pooling the point's replications (n/a where no "
        "partnership was observed that long).",
        outcomes,
        "## Outcomes against the swept parameters",
        "Each dot is one design point (mean over its replications).",
        Plot(
            "outcomes_vs_parameters.png",
            "Outcomes against the swept parameters",
            partial(_plot_against_parameters, table, params),
        ),
    ]
    if few:
        markdown += _per_point_sections(runs, parts, order)
    if design.sampling.analyse is not None:
        markdown.append(
            f"Sensitivity indices of this {design.method} design: `clustersim sensitivity "
            "RESULTS` writes them to RESULTS/sensitivity/."
        )
    frontier_blocks, frontier_line = _frontier(runs, manifest, params)
    markdown += frontier_blocks + METHOD_NOTES
    if few:
        terminal = ["", "Outcomes per design point (means over replications)", outcomes]
    else:
        terminal = [
            "",
            f"Outcomes over the {len(order)} design points (means over replications)",
            _outcome_ranges(table, points, params),
        ]
    return Sections(markdown, terminal + frontier_line)


def _frontier(runs: pd.DataFrame, manifest: dict, params: list[str]) -> tuple[list[Block], list]:
    """The cost-effectiveness frontier and its terminal line, when the sweep varies a lever."""
    if not frontier.varies_levers(params) or frontier.COST not in runs:
        return [], []
    table, blocks = frontier.frontier_section(runs, pd.DataFrame(manifest["points"]), params)
    return blocks, ["", frontier.headline(table)]


def point_outcomes(
    runs: pd.DataFrame,
    parts: pd.DataFrame,
    points: pd.DataFrame,
    params: list[str],
    order: list[str],
) -> pd.DataFrame:
    """One row per design point: its parameters, runs, mean outcomes and survival S(h)."""
    horizons = analysis.survival_at_horizons(parts, order=order)
    means = analysis.outcome_means(runs, SWEEP_OUTCOMES, order).pivot(
        index="scenario", columns="outcome", values="mean"
    )
    counts = runs.groupby("scenario").size()
    survival = horizons.pivot(index="scenario", columns="horizon", values="survival")
    table = pd.DataFrame(index=pd.Index(order, name="point"))
    for p in params:
        table[p] = points[p]
    table["runs"] = counts.reindex(order).fillna(0).astype(int)
    for o in SWEEP_OUTCOMES:
        table[o] = means[o].reindex(order)
    for h in HORIZONS_MONTHS:
        table[f"S({h})"] = survival[h].reindex(order) if h in survival else np.nan
    return table


def _point_table(table: pd.DataFrame, params: list[str]) -> Table:
    rows = [
        [
            name,
            *(number(r[p], ".4g") for p in params),
            str(int(r["runs"])),
            number(r["partnerships_formed"], ".1f"),
            percent(r["share_collaborated"]),
            eur(r["subsidy_spent_eur"]),
            *(percent(r[f"S({h})"]) for h in HORIZONS_MONTHS),
        ]
        for name, r in table.iterrows()
    ]
    header = [
        "point",
        *params,
        "runs",
        "partnerships formed",
        "share collaborating",
        "subsidy spent",
        *HORIZON_COLUMNS,
    ]
    return Table(header, rows)


def _per_point_sections(runs: pd.DataFrame, parts: pd.DataFrame, order: list[str]) -> list[Block]:
    colours = _colours(order)
    curves = analysis.survival_curves(parts, order)
    causes = analysis.dissolution_causes(runs, order)
    return [
        "## Partnership survival per design point",
        "Kaplan-Meier survival pooling each point's replications, with pointwise 95 % bands.",
        Plot(
            "survival.png",
            "Kaplan-Meier survival per design point",
            partial(_plot_curves, curves, colours),
        ),
        *_causes_section(causes, "Dissolution causes per design point", intro=False),
    ]


def _outcome_ranges(table: pd.DataFrame, points: pd.DataFrame, params: list[str]) -> Table:
    """Lowest, median and highest of each outcome over many points, naming the extremes."""
    lines = []
    for column, fmt in [
        ("partnerships_formed", partial(number, spec=".1f")),
        ("share_collaborated", percent),
        *((f"S({h})", percent) for h in HORIZONS_MONTHS),
    ]:
        values = table[column].dropna()
        if values.empty:
            lines.append([column, "n/a", "n/a", "n/a"])
            continue
        low, high = values.idxmin(), values.idxmax()
        lines.append(
            [
                column,
                f"{fmt(values[low])} ({low}: {_point_values(points, low, params)})",
                fmt(values.median()),
                f"{fmt(values[high])} ({high}: {_point_values(points, high, params)})",
            ]
        )
    return Table(["outcome", "lowest", "median", "highest"], lines)


def _point_values(points: pd.DataFrame, name: str, params: list[str]) -> str:
    return ", ".join(f"{p}={number(points.loc[name, p], '.4g')}" for p in params)


# ---------------------------------------------------------------------- figures
def _colours(order: Sequence[str]) -> dict[str, Any]:
    cmap = colormaps["tab10" if len(order) <= 10 else "tab20"]
    return {name: cmap(k % cmap.N) for k, name in enumerate(order)}


def _plot_curves(curves: pd.DataFrame, colours: dict, path: Path, what: str = "point") -> None:
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    for name, colour in colours.items():
        c = curves[curves["scenario"] == name]
        if c.empty:
            continue
        ax.step(c["time"], c["survival"], where="post", color=colour, label=name, lw=1.6)
        ax.fill_between(
            c["time"], c["ci_low"], c["ci_high"], step="post", color=colour, alpha=0.18, lw=0
        )
    for h in HORIZONS_MONTHS:
        ax.axvline(h, color="grey", ls=":", lw=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel("months since the partnership formed")
    ax.set_ylabel("share of partnerships still active")
    ax.set_title(f"Kaplan-Meier survival per {what}, 95 % bands")
    ax.legend(loc="lower left", fontsize="small", ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_horizons(horizons: pd.DataFrame, colours: dict, path: Path) -> None:
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    width = 0.8 / max(len(colours), 1)
    for k, (name, colour) in enumerate(colours.items()):
        h = horizons[horizons["scenario"] == name]
        x = np.arange(len(h)) + (k - (len(colours) - 1) / 2) * width
        err = np.vstack([h["survival"] - h["ci_low"], h["ci_high"] - h["survival"]])
        ax.errorbar(x, h["survival"], yerr=err, fmt="o", color=colour, capsize=3, label=name)
    ax.set_xticks(range(len(HORIZONS_MONTHS)), [f"{h} months" for h in HORIZONS_MONTHS])
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of partnerships still active")
    ax.set_title("Survival at the horizons, 95 % intervals")
    ax.legend(fontsize="small", ncols=2, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_formation(formed: pd.DataFrame, colours: dict, path: Path) -> None:
    fig = Figure(figsize=(9, 4))
    axes = fig.subplots(1, 2)
    titles = {
        "partnerships_formed": "partnerships formed per run",
        "share_collaborated": "share of organisations that collaborated",
    }
    for ax, (outcome, title) in zip(axes, titles.items(), strict=True):
        f = formed[formed["outcome"] == outcome].set_index("scenario").reindex(list(colours))
        err = np.vstack([f["mean"] - f["ci_low"], f["ci_high"] - f["mean"]])
        ax.bar(range(len(f)), f["mean"], yerr=np.nan_to_num(err), color=list(colours.values()))
        ax.set_xticks(range(len(f)), list(f.index), rotation=30, ha="right")
        ax.set_title(title)
    fig.suptitle("Mean over replications, 95 % t-intervals")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_causes(causes: pd.DataFrame, path: Path) -> None:
    names = [c for c in causes.columns if c not in ("scenario", "runs", "total")]
    fig = Figure(figsize=(9.5, 4.5))
    ax = fig.subplots()
    bottom = np.zeros(len(causes))
    cmap = colormaps["Set2"]
    for k, cause in enumerate(names):
        values = causes[cause].fillna(0).to_numpy(dtype=float)
        ax.bar(causes["scenario"], values, bottom=bottom, label=_label(cause), color=cmap(k))
        bottom += values
    ax.set_ylabel("partnerships dissolved per run (mean)")
    ax.set_title("Dissolution causes")
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_against_parameters(table: pd.DataFrame, params: list[str], path: Path) -> None:
    outcomes = {
        "partnerships_formed": "partnerships formed",
        "share_collaborated": "share collaborating",
    }
    for h in reversed(HORIZONS_MONTHS):  # the longest horizon the runs were long enough for
        if table[f"S({h})"].notna().any():
            outcomes[f"S({h})"] = f"survival at {h} months"
            break
    fig = Figure(figsize=(3.2 * max(len(params), 1), 2.6 * len(outcomes)))
    axes = np.atleast_2d(fig.subplots(len(outcomes), max(len(params), 1), squeeze=False))
    for i, (outcome, label) in enumerate(outcomes.items()):
        for j, param in enumerate(params):
            ax = axes[i, j]
            ax.scatter(pd.to_numeric(table[param], errors="coerce"), table[outcome], s=14)
            if i == len(outcomes) - 1:
                ax.set_xlabel(param)
            if j == 0:
                ax.set_ylabel(label)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


# ---------------------------------------------------------------- text pieces
def _incompleteness(manifest: dict, done: int) -> str | None:
    """A warning when fewer runs finished than the design holds; None when complete."""
    designed = int(manifest["design"]["runs"])
    if done >= designed:
        return None
    failed = manifest.get("failed_runs")
    why = f"; {failed} failed" if failed else ""
    if "finished" not in manifest:
        why += "; the experiment has not finished (still running or interrupted)"
    return (
        f"incomplete results: {done} of {designed} designed runs are done "
        f"({designed - done} missing{why}). Every table and figure covers only the "
        "finished runs; resume the experiment to complete it."
    )


def _headline(manifest: dict, design: Design, done: int) -> str:
    counts = manifest["design"]
    name = manifest.get("experiment_name", "experiment")
    reps = plural(counts["replications"], "replication")
    shape = f"{design.shape(counts['points'])} x {reps}"
    return (
        f"{name}: {done} of {counts['runs']} runs done ({shape}), "
        f"root seed {manifest.get('root_seed')}"
    )


def _provenance(manifest: dict, design: Design, done: int) -> list[str]:
    counts = manifest["design"]
    versions = manifest.get("versions", {})
    commit = manifest.get("git_commit")
    code = f"clustersim {versions.get('clustersim', '?')}"
    if commit:
        code += f", git commit {commit[:12]}"
        if manifest.get("git_dirty"):
            code += " with uncommitted changes"
    lines = [
        f"- Experiment: `{manifest.get('experiment_name')}` from "
        f"`{manifest.get('experiment_path')}`",
        f"- Design: {design.summary(counts['points'])}",
        f"- Runs: {done} of {counts['runs']} designed runs done "
        f"({plural(counts['replications'], 'replication')} each)",
        f"- Seeds: {design.seeding(manifest)}",
        f"- Code: {code}; numpy {versions.get('numpy', '?')}, "
        f"mesa {versions.get('mesa', '?')}, python {versions.get('python', '?')}",
        f"- Started {manifest.get('started', '?')}, "
        f"finished {manifest.get('finished', 'not yet (or interrupted)')}",
    ]
    if manifest.get("failed_runs"):
        lines.append(f"- Failed runs: {manifest['failed_runs']} (see status.jsonl)")
    return lines


METHOD_NOTES: list[Block] = [
    "## Notes on method",
    "\n".join(
        [
            "- Survival is scipy's Kaplan-Meier estimator (`stats.ecdf` on right-censored "
            "durations); bands are pointwise 95 % Greenwood intervals, undefined where the "
            "estimate reaches 0. Partnerships of one run are not independent, and replication "
            "k shares its seed across groups, so bands and log-rank p-values are indicative.",
            "- S(h) is n/a beyond the longest observed duration: the data say nothing there.",
            "- Per-run outcomes (formation, causes, spending) vary between independent "
            "replications; their intervals are Student-t intervals of the mean over runs.",
        ]
    ),
]


def _label(cause: str) -> str:
    return cause.replace("_", " ")
