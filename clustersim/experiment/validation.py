"""Pattern-oriented validation: which observed patterns does the model reproduce?

Following Grimm et al. (2005), the model is judged on several patterns at different
scales at once: who decides a partner choice (the tie), how large partnerships are
and how many partners a firm has (the partnership), how many fail and which ones
fail sooner (survival), who takes part (the population) and the shape of the
collaboration network (the region). Each `Target` names its source and the range of
model means that counts as reproducing it.

Every statistic is computed per run from the run's stored tables, so a validation
experiment's results folder (and a calibration sweep's) is all it needs; the mean
over replications gets a 95 % t-interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from clustersim.experiment.analysis import mean_interval
from clustersim.experiment.spec import Experiment
from clustersim.experiment.store import ResultStore, StoreError, read_table
from clustersim.formatting import Table, markdown_table, number
from clustersim.organisations import TYPE_NAMES, Regime
from clustersim.parameters import Parameters
from clustersim.partner_choice import SURVEY_FACTORS
from clustersim.survival import survival_at

# 001 phase 4: what decided the choice of partner, 659 responses (percent).
SURVEY_SHARES = {
    "proximity": 32.5,
    "goals": 24.9,
    "ambition": 21.9,
    "experience": 10.6,
    "expertise": 10.2,
}
SMALL_FIRM_EMPLOYEES = 15  # 003 §3.2.2: firms under 15-20 employees lack capacity
FAILURE_HORIZON_MONTHS = 60  # Kale & Singh 2009: alliance failure within five years
COMPARISON_MONTHS = 36  # survival horizon at which two kinds of partnership are compared
SNAPSHOT_MONTHS = 12  # partners per firm is averaged over yearly snapshots
KLICT_MIN_FIRMS = 3  # 003 §3.2.2: KLICT projects need at least 3 firms
RUN_KEYS = ("scenario", "point", "replication")
SME = TYPE_NAMES[Regime.COMMERCIAL]
RUN_TABLES = ("partnerships", "ties", "memberships", "organisations")


@dataclass(frozen=True)
class Target:
    """An observed pattern: the model statistic, its source and the range that meets it.

    A level is met when the model's mean lies in [low, high]. A direction (an
    inequality such as "horizontal partnerships dissolve sooner") is met only when the
    whole 95 % interval lies in the range, i.e. the model shows it beyond the noise.
    `scale` turns a miss into a dimensionless distance for calibration.
    """

    statistic: str
    pattern: str
    source: str
    observed: str
    low: float
    high: float
    scale: float
    direction: bool = False

    def met(self, mean: float, ci_low: float, ci_high: float) -> bool:
        if not math.isfinite(mean):
            return False
        if self.direction:
            return self.low <= ci_low and ci_high <= self.high
        return self.low <= mean <= self.high

    def miss(self, value: float) -> float:
        """How far a value lies outside the range, in units of `scale` (0 inside)."""
        if not math.isfinite(value):
            return 10.0  # an undefined statistic is as bad as a far miss
        return max(self.low - value, value - self.high, 0.0) / self.scale


def _decisive_target(factor: str) -> Target:
    share = SURVEY_SHARES[factor]
    return Target(
        f"decisive_{factor}",
        f"decisive factor of partner choice: {factor} (% of ties)",
        "001 phase 4, survey of 659 partner choices",
        f"{share:.1f} %",
        share - 5.0,
        share + 5.0,
        5.0,
    )


def _advantage_target(statistic: str, groups: str, source: str) -> Target:
    """One kind of partnership outlives another: a direction, met beyond the noise."""
    pattern = f"{COMPARISON_MONTHS}-month survival, {groups} (points)"
    return Target(statistic, pattern, source, "above 0", 0.0, 100.0, 5.0, direction=True)


TARGETS: tuple[Target, ...] = (
    *(_decisive_target(f) for f in SURVEY_FACTORS),
    Target(
        "decisive_rank_rho",
        "rank order of the five decisive factors (Spearman rho with the survey)",
        "001 phase 4",
        "same order, bar near-ties (rho >= 0.8)",
        0.8,  # neighbouring survey shares are close: one swap is within sampling error
        1.0,
        0.2,
    ),
    Target(
        "partners_per_firm",
        "partners per collaborating firm",
        "Kerste & Muizer 2001, in 003 §2.1",
        "about 3",
        2.5,
        3.5,
        0.5,
    ),
    Target(
        "klict_size",
        f"members per partnership with at least {KLICT_MIN_FIRMS} firms (KLICT rule)",
        "003 §3.2.2",
        "about 5",
        4.5,
        5.5,
        0.5,
    ),
    Target(
        "failed_within_5_years",
        "partnerships dissolved within 5 years (%, Kaplan-Meier)",
        "Kale & Singh 2009: alliance failure rates",
        "30-70 %",
        30.0,
        70.0,
        10.0,
    ),
    Target(
        "small_firm_representation",
        f"share of firms under {SMALL_FIRM_EMPLOYEES} employees among collaborators "
        "/ among all SMEs",
        "003 §3.2.2: 'not unwillingness but inability'",
        "below 1",
        0.0,
        0.99,
        0.1,
        direction=True,
    ),
    _advantage_target(
        "vertical_survival_advantage",
        "vertical minus horizontal",
        "003 §2.2, §3.2.2, §3.7: competitors are a failure factor",
    ),
    _advantage_target(
        "existing_ties_survival_advantage",
        "built on existing ties minus strangers",
        "003 §3.2.2: existing networks run better than new ones",
    ),
    Target(
        "clustering_ratio",
        "clustering of the collaboration network / of a random graph alike",
        "Cowan, Jonard & Sanditov 2009: small worlds",
        "well above 1 (>= 3)",
        3.0,
        math.inf,
        1.0,
    ),
    Target(
        "path_length_ratio",
        "mean path length of the collaboration network / of a random graph alike",
        "Cowan, Jonard & Sanditov 2009",
        "about 1 (0.67-1.5)",
        0.67,
        1.5,
        0.25,
    ),
)


# ------------------------------------------------------------------ per-run statistics
def pattern_statistics(
    tables: dict[str, pd.DataFrame], params: Parameters, seed: int
) -> dict[str, float]:
    """Every target's statistic for one run (NaN where the run cannot say)."""
    parts, memberships = tables["partnerships"], tables["memberships"]
    organisations = tables["organisations"].set_index("organisation").sort_index()
    return {
        **decisive_shares(tables["ties"], params),
        "partners_per_firm": partners_per_firm(memberships, organisations, params.months),
        "klict_size": _mean(parts.loc[parts["n_sme"] >= KLICT_MIN_FIRMS, "size_at_formation"]),
        "failed_within_5_years": 100.0
        * (1.0 - survival_at(parts, (FAILURE_HORIZON_MONTHS,))[FAILURE_HORIZON_MONTHS]),
        "small_firm_representation": small_firm_representation(memberships, organisations),
        "vertical_survival_advantage": survival_advantage(parts, ~parts["horizontal"]),
        "existing_ties_survival_advantage": survival_advantage(
            parts, parts["built_on_existing_ties"]
        ),
        **small_world(memberships, seed),
    }


