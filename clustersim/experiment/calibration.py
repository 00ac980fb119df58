"""Calibration: a procedure, run by one command, that picks the free parameters.

`clustersim calibrate EXPERIMENT` takes a sweep file with a `[calibration]` table and
runs every step; nothing is chosen by hand, so the choice is reproduced by running
the same command on the same code:

1. Round 1 is the sweep file itself: a Latin hypercube over wide ranges of the free
   parameters, each point run with a few replications.
2. Each round's points are ranked by their distance to the *calibration* targets of
   the validation experiment that `targets` names (its `[targets.calibration]`; the
   held-out targets never count). A point's statistics are averaged over its
   replications; each target's miss is how far the mean lies outside the target's
   range, in the target's own scale; the distance is the root of the summed squared
   misses. The closest `accept` share of points is accepted (rejection ABC,
   Beaumont 2010): their ranges show how tightly the fitted patterns pin each
   parameter down.
3. The weights step (`weights_from_ties = true`): the five partner-choice shares are
   an argmax of weights x score terms, a landscape random draws rarely hit, but every
   run records its ties' terms, so shares under any weights are re-scored without
   running the model. Each point of round 1 gets the weights that fit its own ties
   best and round 1 is ranked by that profile distance (its other values, not its
   luck with the weights); one set of weights is then fitted to the ties of the
   accepted points together (seeded differential evolution), written to
   OUT/weights.toml and held by every later round and candidate. The terms recorded
   depend a little on the weights in force (they decide who is invited), so the
   re-scored shares are an estimate that the confirmation measures.
4. Round k+1 is the same design over round k's accepted ranges, each widened by
   `widen` of round k's range on both sides and clipped to it, with seed + k. It is
   written as a sweep file (OUT/round-K.toml) before it runs.
5. Confirmation: the `confirm_points` closest points of the last round, each value
   rounded to `significant_digits`, are re-run with `confirm_replications` fresh seeds
   (seed + rounds) as a comparison; the closest candidate is the choice.
6. The choice is printed and written as a config fragment (OUT/chosen.toml), to be
   adopted as the defaults; OUT/calibration.json records every step for the
   validation document.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from clustersim.config import ConfigError, read_toml
from clustersim.experiment.designs import Dimension
from clustersim.experiment.spec import Experiment
from clustersim.experiment.store import read_table
from clustersim.experiment.validation import (
    BY_STATISTIC,
    DECISIVE,
    SURVEY_SHARES,
    TERMS,
    Target,
    TargetSplit,
    formed_ties,
    rank_rho,
    read_split,
    run_shares,
    statistics_by_run,
)
from clustersim.formatting import Table, markdown_table, number
from clustersim.parameters import specs
from clustersim.partner_choice import SURVEY_FACTORS

# The [calibration] table's settings and their defaults; `targets` has none.
PLAN_DEFAULTS: dict[str, bool | int | float] = {
    "accept": 0.1,
    "rounds": 2,
    "widen": 0.1,
    "confirm_points": 3,
    "confirm_replications": 10,
    "significant_digits": 3,
    "weights_from_ties": False,
    "weights_popsize": 15,
    "weights_generations": 300,
    "weights_seed": 0,
}
PLAN_LIMITS = {  # (least, most, whole number); weights_from_ties is true or false
    "accept": (1e-9, 1.0, False),
    "rounds": (1, 10, True),
    "widen": (1e-9, 1.0, False),
    "confirm_points": (1, 50, True),
    "confirm_replications": (2, 1000, True),
    "significant_digits": (1, 6, True),
    "weights_popsize": (1, 1000, True),
    "weights_generations": (1, 100_000, True),
    "weights_seed": (0, 2**63 - 1, True),
}
SUMMARY = "calibration.json"
CHOSEN = "chosen.toml"
WEIGHTS = "weights.toml"  # the weights step's choice, the base config of the later rounds
STEP_NOTE = "; the choice weights from the weights step,\nweights.toml"
CHOICE_WEIGHTS = tuple(f"weight_{f}" for f in SURVEY_FACTORS)  # what the weights step sets
DECISIVE_STATISTICS = (*DECISIVE, "decisive_rank_rho")  # what the recorded ties re-score

RunFolder = Callable[[Path, Path, str], tuple[Experiment, Path]]  # file, folder, kind


@dataclass(frozen=True)
class CalibrationPlan:
    """The `[calibration]` table of a sweep file: the targets and every rule of the procedure."""

    path: Path
    split: TargetSplit
    accept: float
    rounds: int
    widen: float
    confirm_points: int
    confirm_replications: int
    significant_digits: int
    weights_from_ties: bool
    weights_popsize: int
    weights_generations: int
    weights_seed: int

    def settings(self) -> dict[str, Any]:
        """The rules as written to calibration.json and printed in the document."""
        values = asdict(self)
        return {k: values[k] for k in PLAN_DEFAULTS}


def read_plan(path: Path) -> CalibrationPlan:
    """The sweep file's `[calibration]` table, checked; a ConfigError in one line otherwise."""
    path = Path(path)
    table = read_toml(path).get("calibration")
    if not isinstance(table, dict) or not isinstance(table.get("targets"), str):
        raise ConfigError(
            path,
            'a calibration needs a [calibration] table with targets = "<validation experiment>" '
            "(whose [targets.calibration] the distance uses)",
        )
    for key in table:
        if key != "targets" and key not in PLAN_DEFAULTS:
            raise ConfigError(
                path, f"unknown key {key}; use targets, {', '.join(PLAN_DEFAULTS)}", "calibration"
            )
    values = {k: _setting(path, k, table.get(k, v)) for k, v in PLAN_DEFAULTS.items()}
    split = read_split(path.parent / table["targets"])
    if values["weights_from_ties"]:
        _check_weights_step(path, split)
    return CalibrationPlan(path, split, **values)


