"""The report of an experiment's results folder: Markdown, figures and a terminal summary.

`build_report(RESULTS)` writes RESULTS/report/report.md with every table and
figure, and returns a short plain-text summary for the terminal. It reads the
manifest and only the columns it needs of the finished runs (`read_table`), so a
large experiment does not have to fit in memory whole. A folder with fewer
finished runs than designed is reported as such, in both outputs, in a line no
reader can miss: partial results are never passed off as whole.

Comparisons get survival curves, survival at the horizons, log-rank tests against
the reference, formation, dissolution causes and subsidy per survivor. Sweeps
treat each design point as a group ("point N") and stay compact: a table of
outcomes per point, outcomes plotted against the swept parameters, and per-group
plots only when there are few points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from clustersim.experiment import analysis
from clustersim.experiment.store import ResultStore, read_table
from clustersim.survival import HORIZONS_MONTHS

PARTNERSHIP_COLUMNS = ["scenario", "point", "replication", "duration", "dissolved", "cause"]
MAX_GROUP_PLOTS = 12  # more groups than this and per-group curves are unreadable
DPI = 110


def build_report(root: Path) -> str:
    """Write RESULTS/report/report.md and its figures; return the terminal summary."""
    root = Path(root)
    manifest = ResultStore.existing(root).read_manifest()
    folder = root / "report"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):  # figures of an earlier report must not linger
        old.unlink()
    runs = read_table(root, "runs")
    parts = read_table(root, "partnerships", columns=PARTNERSHIP_COLUMNS)
    design = manifest["design"]
    warning = _incompleteness(manifest, len(runs))
    md = [f"# Experiment report: {manifest.get('experiment_name', root.name)}", ""]
    if manifest.get("description"):
        md += [manifest["description"], ""]
    if warning:
        md += [f"> **WARNING: {warning}**", ""]
    md += [*_provenance(manifest, len(runs)), ""]
    text = [_headline(manifest, len(runs))]
    if warning:
        text.append(f"WARNING: {warning}")
    if runs.empty:
        md += ["No run has finished yet: there is nothing to report.", ""]
    elif design["kind"] == "sweep":
        _sweep(manifest, runs, parts, folder, md, text)
    else:
        _compare(manifest, runs, parts, folder, md, text)
    (folder / "report.md").write_text("\n".join(md))
    return "\n".join(text)


# --------------------------------------------------------------------- comparison
def _compare(manifest, runs, parts, folder: Path, md: list[str], text: list[str]) -> None:
    design = manifest["design"]
    reference = design["reference"]
    order = analysis.scenario_order(design["scenarios"], reference)
    curves = analysis.survival_curves(parts, order)
    horizons = analysis.survival_at_horizons(parts, order=order)
    logrank = analysis.logrank_vs_reference(parts, reference, order)
    formed = analysis.formation(runs, order)
    causes = analysis.dissolution_causes(runs, order)
    cost = analysis.subsidy_per_survivor(parts, runs, order=order)
    colours = _colours(order)

    _plot_curves(curves, colours, folder / "survival.png", "scenario")
    _plot_horizons(horizons, colours, folder / "survival_at_horizons.png")
    _plot_formation(formed, colours, folder / "formation.png")
    _plot_causes(causes, folder / "causes.png")

    survival_rows = _survival_rows(horizons, order)
    hcols = [f"S({h})" for h in HORIZONS_MONTHS]
    md += [
        "## Partnership survival",
        "",
        "Kaplan-Meier estimate of the share of partnerships still active a given number "
        "of months after they formed, pooling all partnerships of all replications of a "
        "scenario; partnerships active at the end of a run are censored there. Shaded: "
        "pointwise 95 % confidence band (Greenwood). Dotted lines mark the horizons "
        "tabulated below.",
        "",
        "![Kaplan-Meier survival per scenario](survival.png)",
        "",
        "### Survival at 12, 36 and 60 months",
        "",
        "S(h) with its 95 % confidence interval; n/a where no partnership was observed "
        "for that long (the run is too short, or too few formed early enough).",
        "",
        _markdown(["scenario", "partnerships", *hcols], survival_rows),
        "",
        "![Survival at the horizons with 95 % intervals](survival_at_horizons.png)",
        "",
    ]
    lr_rows = [
        [r.scenario, str(r.partnerships), str(r.dissolved), _num(r.statistic, ".2f"), _p(r.pvalue)]
        for r in logrank.itertuples()
    ]
    md += [
        f"## Log-rank tests against {reference}",
        "",
        f"scipy's log-rank test of each scenario's survival curve against the reference "
        f"`{reference}`. z > 0: partnerships dissolve faster than under the reference; "
        "z < 0: they last longer. The test treats partnerships as independent, which "
        "those of one run are not, so small p-values are indicative rather than proof.",
        "",
        _markdown(["scenario", "partnerships", "dissolved", "z", "p-value"], lr_rows),
        "",
    ]
    formation_rows = _formation_rows(formed, order)
    md += [
        "## Formation and collaboration",
        "",
        "Partnerships formed per run and the share of organisations that ever "
        "collaborated: mean over replications with a 95 % t-interval.",
        "",
        _markdown(
            ["scenario", "runs", "partnerships formed", "share collaborating"], formation_rows
        ),
        "",
        "![Formation and collaboration per scenario](formation.png)",
        "",
    ]
    md += [
        "## Dissolution causes",
        "",
        "Mean number of partnerships dissolved per run, by the cause that ended them.",
        "",
        _causes_markdown(causes),
        "",
        "![Dissolutions per run by cause](causes.png)",
        "",
    ]
    cost_rows = [
        [
            r.scenario,
            str(r.runs),
            _eur(r.subsidy_spent_eur),
            str(r.survivors),
            str(r.censored_before_horizon),
            _eur(r.subsidy_per_survivor_eur),
            _eur(r.policy_per_survivor_eur),
        ]
        for r in cost.itertuples()
    ]
    horizon = analysis.SURVIVOR_HORIZON
    md += [
        "## Subsidy per surviving partnership",
        "",
        f"Subsidy spent (total over all replications) per partnership observed alive "
        f"{horizon} months after it formed. Only partnerships observed for {horizon} "
        f"months count as survivors; those formed less than {horizon} months before the "
        "end of a run and still active are censored before the horizon and counted "
        "neither way, although the subsidy they received is in the total. All policy "
        "spending (subsidy plus matchmaking) per survivor is shown alongside.",
        "",
        _markdown(
            [
                "scenario",
                "runs",
                "subsidy spent",
                f"alive at {horizon} months",
                "censored before",
                "subsidy per survivor",
                "policy spending per survivor",
            ],
            cost_rows,
        ),
        "",
    ]
    md += _method_notes()

    text += [
        "",
        "Partnership survival (Kaplan-Meier, pooled over replications) [95% CI]",
        _text_table(["scenario", "partnerships", *hcols], survival_rows),
        "",
        "Per scenario: mean over replications [95% t-interval]",
    ]
    p_by = dict(zip(logrank["scenario"], logrank["pvalue"], strict=True))
    cost_by = cost.set_index("scenario")["subsidy_per_survivor_eur"]
    rows = [
        [
            *f,
            "(reference)" if f[0] == reference else _p(p_by.get(f[0], np.nan)),
            _eur(cost_by.get(f[0], np.nan)),
        ]
        for f in formation_rows
    ]
    text.append(
        _text_table(
            [
                "scenario",
                "runs",
                "partnerships formed",
                "share collaborating",
                f"log-rank p vs {reference}",
                f"subsidy per survivor ({horizon} m)",
            ],
            rows,
        )
    )


def _survival_rows(horizons: pd.DataFrame, order: Sequence[str]) -> list[list[str]]:
    rows = []
    for name in order:
        h = horizons[horizons["scenario"] == name]
        n = int(h["partnerships"].iloc[0]) if len(h) else 0
        rows.append(
            [name, str(n), *(_pct_ci(r.survival, r.ci_low, r.ci_high) for r in h.itertuples())]
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
                _num_ci(count["mean"], count["ci_low"], count["ci_high"], ".1f"),
                _pct_ci(share["mean"], share["ci_low"], share["ci_high"]),
            ]
        )
    return rows


def _causes_markdown(causes: pd.DataFrame) -> str:
    names = [c for c in causes.columns if c not in ("scenario", "runs", "total")]
    rows = [
        [r["scenario"], str(r["runs"]), *(_num(r[c], ".1f") for c in [*names, "total"])]
        for _, r in causes.iterrows()
    ]
    return _markdown(["scenario", "runs", *(_label(c) for c in names), "total"], rows)


# -------------------------------------------------------------------------- sweep
def _sweep(manifest, runs, parts, folder: Path, md: list[str], text: list[str]) -> None:
    design = manifest["design"]
    n_points = int(design["points"])
    order = [f"point {p}" for p in range(n_points)]
    runs = runs.assign(scenario="point " + runs["point"].astype(str))
    if not parts.empty:
        parts = parts.assign(scenario="point " + parts["point"].astype(str))
    params = [d["name"] for d in design["dimensions"]]
    points = pd.DataFrame(manifest["points"], index=order)
    horizons = analysis.survival_at_horizons(parts, order=order)
    outcomes = ("partnerships_formed", "share_collaborated", "subsidy_spent_eur")
    means = analysis.outcome_means(runs, outcomes, order).pivot(
        index="scenario", columns="outcome", values="mean"
    )
    counts = runs.groupby("scenario").size()
    survival = horizons.pivot(index="scenario", columns="horizon", values="survival")
    table = pd.DataFrame(index=pd.Index(order, name="point"))
    for p in params:
        table[p] = points[p]
    table["runs"] = counts.reindex(order).fillna(0).astype(int)
    for o in outcomes:
        table[o] = means[o].reindex(order)
    for h in HORIZONS_MONTHS:
        table[f"S({h})"] = survival[h].reindex(order) if h in survival else np.nan

    rows = [
        [
            name,
            *(_num(r[p], ".4g") for p in params),
            str(int(r["runs"])),
            _num(r["partnerships_formed"], ".1f"),
            _pct(r["share_collaborated"]),
            _eur(r["subsidy_spent_eur"]),
            *(_pct(r[f"S({h})"]) for h in HORIZONS_MONTHS),
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
        *(f"S({h})" for h in HORIZONS_MONTHS),
    ]
    method = design.get("method")
    md += [
        "## Outcomes per design point",
        "",
        "Mean over the replications of each design point of partnerships formed, share of "
        "organisations that ever collaborated and subsidy spent per run; S(h) is the "
        "Kaplan-Meier survival at h months pooling the point's replications (n/a where no "
        "partnership was observed that long).",
        "",
        _markdown(header, rows),
        "",
    ]
    _plot_against_parameters(table, params, folder / "outcomes_vs_parameters.png")
    md += [
        "## Outcomes against the swept parameters",
        "",
        "Each dot is one design point (mean over its replications).",
        "",
        "![Outcomes against the swept parameters](outcomes_vs_parameters.png)",
        "",
    ]
    if n_points <= MAX_GROUP_PLOTS:
        colours = _colours(order)
        _plot_curves(analysis.survival_curves(parts, order), colours, folder / "survival.png")
        causes = analysis.dissolution_causes(runs, order)
        _plot_causes(causes, folder / "causes.png")
        md += [
            "## Partnership survival per design point",
            "",
            "Kaplan-Meier survival pooling each point's replications, with pointwise 95 % bands.",
            "",
            "![Kaplan-Meier survival per design point](survival.png)",
            "",
            "## Dissolution causes per design point",
            "",
            _causes_markdown(causes),
            "",
            "![Dissolutions per run by cause](causes.png)",
            "",
        ]
    if method in ("sobol", "morris"):
        md += [
            f"Sensitivity indices of this {method} design: `clustersim sensitivity "
            "RESULTS` writes them to RESULTS/sensitivity/.",
            "",
        ]
    md += _method_notes()

    text.append("")
    if n_points <= MAX_GROUP_PLOTS:
        text += ["Outcomes per design point (means over replications)", _text_table(header, rows)]
        return
    text.append(f"Outcomes over the {n_points} design points (means over replications)")
    lines = []
    for column, fmt in [
        ("partnerships_formed", lambda x: _num(x, ".1f")),
        ("share_collaborated", _pct),
        *((f"S({h})", _pct) for h in HORIZONS_MONTHS),
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
    text.append(_text_table(["outcome", "lowest", "median", "highest"], lines))


def _point_values(points: pd.DataFrame, name: str, params: list[str]) -> str:
    return ", ".join(f"{p}={_num(points.loc[name, p], '.4g')}" for p in params)


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


def _headline(manifest: dict, done: int) -> str:
    design = manifest["design"]
    name = manifest.get("experiment_name", "experiment")
    reps = _plural(design["replications"], "replication")
    if design["kind"] == "sweep":
        shape = f"{_plural(design['points'], 'design point')} x {reps}"
    else:
        shape = f"{_plural(len(design['scenarios']), 'scenario')} x {reps}"
    return (
        f"{name}: {done} of {design['runs']} runs done ({shape}), "
        f"root seed {manifest.get('root_seed')}"
    )


def _provenance(manifest: dict, done: int) -> list[str]:
    design = manifest["design"]
    versions = manifest.get("versions", {})
    commit = manifest.get("git_commit")
    code = f"clustersim {versions.get('clustersim', '?')}"
    if commit:
        code += f", git commit {commit[:12]}"
        if manifest.get("git_dirty"):
            code += " with uncommitted changes"
    seeds = manifest.get("replication_seeds", [])
    shown = ", ".join(str(s) for s in seeds[:10]) + (", ..." if len(seeds) > 10 else "")
    if design["kind"] == "sweep":
        dims = ", ".join(_dimension(d) for d in design["dimensions"])
        kind = f"sweep, {design.get('method')} design over {dims}: {design['points']} points"
    else:
        kind = (
            f"comparison of {len(design['scenarios'])} scenarios "
            f"({', '.join(design['scenarios'])}) against the reference `{design['reference']}`"
        )
    lines = [
        f"- Experiment: `{manifest.get('experiment_name')}` from "
        f"`{manifest.get('experiment_path')}`",
        f"- Design: {kind}",
        f"- Runs: {done} of {design['runs']} designed runs done "
        f"({_plural(design['replications'], 'replication')} each)",
        f"- Seeds: root seed {manifest.get('root_seed')}; replication seeds {shown} "
        "(replication k uses the same seed in every group: common random numbers)",
        f"- Code: {code}; numpy {versions.get('numpy', '?')}, "
        f"mesa {versions.get('mesa', '?')}, python {versions.get('python', '?')}",
        f"- Started {manifest.get('started', '?')}, "
        f"finished {manifest.get('finished', 'not yet (or interrupted)')}",
    ]
    if manifest.get("failed_runs"):
        lines.append(f"- Failed runs: {manifest['failed_runs']} (see status.jsonl)")
    return lines


def _dimension(d: dict) -> str:
    if d.get("values"):
        return f"{d['name']} in {{{', '.join(str(v) for v in d['values'])}}}"
    return f"{d['name']} in [{d.get('low')}, {d.get('high')}]"


def _method_notes() -> list[str]:
    return [
        "## Notes on method",
        "",
        "- Survival is scipy's Kaplan-Meier estimator (`stats.ecdf` on right-censored "
        "durations); bands are pointwise 95 % Greenwood intervals, undefined where the "
        "estimate reaches 0. Partnerships of one run are not independent, and replication "
        "k shares its seed across groups, so bands and log-rank p-values are indicative.",
        "- S(h) is n/a beyond the longest observed duration: the data say nothing there.",
        "- Per-run outcomes (formation, causes, spending) vary between independent "
        "replications; their intervals are Student-t intervals of the mean over runs.",
        "",
    ]


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(no data)"
    return pd.DataFrame(rows, columns=header).to_markdown(index=False, disable_numparse=True)


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    )


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x))


def _pct(x: Any) -> str:
    return "n/a" if _missing(x) else f"{100 * x:.1f}%"


def _pct_ci(x: Any, low: Any, high: Any) -> str:
    if _missing(x):
        return "n/a"
    if _missing(low) or _missing(high):
        return _pct(x)
    return f"{100 * x:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def _num(x: Any, fmt: str) -> str:
    if isinstance(x, str):
        return x
    return "n/a" if _missing(x) else format(x, fmt)


def _num_ci(x: Any, low: Any, high: Any, fmt: str) -> str:
    if _missing(x):
        return "n/a"
    if _missing(low) or _missing(high):
        return _num(x, fmt)
    return f"{format(x, fmt)} [{format(low, fmt)}, {format(high, fmt)}]"


def _p(p: Any) -> str:
    if _missing(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _eur(x: Any) -> str:
    return "n/a" if _missing(x) else f"EUR {x:,.0f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _label(cause: str) -> str:
    return cause.replace("_", " ")
