"""Statistics across the runs of an experiment: survival, formation, causes and cost.

Pure functions over the store's DataFrames (`read_table`), one row per scenario (or
per scenario and horizon), so the report, a notebook and the tests all compute the
same numbers. The statistics are scipy's: Kaplan-Meier via `stats.ecdf` on
`CensoredData` with Greenwood 95 % bands, `stats.logrank`, and t-intervals from
`stats.t`; none is written by hand here.

Survival is pooled: all partnerships of all replications of a scenario form one
sample. Partnerships of one run share a region and a history, and replication k
of every scenario shares a seed, so they are not independent draws; the
confidence bands and log-rank p-values are therefore indicative (too narrow if
anything). Formation figures are per run, so their t-intervals over replications
are the honest between-run uncertainty.

Every function takes an optional `order` of scenario names (see `scenario_order`):
tables follow it, and list a scenario without data as a row of NaN rather than
dropping it silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from clustersim.partnership import DISSOLUTION_CAUSES
from clustersim.survival import HORIZONS_MONTHS, censored

CONFIDENCE = 0.95
FORMATION_OUTCOMES = ("partnerships_formed", "share_collaborated")
CAUSES = tuple(str(c) for c in DISSOLUTION_CAUSES)
SURVIVOR_HORIZON = 60


def scenario_order(scenarios: Sequence[str], reference: str | None = None) -> list[str]:
    """The experiment's scenario order with the reference first, as readers compare to it."""
    names = list(scenarios)
    if reference in names:
        names.remove(reference)
        names.insert(0, reference)
    return names


def _groups(frame: pd.DataFrame, order: Sequence[str] | None) -> list[str]:
    """`order`, then any scenario in the data that it does not name, in order of appearance."""
    present = list(pd.unique(frame["scenario"])) if "scenario" in frame else []
    if order is None:
        return present
    names = list(order)
    return names + [s for s in present if s not in names]


def _by_scenario(frame: pd.DataFrame, order: Sequence[str] | None):
    """(name, rows) for every scenario in order; empty rows where it has none."""
    empty = frame.iloc[0:0]
    grouped = dict(tuple(frame.groupby("scenario", sort=False))) if len(frame) else {}
    for name in _groups(frame, order):
        yield name, grouped.get(name, empty)


def _sf_with_band(data: stats.CensoredData, confidence: float):
    """scipy's survival function and its pointwise band; NaN where Greenwood is undefined."""
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        # Greenwood's variance is undefined where S = 0; scipy warns and returns NaN there.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence)
    return sf, band