def _check_weights_step(path: Path, split: TargetSplit) -> None:
    """The weights step needs the five weights swept in round 1 and a share to fit."""
    swept = read_toml(path).get("parameters", {})
    missing = [n for n in CHOICE_WEIGHTS if n not in swept]
    if missing:
        raise ConfigError(
            path,
            f"weights_from_ties needs round 1 to sweep {', '.join(CHOICE_WEIGHTS)}; "
            f"{missing[0]} is not in [parameters]",
            "calibration",
        )
    if not any(t.statistic in DECISIVE_STATISTICS for t in split.fitted):
        raise ConfigError(
            path, "weights_from_ties needs a decisive_* target in [targets.calibration]"
        )


def _setting(path: Path, key: str, value: Any) -> bool | int | float:
    if key == "weights_from_ties":
        if not isinstance(value, bool):
            raise ConfigError(path, f"{key} must be true or false, got {value!r}", "calibration")
        return value
    least, most, whole = PLAN_LIMITS[key]
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not least <= value <= most:
        raise ConfigError(
            path, f"{key} must be {kind} from {least:g} to {most:g}, got {value!r}", "calibration"
        )
    return value


# ------------------------------------------------------------------ ranking
def point_distances(
    per_run: pd.DataFrame, targets: tuple[Target, ...], by: str = "point"
) -> pd.DataFrame:
    """Mean statistics per design point (or scenario), each target's miss, and the distance.

    Every statistic is averaged, so the held-out ones can be reported beside the fit;
    only `targets` enter the misses and the distance.
    """
    statistics = [c for c in per_run.columns if c not in ("scenario", "point", "replication")]
    means = per_run.groupby(by)[statistics].mean()
    misses = pd.DataFrame({f"miss_{t.statistic}": means[t.statistic].map(t.miss) for t in targets})
    result = means.join(misses)
    result["targets_met"] = (misses == 0).sum(axis=1)
    result["distance"] = np.sqrt((misses**2).sum(axis=1))
    return result.sort_values(["distance", "targets_met"], ascending=[True, False], kind="stable")


def rank(
    per_run: pd.DataFrame, experiment: Experiment, targets: tuple[Target, ...]
) -> pd.DataFrame:
    """Every design point of a finished sweep with its parameter values, ranked by distance."""
    ranked = point_distances(per_run, targets)
    points = experiment.points.rename_axis("point")
    return points.join(ranked, how="inner").loc[ranked.index]


def accepted(ranking: pd.DataFrame, share: float) -> pd.DataFrame:
    """The closest `share` of points (at least one): the rejection-ABC sample."""
    return ranking.head(max(1, math.ceil(share * len(ranking))))


def write_ranking(
    root: Path, experiment: Experiment, plan: CalibrationPlan, per_run: pd.DataFrame
) -> pd.DataFrame:
    """Rank a finished round; write ranking.csv and calibration.md to ROOT/calibration/."""
    ranking = rank(per_run, experiment, plan.split.fitted)
    folder = Path(root) / "calibration"
    folder.mkdir(exist_ok=True)
    ranking.to_csv(folder / "ranking.csv")
    (folder / "calibration.md").write_text(round_markdown(ranking, experiment, plan))
    return ranking


# ------------------------------------------------------------------ the weights step
@dataclass(frozen=True)
class RecordedTies:
    """The formed ties of a finished sweep: their survey terms and the run of each."""

    terms: np.ndarray  # (ties, 5): the SURVEY_FACTORS terms, as recorded
    run: np.ndarray  # (ties,): the row of `runs` each tie is from
    runs: pd.DataFrame  # point, replication: every completed run, a run without ties too

    def of(self, points: list[int]) -> RecordedTies:
        """The ties of these design points only."""
        keep = self.runs["point"].isin(points).to_numpy()
        renumber = np.cumsum(keep) - 1
        mine = keep[self.run]
        runs = self.runs.loc[keep].reset_index(drop=True)
        return RecordedTies(self.terms[mine], renumber[self.run[mine]], runs)


def read_ties(root: Path) -> RecordedTies:
    """The columns the decisive shares need from a results folder's ties table, and no more."""
    runs = read_table(root, "runs", columns=["point", "replication"])
    runs = runs.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    ties = formed_ties(
        read_table(root, "ties", columns=[*TERMS, "tie_formed", "point", "replication"])
    )
    index = pd.MultiIndex.from_frame(runs)
    run = index.get_indexer(pd.MultiIndex.from_frame(ties[["point", "replication"]]))
    return RecordedTies(ties[list(TERMS)].to_numpy(dtype=float), run.astype(np.int64), runs)