def decisive_shares(ties: pd.DataFrame, params: Parameters) -> dict[str, float]:
    """Shares (%) of formed ties whose largest weighted survey term was each factor.

    The survey asked about five factors only, so the decisive factor here is the
    largest of those five weighted terms; culture and trust are left out.
    """
    formed = ties.loc[ties["tie_formed"].astype(bool)]
    weights = np.array([getattr(params, f"weight_{f}") for f in SURVEY_FACTORS])
    terms = formed[[f"term_{f}" for f in SURVEY_FACTORS]].to_numpy(dtype=float)
    if len(terms) == 0:
        shares = np.full(len(SURVEY_FACTORS), np.nan)
    else:
        decisive = np.argmax(terms * weights, axis=1)
        shares = 100.0 * np.bincount(decisive, minlength=len(SURVEY_FACTORS)) / len(terms)
    out = {f"decisive_{f}": float(s) for f, s in zip(SURVEY_FACTORS, shares, strict=True)}
    survey = list(SURVEY_SHARES.values())
    if np.isfinite(shares).all() and np.ptp(shares) > 0:
        out["decisive_rank_rho"] = float(stats.spearmanr(shares, survey).statistic)
    else:
        out["decisive_rank_rho"] = float("nan")
    return out


def _active_members(memberships: pd.DataFrame, month: int) -> pd.DataFrame:
    left = memberships["left"].astype("Float64").fillna(np.inf)
    return memberships.loc[(memberships["joined"] <= month) & (left > month)]