def survival_curves(
    partnerships: pd.DataFrame,
    order: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Kaplan-Meier curve per scenario, pooled over replications, with a pointwise band.

    One row per scenario and observed duration (months since formation), starting
    at (0, 1); columns scenario, time, survival, ci_low, ci_high. The curve stops
    at the longest observed duration: beyond it nothing was seen. A scenario with
    no partnerships has no rows.
    """
    pieces = []
    for name, group in _by_scenario(partnerships, order):
        if group.empty:
            continue
        sf, band = _sf_with_band(censored(group), confidence)
        times = np.concatenate([[0.0], sf.quantiles])
        pieces.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "time": times,
                    "survival": np.concatenate([[1.0], sf.probabilities]),
                    "ci_low": np.concatenate([[1.0], band.low.probabilities]),
                    "ci_high": np.concatenate([[1.0], band.high.probabilities]),
                }
            )
        )
    columns = ["scenario", "time", "survival", "ci_low", "ci_high"]
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)


def survival_at_horizons(
    partnerships: pd.DataFrame,
    horizons: Sequence[int] = HORIZONS_MONTHS,
    order: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """S(h) per scenario and horizon with its band: the headline survival figures.

    Columns scenario, horizon, survival, ci_low, ci_high, partnerships, at_risk
    (partnerships observed for at least h months). NaN where h lies beyond the
    longest observed duration while some were still alive (or no partnership formed):
    the data say nothing there, and carrying the last value forward would invent
    survivors. 0 once every partnership has ended, as `survival.survival_at` says.
    """
    rows = []
    h = np.asarray(horizons, dtype=float)
    for name, group in _by_scenario(partnerships, order):
        n = len(group)
        at_risk = [int((group["duration"] >= x).sum()) if n else 0 for x in h]
        if n:
            sf, band = _sf_with_band(censored(group), confidence)
            seen = (h <= group["duration"].max()) | (sf.evaluate(h) == 0)
            values = [np.where(seen, f.evaluate(h), np.nan) for f in (sf, band.low, band.high)]
        else:
            values = [np.full(len(h), np.nan)] * 3
        for k, horizon in enumerate(horizons):
            rows.append(
                {
                    "scenario": name,
                    "horizon": int(horizon),
                    "survival": float(values[0][k]),
                    "ci_low": float(values[1][k]),
                    "ci_high": float(values[2][k]),
                    "partnerships": n,
                    "at_risk": at_risk[k],
                }
            )
    columns = ["scenario", "horizon", "survival", "ci_low", "ci_high", "partnerships", "at_risk"]
    return pd.DataFrame(rows, columns=columns)


def logrank_vs_reference(
    partnerships: pd.DataFrame, reference: str, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """scipy's log-rank test of each scenario's survival against the reference scenario.

    Columns scenario, reference, partnerships, dissolved, statistic (scipy's signed
    z: positive when the scenario's partnerships dissolve faster than the
    reference's), pvalue (two-sided). NaN where either side has no partnerships or
    neither has a dissolution. Pooled partnerships are not independent (see the
    module docstring), so read the p-value as a guide, not a verdict.
    """
    groups = dict(_by_scenario(partnerships, order))
    base = groups.get(reference, partnerships.iloc[0:0])
    rows = []
    for name, group in groups.items():
        if name == reference:
            continue
        statistic = pvalue = np.nan
        if len(group) and len(base) and (group["dissolved"].any() or base["dissolved"].any()):
            result = stats.logrank(censored(group), censored(base))
            statistic, pvalue = float(result.statistic), float(result.pvalue)
        rows.append(
            {
                "scenario": name,
                "reference": reference,
                "partnerships": len(group),
                "dissolved": int(group["dissolved"].sum()) if len(group) else 0,
                "statistic": statistic,
                "pvalue": pvalue,
            }
        )
    columns = ["scenario", "reference", "partnerships", "dissolved", "statistic", "pvalue"]
    return pd.DataFrame(rows, columns=columns)


def mean_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of the mean; NaN bounds with fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if len(x) < 2:
        return (mean, np.nan, np.nan)
    half = stats.t.ppf((1 + confidence) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return (mean, float(mean - half), float(mean + half))


def outcome_means(
    runs: pd.DataFrame,
    outcomes: Sequence[str],
    order: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Mean and t-interval across replications of per-run outcomes (runs table columns).

    Long format: scenario, outcome, runs (runs with a value), mean, ci_low, ci_high.
    Each run is one independent-seed draw, so this is the between-run uncertainty.
    """
    rows = []
    for name, group in _by_scenario(runs, order):
        for outcome in outcomes:
            values = group[outcome] if outcome in group else pd.Series(dtype=float)
            mean, low, high = mean_interval(values, confidence)
            rows.append(
                {
                    "scenario": name,
                    "outcome": outcome,
                    "runs": int(values.notna().sum()),
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "outcome", "runs", "mean", "ci_low", "ci_high"])


def formation(
    runs: pd.DataFrame, order: Sequence[str] | None = None, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Partnerships formed per run and share of organisations that ever collaborated.

    The reach of a policy: mean over replications with a t-interval, in the long
    format of `outcome_means` (outcome = partnerships_formed or share_collaborated).
    """
    return outcome_means(runs, FORMATION_OUTCOMES, order, confidence)


def dissolution_causes(frame: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean dissolutions per replication by cause, per scenario: why partnerships end.

    Takes the runs table (its dissolved_<cause> columns) or the partnership table
    (its dissolved and cause columns). Columns scenario, runs, one per cause, total.
    Prefer the runs table: from partnerships, a run that formed none cannot be
    seen, so `runs` counts only runs with at least one partnership.
    """
    from_partnerships = "cause" in frame.columns
    rows = []
    for name, group in _by_scenario(frame, order):
        if from_partnerships:
            n_runs = len(group[["point", "replication"]].drop_duplicates()) if len(group) else 0
            ended = group.loc[group["dissolved"].astype(bool), "cause"].astype(str)
            counts = ended.value_counts()
        else:
            n_runs = len(group)
            counts = pd.Series(
                {
                    c[len("dissolved_") :]: group[c].sum()
                    for c in group
                    if c.startswith("dissolved_")
                }
            )
        row: dict[str, object] = {"scenario": name, "runs": n_runs}
        for cause in [*CAUSES, *(c for c in counts.index if c not in CAUSES)]:
            row[str(cause)] = float(counts.get(cause, 0)) / n_runs if n_runs else np.nan
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["scenario", "runs", *CAUSES, "total"])
    table = pd.DataFrame(rows)
    causes = [c for c in table.columns if c not in ("scenario", "runs")]
    seen = table["runs"] > 0  # a cause only some scenarios had is 0, not unknown, elsewhere
    table.loc[seen, causes] = table.loc[seen, causes].fillna(0.0)
    table["total"] = table[causes].sum(axis=1, min_count=1)
    return table


def subsidy_per_survivor(
    partnerships: pd.DataFrame,
    runs: pd.DataFrame,
    horizon: int = SURVIVOR_HORIZON,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Subsidy spent per partnership that lived `horizon` months: the price of durability.

    subsidy_spent_eur is the total over replications of runs.subsidy_spent_eur;
    survivors counts partnerships with duration >= horizon, i.e. observed alive
    `horizon` months after formation (they may have dissolved later). Partnerships
    formed less than `horizon` months before the end of the run and still active
    are censored before the horizon: they can neither count as survivors nor as
    failures, and are reported in censored_before_horizon. The subsidy they
    received stays in the numerator, so in runs shorter than about twice the
    horizon the figure overstates the cost per survivor. NaN where no partnership
    survived to the horizon. The policy_ columns do the same for all policy
    spending (subsidy plus e.g. matchmaking), so levers can be compared on cost.
    """
    columns = [
        "scenario",
        "runs",
        "subsidy_spent_eur",
        "policy_spent_eur",
        "partnerships",
        "censored_before_horizon",
        "survivors",
        "subsidy_per_survivor_eur",
        "policy_per_survivor_eur",
    ]
    parts = dict(_by_scenario(partnerships, order))
    rows = []
    for name, group in _by_scenario(runs, order):
        p = parts.get(name, partnerships.iloc[0:0])
        long_enough = p["duration"] >= horizon if len(p) else pd.Series(dtype=bool)
        survivors = int(long_enough.sum())
        censored = int((~long_enough & ~p["dissolved"].astype(bool)).sum()) if len(p) else 0
        spent, policy = (
            float(group[c].sum()) if len(group) and c in group else np.nan
            for c in ("subsidy_spent_eur", "policy_spent_eur")
        )
        rows.append(
            {
                "scenario": name,
                "runs": len(group),
                "subsidy_spent_eur": spent,
                "policy_spent_eur": policy,
                "partnerships": len(p),
                "censored_before_horizon": censored,
                "survivors": survivors,
                "subsidy_per_survivor_eur": spent / survivors if survivors else np.nan,
                "policy_per_survivor_eur": policy / survivors if survivors else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=columns)
