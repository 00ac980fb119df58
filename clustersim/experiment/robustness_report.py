"""The report of a robustness experiment: does each policy help across plausible worlds?

Sections as data (`formatting` blocks), built from `robustness.paired_effects` and its
summaries: the effect on S(36) per world with the share of worlds in which the policy
beats the reference, collaboration and cost across worlds, regret against the best
choice per world, and the worlds themselves. Other modules add sections through
`EXTRA_SECTIONS` (e.g. where a policy fails, by scenario discovery), each a function of
the design and the per-world effects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from clustersim.experiment.discovery import report_section as where_it_fails
from clustersim.experiment.report import DPI, Sections
from clustersim.experiment.robustness import (
    QUANTILES,
    paired_effects,
    policy_summary,
    regret_summary,
    spread,
)
from clustersim.experiment.spec import Robustness
from clustersim.formatting import (
    Block,
    Plot,
    Table,
    interval,
    number,
    percent_interval,
    plural,
    ratio_text,
)

# A section maker: (design, per-world effects as `paired_effects` gives them) -> blocks.
SectionMaker = Callable[[Robustness, pd.DataFrame], list[Block]]
# Appended after the robustness sections: where each policy fails to help (PRIM).
EXTRA_SECTIONS: tuple[SectionMaker, ...] = (where_it_fails,)
LOW, HIGH = (f"{q:.0%}" for q in QUANTILES)
OVER_WORLDS = f"median [{LOW}-{HIGH} of worlds]"


def robustness_sections(
    design: Robustness,
    manifest: dict,
    runs: pd.DataFrame,
    extra: Sequence[SectionMaker] | None = None,
) -> Sections:
    """The robustness report: effects per world, share of worlds, regret, then `extra`
    (default EXTRA_SECTIONS), each given the design and the per-world effects."""
    worlds = design.points(0)
    effects = paired_effects(runs, design.reference, worlds, design.scenarios)
    summary = policy_summary(effects)
    regret = regret_summary(effects, design.reference)
    replications = int(manifest["design"]["replications"])
    headline = _headline_table(summary, design.reference)
    markdown: list[Block] = [
        "## Robustness across plausible worlds",
        _what_a_world_is(design, replications),
        *_s36_section(effects, summary, design.reference),
        *_cost_section(summary, design.reference),
        *_regret_section(regret, design.reference),
        *_worlds_section(design, worlds),
    ]
    for make in EXTRA_SECTIONS if extra is None else extra:
        markdown += make(design, effects)
    terminal: list[Block] = [
        "",
        f"Across {plural(design.draws, 'world')} drawn from the posterior "
        f"({plural(replications, 'replication')} each), against {design.reference}:",
        headline,
    ]
    return Sections(markdown, terminal)


def _what_a_world_is(design: Robustness, replications: int) -> str:
    distinct = len(set(design.particles))
    return (
        "The calibration leaves the model's parameters uncertain: its posterior holds many "
        "parameter sets (particles), each weighted by how well it fits. A **world** is one "
        f"draw from that posterior: a particle resampled by weight, whose values of "
        f"{', '.join(f'`{p}`' for p in design.parameters)} replace the scenarios' own. "
        f"This experiment drew {plural(design.draws, 'world')} ({distinct} distinct "
        f"particles; worlds that share a particle differ only in their seeds) from "
        f"`{design.posterior}` and ran every scenario "
        f"{plural(replications, 'time')} in each world. Within a world, replication r of "
        "every scenario shares its seed (common random numbers), so a policy's effect in "
        "that world is the mean of its paired differences to "
        f"`{design.reference}`; the seeds differ between worlds. With "
        f"{plural(replications, 'replication')} per world that effect is noisy: the spread "
        "over worlds below mixes the uncertainty about the world with the chance of each "
        "world's few runs, and a policy counts as **helping in a world** when its paired "
        "mean ΔS(36) there is above 0, so a small true effect can be counted either way. "
        f"Ranges over worlds are the {LOW} and {HIGH} quantiles of the per-world values, "
        "not confidence intervals; the share of worlds carries a Wilson 95 % interval."
    )


def _s36_section(effects: pd.DataFrame, summary: pd.DataFrame, reference: str) -> list[Block]:
    """The effect on S(36) in each world, and the share of worlds in which it helps."""
    rows = [
        [
            row.scenario,
            str(row.worlds),
            interval(row.delta_s36_median, row.delta_s36_q05, row.delta_s36_q95, "+.1f"),
            f"{row.helps} of {row.worlds}",
            percent_interval(row.share_helps, row.share_low, row.share_high),
        ]
        for row in summary.itertuples()
    ]
    header = [
        "policy",
        "worlds",
        f"ΔS(36) in points, {OVER_WORLDS}",
        f"helps (ΔS(36) > 0 vs {reference})",
        "share of worlds [Wilson 95 %]",
    ]
    return [
        "### Effect on partnership survival, world by world",
        "ΔS(36): the change in the share of partnerships still active 36 months after "
        f"forming, in percentage points against `{reference}`, one value per world. A world "
        "where S(36) could not be measured in both scenarios (no partnership observed for "
        "36 months) is left out of `worlds`.",
        Table(header, rows),
        Plot(
            "robustness_s36.png",
            "Per-world ΔS(36) of each policy, zero marked",
            partial(_plot_s36, effects, reference),
        ),
        Plot(
            "robustness_share.png",
            "Share of worlds in which each policy raises S(36), with Wilson 95 % intervals",
            partial(_plot_share, summary, reference),
        ),
    ]


def _cost_section(summary: pd.DataFrame, reference: str) -> list[Block]:
    """What each policy buys and costs across worlds."""
    rows = [
        [
            row.scenario,
            _over_worlds(row, "delta_collaboration_months", "+.2f"),
            _over_worlds(row, "delta_spent_eur", "+,.0f"),
            _pooled_price(row),
            f"{row.eur_worlds} of {row.worlds}" if row.worlds else "0",
        ]
        for row in summary.itertuples()
    ]
    header = [
        "policy",
        "Δ collaboration-months per organisation",
        "Δ public spending per run (EUR)",
        "EUR per additional surviving partnership, over all worlds [95 %]",
        "worlds where survivors rose",
    ]
    return [
        "### Collaboration and cost across worlds",
        f"Per world, paired against `{reference}` as above; each cell is the {OVER_WORLDS}. "
        "Collaboration-months: the months organisations were members of partnerships, "
        "summed, over the number of organisations. The price of an additional survivor "
        "(a partnership observed active 36 months after it formed) is over all worlds: the "
        "mean additional spending over the mean additional survivors, with Fieller's "
        "interval across worlds (unbounded where the gain is not clearly above zero); "
        "none where survivors did not rise on average, and 0 where it costs nothing. "
        "Counting only the worlds where survivors rose would understate the price.",
        Table(header, rows),
    ]


def _pooled_price(row: object) -> str:
    """The pooled price with its interval, or why there is none."""
    if np.isnan(row.eur_pooled):
        return "none: survivors did not rise"
    return ratio_text(row.eur_pooled, row.eur_pooled_low, row.eur_pooled_high, ",.0f")


def _over_worlds(row: object, outcome: str, spec: str) -> str:
    values = (getattr(row, f"{outcome}_{k}") for k in ("median", "q05", "q95"))
    return interval(*values, spec)


def _regret_section(regret: pd.DataFrame, reference: str) -> list[Block]:
    """What each choice forgoes against the best choice in each world."""
    rows = [
        [
            row.scenario + (" (reference)" if row.scenario == reference else ""),
            str(row.worlds),
            number(row.regret_mean, ".1f"),
            number(row.regret_max, ".1f"),
            number(row.best, ".0%"),
        ]
        for row in regret.itertuples()
    ]
    header = ["choice", "worlds", "mean regret (points)", "worst regret (points)", "best in"]
    return [
        "### Regret: what each choice forgoes",
        "In each world the best choice is the scenario with the highest S(36), the "
        f"reference (`{reference}`, doing no more) included. A choice's regret there is "
        "the best S(36) minus its own, in percentage points (0 where it is the best). A "
        "robust choice has a low worst regret: it is never far behind, whichever world is "
        "the real one. `best in`: the share of worlds in which it is the best choice. "
        "Each world's best is the highest of several means of a few runs, so part of every "
        "regret is the luck of those runs, and the reference's (never helped by a policy's "
        "luck) most: compare regrets between choices rather than read them as exact.",
        Table(header, rows),
        Plot(
            "robustness_regret.png",
            "Mean and worst regret on S(36) per choice",
            partial(_plot_regret, regret),
        ),
    ]


def _worlds_section(design: Robustness, worlds: pd.DataFrame) -> list[Block]:
    """The drawn worlds: each posterior parameter's spread over them."""
    rows = []
    for name in design.parameters:
        median, low, high = spread(worlds[name].astype(float))
        spec = ",.0f" if abs(median) >= 1000 else ".4g"  # euros in full, not 5.6e+04
        rows.append([f"`{name}`", interval(median, low, high, spec), f"{worlds[name].nunique()}"])
    return [
        "### The worlds",
        f"The posterior's parameters over the {plural(design.draws, 'world')} drawn "
        f"({OVER_WORLDS}); every other parameter is each scenario's own.",
        Table(["parameter", OVER_WORLDS, "distinct values"], rows),
    ]