def partners_per_firm(memberships: pd.DataFrame, organisations: pd.DataFrame, months: int) -> float:
    """Mean number of distinct current partners of a collaborating SME, over yearly snapshots."""
    is_sme = (organisations["type"] == SME).to_numpy(dtype=bool)
    counts: list[np.ndarray] = []
    for month in range(SNAPSHOT_MONTHS, months + 1, SNAPSHOT_MONTHS):
        active = _active_members(memberships, month)[["partnership", "organisation"]]
        pairs = active.merge(active, on="partnership", suffixes=("", "_other"))
        pairs = pairs.loc[pairs["organisation"] != pairs["organisation_other"]]
        partners = pairs.drop_duplicates(["organisation", "organisation_other"])
        degree = partners.groupby("organisation").size()
        counts.append(degree[is_sme[degree.index.to_numpy()]].to_numpy())
    pooled = np.concatenate(counts) if counts else np.array([])
    return _mean(pooled)


def small_firm_representation(memberships: pd.DataFrame, organisations: pd.DataFrame) -> float:
    """Share of small firms among SMEs that ever collaborated, over their share of all SMEs."""
    smes = organisations.loc[organisations["type"] == SME]
    small = smes["employees"] < SMALL_FIRM_EMPLOYEES
    collaborated = smes.index.isin(memberships["organisation"].unique())
    if not collaborated.any() or not small.any():
        return float("nan")
    return float(small[collaborated].mean() / small.mean())


def survival_advantage(parts: pd.DataFrame, group: pd.Series) -> float:
    """COMPARISON_MONTHS-month Kaplan-Meier survival of `group` minus the rest, in points."""
    group = group.astype(bool)
    if not group.any() or group.all():
        return float("nan")
    inside = survival_at(parts.loc[group], (COMPARISON_MONTHS,))[COMPARISON_MONTHS]
    outside = survival_at(parts.loc[~group], (COMPARISON_MONTHS,))[COMPARISON_MONTHS]
    return 100.0 * (inside - outside)


def small_world(memberships: pd.DataFrame, seed: int) -> dict[str, float]:
    """Clustering and path length of everyone who ever worked together, against G(n, m).

    The network links two organisations that ever shared a partnership; the random
    graph has as many nodes (the collaborators) and edges, drawn from the run's seed.
    """
    graph = nx.Graph()
    for members in memberships.groupby("partnership")["organisation"]:
        graph.add_edges_from(combinations(members[1].tolist(), 2))
    nan = {"clustering_ratio": float("nan"), "path_length_ratio": float("nan")}
    if graph.number_of_edges() < 2:
        return nan
    random = nx.gnm_random_graph(graph.number_of_nodes(), graph.number_of_edges(), seed=seed)
    c_random = nx.average_clustering(random)
    l_random = _path_length(random)
    if c_random == 0 or not l_random:
        return nan
    return {
        "clustering_ratio": nx.average_clustering(graph) / c_random,
        "path_length_ratio": _path_length(graph) / l_random,
    }


