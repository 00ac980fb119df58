"""Pattern-oriented validation: which observed patterns does the model reproduce?

Following Grimm et al. (2005), the model is judged on several patterns at different
scales at once: who decides a partner choice (the tie), how large partnerships are
and how many partners a firm has (the partnership), how many fail and which ones
fail sooner (survival), who takes part (the population) and the shape of the
collaboration network (the region). Each `Target` names its source, the range of
model means that counts as reproducing it, and why that range.

Which targets the calibration fits and which it holds out is not decided here but in
the validation experiment's `[targets]` table (`TargetSplit`), each with its reason,
so that the split is stated before calibrating and read by every command that needs it.

Every statistic is computed per run from the run's stored tables, so a validation
experiment's results folder (and a calibration sweep's) is all it needs; the mean
over replications gets a 95 % t-interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse import csgraph

from clustersim.config import ConfigError, did_you_mean, read_toml
from clustersim.experiment.analysis import mean_interval
from clustersim.experiment.spec import Experiment
from clustersim.experiment.store import ResultStore, StoreError, read_table
from clustersim.formatting import Table, markdown_table, number
from clustersim.organisations import TYPE_NAMES, Regime
from clustersim.parameters import Parameters
from clustersim.partner_choice import SURVEY_FACTORS
from clustersim.survival import survival_at

# 001 phase 4: what decided the choice of partner, answers per factor (659 in all).
SURVEY_RESPONSES = {
    "proximity": 214,
    "goals": 164,
    "ambition": 144,
    "experience": 70,
    "expertise": 67,
}
SURVEY_TOTAL = sum(SURVEY_RESPONSES.values())
SURVEY_SHARES = {f: 100.0 * n / SURVEY_TOTAL for f, n in SURVEY_RESPONSES.items()}  # percent
SHARE_TOLERANCE = 5.0  # points either side of a survey share (reason in _SHARE_REASON)
SEPARATION_LEVEL = 0.05  # two survey counts are told apart by an exact binomial test at 5 %
SMALL_FIRM_EMPLOYEES = 15  # 003 §3.2.2: firms under 15-20 employees lack capacity
FAILURE_HORIZON_MONTHS = 60  # Kale & Singh 2009: alliance failure within five years
COMPARISON_MONTHS = 36  # survival horizon at which two kinds of partnership are compared
SNAPSHOT_MONTHS = 12  # partners per firm is averaged over yearly snapshots
KLICT_MIN_FIRMS = 3  # 003 §3.2.2: KLICT projects need at least 3 firms
KLICT_CAP_MONTHS = 12  # 003 §3.2.2: KLICT capped projects at one year
KLICT_PROJECTS, KLICT_STOPPED = 40, 2  # 003 §3.2.2: of about 40 projects, 2 stopped early
RUN_KEYS = ("scenario", "point", "replication")
SME = TYPE_NAMES[Regime.COMMERCIAL]
RUN_TABLES = ("partnerships", "ties", "memberships", "organisations")
UNDEFINED_MISS = 10.0  # the miss of an undefined statistic: as bad as a far miss
TERMS = tuple(f"term_{f}" for f in SURVEY_FACTORS)  # the ties' columns the survey shares read
DECISIVE = tuple(f"decisive_{f}" for f in SURVEY_FACTORS)  # the share statistics, in that order


@dataclass(frozen=True)
class Target:
    """An observed pattern: the model statistic, its source, the range that meets it and why.

    A level is met when the model's mean lies in [low, high]. A direction (an
    inequality such as "horizontal partnerships dissolve sooner") is met only when the
    whole 95 % interval lies in the range, i.e. the model shows it beyond the noise.
    `scale` turns a miss into a dimensionless distance for calibration.
    """

    statistic: str
    pattern: str
    source: str
    observed: str
    reason: str  # why this range, printed beside it
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
        return float(self.misses(np.asarray(value, dtype=float)))

    def misses(self, values: np.ndarray) -> np.ndarray:
        """`miss` of every element at once (the calibration's weights step scores thousands)."""
        with np.errstate(invalid="ignore"):
            outside = np.maximum(np.maximum(self.low - values, values - self.high), 0.0)
        return np.where(np.isfinite(values), outside / self.scale, UNDEFINED_MISS)


def survey_order() -> list[str]:
    """The five factors from most to least often decisive in the survey."""
    return sorted(SURVEY_RESPONSES, key=lambda f: -SURVEY_RESPONSES[f])


def inseparable_neighbours() -> list[tuple[str, str, float]]:
    """Survey neighbours whose counts an exact binomial test cannot tell apart, with p.

    Conditional on the answers the two factors got together, each answer is one or the
    other; equal shares would make the split Binomial(n, 1/2).
    """
    order = survey_order()
    pairs = []
    for a, b in pairwise(order):
        n_a, n_b = SURVEY_RESPONSES[a], SURVEY_RESPONSES[b]
        p = stats.binomtest(n_a, n_a + n_b).pvalue
        if p >= SEPARATION_LEVEL:
            pairs.append((a, b, float(p)))
    return pairs


def spearman_after_swaps(swaps: list[tuple[str, str]]) -> float:
    """Spearman rho between the survey order and that order with these neighbours swapped."""
    order = survey_order()
    swapped = list(order)
    for a, b in swaps:
        i, j = swapped.index(a), swapped.index(b)
        swapped[i], swapped[j] = swapped[j], swapped[i]
    ranks = [swapped.index(f) for f in order]
    return round(float(stats.spearmanr(range(len(order)), ranks).statistic), 12)


def rank_threshold() -> float:
    """Lowest rho the survey cannot tell from its own order: every inseparable pair swapped."""
    return spearman_after_swaps([(a, b) for a, b, _ in inseparable_neighbours()])


def _rank_reason() -> str:
    pairs, order = inseparable_neighbours(), survey_order()
    one = spearman_after_swaps([(order[0], order[1])])
    two = spearman_after_swaps([(order[0], order[1]), (order[2], order[3])])
    listed = "; ".join(
        f"{a} / {b} ({SURVEY_RESPONSES[a]} vs {SURVEY_RESPONSES[b]} answers, p = {p:.2f})"
        for a, b, p in pairs
    )
    return (
        f"rho = 1 - 6 sum d^2 / (n (n^2 - 1)): with 5 factors one swap of neighbours gives "
        f"{one:.1f}, two give {two:.1f}. An exact binomial "
        f"test at {SEPARATION_LEVEL:.0%} cannot tell {len(pairs)} neighbour pairs of the survey "
        f"apart ({listed or 'none'}), so an order with all of them swapped is as consistent "
        f"with the survey as its own: threshold {rank_threshold():.1f}. A swap of a pair the "
        "survey does separate can reach the same rho; the model's order is printed beside the "
        "survey's below"
    )


def _share_reason() -> str:
    widest = max(
        1.96 * math.sqrt(p / 100 * (1 - p / 100) / SURVEY_TOTAL) * 100
        for p in SURVEY_SHARES.values()
    )
    return (
        f"±{SHARE_TOLERANCE:g} points: the survey's own 95 % sampling error is at most "
        f"±{widest:.1f} points (binomial, n = {SURVEY_TOTAL}), widened because 001 asked "
        "municipalities, not SMEs, and the model's decisive factor is its largest weighted "
        "score term, not a stated reason"
    )


def klict_interval() -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95 % interval of the early-stop share, in percent."""
    ci = stats.binomtest(KLICT_STOPPED, KLICT_PROJECTS).proportion_ci(0.95, method="exact")
    return 100.0 * ci.low, 100.0 * ci.high


def _decisive_target(factor: str) -> Target:
    share = SURVEY_SHARES[factor]
    return Target(
        f"decisive_{factor}",
        f"decisive factor of partner choice: {factor} (% of ties)",
        f"001 phase 4, survey of {SURVEY_TOTAL} partner choices",
        f"{share:.1f} %",
        _share_reason(),
        share - SHARE_TOLERANCE,
        share + SHARE_TOLERANCE,
        SHARE_TOLERANCE,
    )


def _advantage_target(statistic: str, groups: str, source: str) -> Target:
    """One kind of partnership outlives another: a direction, met beyond the noise."""
    pattern = f"{COMPARISON_MONTHS}-month survival, {groups} (points)"
    reason = "a direction: the source says which kind lasts longer, not by how much"
    return Target(statistic, pattern, source, "above 0", reason, 0.0, 100.0, 5.0, direction=True)


def _about(value: float) -> str:
    return f"the source's 'about {value:g}', read as a figure rounded to a whole number"


def _klict_early_stop() -> Target:
    low, high = klict_interval()
    return Target(
        "klict_early_stop",
        f"partnerships with at least {KLICT_MIN_FIRMS} firms that dissolved within their "
        f"first {KLICT_CAP_MONTHS} months (within the project's cap when capped) (%)",
        f"003 §3.2.2: {KLICT_STOPPED} of about {KLICT_PROJECTS} KLICT projects stopped early",
        f"{KLICT_STOPPED} of ~{KLICT_PROJECTS} ({100 * KLICT_STOPPED / KLICT_PROJECTS:.0f} %)",
        f"the exact (Clopper-Pearson) 95 % binomial interval of {KLICT_STOPPED} in "
        f"{KLICT_PROJECTS}, {low:.1f}-{high:.1f} %; the source says 2 are *known* to have "
        "stopped, so the observed share is if anything a floor",
        low,
        high,
        (high - low) / 2,
    )


TARGETS: tuple[Target, ...] = (
    *(_decisive_target(f) for f in SURVEY_FACTORS),
    Target(
        "decisive_rank_rho",
        "rank order of the five decisive factors (Spearman rho with the survey)",
        "001 phase 4",
        f"same order, bar the pairs the survey cannot separate (rho >= {rank_threshold():.1f})",
        _rank_reason(),
        rank_threshold(),
        1.0,
        1.0 - spearman_after_swaps([(survey_order()[0], survey_order()[1])]),  # one swap
    ),
    Target(
        "partners_per_firm",
        "partners per collaborating firm",
        "Kerste & Muizer 2001, in 003 §2.1",
        "about 3",
        _about(3),
        2.5,
        3.5,
        0.5,
    ),
    Target(
        "klict_size",
        f"members per partnership with at least {KLICT_MIN_FIRMS} firms (KLICT rule)",
        "003 §3.2.2",
        "about 5",
        _about(5),
        4.5,
        5.5,
        0.5,
    ),
    Target(
        "failed_within_5_years",
        "partnerships dissolved within 5 years (%, Kaplan-Meier)",
        "Kale & Singh 2009: alliance failure rates",
        "30-70 %",
        "the range of failure rates the source reports across studies, as published",
        30.0,
        70.0,
        20.0,
    ),
    Target(
        "small_firm_representation",
        f"share of firms under {SMALL_FIRM_EMPLOYEES} employees among collaborators "
        "/ among all SMEs",
        "003 §3.2.2: 'not unwillingness but inability'",
        "below 1",
        "a direction: the source says small firms are under-represented, not by how much",
        0.0,
        1.0,
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
        "an assumption: the source says 'much higher than random' without a number; 3 is "
        "our reading of 'well above'",
        3.0,
        math.inf,
        1.0,
    ),
    Target(
        "path_length_ratio",
        "mean path length of the collaboration network / of a random graph alike",
        "Cowan, Jonard & Sanditov 2009",
        "about 1 (0.67-1.5)",
        "an assumption: the source says 'comparable to random'; we allow a factor 1.5 either way",
        0.67,
        1.5,
        0.25,
    ),
    _klict_early_stop(),
)
BY_STATISTIC = {t.statistic: t for t in TARGETS}


# ------------------------------------------------------------------ the split
ROLES = ("calibration", "held_out")


@dataclass(frozen=True)
class TargetSplit:
    """Which targets the calibration fits and which it holds out, each with its reason.

    Read from the validation experiment's `[targets]` table, so the split is declared
    (and argued) in one file before any calibration runs. `measured_on` names, for a
    pattern observed in another setting than the reference, the scenario it is
    measured on (e.g. KLICT's early stops on a KLICT-like call).
    """

    path: Path
    calibration: dict[str, str]
    held_out: dict[str, str]
    measured_on: dict[str, str]

    @property
    def fitted(self) -> tuple[Target, ...]:
        """The calibration targets, in the order of TARGETS."""
        return tuple(t for t in TARGETS if t.statistic in self.calibration)

    def role(self, statistic: str) -> str:
        return "fitted" if statistic in self.calibration else "held out"

    def why(self, statistic: str) -> str:
        return self.calibration.get(statistic) or self.held_out[statistic]

    def scenario(self, statistic: str, reference: str) -> str:
        return self.measured_on.get(statistic, reference)


def read_split(path: Path) -> TargetSplit:
    """The `[targets]` table of a validation experiment, checked; ConfigError in one line."""
    path = Path(path)
    doc = read_toml(path)
    table = doc.get("targets")
    if not isinstance(table, dict):
        raise ConfigError(
            path,
            "needs a [targets] table: [targets.calibration] and [targets.held_out], "
            'each target = "why"',
        )
    for key in table:
        if key not in (*ROLES, "measured_on"):
            raise ConfigError(
                path, f"unknown key {key}; use {', '.join(ROLES)}, measured_on", "targets"
            )
    roles = {role: _reasons(path, table.get(role), role) for role in ROLES}
    for target in TARGETS:
        s = target.statistic
        if s in roles["calibration"] and s in roles["held_out"]:
            raise ConfigError(path, f"{s} is both fitted and held out; keep it in one", "targets")
        if s not in roles["calibration"] and s not in roles["held_out"]:
            raise ConfigError(
                path,
                f"{s} is in neither [targets.calibration] nor [targets.held_out]; put it "
                "in one, with why",
                "targets",
            )
    if not roles["calibration"]:
        raise ConfigError(path, "[targets.calibration] is empty: the calibration needs a target")
    measured_on = _measured_on(path, table.get("measured_on", {}), doc.get("scenarios", {}))
    fitted_elsewhere = [s for s in measured_on if s in roles["calibration"]]
    if fitted_elsewhere:
        raise ConfigError(
            path,
            f"{fitted_elsewhere[0]} is measured on {measured_on[fitted_elsewhere[0]]}, "
            "which the calibration sweep does not run; hold it out",
            "targets",
        )
    return TargetSplit(path, roles["calibration"], roles["held_out"], measured_on)


def _reasons(path: Path, table: Any, role: str) -> dict[str, str]:
    """A role's table: known target = "why", every reason a non-empty string."""
    if not isinstance(table, dict):
        raise ConfigError(path, f'needs a [targets.{role}] table of target = "why"')
    for name, why in table.items():
        if name not in BY_STATISTIC:
            hint = did_you_mean(name, BY_STATISTIC)
            raise ConfigError(
                path, f"unknown target {name}{f'; {hint}' if hint else ''}", f"targets.{role}"
            )
        if not isinstance(why, str) or not why.strip():
            raise ConfigError(path, f"{name} needs its reason as text", f"targets.{role}")
    return dict(table)


def _measured_on(path: Path, table: Any, scenarios: Any) -> dict[str, str]:
    """Targets measured on another scenario than the reference: target = "scenario"."""
    if not isinstance(table, dict):
        raise ConfigError(path, 'must be a table of target = "scenario"', "targets.measured_on")
    for name, scenario in table.items():
        if name not in BY_STATISTIC:
            raise ConfigError(path, f"unknown target {name}", "targets.measured_on")
        if scenario not in scenarios:
            raise ConfigError(
                path, f"{name} = {scenario!r} is not one of the [scenarios]", "targets.measured_on"
            )
    return dict(table)


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
        "klict_early_stop": early_stop_share(parts, params),
    }


def decisive_shares(ties: pd.DataFrame, params: Parameters) -> dict[str, float]:
    """Shares (%) of formed ties whose largest weighted survey term was each factor.

    The survey asked about five factors only, so the decisive factor here is the
    largest of those five weighted terms; culture and trust are left out.
    """
    terms = formed_ties(ties)[list(TERMS)].to_numpy(dtype=float)
    weights = np.array([[getattr(params, f"weight_{f}") for f in SURVEY_FACTORS]])
    shares = run_shares(terms, np.zeros(len(terms), dtype=np.int64), 1, weights)[0, 0]
    rho = rank_rho(shares)
    return {**dict(zip(DECISIVE, shares.tolist(), strict=True)), "decisive_rank_rho": float(rho)}


def formed_ties(ties: pd.DataFrame) -> pd.DataFrame:
    """The invitations that became ties: what the survey's shares are shares of."""
    return ties.loc[ties["tie_formed"].astype(bool)]


def run_shares(terms: np.ndarray, run: np.ndarray, runs: int, weights: np.ndarray) -> np.ndarray:
    """Decisive shares (%) per weight row and run, (weights, runs, 5); NaN for a run without ties.

    `terms` are formed ties' survey terms, `run` the run (0 to runs - 1) of each tie.
    One function for one run and one weighting (the statistic) and for thousands of
    weightings of the recorded ties (the calibration's weights step), so both count the
    same decisive factor.
    """
    k, n = len(weights), len(SURVEY_FACTORS)
    counts = np.zeros((k, runs * n), dtype=np.int64)
    cell = run * n
    block = max(1, 4_000_000 // max(1, terms.size))  # weight rows per product: bounded memory
    for start in range(0, k, block):
        w = weights[start : start + block]
        decisive = np.argmax(terms[None, :, :] * w[:, None, :], axis=2)
        offsets = np.arange(len(w))[:, None] * (runs * n)
        flat = np.bincount((offsets + cell + decisive).ravel(), minlength=len(w) * runs * n)
        counts[start : start + len(w)] = flat.reshape(len(w), runs * n)
    totals = np.bincount(run, minlength=runs).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * counts.reshape(k, runs, n) / totals[None, :, None]


def rank_rho(shares: np.ndarray) -> np.ndarray:
    """Spearman rho of the shares (last axis, SURVEY_FACTORS order) with the survey's shares.

    NaN where a share is undefined or all are equal (no order to compare). Rounded to
    12 digits, as `spearman_after_swaps` is, so a rho at the threshold is not 1e-16 under it.
    """
    ranks = stats.rankdata(shares, axis=-1)
    survey = stats.rankdata([SURVEY_SHARES[f] for f in SURVEY_FACTORS])
    a = ranks - ranks.mean(axis=-1, keepdims=True)
    b = survey - survey.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (a * b).sum(axis=-1) / np.sqrt((a * a).sum(axis=-1) * (b * b).sum())
    defined = np.isfinite(shares).all(axis=-1) & (np.ptp(shares, axis=-1) > 0)
    return np.where(defined, np.round(rho, 12), np.nan)


def _active_members(memberships: pd.DataFrame, month: int) -> pd.DataFrame:
    left = memberships["left"].astype("Float64").fillna(np.inf)
    return memberships.loc[(memberships["joined"] <= month) & (left > month)]


def partners_per_firm(memberships: pd.DataFrame, organisations: pd.DataFrame, months: int) -> float:
    """Mean number of distinct current partners of a collaborating SME, over yearly snapshots."""
    is_sme = (organisations["type"] == SME).to_numpy(dtype=bool)
    counts: list[np.ndarray] = []
    for month in range(SNAPSHOT_MONTHS, months + 1, SNAPSHOT_MONTHS):
        active = _active_members(memberships, month)
        degree = _distinct_partners(
            active["organisation"].to_numpy(dtype=np.int64),
            active["partnership"].to_numpy(dtype=np.int64),
            len(is_sme),
        )
        counts.append(degree[(degree > 0) & is_sme])
    pooled = np.concatenate(counts) if counts else np.array([])
    return _mean(pooled)


def _distinct_partners(organisation: np.ndarray, partnership: np.ndarray, n: int) -> np.ndarray:
    """Per organisation (0 to n - 1), how many others share one of its partnerships.

    A sparse product of the membership matrix with itself: fast, and exact (counts).
    """
    _, column = np.unique(partnership, return_inverse=True)
    shape = (n, int(column.max()) + 1 if len(column) else 0)
    ones = np.ones(len(organisation), dtype=np.int64)
    member = sparse.csr_array((ones, (organisation, column)), shape=shape)
    together = (member @ member.T).tocsr()  # positive counts only: no stored zeros
    itself = np.diff(member.indptr) > 0  # an active organisation shares with itself
    return np.diff(together.indptr) - itself


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


def early_stop_share(parts: pd.DataFrame, params: Parameters) -> float:
    """Share (%) of partnerships with at least KLICT_MIN_FIRMS firms that dissolved early.

    Early is within the project's cap when projects are capped (`project_months`), else
    within KLICT's one year. Only partnerships whose whole first period the run saw count
    (formed at least that long before its end), so the late ones are not counted as
    survivors; a completed (capped) project is not a dissolution.
    """
    horizon = params.project_months or KLICT_CAP_MONTHS
    seen = (parts["n_sme"] >= KLICT_MIN_FIRMS) & (parts["formed"] + horizon <= params.months)
    if not seen.any():
        return float("nan")
    early = parts["dissolved"].astype(bool) & (parts["duration"] <= horizon)
    return 100.0 * float(early[seen].mean())


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
    """Mean shortest path within the largest connected component.

    Breadth-first search in scipy, not networkx: the same integer lengths, summed
    exactly, at a fraction of the time (this was most of a calibration's statistics).
    """
    largest = graph.subgraph(max(nx.connected_components(graph), key=len))
    n = len(largest)
    if n < 2:
        return 0.0
    lengths = csgraph.shortest_path(nx.to_scipy_sparse_array(largest), unweighted=True)
    return float(lengths.sum()) / (n * (n - 1))


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


def summarise_targets(per_run: pd.DataFrame, targets: tuple[Target, ...] = TARGETS) -> pd.DataFrame:
    """Per target: the mean over runs, its 95 % t-interval, runs that could say, and met."""
    rows = []
    for target in targets:
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


def summarise_validation(per_run: pd.DataFrame, reference: str, split: TargetSplit) -> pd.DataFrame:
    """Every target on the scenario it is measured on, with its role (fitted or held out)."""
    rows = []
    for target in TARGETS:
        scenario = split.scenario(target.statistic, reference)
        runs = per_run.loc[per_run["scenario"] == scenario]
        row = summarise_targets(runs, (target,)).iloc[0].to_dict()
        rows.append({**row, "role": split.role(target.statistic), "scenario": scenario})
    return pd.DataFrame(rows)


def rank_order(summary: pd.DataFrame) -> str:
    """The model's order of the five factors by mean share, e.g. 'goals > proximity > ...'."""
    shares = summary.set_index("statistic")["mean"]
    order = sorted(SURVEY_FACTORS, key=lambda f: -shares[f"decisive_{f}"])
    return " > ".join(order)


VALIDATION_HEADER = (
    "pattern",
    "source",
    "target",
    "measured on",
    "model mean [95 % interval]",
    "runs",
    "met",
)


def validation_table(summary: pd.DataFrame) -> str:
    """The Markdown table: target, source, scenario, model mean with 95 % interval, met."""
    rows = [
        [
            row.pattern,
            row.source,
            row.target,
            f"`{row.scenario}`",
            f"{_fmt(row.mean)} [{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]",
            str(row.runs),
            "yes" if row.met else "**no**",
        ]
        for row in summary.itertuples(index=False)
    ]
    return markdown_table(Table(VALIDATION_HEADER, rows)) + "\n"


def thresholds_table(split: TargetSplit) -> str:
    """Every target's range and why that range, and why it is fitted or held out."""
    rows = [
        [
            t.pattern,
            split.role(t.statistic),
            _range(t),
            t.reason,
            split.why(t.statistic),
        ]
        for t in TARGETS
    ]
    header = ["pattern", "role", "range met", "why this range", "why fitted or held out"]
    return markdown_table(Table(header, rows)) + "\n"


def _range(t: Target) -> str:
    bounds = f"{number(t.low, '.3g')} to {number(t.high, '.3g')}"
    if math.isinf(t.high):
        bounds = f">= {number(t.low, '.3g')}"
    return f"95 % interval within {bounds}" if t.direction else f"mean within {bounds}"


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
