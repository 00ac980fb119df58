"""Statistics across the runs of an experiment: survival, formation, causes and cost.

Pure functions over the store's DataFrames (`read_table`), one row per scenario (or
per scenario and horizon), so the report, a notebook and the tests all compute the
same numbers. The statistics are scipy's: Kaplan-Meier via `stats.ecdf` on
`CensoredData` with Greenwood 95 % bands, `stats.logrank`, and t-intervals from
`stats.t`. The one written here is Fieller's interval for a ratio of means
(`ratio_interval`), which scipy lacks: the price of an additional survivor.

Survival is pooled: all partnerships of all replications of a scenario form one
sample. Partnerships of one run share a region and a history, and replication k
of every scenario shares a seed, so they are not independent draws; the
confidence bands and log-rank p-values are therefore indicative (too narrow if
anything). Formation figures are per run, so their t-intervals over replications
are the honest between-run uncertainty. Comparisons at equal cost (`cost_comparison`)
pair replication k of a scenario with replication k of the reference, which share
their seed, so the common noise cancels in the differences.

Every function takes an optional `order` of scenario names (see `scenario_order`):
tables follow it, and list a scenario without data as a row of NaN rather than
dropping it silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

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


# ------------------------------------------------------------ policy at equal cost
# Public euros over a run, by lever, as the run's series records them (cumulative).
SPENDING_COLUMNS = (
    "subsidy_spent_eur",
    "matchmaking_spent_eur",
    "manager_spent_eur",
    "policy_spent_eur",
)
RUN_KEYS = ["scenario", "point", "replication"]
SURVIVOR_MONTHS = 36  # a survivor is observed active this long after forming, as S(36)
EUR_PER_UNIT = 1000.0  # collaboration per EUR 1,000: per euro, the numbers are unreadably small
# Per-run outcomes compared at equal cost: means per scenario and paired differences.
COST_OUTCOMES = (
    *SPENDING_COLUMNS,
    "survivors",
    "partnership_months",
    "share_collaborated",
    "membership_months_per_organisation",
)


def run_outcomes(
    series: pd.DataFrame,
    parts: pd.DataFrame,
    memberships: pd.DataFrame,
    organisations: pd.DataFrame,
) -> pd.DataFrame:
    """Per run: public spending by lever, survivors and months of collaboration.

    Survival among the partnerships that form misses a lever that forms fewer of them,
    so each run also gets counts over its whole population. One row per run of
    `series` (every run has one, also a run where nothing formed), keyed by RUN_KEYS:
    - the SPENDING_COLUMNS at the run's last month (they are cumulative), and `months`;
    - survivors: partnerships observed active SURVIVOR_MONTHS months after forming
      (duration >= SURVIVOR_MONTHS), whether or not they ended later. One formed less
      than that before the end of the run cannot count, nor can one whose project was
      completed sooner (a completion is censoring, as in S(h));
    - partnership_months: the months its partnerships were active, summed;
    - membership_months: the months organisations were members, summed (a member at
      the end counts to the last month); organisations: how many the run had;
      membership_months_per_organisation: the one over the other.
    """
    absent = [c for c in SPENDING_COLUMNS if c not in series.columns]
    if absent:
        raise ValueError(f"the series has no {', '.join(absent)}: it is needed for the cost")
    last = series.sort_values("month").groupby(RUN_KEYS, sort=False).tail(1)
    table = last.set_index(RUN_KEYS)[["month", *SPENDING_COLUMNS]].rename(
        columns={"month": "months"}
    )
    durations = parts["duration"] if len(parts) else pd.Series(dtype=float)
    table["survivors"] = _per_run(parts, durations >= SURVIVOR_MONTHS, table.index)
    table["partnership_months"] = _per_run(parts, durations, table.index)
    table["membership_months"] = _per_run(
        memberships, _months_as_member(memberships, table["months"]), table.index
    )
    counts = organisations.groupby(RUN_KEYS).size() if len(organisations) else pd.Series()
    table["organisations"] = counts.reindex(table.index).astype(float)
    table["membership_months_per_organisation"] = (
        table["membership_months"] / table["organisations"]
    )
    return table.reset_index()


def _months_as_member(memberships: pd.DataFrame, last_month: pd.Series) -> pd.Series:
    """Months each membership lasted; one still open counts to its run's `last_month`."""
    if memberships.empty:
        return pd.Series(dtype=float)
    ends = memberships.join(last_month, on=RUN_KEYS)[last_month.name].astype("Float64")
    left = memberships["left"].astype("Float64").fillna(ends)
    return (left - memberships["joined"]).astype(float)


def _per_run(frame: pd.DataFrame, values: pd.Series, runs: pd.Index) -> pd.Series:
    """`values` (one per row of `frame`) summed per run in `runs`; 0 for a run without rows."""
    if frame.empty:
        return pd.Series(0.0, index=runs)
    sums = values.groupby([frame[k] for k in RUN_KEYS]).sum().astype(float)
    return sums.reindex(runs, fill_value=0.0)


