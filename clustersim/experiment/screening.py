"""Morris screening of every parameter, on baseline levels and on policy contrasts.

A screening file is a Morris sweep (`experiments/validation_morris.toml`) with a
`[screening]` table. Its `[parameters]` must cover every model parameter but those
listed, each with its reason, in `[screening.excluded]` (a parameter in neither is
refused), so nothing is left out silently. The policy contrasts come from a
comparison file (`contrasts`): its reference and the scenarios named in `levers`.

Each design point is run in the reference and in every lever's scenario with the
same seeds (common random numbers). A lever's settings (the parameters of the groups
in which its scenario differs from the reference) are applied only in that lever's
scenario: elsewhere the lever is off and its settings would switch it on. The
screened outputs are the reference's levels and, per lever, ΔS36 = S36(lever) −
S36(reference) in points, paired within a replication.

Parameters are screened in groups (Morris with groups, Campolongo, Cariboni & Saltelli
2007): a group moves as one, so a trajectory has one step per group rather than per
parameter, which keeps about 80 parameters affordable. A group is the parameter's
group of `clustersim.parameters`; those listed in `alone` are groups of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import morris as morris_sample

from clustersim.config import ConfigError, did_you_mean, read_toml
from clustersim.experiment.designs import METHODS, MORRIS, salib_problem
from clustersim.experiment.sensitivity import DEFAULT_OUTPUTS, SensitivityError
from clustersim.experiment.spec import Compare, Experiment, load_experiment
from clustersim.experiment.store import read_table
from clustersim.formatting import Table, markdown_table, number, plural
from clustersim.parameters import ParameterError, Parameters, specs

CONTRAST_OUTPUT = "survival_36"  # ΔS36, the outcome policies are compared on
POINTS_PER_SCENARIO = "-p"  # a run's scenario is <scenario>-p<point>


@dataclass(frozen=True)
class Screening:
    """A screening file resolved: the design, the scenarios, the groups and the exclusions."""

    path: Path
    design: Experiment  # the Morris sweep as loaded: dimensions, samples, levels, seed
    reference: str
    scenarios: dict[str, Parameters]  # the reference first, then the levers
    alone: tuple[str, ...]
    excluded: dict[str, str]

    @property
    def levers(self) -> list[str]:
        return [s for s in self.scenarios if s != self.reference]

    @cached_property
    def groups(self) -> list[str]:
        """Each dimension's group, in the order of the dimensions."""
        return [
            d.name if d.name in self.alone else specs()[d.name][1].group
            for d in self.design.dimensions
        ]

    @cached_property
    def lever_groups(self) -> dict[str, set[str]]:
        """Per scenario, the parameter groups in which it differs from the reference."""
        ref = self.scenarios[self.reference].as_dict()
        return {
            name: {specs()[k][1].group for k, v in p.as_dict().items() if ref[k] != v}
            for name, p in self.scenarios.items()
        }

    def applied(self, scenario: str) -> list[str]:
        """The dimensions a scenario takes from the design: all but other levers' settings."""
        policy = set().union(*self.lever_groups.values())
        own = self.lever_groups[scenario]
        return [
            d.name
            for d in self.design.dimensions
            if specs()[d.name][1].group not in policy or specs()[d.name][1].group in own
        ]

    @cached_property
    def problem(self) -> dict[str, Any]:
        return {**salib_problem(list(self.design.dimensions)), "groups": self.groups}

    @cached_property
    def sample(self) -> np.ndarray:
        """SALib's grouped Morris design, as sampled (integers not yet rounded)."""
        sweep = self.design.design
        return morris_sample.sample(
            self.problem, sweep.samples, num_levels=sweep.levels, seed=self.design.seed
        )

    @cached_property
    def points(self) -> pd.DataFrame:
        """The design points as run: whole-number parameters rounded."""
        points = pd.DataFrame(self.sample, columns=self.problem["names"])
        for d in self.design.dimensions:
            if d.integer:
                points[d.name] = points[d.name].round().astype(np.int64)
        return points

    @cached_property
    def experiment(self) -> Experiment:
        """Every (scenario, point) as one comparison with shared seeds: what runs."""
        scenarios = {}
        for scenario, params in self.scenarios.items():
            names = self.applied(scenario)
            for point, values in enumerate(self.points[names].to_dict("records")):
                scenarios[run_scenario(scenario, point)] = _replace(self.path, params, values)
        first = next(iter(scenarios))
        return Experiment(
            path=self.path,
            name=self.design.name,
            description=self.design.description,
            seed=self.design.seed,
            replications=self.design.replications,
            scenarios=scenarios,
            reference=first,
            design=Compare(tuple(scenarios), first),
        )