def rescored(ties: RecordedTies, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Each decisive statistic per weight row and run, (weights, runs), from the recorded terms."""
    shares = run_shares(ties.terms, ties.run, len(ties.runs), weights)
    values = {s: shares[..., k] for k, s in enumerate(DECISIVE)}
    return {**values, "decisive_rank_rho": rank_rho(shares)}


def weights_misses(
    ties: RecordedTies, weights: np.ndarray, targets: tuple[Target, ...]
) -> np.ndarray:
    """Per weight row: the mean over the ties' design points of the decisive part of the
    squared distance, each point's statistics averaged over its replications as ranked."""
    values = rescored(ties, weights)
    points = ties.runs["point"].to_numpy()
    groups = [points == p for p in np.unique(points)]
    total = np.zeros((len(weights), len(groups)))
    for t in targets:
        if t.statistic in values:
            v = values[t.statistic]
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.stack([_nanmean(v[:, g]) for g in groups], axis=1)
            total += t.misses(means) ** 2
    return total.mean(axis=1)


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean of each row over its defined values (NaN where none), as pandas averages."""
    defined = np.isfinite(values)
    return np.where(defined, values, 0.0).sum(axis=1) / defined.sum(axis=1)


def fit_weights(
    ties: RecordedTies,
    targets: tuple[Target, ...],
    box: tuple[np.ndarray, np.ndarray],
    plan: CalibrationPlan,
) -> np.ndarray:
    """The five weights in `box` (low, high) whose re-scored shares miss the targets least.

    Differential evolution (scipy; Storn & Price 1997), seeded: the objective counts
    ties, a step function no gradient method can follow, and a whole generation is
    scored at once. The same seed, ties and versions give the same weights bit for bit.
    """

    def objective(x: np.ndarray) -> np.ndarray:  # x: (5, candidates)
        return weights_misses(ties, np.asarray(x).T, targets)

    result = differential_evolution(
        objective,
        list(zip(box[0], box[1], strict=True)),
        seed=plan.weights_seed,
        popsize=plan.weights_popsize,
        maxiter=plan.weights_generations,
        vectorized=True,
        updating="deferred",
        polish=False,
    )
    return np.asarray(result.x)


def adopted_weights(best: np.ndarray, dims: tuple[Dimension, ...], digits: int) -> np.ndarray:
    """The weights as adopted: scaled up to the top of the box, then rounded.

    The shares depend only on the weights' ratios (the decisive factor is an argmax of
    the five), so the scale is free for them; it does set how much the culture and
    trust terms (fixed weights) count in the partner score. The largest scale that
    keeps every weight in its searched range is taken: the five as strong as round 1
    allowed against those two.
    """
    high = np.array([d.high for d in dims])
    scaled = best * float(np.min(high / best))
    return np.array([rounded(v, d, digits) for v, d in zip(scaled, dims, strict=True)])


def weights_step(
    plan: CalibrationPlan, experiment: Experiment, root: Path, per_run: pd.DataFrame, out: Path
) -> tuple[dict[str, float], pd.DataFrame, dict[str, Any]]:
    """Fit the choice weights to round 1's recorded ties; write OUT/weights.toml.

    Returns the weights, round 1 ranked by its profile distance (the ranking whose
    accepted points narrow the other parameters and give the ties the weights are
    fitted to), and the step's record.
    """
    dims = tuple(next(d for d in experiment.dimensions if d.name == n) for n in CHOICE_WEIGHTS)
    box = (np.array([d.low for d in dims]), np.array([d.high for d in dims]))
    ties = read_ties(root)
    ranking = _profile_ranking(plan, experiment, ties, box, per_run)
    Path(root, "calibration", "profile.csv").write_text(ranking.to_csv())
    kept = [int(p) for p in accepted(ranking, plan.accept).index]
    adopted = adopted_weights(
        fit_weights(ties.of(kept), plan.split.fitted, box, plan), dims, plan.significant_digits
    )
    weights = dict(zip(CHOICE_WEIGHTS, (_plain(w) for w in adopted), strict=True))
    base = plan.path.parent / read_toml(plan.path)["base"]
    comment = (
        f"The choice weights of `clustersim calibrate {plan.path}`'s weights step: fitted to\n"
        "the recorded ties of round 1's accepted points; the later rounds hold them."
    )
    Path(out, WEIGHTS).write_text(config_fragment(weights, comment, base=_relative(base, out)))
    names = [d.name for d in experiment.dimensions if d.name not in weights]
    return weights, ranking, _weights_record(plan, ties.of(kept), adopted, ranking, names)


def _profile_ranking(
    plan: CalibrationPlan,
    experiment: Experiment,
    ties: RecordedTies,
    box: tuple[np.ndarray, np.ndarray],
    per_run: pd.DataFrame,
) -> pd.DataFrame:
    """Round 1 ranked with each point's decisive statistics re-scored under the weights that
    suit that point best (its own fit): a point's distance is then what its other values
    allow, not how lucky its drawn weights were. Its own weights are in `own_weight_*`."""
    frames, own = [], {}
    for point in sorted(ties.runs["point"].unique()):
        mine = ties.of([int(point)])
        own[point] = fit_weights(mine, plan.split.fitted, box, plan)
        values = {s: v[0] for s, v in rescored(mine, own[point][None, :]).items()}
        frames.append(mine.runs.assign(**values))
    again = pd.concat(frames, ignore_index=True)
    kept = per_run.drop(columns=[c for c in DECISIVE_STATISTICS if c in per_run])
    merged = kept.merge(again, on=["point", "replication"], how="left", validate="one_to_one")
    ranked = point_distances(merged, plan.split.fitted)
    points = experiment.points.drop(columns=list(CHOICE_WEIGHTS)).rename_axis("point")
    fitted = pd.DataFrame.from_dict(own, orient="index", columns=list(CHOICE_WEIGHTS))
    points = points.join(fitted.div(fitted.max(axis=1), axis=0).add_prefix("own_"))
    return points.join(ranked, how="inner").loc[ranked.index]


def _weights_record(
    plan: CalibrationPlan,
    ties: RecordedTies,
    weights: np.ndarray,
    ranking: pd.DataFrame,
    names: list[str],
) -> dict[str, Any]:
    """What the step read, chose and expects: for calibration.json and the document."""
    kept = accepted(ranking, plan.accept)
    decisive = tuple(t for t in plan.split.fitted if t.statistic in DECISIVE_STATISTICS)
    values = rescored(ties, weights[None, :])
    return {
        "ties": len(ties.terms),
        "runs": len(ties.runs),
        "points": [int(p) for p in kept.index],
        "weights": dict(zip(CHOICE_WEIGHTS, (_plain(w) for w in weights), strict=True)),
        "rms_decisive_distance": float(np.sqrt(weights_misses(ties, weights[None], decisive)[0])),
        "rescored": {s: float(np.nanmean(values[s])) for s in DECISIVE_STATISTICS},
        "profile_points_meeting_all": int((ranking["targets_met"] == len(plan.split.fitted)).sum()),
        "accepted": {n: [float(kept[n].min()), float(kept[n].max())] for n in names},
        "closest_point": int(ranking.index[0]),
        "closest_distance": float(ranking["distance"].iloc[0]),
    }


# ------------------------------------------------------------------ the rounds
def narrowed(
    dimensions: tuple[Dimension, ...], ranking: pd.DataFrame, plan: CalibrationPlan
) -> tuple[Dimension, ...]:
    """The next round's ranges: the accepted range widened by `widen` of the old, clipped."""
    kept = accepted(ranking, plan.accept)
    result = []
    for d in dimensions:
        margin = plan.widen * (d.high - d.low)
        low = max(d.low, float(kept[d.name].min()) - margin)
        high = min(d.high, float(kept[d.name].max()) + margin)
        if d.integer:
            low, high = float(math.floor(low)), float(math.ceil(high))
        result.append(Dimension(d.name, low=low, high=high, integer=d.integer))
    return tuple(result)