def ratio_interval(
    numerator: Sequence[float], denominator: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(ratio, low, high): mean(numerator) / mean(denominator) with Fieller's interval.

    A price such as euros per additional survivor divides two noisy means, and the
    denominator may be near 0; a delta-method interval would then be far too narrow.
    Fieller's interval is the set of ratios R for which mean(numerator) - R *
    mean(denominator) is within its t-interval of 0, with the pair's covariance
    counted (a run's spending and its survivors move together). When the denominator
    is not clearly above 0 at this confidence, that set is unbounded: (-inf, inf).
    The ratio is NaN unless mean(denominator) > 0: there is no price of a gain that
    did not happen. Pairs with a NaN are dropped; bounds are NaN with fewer than 2.
    """
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if len(a) == 0 or b.mean() <= 0:
        return (np.nan, np.nan, np.nan)
    ratio = float(a.mean() / b.mean())
    if len(a) < 2:
        return (ratio, np.nan, np.nan)
    t2 = stats.t.ppf((1 + confidence) / 2, len(a) - 1) ** 2
    (var_a, cov), (_, var_b) = np.cov(a, b, ddof=1) / len(a)  # of the means
    # (mean_a - R mean_b)^2 <= t^2 var(mean_a - R mean_b): a quadratic in R
    quad = b.mean() ** 2 - t2 * var_b
    if quad <= 0:
        return (ratio, -np.inf, np.inf)
    half = a.mean() * b.mean() - t2 * cov
    const = a.mean() ** 2 - t2 * var_a
    root = np.sqrt(max(half**2 - quad * const, 0.0))
    return (ratio, float((half - root) / quad), float((half + root) / quad))


def _paired(
    runs: pd.DataFrame, reference: str, order: Sequence[str] | None
) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(name, its runs, the reference's runs) for each other scenario, row k against row k.

    Replication k of every scenario shares its seed (common random numbers), so a
    scenario's run is compared with the reference's run of the same seed; runs
    without a partner (an incomplete experiment) are left out.
    """
    groups = {name: g.set_index(["point", "replication"]) for name, g in _by_scenario(runs, order)}
    base = groups.pop(reference, runs.iloc[0:0].set_index(["point", "replication"]))
    for name, group in groups.items():
        shared = group.index.intersection(base.index)
        yield name, group.loc[shared], base.loc[shared]


COST_COLUMNS = ["scenario", "outcome", "runs", "estimate", "ci_low", "ci_high"]


def _row(scenario: str, outcome: str, n: int, values: tuple[float, float, float]) -> dict:
    """One row of `cost_comparison`'s long table."""
    return dict(zip(COST_COLUMNS, (scenario, outcome, n, *values), strict=True))


def cost_comparison(
    runs: pd.DataFrame,
    reference: str,
    order: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Each scenario's cost and reach, and each against the reference at equal cost.

    `runs` has the runs table's share_collaborated and the `run_outcomes` columns.
    Long format (COST_COLUMNS; `runs` counts runs, or pairs for a comparison):
    - every COST_OUTCOMES: mean per run with its t-interval;
    - partnership_months_per_keur: partnership-months per EUR 1,000 of policy spending
      (ratio of means, Fieller; n/a without spending);
    - delta_<outcome>: paired difference to the reference, mean with its t-interval;
    - eur_per_additional_survivor: the additional policy spending per additional
      survivor (Fieller on the paired differences; n/a unless survivors rose);
    - additional_partnership_months_per_keur: additional partnership-months per
      additional EUR 1,000 (n/a unless spending rose). The difference of two
      per-euro figures is undefined against a reference that spends nothing.
    """
    levels = outcome_means(runs, COST_OUTCOMES, order, confidence)
    rows = levels.rename(columns={"mean": "estimate"}).to_dict("records")
    for name, group in _by_scenario(runs, order):
        per_keur = ratio_interval(
            group.get("partnership_months", []),
            np.asarray(group.get("policy_spent_eur", []), dtype=float) / EUR_PER_UNIT,
            confidence,
        )
        rows.append(_row(name, "partnership_months_per_keur", len(group), per_keur))
    for name, group, base in _paired(runs, reference, order):
        delta = {o: group[o] - base[o] for o in COST_OUTCOMES}
        for outcome, values in delta.items():
            mean = mean_interval(values, confidence)
            rows.append(_row(name, f"delta_{outcome}", len(group), mean))
        spent = delta["policy_spent_eur"]
        prices = {
            "eur_per_additional_survivor": ratio_interval(spent, delta["survivors"], confidence),
            "additional_partnership_months_per_keur": ratio_interval(
                delta["partnership_months"], spent / EUR_PER_UNIT, confidence
            ),
        }
        rows += [_row(name, o, len(group), v) for o, v in prices.items()]
    table = pd.DataFrame(rows, columns=COST_COLUMNS)
    rank = {name: k for k, name in enumerate(_groups(runs, order))}
    by_order = table["scenario"].map(rank)
    return table.iloc[np.argsort(by_order.to_numpy(), kind="stable")].reset_index(drop=True)