def run_scenario(scenario: str, point: int) -> str:
    return f"{scenario}{POINTS_PER_SCENARIO}{point:04d}"


def _replace(path: Path, params: Parameters, values: dict[str, Any]) -> Parameters:
    try:
        return params.replace(**values)
    except ParameterError as exc:
        raise ConfigError(path, f"a design point is invalid: {exc}", "parameters") from None


def load_screening(path: Path) -> Screening:
    """Read a screening file; a ConfigError in one line for any mistake in it."""
    path = Path(path)
    design = load_experiment(path)
    if design.kind != "sweep" or METHODS.get(design.method or "") is not MORRIS:
        raise ConfigError(path, 'a screening must be a sweep with method = "morris"')
    table = read_toml(path).get("screening")
    if not isinstance(table, dict):
        raise ConfigError(
            path,
            'a screening needs a [screening] table: contrasts = "<comparison file>", '
            "levers = [...], alone = [...] and [screening.excluded]",
        )
    excluded = _excluded(path, table.get("excluded"), {d.name for d in design.dimensions})
    comparison = load_experiment(path.parent / str(table.get("contrasts", "")))
    levers = _names(path, table.get("levers", []), "levers", comparison.scenarios)
    alone = _names(path, table.get("alone", []), "alone", {d.name: 0 for d in design.dimensions})
    order = [comparison.reference, *(s for s in levers if s != comparison.reference)]
    return Screening(
        path=path,
        design=design,
        reference=comparison.reference,
        scenarios={name: comparison.scenarios[name] for name in order},
        alone=tuple(alone),
        excluded=excluded,
    )


def _excluded(path: Path, table: Any, screened: set[str]) -> dict[str, str]:
    """Parameters left out with their reasons; every parameter screened or excluded."""
    if not isinstance(table, dict):
        raise ConfigError(path, 'needs a [screening.excluded] table of parameter = "why"')
    for name, why in table.items():
        if name not in specs():
            hint = did_you_mean(name, specs())
            raise ConfigError(
                path, f"unknown parameter {name}{f'; {hint}' if hint else ''}", "screening.excluded"
            )
        if name in screened or not isinstance(why, str) or not why.strip():
            problem = "is also screened" if name in screened else "needs its reason as text"
            raise ConfigError(path, f"{name} {problem}", "screening.excluded")
    missing = [name for name in specs() if name not in screened and name not in table]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ConfigError(
            path,
            f"{missing[0]} is neither screened ([parameters]) nor excluded with a reason "
            f"([screening.excluded]){more}",
        )
    return dict(table)


def _names(path: Path, values: Any, key: str, known: dict[str, Any]) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(path, f"{key} must be a list of names", "screening")
    for value in values:
        if value not in known:
            hint = did_you_mean(value, known)
            raise ConfigError(
                path, f"{key}: unknown name {value}{f'; {hint}' if hint else ''}", "screening"
            )
    return list(values)


# ------------------------------------------------------------------ analysis
@dataclass(frozen=True)
class Screened:
    """A finished screening: Morris indices per output, and each lever's ΔS36 over the design."""

    indices: dict[str, pd.DataFrame]  # output label -> mu*, its interval, sigma, mu per group
    contrasts: pd.DataFrame  # per lever: ΔS36 mean, lowest, highest, share of points above 0


