"""Robustness across plausible worlds: each policy's effect in every world drawn from the
posterior, how often it beats the reference, and what choosing it forgoes against the
best choice in each world.

A world is one draw of a robustness experiment (`spec.Robustness`): a particle of the
calibration's posterior, resampled by weight. Within a world, replication r of every
scenario shares its seed (common random numbers), so a policy's effect in that world is
the mean of its paired differences to the reference over the replications. With few
replications that within-world effect is noisy: the spread over worlds mixes the
uncertainty about the world with the dice of each world's few runs.

Pure functions over DataFrames (`paired_effects`, `policy_summary`, `regret_summary`,
`wilson_interval`), so the report, a notebook, scenario discovery (PRIM) and the tests
compute the same numbers; `draw_effects(RESULTS)` reads a results folder into them.
The per-run outcomes are `analysis.run_outcomes`'s: a survivor is a partnership
observed active `analysis.SURVIVOR_MONTHS` months after it formed, spending is
`policy_spent_eur`, collaboration-months are membership-months per organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from clustersim.experiment.analysis import CONFIDENCE, ratio_interval
from clustersim.experiment.spec import Robustness, design_of
from clustersim.experiment.store import ResultStore, StoreError

S36 = "survival_36"  # the runs table's S(36) of a run, a share
COLLABORATION = "membership_months_per_organisation"  # analysis.run_outcomes's column
SPENT = "policy_spent_eur"
POINTS_PER_SHARE = 100.0  # S(36) effects are in percentage points
# Per-run outcomes paired within a world, and the effect column each becomes.
PAIRED = {
    S36: "delta_s36",
    COLLABORATION: "delta_collaboration_months",
    SPENT: "delta_spent_eur",
    "survivors": "delta_survivors",
}
EFFECT_COLUMNS = [
    *PAIRED.values(),
    "eur_per_additional_survivor",
    "helps",
    "regret_s36",
]
QUANTILES = (0.05, 0.95)  # the interval over worlds: 5 to 95 %


def draw_effects(root: Path) -> pd.DataFrame:
    """Per policy and world of a robustness results folder: its effects against the reference.

    One row per (scenario other than the reference, draw): `scenario`, `point` (the
    draw, 0..draws-1), one column per posterior parameter (the draw's values), then
    EFFECT_COLUMNS (see `paired_effects`). Only finished runs count; a world where a
    policy has no finished pair with the reference has NaN effects.
    """
    from clustersim.experiment.report import runs_and_partnerships

    root = Path(root)
    design = design_of(ResultStore.existing(root).read_manifest())
    if not isinstance(design, Robustness):
        raise StoreError(
            f"{root}: holds the results of a {design.kind}, not of a robustness experiment; "
            "give the folder `clustersim robustness` wrote"
        )
    runs, _ = runs_and_partnerships(root)
    return paired_effects(runs, design.reference, design.points(0), design.scenarios)


def paired_effects(
    runs: pd.DataFrame,
    reference: str,
    worlds: pd.DataFrame,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each policy's effect in each world, from runs paired by seed with the reference's.

    `runs` has one row per run: scenario, point, replication and the PAIRED outcomes;
    `worlds` one row per point with its parameter values. Per (policy, world), over the
    replications that both finished:
    - delta_s36: mean paired difference of S(36), in percentage points;
    - delta_collaboration_months (per organisation), delta_spent_eur, delta_survivors:
      mean paired differences;
    - eur_per_additional_survivor: mean Δ spending over mean Δ survivors, NaN unless
      survivors rose (`analysis.ratio_interval`'s estimate);
    - helps: delta_s36 > 0 (False where it is NaN);
    - regret_s36: the best scenario's S(36) in that world, the reference included, minus
      this one's, in percentage points (>= 0; the differences are all paired with the
      reference, so the best is max(0, the largest policy's delta_s36)).
    """
    names = [s for s in (order or pd.unique(runs.get("scenario", []))) if s != reference]
    columns = ["scenario", "point", *worlds.columns, *EFFECT_COLUMNS]
    if runs.empty or not names:
        return pd.DataFrame(columns=columns)
    keyed = runs.set_index(["scenario", "point", "replication"])[list(PAIRED)]
    base = _scenario_runs(keyed, reference)
    pieces = [
        _world_deltas(_scenario_runs(keyed, name), base, worlds.index, name) for name in names
    ]
    effects = pd.concat(pieces, ignore_index=True)
    best = effects.groupby("point")["delta_s36"].max().clip(lower=0.0)  # NaN-skipping
    effects["helps"] = effects["delta_s36"] > 0
    effects["regret_s36"] = effects["point"].map(best) - effects["delta_s36"]
    effects = effects.join(worlds, on="point")
    return effects[columns].reset_index(drop=True)


def _scenario_runs(keyed: pd.DataFrame, name: str) -> pd.DataFrame:
    """One scenario's runs indexed by (point, replication); none if it has no runs."""
    if name in keyed.index.get_level_values("scenario"):
        return keyed.xs(name, level="scenario")
    empty = pd.MultiIndex.from_arrays([[], []], names=["point", "replication"])
    return pd.DataFrame(columns=keyed.columns, index=empty, dtype=float)


def _world_deltas(
    mine: pd.DataFrame, base: pd.DataFrame, points: pd.Index, name: str
) -> pd.DataFrame:
    """One policy's mean paired differences per world (NaN in a world without pairs)."""
    shared = mine.index.intersection(base.index)
    delta = (mine.loc[shared] - base.loc[shared]).astype(float)
    by_world = delta.groupby(level="point")
    means = by_world.mean().rename(columns=PAIRED).reindex(points)
    means["delta_s36"] *= POINTS_PER_SHARE
    prices = {
        point: ratio_interval(group[SPENT], group["survivors"])[0] for point, group in by_world
    }
    means["eur_per_additional_survivor"] = pd.Series(prices, dtype=float).reindex(points)
    means.index.name = "point"
    return means.reset_index().assign(scenario=name)


def wilson_interval(
    successes: int, trials: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(share, low, high): the Wilson score interval of a binomial share (scipy's).

    Unlike the normal approximation it stays inside [0, 1] and is not zero-width when
    every world (or none) agrees, which with tens of worlds is common. NaN with no trials.
    """
    if trials == 0:
        return (np.nan, np.nan, np.nan)
    ci = stats.binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    return (successes / trials, float(ci.low), float(ci.high))


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, 5 %, 95 %) over worlds, NaN-skipping; all NaN without a value."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    low, high = np.quantile(x, QUANTILES)
    return (float(np.median(x)), float(low), float(high))


SUMMARY_OUTCOMES = ("delta_s36", "delta_collaboration_months", "delta_spent_eur")


SUMMARY_COLUMNS = [
    "scenario",
    "worlds",
    *(f"{o}_{k}" for o in SUMMARY_OUTCOMES for k in ("median", "q05", "q95")),
    "eur_worlds",
    "eur_pooled",
    "eur_pooled_low",
    "eur_pooled_high",
    "helps",
    "share_helps",
    "share_low",
    "share_high",
    "regret_mean",
    "regret_max",
]


def policy_summary(effects: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per policy, over worlds: its effects' spread, how often it helps, and its regret.

    One row per scenario of `effects` (`paired_effects`), in order of appearance:
    - worlds: worlds with a delta_s36 (the rest had no finished pair, or no S(36));
    - <outcome>_median, _q05, _q95 for SUMMARY_OUTCOMES, and eur_worlds: the worlds in
      which survivors rose;
    - eur_pooled, _low, _high: the price of an additional survivor over all worlds, mean
      Δ spending over mean Δ survivors with Fieller's interval across worlds (NaN unless
      survivors rose on average). A median of the per-world prices would count only the
      worlds where survivors rose, and so understate what the policy costs;
    - helps, share_helps, share_low, share_high: worlds in which the paired mean ΔS(36)
      is above 0, as a share of `worlds` with its Wilson interval;
    - regret_mean, regret_max: of regret_s36 over worlds, in percentage points.
    """
    rows = []
    for name, group in effects.groupby("scenario", sort=False):
        defined = group["delta_s36"].notna()
        helps = int((group["helps"].astype(bool) & defined).sum())
        row: dict[str, object] = {"scenario": name, "worlds": int(defined.sum())}
        for outcome in SUMMARY_OUTCOMES:
            median, low, high = spread(group[outcome])
            row |= {f"{outcome}_median": median, f"{outcome}_q05": low, f"{outcome}_q95": high}
        row["eur_worlds"] = int(group["eur_per_additional_survivor"].notna().sum())
        pooled = ratio_interval(group["delta_spent_eur"], group["delta_survivors"], confidence)
        row |= dict(zip(("eur_pooled", "eur_pooled_low", "eur_pooled_high"), pooled, strict=True))
        share, low, high = wilson_interval(helps, int(defined.sum()), confidence)
        row |= {"helps": helps, "share_helps": share, "share_low": low, "share_high": high}
        row |= {"regret_mean": group["regret_s36"].mean(), "regret_max": group["regret_s36"].max()}
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def regret_summary(effects: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Regret on S(36) of every choice, the reference (doing no more) included.

    One row per scenario, the reference first: worlds, regret_mean and regret_max in
    percentage points, and best: the share of worlds in which it is the best choice
    (regret 0; a tie counts for each). The reference's regret in a world is the best
    policy's gain there, or 0 if none gains.
    """
    columns = ["scenario", "worlds", "regret_mean", "regret_max", "best"]
    if effects.empty:
        return pd.DataFrame(columns=columns)
    per_world = effects.pivot(index="point", columns="scenario", values="delta_s36")
    per_world = per_world[list(pd.unique(effects["scenario"]))]
    defined = per_world.dropna(how="all")
    choices = pd.concat([pd.Series(0.0, index=defined.index, name=reference), defined], axis=1)
    regret = choices.max(axis=1).to_numpy()[:, None] - choices
    rows = [
        {
            "scenario": name,
            "worlds": int(values.notna().sum()),
            "regret_mean": values.mean(),
            "regret_max": values.max(),
            "best": float((values == 0).sum() / values.notna().sum())
            if values.notna().any()
            else np.nan,
        }
        for name, values in regret.items()
    ]
    return pd.DataFrame(rows, columns=columns)


def parameter_columns(effects: pd.DataFrame) -> list[str]:
    """The posterior parameters among `effects`' columns: what scenario discovery varies."""
    return [c for c in effects.columns if c not in ("scenario", "point", *EFFECT_COLUMNS)]