def write_round(
    plan: CalibrationPlan,
    k: int,
    previous: Experiment,
    ranking: pd.DataFrame,
    out: Path,
    fixed: dict[str, float],
) -> Path:
    """Round k's sweep file, OUT/round-K.toml: round 1's file with the narrowed ranges.

    Parameters in `fixed` (the weights step's) are no longer swept: the round's base is
    OUT/weights.toml, which sets them.
    """
    doc = read_toml(plan.path)
    swept = tuple(d for d in previous.dimensions if d.name not in fixed)
    dims = narrowed(swept, ranking, plan)
    path = Path(out) / f"round-{k}.toml"
    name = doc.get("name", plan.path.stem)
    base = Path(out) / WEIGHTS if fixed else plan.path.parent / doc["base"]
    held = ["# The choice weights are held at the weights step's (weights.toml)."] if fixed else []
    lines = [
        f"# Round {k} of the calibration {plan.path}, written by `clustersim calibrate`: its",
        f"# design over round {k - 1}'s accepted ranges (the closest {plan.accept:.0%} of its "
        "points),",
        f"# each widened by {plan.widen:.0%} of round {k - 1}'s range on both sides, clipped.",
        *held,
        f'name = "{name}-round-{k}"',
        'kind = "sweep"',
        f'base = "{_relative(base, path.parent)}"',
        f"seed = {doc['seed'] + k - 1}",
        f"replications = {previous.replications}",
        *([f"months = {doc['months']}"] if "months" in doc else []),
        "",
        "[design]",
        *(f"{key} = {_toml(value)}" for key, value in doc["design"].items()),
        "",
        "[parameters]",
        *(f"{d.name} = {{ low = {_bound(d, d.low)}, high = {_bound(d, d.high)} }}" for d in dims),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_confirmation(
    plan: CalibrationPlan,
    last: Experiment,
    ranking: pd.DataFrame,
    out: Path,
    fixed: dict[str, float],
) -> Path:
    """The candidates (closest points, rounded) as configs, and OUT/confirm.toml comparing them.

    Candidate `point-P` is the last round's point P, with the `fixed` values (the weights
    step's) beside its own, so each candidate file sets every calibrated value.
    """
    doc = read_toml(plan.path)
    folder = Path(out) / "candidates"
    folder.mkdir(parents=True, exist_ok=True)
    base = plan.path.parent / doc["base"]
    swept = [d for d in last.dimensions if d.name not in fixed]
    scenarios = []
    for point, row in ranking.head(plan.confirm_points).iterrows():
        name = f"point-{point}"
        own = {d.name: rounded(row[d.name], d, plan.significant_digits) for d in swept}
        header = f"{last.name}, point {point}, rounded to {plan.significant_digits} digits"
        if fixed:
            header += ", with the weights step's choice weights"
        relative = _relative(base, folder)
        text = config_fragment({**fixed, **own}, f"{header}.", base=relative, name=name)
        (folder / f"{name}.toml").write_text(text)
        scenarios.append(f'{name} = "candidates/{name}.toml"')
    path = Path(out) / "confirm.toml"
    months = [f"months = {doc['months']}"] if "months" in doc else []
    path.write_text(
        "# The calibration's confirmation, written by `clustersim calibrate`: the closest\n"
        f"# points of its last round, rounded, re-run with {plan.confirm_replications} fresh "
        "seeds.\n"
        f'name = "{doc.get("name", plan.path.stem)}-confirm"\nkind = "compare"\n'
        f"seed = {doc['seed'] + plan.rounds}\nreplications = {plan.confirm_replications}\n"
        + "".join(f"{m}\n" for m in months)
        + "\n[scenarios]\n"
        + "\n".join(scenarios)
        + "\n"
    )
    return path


def rounded(value: float, d: Dimension, digits: int) -> int | float:
    """A value as adopted: whole numbers as they are, others to `digits` significant digits."""
    if d.integer:
        return int(value)
    return float(f"{float(value):.{digits}g}")


def config_fragment(values: dict[str, Any], comment: str, **meta: str) -> str:
    """A config file (or fragment) setting `values`, each under its parameter group."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f'{key} = "{value}"' for key, value in meta.items()]
    groups: dict[str, list[str]] = {}
    for name, value in values.items():
        groups.setdefault(specs()[name][1].group, []).append(f"{name} = {_toml(value)}")
    for group, entries in groups.items():
        lines += ["", f"[{group}]", *entries]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the procedure
def run_calibration(path: Path, out: Path, run: RunFolder) -> str:
    """Every step of the procedure; `run` runs (or resumes) one experiment file into a folder.

    Returns the chosen values as a config fragment, also written to OUT/chosen.toml.
    """
    plan = read_plan(path)
    Path(out).mkdir(parents=True, exist_ok=True)
    rounds: list[dict[str, Any]] = []
    fixed: dict[str, float] = {}
    step: dict[str, Any] | None = None
    experiment_path = Path(path)
    for k in range(1, plan.rounds + 1):
        experiment, folder = run(experiment_path, Path(out) / f"round-{k}", "sweep")
        per_run = statistics_by_run(folder, experiment)
        ranking = write_ranking(folder, experiment, plan, per_run)
        rounds.append(_round_record(k, experiment_path, folder, experiment, ranking, plan))
        if k == 1 and plan.weights_from_ties:
            fixed, ranking, step = weights_step(plan, experiment, folder, per_run, out)
        if k < plan.rounds:
            experiment_path = write_round(plan, k + 1, experiment, ranking, out, fixed)
    confirm_path = write_confirmation(plan, experiment, ranking, out, fixed)
    confirm, folder = run(confirm_path, Path(out) / "confirm", "compare")
    return write_choice(plan, out, rounds, step, confirm, folder)


def _round_record(
    k: int,
    path: Path,
    folder: Path,
    experiment: Experiment,
    ranking: pd.DataFrame,
    plan: CalibrationPlan,
) -> dict[str, Any]:
    kept = accepted(ranking, plan.accept)
    return {
        "round": k,
        "experiment": str(path),
        "folder": Path(folder).name,  # inside the calibration's folder
        "method": experiment.method,
        "points": len(experiment.points),
        "replications": experiment.replications,
        "seed": experiment.seed,
        "ranges": {d.name: [d.low, d.high] for d in experiment.dimensions},
        "accepted": {
            d.name: [kept[d.name].min(), kept[d.name].max()] for d in experiment.dimensions
        },
        "closest_point": int(ranking.index[0]),
        "closest_distance": float(ranking["distance"].iloc[0]),
    }


def write_choice(
    plan: CalibrationPlan,
    out: Path,
    rounds: list[dict[str, Any]],
    step: dict[str, Any] | None,
    confirm: Experiment,
    folder: Path,
) -> str:
    """Rank the confirmed candidates; write chosen.toml and calibration.json; return the former."""
    ranked = point_distances(statistics_by_run(folder, confirm), plan.split.fitted, by="scenario")
    names = list(rounds[0]["ranges"])  # round 1 sweeps every calibrated parameter
    candidates = []
    for n, (scenario, row) in enumerate(ranked.iterrows()):
        values = {k: _plain(confirm.scenarios[scenario].as_dict()[k]) for k in names}
        candidates.append(
            {
                "name": scenario,
                "round_point": int(str(scenario).removeprefix("point-")),
                "values": values,
                "distance": float(row["distance"]),
                "targets_met": int(row["targets_met"]),
                "statistics": {t.statistic: float(row[t.statistic]) for t in plan.split.fitted},
                "chosen": n == 0,
            }
        )
    chosen = candidates[0]
    summary = {
        "experiment": str(plan.path),
        "targets": str(plan.split.path),
        "fitted": [t.statistic for t in plan.split.fitted],
        "settings": plan.settings(),
        "rounds": rounds,
        "weights_step": step,
        "confirm": {
            "folder": str(folder),
            "seed": confirm.seed,
            "replications": confirm.replications,
        },
        "candidates": candidates,
    }
    Path(out, SUMMARY).write_text(json.dumps(summary, indent=2, default=_plain))
    text = config_fragment(chosen["values"], _chosen_comment(plan, chosen, len(rounds), len(names)))
    Path(out, CHOSEN).write_text(text)
    return text


def _chosen_comment(plan: CalibrationPlan, chosen: dict[str, Any], rounds: int, n: int) -> str:
    fitted = len(plan.split.fitted)
    note = STEP_NOTE if plan.weights_from_ties else ""
    return (
        f"Chosen by `clustersim calibrate {plan.path}`: {chosen['name']} (round {rounds}'s "
        f"point {chosen['round_point']},\nrounded to {plan.significant_digits} significant "
        f"digits{note}), distance {chosen['distance']:.3f} over {plan.confirm_replications} fresh "
        f"replications,\n{chosen['targets_met']} of {fitted} calibration targets met. Adopt "
        f"these {n} values as the defaults\n(clustersim/parameters.py, configs/baseline.toml)."
    )


def read_summary(out: Path) -> dict[str, Any]:
    """A finished calibration's record (calibration.json), for the validation document."""
    return json.loads(Path(out, SUMMARY).read_text())


# ------------------------------------------------------------------ tables
def round_markdown(ranking: pd.DataFrame, experiment: Experiment, plan: CalibrationPlan) -> str:
    """A round's design, its accepted ranges and its closest points."""
    names = [d.name for d in experiment.dimensions]
    kept = accepted(ranking, plan.accept)
    rows = []
    for d in experiment.dimensions:
        low, high = kept[d.name].min(), kept[d.name].max()
        rows.append(
            [
                f"`{d.name}`",
                f"{number(d.low, '.4g')} – {number(d.high, '.4g')}",
                f"{number(low, '.4g')} – {number(high, '.4g')}",
                f"{(high - low) / (d.high - d.low):.0%}",
                number(ranking.iloc[0][d.name], ".4g"),
            ]
        )
    header = ["parameter", "searched", "accepted", "accepted / searched", "closest point"]
    lines = [
        f"Design: `{experiment.path.name}`, a {experiment.method} sweep of "
        f"{len(experiment.points)} points x {experiment.replications} replications over "
        f"{len(names)} parameters (seed {experiment.seed}). Accepted: the closest "
        f"{len(kept)} points ({plan.accept:.0%}). An accepted range near 100 % of the "
        "searched one means the fitted targets do not pin that parameter down.",
        "",
        markdown_table(Table(header, rows)),
        "",
        "The five closest points (distance 0 would meet every calibration target):",
        "",
        markdown_table(_closest_points(ranking.head(5), names, len(plan.split.fitted))),
    ]
    return "\n".join(lines) + "\n"


def _closest_points(top: pd.DataFrame, names: list[str], fitted: int) -> Table:
    rows = [
        [
            str(point),
            number(row["distance"], ".2f"),
            f"{int(row['targets_met'])} of {fitted}",
            *(number(row[n], ".4g") for n in names),
        ]
        for point, row in top.iterrows()
    ]
    return Table(["point", "distance", "targets met", *(f"`{n}`" for n in names)], rows)


# ------------------------------------------------------------------ the document
def calibration_section(out: Path, split: TargetSplit) -> list[str]:
    """Section 3 of docs/validation.md, every word of it from the calibration's record."""
    summary = read_summary(out)
    lines = ["## 3. Calibration", "", _procedure(summary), ""]
    if summary["fitted"] != [t.statistic for t in split.fitted]:
        lines += [
            f"**This calibration fitted {', '.join(summary['fitted'])}; "
            f"`{split.path.name}` now declares {', '.join(t.statistic for t in split.fitted)}. "
            "Run the calibration again.**",
            "",
        ]
    lines += [
        "Fitted targets and the scale their misses are measured in:",
        "",
        markdown_table(
            Table(
                ["pattern", "range", "scale of a miss"],
                [[t.pattern, _span(t), number(t.scale, ".3g")] for t in split.fitted],
            )
        ),
        "",
    ]
    for record in summary["rounds"]:
        stored = Path(out) / record["folder"] / "calibration" / "calibration.md"
        lines += [f"### Round {record['round']}", "", stored.read_text(), ""]
        if record["round"] == 1 and summary.get("weights_step"):
            lines += _weights_section(summary)
    lines += _confirmation(summary)
    lines += _adopted(summary)
    lines += _structural(Path(out) / summary["rounds"][0]["folder"], split)
    return lines


def _procedure(summary: dict[str, Any]) -> str:
    rules, rounds = summary["settings"], summary["rounds"]
    first, confirm = rounds[0], summary["confirm"]
    runs = sum(r["points"] * r["replications"] for r in rounds)
    runs += len(summary["candidates"]) * confirm["replications"]
    return (
        f"`clustersim calibrate {summary['experiment']}` ran the procedure of "
        "`clustersim/experiment/calibration.py` with the rules of that file's `[calibration]` "
        f"table, in {runs} runs: {len(rounds)} round{'s' if len(rounds) > 1 else ''} of a "
        f"{first['method']} design of {first['points']} points x {first['replications']} "
        f"replications over {len(first['ranges'])} parameters (seed {first['seed']}, then "
        f"+1 a round{_step_clause(summary)}); each point ranked by its distance to the "
        f"{len(summary['fitted'])} fitted targets of `{summary['targets']}` (the root of the "
        "summed squared misses, each miss the distance of the mean outside the target's range "
        "in the target's scale); the closest "
        f"{rules['accept']:.0%} of a round's points accepted (rejection ABC, Beaumont 2010); "
        f"each next round over the accepted ranges widened by {rules['widen']:.0%} of the "
        f"previous range on both sides; the {rules['confirm_points']} closest points of the "
        f"last round, rounded to {rules['significant_digits']} significant digits, re-run "
        f"with {confirm['replications']} fresh seeds (seed {confirm['seed']}); the closest of "
        "them is the choice, printed by the command as a config fragment and adopted as the "
        "defaults."
    )


def _step_clause(summary: dict[str, Any]) -> str:
    step = summary.get("weights_step")
    if not step:
        return ""
    swept = len(summary["rounds"][0]["ranges"]) - len(step["weights"])
    return (
        f"; after round 1 the weights step below fixed the {len(step['weights'])} choice "
        f"weights, so the later rounds sweep the other {swept}"
    )


def _weights_section(summary: dict[str, Any]) -> list[str]:
    """The weights step: what it read, how it searched, what it chose, and its caveat."""
    step, rules = summary["weights_step"], summary["settings"]
    chosen = next(c for c in summary["candidates"] if c["chosen"])
    measured = chosen.get("statistics", {})
    rows = [
        [
            f"`{s}`",
            number(SURVEY_SHARES[s.removeprefix("decisive_")], ".1f")
            if s in DECISIVE
            else number(BY_STATISTIC[s].low, ".2f") + " or more",
            number(step["rescored"][s], ".1f" if s in DECISIVE else ".2f"),
            number(measured.get(s), ".1f" if s in DECISIVE else ".2f"),
        ]
        for s in DECISIVE_STATISTICS
    ]
    header = ["statistic", "survey", "re-scored (estimate)", f"measured (`{chosen['name']}`)"]
    weights = ", ".join(f"`{n}` = {number(v, '.4g')}" for n, v in step["weights"].items())
    return [
        "### Weights step",
        "",
        _weights_text(step, rules),
        "",
        f"Chosen: {weights} (root-mean-square decisive part of the distance over the accepted "
        f"points' ties: {step['rms_decisive_distance']:.2f}). The shares re-scored with them "
        "(mean over those runs) beside the shares the confirmation measured at the chosen "
        "values with fresh seeds:",
        "",
        markdown_table(Table(header, rows)),
        "",
        "Round 1's table above ranks its points with their drawn weights; the ranges round 2 "
        f"searches (widened by {rules['widen']:.0%}) come from the profile ranking's accepted "
        f"points ({', '.join(str(p) for p in step['points'])}):",
        "",
        markdown_table(
            Table(
                ["parameter", "accepted (profile ranking)"],
                [
                    [f"`{n}`", f"{number(low, '.4g')} – {number(high, '.4g')}"]
                    for n, (low, high) in step["accepted"].items()
                ],
            )
        ),
        "",
        "The recorded terms are those of the ties that formed under each point's own drawn "
        "weights. The weights also decide whom an initiator invites, and so which ties form "
        "and which terms are recorded: under other weights somewhat different ties would "
        "have formed. The re-scored shares are therefore an estimate; the confirmation runs "
        "the full model at the chosen values with fresh seeds and measures the real ones.",
        "",
    ]


def _weights_text(step: dict[str, Any], rules: dict[str, Any]) -> str:
    candidates = rules["weights_popsize"] * len(step["weights"])
    return (
        "`weights_from_ties = true`: a tie's decisive factor is the largest of its five "
        "weighted survey terms, and every run records those terms (the ties table, "
        "`term_*`), so the shares under other weights are computed from round 1's recorded "
        "terms without running the model again. The other fitted targets hardly depend on "
        "the weights, while random draws of five weights rarely land where the five shares "
        "are met. First each of round 1's points gets the weights that suit its own ties "
        "best (differential evolution, scipy, seed "
        f"{rules['weights_seed']}, {candidates} candidates a generation, at most "
        f"{rules['weights_generations']} generations), and round 1 is ranked again with "
        "its decisive statistics re-scored under them (`round-1/calibration/profile.csv`): "
        "a point's rank then says what its other values allow, not how lucky its drawn "
        f"weights were; {step['profile_points_meeting_all']} points meet every fitted target "
        f"so. The closest {rules['accept']:.0%} of that ranking are accepted: their ranges "
        "narrow the other parameters for round 2, and the weights are fitted once more, "
        f"to their {step['ties']} formed ties in {step['runs']} runs together (the mean over "
        "the points of the decisive part of the squared distance). One set of weights for "
        "all points, not each point's own, because the later rounds hold the weights fixed; "
        "not fitted to all of round 1's points, because the best weights move with the "
        "other values (the proximity term with `proximity_scale_km`), so a fit to the "
        "whole searched region fits no part of it. Only the weights' ratios decide a "
        "share; the largest weight is set to the top of its searched range (the scale "
        "sets how much the fixed culture and trust weights count against them), and each "
        f"is rounded to {rules['significant_digits']} significant digits."
    )


def _span(t: Target) -> str:
    return f"{number(t.low, '.3g')} – {number(t.high, '.3g')}"


def _confirmation(summary: dict[str, Any]) -> list[str]:
    candidates = summary["candidates"]
    names = list(candidates[0]["values"])
    header = ["", *(f"`{c['name']}`{' (chosen)' if c['chosen'] else ''}" for c in candidates)]
    rows = [
        ["distance", *(f"{c['distance']:.3f}" for c in candidates)],
        ["targets met", *(f"{c['targets_met']} of {len(summary['fitted'])}" for c in candidates)],
        *([f"`{n}`", *(number(c["values"][n], ".4g") for c in candidates)] for n in names),
    ]
    return [
        "### Confirmation",
        "",
        f"The last round's closest points, rounded, with {summary['confirm']['replications']} "
        "fresh replications each (`point-P` is the last round's point P):",
        "",
        markdown_table(Table(header, rows)),
        "",
    ]


def _adopted(summary: dict[str, Any]) -> list[str]:
    """The chosen values against the current defaults; a difference is said, not hidden."""
    from clustersim.parameters import Parameters

    defaults = Parameters()
    chosen = next(c for c in summary["candidates"] if c["chosen"])["values"]
    rows = [
        [
            f"`{n}`",
            repr(getattr(defaults, n)),
            repr(v),
            "yes" if getattr(defaults, n) == v else "**no**",
        ]
        for n, v in chosen.items()
    ]
    differ = [r[0] for r in rows if r[-1] != "yes"]
    unvaried = [
        f"`{n}`"
        for n, (_, spec) in specs().items()
        if spec.source.startswith("calibrated") and n not in chosen
    ]
    note = (
        "The defaults are the calibration's choice."
        if not differ
        else f"**The defaults differ from the calibration's choice in {', '.join(differ)}: "
        "sections 1-2 then check other values than the calibration chose.**"
    )
    return [
        "### Adopted defaults",
        "",
        markdown_table(Table(["parameter", "default", "chosen by the calibration", "same"], rows)),
        "",
        note,
        "",
        *(
            [
                f"Sourced as calibrated but not varied by this calibration: {', '.join(unvaried)}.",
                "",
            ]
            if unvaried
            else []
        ),
    ]


def _structural(folder: Path, split: TargetSplit) -> list[str]:
    """How many of round 1's points meet each target: fitted, or met whatever the values?"""
    from clustersim.experiment.validation import TARGETS

    points = pd.read_csv(folder / "calibration" / "ranking.csv")
    rows = [
        [t.pattern, split.role(t.statistic), f"{(points[t.statistic].map(t.miss) == 0).mean():.0%}"]
        for t in TARGETS
        if t.statistic in points and t.statistic not in split.measured_on
    ]
    return [
        "### Fitted or structural?",
        "",
        f"Share of the {len(points)} points of round 1 whose mean meets each target (targets "
        "measured on another scenario are not run by the sweep). A target met almost "
        "everywhere follows from the model's structure, whatever the free parameters, and is "
        "weak evidence even when held out; one met only in a small region is what the "
        "calibration fitted, or, when held out, a real test.",
        "",
        markdown_table(Table(["target", "role", "points meeting it"], rows)),
        "",
    ]


# ------------------------------------------------------------------ helpers
def _relative(target: Path, start: Path) -> str:
    """`target` as a path relative to the folder `start`, as TOML files name their bases."""
    return Path(os.path.relpath(Path(target).resolve(), Path(start).resolve())).as_posix()


def _bound(d: Dimension, value: float) -> str:
    return str(int(value)) if d.integer else repr(float(value))


def _toml(value: Any) -> str:
    """A TOML value: strings quoted, booleans lower case, numbers as Python writes them."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)
    return repr(_plain(value))


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, for JSON and TOML."""
    return value.item() if isinstance(value, np.generic) else value