def screen(root: Path, screening: Screening) -> Screened:
    """The reference's levels, then ΔS36 per lever, each screened by group.

    Groups a scenario never applies (another lever's settings) are left out of its table.
    """
    frames = _by_scenario(root, screening)
    reference = frames[screening.reference]
    indices = {
        f"{output} ({screening.reference})": _indices(
            screening, reference[output], screening.reference
        )
        for output in DEFAULT_OUTPUTS
    }
    rows = []
    for lever in screening.levers:
        delta = 100.0 * (frames[lever][CONTRAST_OUTPUT] - reference[CONTRAST_OUTPUT])
        indices[f"ΔS36 {lever}"] = _indices(screening, delta, lever)
        by_point = delta.groupby(level="point").mean().dropna()  # S36 needs a partnership
        rows.append(
            {
                "lever": lever,
                "points": len(by_point),
                "mean": by_point.mean(),
                "lowest": by_point.min(),
                "highest": by_point.max(),
                "above_0": (by_point > 0).mean(),
            }
        )
    return Screened(indices, pd.DataFrame(rows))


def _by_scenario(root: Path, screening: Screening) -> dict[str, pd.DataFrame]:
    """Each scenario's outputs, one row per (point, replication), every one present."""
    runs = read_table(root, "runs", columns=["scenario", "replication", *DEFAULT_OUTPUTS])
    split = runs["scenario"].str.rsplit(POINTS_PER_SCENARIO, n=1, expand=True)
    runs = runs.assign(group=split[0], point=split[1].astype(int))
    expected = len(screening.points) * screening.design.replications
    frames = {}
    for scenario in screening.scenarios:
        own = runs.loc[runs["group"] == scenario].set_index(["point", "replication"])
        if len(own) != expected:
            raise SensitivityError(
                f"{scenario}: {len(own)} of its {expected} screening runs are done; run the "
                "same command again to complete them"
            )
        frames[scenario] = own.sort_index()[list(DEFAULT_OUTPUTS)]
    return frames


def _indices(screening: Screening, values: pd.Series, scenario: str) -> pd.DataFrame:
    """mu*, its interval and sigma per group, for the mean over replications at each point."""
    y = values.groupby(level="point").mean().sort_index().to_numpy()
    table = morris_indices(screening.problem, screening.sample, y, seed=screening.design.seed)
    applied = set(screening.applied(scenario))
    groups = {g for g, d in zip(screening.groups, screening.design.dimensions, strict=True)
              if d.name in applied}  # fmt: skip
    table = table.loc[table["group"].isin(groups)]
    return table.sort_values("mu_star", ascending=False).reset_index(drop=True)