def _headline_table(summary: pd.DataFrame, reference: str) -> Table:
    rows = [
        [
            row.scenario,
            interval(row.delta_s36_median, row.delta_s36_q05, row.delta_s36_q95, "+.1f"),
            percent_interval(row.share_helps, row.share_low, row.share_high),
            f"{number(row.regret_mean, '.1f')} / {number(row.regret_max, '.1f')}",
        ]
        for row in summary.itertuples()
    ]
    header = [
        "policy",
        f"ΔS(36) points, median [{LOW}-{HIGH}]",
        f"worlds where it beats {reference} [95%]",
        "regret mean / worst",
    ]
    return Table(header, rows)


# ------------------------------------------------------------------------ figures
def _plot_s36(effects: pd.DataFrame, reference: str, path: Path) -> None:
    """A box per policy with every world's ΔS(36) as a dot over it, and zero marked."""
    names = list(pd.unique(effects["scenario"]))
    values = [effects.loc[effects["scenario"] == n, "delta_s36"].dropna() for n in names]
    fig = Figure(figsize=(8, 0.6 * len(names) + 2))
    ax = fig.subplots()
    shown = [k for k, v in enumerate(values) if len(v)]
    ax.boxplot([values[k] for k in shown], positions=shown, vert=False, widths=0.5,
               showfliers=False)  # fmt: skip
    jitter = np.random.default_rng(0)  # only where the dots sit, not what they say
    for k, v in enumerate(values):
        y = k + jitter.uniform(-0.15, 0.15, len(v))
        ax.scatter(v, y, s=12, alpha=0.6, color="tab:blue", zorder=3)
    ax.axvline(0, color="black", lw=1)
    ax.invert_yaxis()  # the first policy on top, as in the tables
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel(f"ΔS(36) vs {reference}, percentage points (one dot per world)")
    ax.set_title("Effect on survival at 36 months across plausible worlds")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_share(summary: pd.DataFrame, reference: str, path: Path) -> None:
    fig = Figure(figsize=(8, 0.6 * len(summary) + 2))
    ax = fig.subplots()
    share = summary["share_helps"].to_numpy(dtype=float)
    err = np.vstack([share - summary["share_low"], summary["share_high"] - share])
    y = np.arange(len(summary))
    ax.barh(y, np.nan_to_num(share), xerr=np.nan_to_num(err), color="tab:green", capsize=4)
    ax.axvline(0.5, color="grey", ls=":", lw=1)
    ax.set_yticks(y, list(summary["scenario"]))
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel(f"share of worlds in which S(36) is above {reference}'s (Wilson 95 %)")
    ax.set_title("How often each policy helps")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _plot_regret(regret: pd.DataFrame, path: Path) -> None:
    fig = Figure(figsize=(8, 0.6 * len(regret) + 2))
    ax = fig.subplots()
    y = np.arange(len(regret))
    ax.barh(y, regret["regret_mean"].fillna(0), color="tab:orange", label="mean over worlds")
    ax.scatter(regret["regret_max"], y, marker="|", s=300, color="black", label="worst world")
    ax.set_yticks(y, list(regret["scenario"]))
    ax.set_xlim(left=0)
    ax.invert_yaxis()
    ax.set_xlabel("regret on S(36): the best choice's S(36) minus this one's, points")
    ax.set_title("Regret against the best choice in each world")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