def _path_length(graph: nx.Graph) -> float:
    """Mean shortest path within the largest connected component."""
    largest = graph.subgraph(max(nx.connected_components(graph), key=len))
    return nx.average_shortest_path_length(largest) if len(largest) > 1 else 0.0


def _mean(values) -> float:
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if len(values) else float("nan")


# ------------------------------------------------------------------ across runs
def statistics_by_run(root, experiment: Experiment) -> pd.DataFrame:
    """One row per completed run of a results folder: design keys and every statistic."""
    params = {(r.scenario, r.point): Parameters(**r.parameters) for r in experiment.runs()}
    seeds = dict(enumerate(experiment.replication_seeds))
    _require_organisations(root)
    tables = {name: read_table(root, name) for name in RUN_TABLES}
    runs = read_table(root, "runs", columns=list(RUN_KEYS))
    grouped = {name: dict(iter(frame.groupby(list(RUN_KEYS)))) for name, frame in tables.items()}
    rows = []
    for scenario, point, replication in runs[list(RUN_KEYS)].itertuples(index=False, name=None):
        key = (scenario, point, replication)
        run_tables = {name: grouped[name].get(key, _empty_like(tables[name])) for name in tables}
        p, seed = params[(scenario, point)], seeds[replication]
        values = pattern_statistics(run_tables, p, seed)
        rows.append({"scenario": scenario, "point": point, "replication": replication, **values})
    return pd.DataFrame(rows)


def _require_organisations(root: Path) -> None:
    """Refuse, in one line, results stored before runs recorded their organisations."""
    files = ResultStore.existing(root).completed_files("organisations")
    if not all(Path(f).is_file() for f in files):
        raise StoreError(
            f"{root}: its runs were stored without their organisations table (an older "
            "clustersim); run the experiment again into a new folder to validate it"
        )


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def summarise_targets(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per target: the mean over runs, its 95 % t-interval, runs that could say, and met."""
    rows = []
    for target in TARGETS:
        values = per_run[target.statistic].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        mean, low, high = mean_interval(values)
        rows.append(
            {
                "statistic": target.statistic,
                "pattern": target.pattern,
                "source": target.source,
                "target": target.observed,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "runs": len(values),
                "met": target.met(mean, low, high),
            }
        )
    return pd.DataFrame(rows)


def rank_order(summary: pd.DataFrame) -> str:
    """The model's order of the five factors by mean share, e.g. 'goals > proximity > ...'."""
    shares = summary.set_index("statistic")["mean"]
    order = sorted(SURVEY_FACTORS, key=lambda f: -shares[f"decisive_{f}"])
    return " > ".join(order)


def validation_table(summary: pd.DataFrame) -> str:
    """The Markdown table: target, source, model mean with 95 % interval, met."""
    rows = [
        [
            row.pattern,
            row.source,
            row.target,
            f"{_fmt(row.mean)} [{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]",
            str(row.runs),
            "yes" if row.met else "**no**",
        ]
        for row in summary.itertuples(index=False)
    ]
    header = ["pattern", "source", "target", "model mean [95 % interval]", "runs", "met"]
    return markdown_table(Table(header, rows)) + "\n"


def decisive_table(summary: pd.DataFrame) -> str:
    """Survey share, model share and absolute difference for each decisive factor."""
    shares = summary.set_index("statistic")["mean"]
    rows = [
        [
            factor,
            number(survey, ".1f"),
            _fmt(shares[f"decisive_{factor}"]),
            _fmt(abs(shares[f"decisive_{factor}"] - survey)),
        ]
        for factor, survey in SURVEY_SHARES.items()
    ]
    header = ["factor", "survey %", "model %", "absolute difference (points)"]
    return markdown_table(Table(header, rows)) + "\n"


def _fmt(x: float) -> str:
    """Two decimals for small values, one for large; n/a where undefined or infinite."""
    return number(x if math.isfinite(x) else None, ".2f" if abs(x) < 10 else ".1f")