def morris_indices(
    problem: dict[str, Any], sample: np.ndarray, y: np.ndarray, seed: int, resamples: int = 1000
) -> pd.DataFrame:
    """Grouped Morris indices from the elementary effects that are defined.

    An output can be undefined at a point (S36 where no partnership lived 36 months), and
    SALib's analysis then fails as a whole. Here a step with an undefined end is left out
    and the count of effects used is reported; mu*'s 95 % interval is a seeded bootstrap,
    as SALib computes it.
    """
    bounds = np.array(problem["bounds"], dtype=float)
    z = (sample - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    names = list(dict.fromkeys(problem["groups"]))
    group_of = np.array([names.index(g) for g in problem["groups"]])
    steps = len(names)
    effects: dict[str, list[float]] = {g: [] for g in names}
    for start in range(0, len(sample), steps + 1):
        for a in range(start, start + steps):
            moved = np.flatnonzero(np.abs(z[a + 1] - z[a]) > 1e-12)
            if len(moved) and np.isfinite(y[a]) and np.isfinite(y[a + 1]):
                delta = z[a + 1, moved[0]] - z[a, moved[0]]
                effects[names[group_of[moved[0]]]].append((y[a + 1] - y[a]) / delta)
    rng = np.random.default_rng(seed)
    rows = [_group_indices(g, np.array(effects[g]), rng, resamples) for g in names]
    return pd.DataFrame(rows, columns=["group", "mu_star", "mu_star_conf", "sigma", "effects"])


def _group_indices(
    group: str, ee: np.ndarray, rng: np.random.Generator, resamples: int
) -> list[Any]:
    if len(ee) == 0:
        return [group, np.nan, np.nan, np.nan, 0]
    boot = np.abs(ee)[rng.integers(0, len(ee), (resamples, len(ee)))].mean(axis=1)
    sigma = float(np.std(ee, ddof=1)) if len(ee) > 1 else np.nan
    return [group, float(np.abs(ee).mean()), 1.96 * float(boot.std(ddof=1)), sigma, len(ee)]


def members(screening: Screening) -> dict[str, list[str]]:
    """Each group's parameters, in the order of the dimensions."""
    result: dict[str, list[str]] = {}
    for group, d in zip(screening.groups, screening.design.dimensions, strict=True):
        result.setdefault(group, []).append(d.name)
    return result


def run_count(screening: Screening) -> int:
    return len(screening.scenarios) * len(screening.points) * screening.design.replications


# ------------------------------------------------------------------ the document
def screening_section(screening: Screening, folder: Path) -> list[str]:
    """Section 4 of docs/validation.md: the design, the groups, the contrasts, the indices."""
    screened = screen(folder, screening)
    sweep = screening.design.design
    groups = members(screening)
    lines = [
        "## 4. Sensitivity: grouped Morris screening of every parameter",
        "",
        f"Elementary effects (Morris 1991) of {len(screening.design.dimensions)} "
        f"parameters in {len(groups)} groups (a group moves as one: Campolongo, Cariboni & "
        f"Saltelli 2007), over the ranges `{screening.path.name}` justifies one by one: "
        f"{sweep.samples} trajectories on {sweep.levels} levels, {len(screening.points)} "
        f"points, each run in `{screening.reference}` and in every lever "
        f"({', '.join(f'`{lever}`' for lever in screening.levers)}) with the same seeds, "
        f"{plural(screening.design.replications, 'replication')} a point: "
        f"{run_count(screening)} runs. A lever's own settings move only in its "
        "scenario. mu* is the mean absolute effect of moving a group across its ranges, with "
        "its 95 % bootstrap interval; sigma (for single parameters) large against mu* means "
        "the effect depends on the other parameters. Levels are shares (0-1) or counts; "
        "ΔS36 is in points. S36 is undefined where no partnership lived 36 months; a step "
        "with an undefined end is left out, and *effects* counts the steps used (the design "
        "has one per trajectory and group).",
        "",
        "Left out, each with its reason: "
        + "; ".join(f"`{n}` ({why})" for n, why in screening.excluded.items())
        + ".",
        "",
        markdown_table(
            Table(
                ["group", "parameters"],
                [[g, ", ".join(f"`{n}`" for n in names)] for g, names in groups.items()],
            )
        ),
        "",
        "### ΔS36 of each lever over the design",
        "",
        markdown_table(_contrast_table(screened.contrasts)),
        "",
    ]
    for output, table in screened.indices.items():
        lines += [f"### {output}", "", markdown_table(_index_table(table)), ""]
    return lines


def _contrast_table(contrasts: pd.DataFrame) -> Table:
    rows = [
        [
            f"`{r.lever}`",
            str(r.points),
            number(r.mean, "+.1f"),
            number(r.lowest, "+.1f"),
            number(r.highest, "+.1f"),
            f"{r.above_0:.0%}",
        ]
        for r in contrasts.itertuples(index=False)
    ]
    header = ["lever", "points", "mean ΔS36 (points)", "lowest", "highest", "points above 0"]
    return Table(header, rows)


def _index_table(table: pd.DataFrame) -> Table:
    rows = [
        [
            r.group,
            number(r.mu_star, ".3g"),
            number(r.mu_star_conf, ".2g"),
            number(r.sigma, ".3g"),
            str(r.effects),
        ]
        for r in table.itertuples(index=False)
    ]
    return Table(["group", "mu*", "± (95 %)", "sigma", "effects"], rows)
