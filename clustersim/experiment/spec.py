"""Experiment files: what to run, how often, and with which seeds.

Two kinds, both TOML:

* `kind = "compare"`: named scenarios (config files) x replications. Replication k
  of every scenario uses the same seed (common random numbers), so differences
  between scenarios are the policy's, not the dice's.
* `kind = "sweep"`: one base config, a `[design]` (grid, lhs, sobol, morris) over
  `[parameters]`, x replications per design point, again with common seeds.
* `kind = "robustness"`: named scenarios x plausible worlds x replications. Each world
  (a design point) is one draw, resampled by weight, from a calibration's posterior
  (`posterior.parquet`); its values replace those parameters in every scenario.
  Replication r of a world has one seed in every scenario (common random numbers
  within a world) and the seeds differ between worlds, so the spread of an effect over
  worlds is the uncertainty about the world, not one set of dice replayed.

Mistakes end in the same one-line `ConfigError` as config files.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clustersim.config import (
    ConfigError,
    LoadedConfig,
    check_name,
    did_you_mean,
    load_config,
    read_toml,
)
from clustersim.experiment import designs
from clustersim.experiment.designs import Dimension
from clustersim.formatting import plural
from clustersim.parameters import ParameterError, Parameters, check_integer, check_value, specs

COMMON_KEYS = ("name", "description", "kind", "seed", "replications", "months")
DESIGN_KEYS = ("method", "samples", "levels")
# Tables the engine ignores and the commands that read them check: a validation's target
# split (validate-model, calibrate), a calibration's rounds (calibrate) and a screening's
# policy contrasts (validate-model --screening). See clustersim.experiment.validation.
COMMAND_TABLES = {
    "compare": ("targets",),
    "sweep": ("calibration", "screening"),
    "robustness": (),
}
POSTERIOR_FILE = "posterior.parquet"  # what a calibration's posterior folder holds
WEIGHT = "weight"  # its column of particle weights; every other column is a parameter
# The resampling of worlds draws from a stream of its own, apart from the runs' seeds.
RESAMPLE_STREAM = 0x776F726C64  # "world"


@dataclass(frozen=True)
class RunSpec:
    """One model run: a deterministic id, where it sits in the design, its seed and parameters."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int
    parameters: dict[str, Any]


def spawned_seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    """`n` independent 32-bit seeds spawned from `sequence`."""
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in sequence.spawn(n)]


class SharedSeeds:
    """Replication k has one seed in every scenario and at every design point."""

    def seeds(self, root: int, points: int, replications: int) -> list[list[int]]:
        """Per design point, one seed per replication: the same list at every point."""
        return [spawned_seeds(np.random.SeedSequence(root), replications)] * points

    def fingerprint(self) -> dict[str, Any]:
        """What determines the results beyond scenarios, points and seeds: nothing."""
        return {}

    def seeding(self, manifest: dict[str, Any]) -> str:
        """The report's line on seeds."""
        seeds = manifest.get("replication_seeds", [])
        shown = ", ".join(str(s) for s in seeds[:10]) + (", ..." if len(seeds) > 10 else "")
        return (
            f"root seed {manifest.get('root_seed')}; replication seeds {shown} "
            "(replication k uses the same seed in every group: common random numbers)"
        )


@dataclass(frozen=True)
class Compare(SharedSeeds):
    """Named scenarios against a reference: one design point per scenario."""

    scenarios: tuple[str, ...]
    reference: str
    kind: ClassVar[str] = "compare"
    keys: ClassVar[tuple[str, ...]] = ("scenarios", "reference")

    def points(self, seed: int) -> pd.DataFrame:
        """A comparison has one empty point: the scenarios are its groups."""
        return pd.DataFrame(index=[0])

    def run_id(self, scenario: str, point: int, replication: int) -> str:
        return f"{scenario}-r{replication:03d}"

    def describe(self) -> dict[str, Any]:
        """The design's own fields of the manifest."""
        return _scenarios_described(self.kind, self.scenarios, self.reference)

    @classmethod
    def from_manifest(cls, design: dict[str, Any]) -> Compare:
        return cls(tuple(design["scenarios"]), design["reference"])

    def shape(self, points: int) -> str:
        """How many groups the design has, for the report's headline."""
        return plural(len(self.scenarios), "scenario")

    def summary(self, points: int) -> str:
        """One line saying what the design is, for the report's provenance."""
        return (
            f"comparison of {len(self.scenarios)} scenarios "
            f"({', '.join(self.scenarios)}) against the reference `{self.reference}`"
        )

    def report(self, manifest: dict, runs: pd.DataFrame, parts: pd.DataFrame) -> Any:
        """The comparison's report sections (see `clustersim.experiment.report`)."""
        from clustersim.experiment.report import compare_sections

        return compare_sections(self, runs, parts)


def _scenarios_described(kind: str, scenarios: tuple[str, ...], reference: str) -> dict:
    """The manifest fields of a design whose groups are named scenarios (no swept ranges)."""
    return {
        "kind": kind,
        "method": None,
        "scenarios": list(scenarios),
        "reference": reference,
        "dimensions": [],
        "samples": 0,
        "levels": 0,
    }


@dataclass(frozen=True)
class Sweep(SharedSeeds):
    """A design (grid, lhs, sobol, morris) over parameters around one base config."""

    method: str
    dimensions: tuple[Dimension, ...]
    samples: int = 0
    levels: int = 0
    kind: ClassVar[str] = "sweep"
    keys: ClassVar[tuple[str, ...]] = ("base", "design", "parameters")

    @property
    def sampling(self) -> designs.Method:
        """The registered design method: its sampler, point count and analyser."""
        return designs.METHODS[self.method]

    def points(self, seed: int) -> pd.DataFrame:
        return self.sampling.sample(list(self.dimensions), self.samples, self.levels, seed)

    def run_id(self, scenario: str, point: int, replication: int) -> str:
        return f"p{point:05d}-r{replication:03d}"

    def describe(self) -> dict[str, Any]:
        """The design's own fields of the manifest."""
        return {
            "kind": self.kind,
            "method": self.method,
            "scenarios": ["sweep"],
            "reference": "sweep",
            "dimensions": [d.__dict__ for d in self.dimensions],
            "samples": self.samples,
            "levels": self.levels,
        }

    @classmethod
    def from_manifest(cls, design: dict[str, Any]) -> Sweep:
        dims = tuple(Dimension(**d) for d in design["dimensions"])
        return cls(design["method"], dims, design.get("samples", 0), design.get("levels", 0))

    def shape(self, points: int) -> str:
        return plural(points, "design point")

    def summary(self, points: int) -> str:
        dims = ", ".join(_dimension_text(d) for d in self.dimensions)
        return f"sweep, {self.method} design over {dims}: {points} points"

    def report(self, manifest: dict, runs: pd.DataFrame, parts: pd.DataFrame) -> Any:
        """The sweep's report sections (see `clustersim.experiment.report`)."""
        from clustersim.experiment.report import sweep_sections

        return sweep_sections(self, manifest, runs, parts)


@dataclass(frozen=True)
class Robustness:
    """Named scenarios against a reference across worlds drawn from a posterior.

    A world is one draw: a particle of the posterior, resampled by weight. The drawn
    values are held here (not the posterior), so the results folder's manifest alone
    describes the design even after the posterior has moved or changed.
    """

    scenarios: tuple[str, ...]
    reference: str
    posterior: str  # the posterior folder, resolved
    posterior_sha256: str  # of its posterior.parquet: results are of that posterior
    parameters: tuple[str, ...]  # the posterior's parameters, the columns of every world
    worlds: tuple[tuple[Any, ...], ...]  # one row of values per draw
    particles: tuple[int, ...]  # the posterior row each draw took
    kind: ClassVar[str] = "robustness"
    keys: ClassVar[tuple[str, ...]] = ("scenarios", "reference", "posterior", "draws")

    @property
    def draws(self) -> int:
        return len(self.worlds)

    def points(self, seed: int) -> pd.DataFrame:
        """One design point per world: the posterior's values that replace the scenarios'."""
        return pd.DataFrame([list(w) for w in self.worlds], columns=list(self.parameters))

    def run_id(self, scenario: str, point: int, replication: int) -> str:
        return f"{scenario}-d{point:04d}-r{replication:03d}"

    def seeds(self, root: int, points: int, replications: int) -> list[list[int]]:
        """Per world, one seed per replication: shared by the scenarios, new for each world."""
        worlds = np.random.SeedSequence(root).spawn(points)
        return [spawned_seeds(world, replications) for world in worlds]

    def fingerprint(self) -> dict[str, Any]:
        """The posterior and the particles drawn from it also determine the results."""
        return {"posterior_sha256": self.posterior_sha256, "particles": list(self.particles)}

    def seeding(self, manifest: dict[str, Any]) -> str:
        """The report's line on seeds."""
        return (
            f"root seed {manifest.get('root_seed')}; replication r of a world has one seed, "
            "shared by every scenario (common random numbers within a world), spawned per "
            "world and replication from the root seed, so seeds differ between worlds "
            "(each run's seed is in manifest.json)"
        )

    def describe(self) -> dict[str, Any]:
        """The design's own fields of the manifest, with the worlds drawn."""
        return {
            **_scenarios_described(self.kind, self.scenarios, self.reference),
            "posterior": self.posterior,
            "posterior_sha256": self.posterior_sha256,
            "parameters": list(self.parameters),
            "worlds": [list(w) for w in self.worlds],
            "particles": list(self.particles),
        }

    @classmethod
    def from_manifest(cls, design: dict[str, Any]) -> Robustness:
        return cls(
            tuple(design["scenarios"]),
            design["reference"],
            design["posterior"],
            design["posterior_sha256"],
            tuple(design["parameters"]),
            tuple(tuple(w) for w in design["worlds"]),
            tuple(design["particles"]),
        )

    def shape(self, points: int) -> str:
        return f"{plural(len(self.scenarios), 'scenario')} x {plural(points, 'world')}"

    def summary(self, points: int) -> str:
        return (
            f"robustness of {len(self.scenarios)} scenarios ({', '.join(self.scenarios)}) "
            f"against the reference `{self.reference}` across {plural(points, 'world')} "
            f"drawn by weight from the posterior in `{self.posterior}` "
            f"(parameters {', '.join(self.parameters)})"
        )

    def report(self, manifest: dict, runs: pd.DataFrame, parts: pd.DataFrame) -> Any:
        """The robustness report's sections (see `clustersim.experiment.robustness_report`)."""
        from clustersim.experiment.robustness_report import robustness_sections

        return robustness_sections(self, manifest, runs)


Design = Compare | Sweep | Robustness
KINDS: dict[str, type[Compare] | type[Sweep] | type[Robustness]] = {
    "compare": Compare,
    "sweep": Sweep,
    "robustness": Robustness,
}


def design_of(manifest: dict[str, Any]) -> Design:
    """The design a results folder's manifest describes, as its type."""
    design = manifest["design"]
    return KINDS[design["kind"]].from_manifest(design)


def _dimension_text(d: Dimension) -> str:
    if d.values:
        return f"{d.name} in {{{', '.join(str(v) for v in d.values)}}}"
    return f"{d.name} in [{d.low}, {d.high}]"


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file, resolved into scenarios and its design."""

    path: Path
    name: str
    description: str
    seed: int
    replications: int
    scenarios: dict[str, Parameters]  # compare, robustness: one per scenario; sweep: the base
    reference: str  # the scenario others are tested against
    design: Design

    @property
    def kind(self) -> str:
        return self.design.kind

    @property
    def method(self) -> str | None:
        return getattr(self.design, "method", None)

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return getattr(self.design, "dimensions", ())

    @cached_property
    def points(self) -> pd.DataFrame:
        """Design points of a sweep (one empty point for a comparison)."""
        return self.design.points(self.seed)

    @cached_property
    def replication_seeds(self) -> list[int]:
        """One seed per replication spawned from the root seed (a compare's and a sweep's)."""
        return spawned_seeds(np.random.SeedSequence(self.seed), self.replications)

    @cached_property
    def point_seeds(self) -> list[list[int]]:
        """Per design point, one seed per replication, shared by every scenario."""
        return self.design.seeds(self.seed, len(self.points), self.replications)

    def runs(self) -> list[RunSpec]:
        """Every run of the experiment, in a fixed order with deterministic ids."""
        runs = []
        records = self.points.to_dict("records")
        for scenario, base in self.scenarios.items():
            for point, values in enumerate(records):
                params = base.replace(**values).as_dict() if values else base.as_dict()
                for rep, seed in enumerate(self.point_seeds[point]):
                    run_id = self.design.run_id(scenario, point, rep)
                    runs.append(RunSpec(run_id, scenario, point, rep, seed, params))
        return runs

    @cached_property
    def sha256(self) -> str:
        """Hash of everything that determines the results, not of the file's wording."""
        plan = {
            "kind": self.kind,
            "seeds": self.replication_seeds,
            "scenarios": {k: v.as_dict() for k, v in self.scenarios.items()},
            "points": self.points.to_dict("records"),
            **self.design.fingerprint(),
        }
        text = json.dumps(plan, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        """The design as stored in the manifest."""
        design = self.design.describe()
        return {
            "kind": design["kind"],
            "method": design["method"],
            "replications": self.replications,
            "scenarios": list(self.scenarios),
            "reference": self.reference,
            "dimensions": design["dimensions"],
            "samples": design["samples"],
            "levels": design["levels"],
            "points": len(self.points),
            "runs": len(self.points) * len(self.scenarios) * self.replications,
            **{key: value for key, value in design.items() if key not in DESCRIBED},
        }


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raise ConfigError with one line on any mistake."""
    path = Path(path)
    if not path.exists():  # the config reader's message speaks of a base file
        raise ConfigError(path, "no such experiment file; check the path")
    doc = read_toml(path)
    kind = doc.get("kind")
    if kind not in KINDS:
        raise ConfigError(path, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    allowed = COMMON_KEYS + KINDS[kind].keys + COMMAND_TABLES[kind]
    for key in doc:
        if key not in allowed:
            raise ConfigError(path, f"unknown key {key}{_suggest(key, allowed)} for a {kind}")
    seed = _integer(path, doc, "seed", low=0, required=True)
    replications = _integer(path, doc, "replications", low=1, required=True)
    months = doc.get("months")
    common = {
        "path": path,
        "name": check_name(path, _string(path, doc, "name", default=path.stem)),
        "description": _string(path, doc, "description", default=""),
        "seed": seed,
        "replications": replications,
    }
    read = {"compare": _compare, "sweep": _sweep, "robustness": _robustness}[kind]
    return read(path, doc, months, common)


def _compare(path: Path, doc: dict, months: Any, common: dict) -> Experiment:
    scenarios = _scenarios(path, doc, months, "compare")
    _check_size(path, len(scenarios), "scenarios", common["replications"])
    reference = _reference(path, doc, scenarios)
    design = Compare(tuple(scenarios), reference)
    return Experiment(**common, scenarios=scenarios, reference=reference, design=design)


def _reference(path: Path, doc: dict, scenarios: dict[str, Parameters]) -> str:
    """The scenario others are compared with: the file's `reference`, else the first."""
    reference = _string(path, doc, "reference", default=next(iter(scenarios)))
    if reference not in scenarios:
        raise ConfigError(
            path,
            f"reference {reference!r} is not one of the scenarios ({', '.join(scenarios)})",
        )
    return reference


def _robustness(path: Path, doc: dict, months: Any, common: dict) -> Experiment:
    scenarios = _scenarios(path, doc, months, "robustness")
    reference = _reference(path, doc, scenarios)
    draws = _integer(path, doc, "draws", low=1, required=True)
    _check_size(path, len(scenarios) * draws, "scenario-worlds", common["replications"])
    folder, weights, columns = _posterior(path, doc)
    particles = resample(weights, draws, common["seed"])
    parameters = tuple(columns)
    worlds = tuple(tuple(columns[name][i] for name in parameters) for i in particles)
    design = Robustness(
        tuple(scenarios),
        reference,
        str(folder),
        _file_sha256(folder / POSTERIOR_FILE),
        parameters,
        worlds,
        tuple(int(i) for i in particles),
    )
    for d, world in enumerate(worlds):
        values = dict(zip(parameters, world, strict=True))
        for name, base in scenarios.items():
            try:
                base.replace(**values)
            except ParameterError as exc:
                raise ConfigError(
                    path,
                    f"world {d} (posterior particle {particles[d]}) is invalid in scenario "
                    f"{name}: {exc}",
                    "posterior",
                ) from None
    return Experiment(**common, scenarios=scenarios, reference=reference, design=design)


def resample(weights: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """`draws` particle indices drawn with replacement in proportion to `weights`.

    Deterministic for a seed, from a generator of its own: the same experiment draws
    the same worlds. A particle of weight 0 is never drawn.
    """
    rng = np.random.default_rng([RESAMPLE_STREAM, seed])
    return rng.choice(len(weights), size=draws, replace=True, p=weights / weights.sum())


def _posterior(path: Path, doc: dict) -> tuple[Path, np.ndarray, dict[str, list[Any]]]:
    """The posterior folder the file names, its particles' weights and their values by
    parameter, each value checked and of the parameter's type."""
    if "posterior" not in doc:
        raise ConfigError(
            path, 'a robustness experiment needs posterior = "<folder with posterior.parquet>"'
        )
    named = _string(path, doc, "posterior", default="")
    folder = (path.parent / named).resolve()
    file = folder / POSTERIOR_FILE
    if not file.is_file():
        raise ConfigError(
            path,
            f"posterior = {named!r}: no {POSTERIOR_FILE} in {folder}; give the folder a "
            "calibration wrote (relative to the experiment file)",
        )
    try:
        frame = pd.read_parquet(file)
    except (OSError, ValueError) as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(path, f"posterior {file}: cannot be read ({why})") from None
    return folder, _weights(path, file, frame), _particles(path, file, frame)


def _weights(path: Path, file: Path, frame: pd.DataFrame) -> np.ndarray:
    """The particles' weights; refused unless finite, >= 0 and not all 0."""
    if WEIGHT not in frame.columns:
        raise ConfigError(path, f"posterior {file}: has no {WEIGHT} column (particle weights)")
    weights = pd.to_numeric(frame[WEIGHT], errors="coerce").to_numpy(dtype=float)
    if len(frame) == 0 or not np.isfinite(weights).all() or (weights < 0).any():
        raise ConfigError(
            path, f"posterior {file}: needs particles with finite weights >= 0, one per row"
        )
    if weights.sum() <= 0:
        raise ConfigError(path, f"posterior {file}: every weight is 0; no particle can be drawn")
    return weights


def _particles(path: Path, file: Path, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Each parameter column's values, checked; a column or value no parameter takes is refused."""
    known = specs()
    parameters = [c for c in frame.columns if c != WEIGHT]
    if not parameters:
        raise ConfigError(path, f"posterior {file}: has no parameter column besides {WEIGHT}")
    for name in parameters:
        if name not in known:
            raise ConfigError(
                path,
                f"posterior {file}: column {name!r} is not a parameter"
                f"{_suggest(str(name), list(known))}",
            )
    return {name: _column(path, file, name, frame[name].tolist()) for name in parameters}


def _column(path: Path, file: Path, name: str, values: list[Any]) -> list[Any]:
    checked = []
    for row, value in enumerate(values):
        try:
            checked.append(check_value(name, value))
        except ParameterError as exc:
            raise ConfigError(path, f"posterior {file}: particle {row}: {exc}") from None
    return checked


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sweep(path: Path, doc: dict, months: Any, common: dict) -> Experiment:
    if "base" not in doc:
        raise ConfigError(path, 'a sweep needs base = "<config file>" to sweep around')
    base = _with_months(path, _load_relative(path, doc["base"], "base"), months)
    design = doc.get("design")
    if not isinstance(design, dict):
        raise ConfigError(
            path, f"a sweep needs a [design] table with method = {' | '.join(designs.METHODS)}"
        )
    for key in design:
        if key not in DESIGN_KEYS:
            raise ConfigError(path, f"unknown key {key}{_suggest(key, DESIGN_KEYS)}", "design")
    method = _method(path, design)
    samples, levels = _design_sizes(path, design, method)
    dims = _dimensions(path, doc.get("parameters"), method, base)
    _refuse_switched_off(path, [d.name for d in dims], base)
    if len(dims) < method.min_dimensions:
        raise ConfigError(
            path,
            f"a {method.name} design needs at least {method.min_dimensions} parameters",
            "parameters",
        )
    sizes = [len(d.values or ()) for d in dims]
    _check_size(
        path, method.points(len(dims), samples, sizes), "design points", common["replications"]
    )
    sweep = Sweep(method.name, tuple(dims), samples, levels)
    experiment = Experiment(**common, scenarios={"sweep": base}, reference="sweep", design=sweep)
    for values in experiment.points.to_dict("records"):
        try:
            base.replace(**values)
        except ParameterError as exc:
            raise ConfigError(path, f"a design point is invalid: {exc}", "parameters") from None
    return experiment


def _method(path: Path, design: dict) -> designs.Method:
    """The design method the [design] table names, from the registry."""
    method = design.get("method")
    if method not in designs.METHODS:
        raise ConfigError(
            path, f"method must be one of {', '.join(designs.METHODS)}, got {method!r}", "design"
        )
    return designs.METHODS[method]


def _design_sizes(path: Path, design: dict, method: designs.Method) -> tuple[int, int]:
    """Samples and levels of the design, each checked against what the method needs."""
    samples = _integer(
        path, design, "samples", low=1, required=method.needs_samples, group="design"
    )
    levels = _integer(path, design, "levels", low=2, required=method.needs_levels, group="design")
    if method.samples_power_of_two and samples & (samples - 1):
        raise ConfigError(
            path,
            f"samples = {samples} must be a power of 2 for a {method.name.capitalize()} design "
            "(e.g. 8, 16, 64)",
            "design",
        )
    return samples or 0, levels or 0


def _refuse_switched_off(path: Path, swept: list[str], base: Parameters) -> None:
    """A lever's setting swept while the lever's switch is off in the base does nothing.

    Its indices would come out as zero, which reads as "does not matter" rather than
    "was never on". A switch shares its name with its group (`quick_win`, `matchmaking`).
    """
    for name in swept:
        switch = specs()[name][1].group
        off = switch in specs() and switch not in swept and getattr(base, switch) is False
        if switch != name and off:
            raise ConfigError(
                path,
                f"{name} has no effect while {switch} is off in the base config; "
                f"switch {switch} on there, or sweep {switch} too",
                "parameters",
            )


def _dimensions(
    path: Path, table: Any, method: designs.Method, base: Parameters
) -> list[Dimension]:
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, "a sweep needs a [parameters] table of parameters to vary")
    dims = []
    for name, value in table.items():
        known_parameter(path, name)
        if method.ranged:
            dims.append(range_dimension(path, name, value, base, f"for a {method.name} design"))
            continue
        if not isinstance(value, list) or not value:
            raise ConfigError(
                path, f"{name} must be a non-empty list of values for a grid", "parameters"
            )
        dims.append(Dimension(name, values=tuple(_check(path, name, v) for v in value)))
    return dims


def known_parameter(path: Path, name: str) -> None:
    """Refuse, in one line with a suggestion, a `[parameters]` key that is no parameter."""
    if name not in specs():
        raise ConfigError(
            path, f"unknown parameter {name}{_suggest(name, list(specs()))}", "parameters"
        )


def range_dimension(path: Path, name: str, value: Any, base: Parameters, what: str) -> Dimension:
    """A `name = { low = .., high = .. }` entry of a number parameter, checked: a sweep's
    range and a calibration's uniform prior are read by the same rules."""
    current = getattr(base, name)
    if isinstance(current, bool):
        raise ConfigError(path, f"{name} is a switch; sweep it with a grid design", "parameters")
    if not isinstance(current, int | float):
        raise ConfigError(path, f"{name} is not a number; it cannot have a range", "parameters")
    if not isinstance(value, dict) or set(value) != {"low", "high"}:
        raise ConfigError(
            path, f"{name} must be a range {{ low = ..., high = ... }} {what}", "parameters"
        )
    low, high = _check(path, name, value["low"]), _check(path, name, value["high"])
    if not low < high:
        raise ConfigError(path, f"{name}: low ({low}) must be below high ({high})", "parameters")
    return Dimension(name, low=float(low), high=float(high), integer=type(current) is int)


# A scenario name becomes a folder (scenario=NAME) of the hive-partitioned dataset, read
# back with its type guessed: "01" would come back as 1, and "/" or "=" break the path.
SCENARIO_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _scenarios(path: Path, doc: dict, months: Any, kind: str) -> dict[str, Parameters]:
    table = doc.get("scenarios")
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, f'a {kind} needs a [scenarios] table: name = "config.toml"')
    for name in table:
        if not SCENARIO_NAME.fullmatch(name):
            raise ConfigError(
                path,
                f"scenario name {name!r} must start with a letter and hold only letters, "
                "digits, _ and -",
                "scenarios",
            )
    return {
        name: _with_months(path, _load_relative(path, file, f"scenarios.{name}"), months)
        for name, file in table.items()
    }


def _load_relative(path: Path, file: Any, key: str) -> LoadedConfig:
    if not isinstance(file, str):
        raise ConfigError(path, f"{key} must be a path to a config file, got {file!r}")
    target = (path.parent / file).resolve()
    if not target.is_file():
        raise ConfigError(
            path,
            f"{key} = {file!r}: no such config file; check the path "
            "(relative to the experiment file)",
        )
    return load_config(target)


def _with_months(path: Path, config: LoadedConfig, months: Any) -> Parameters:
    if months is None:
        return config.parameters
    return config.parameters.replace(months=_check(path, "months", months))


def _check(path: Path, name: str, value: Any) -> Any:
    try:
        return check_value(name, value)
    except ParameterError as exc:
        raise ConfigError(path, str(exc)) from None


# The fields every design describes; a design's others (a posterior's) follow them.
DESCRIBED = ("kind", "method", "scenarios", "reference", "dimensions", "samples", "levels")

MAX_RUNS = 100_000  # about a day of work on a laptop; the design alone must fit in memory


def _check_size(path: Path, units: int, what: str, replications: int) -> None:
    """Refuse, before anything is generated, an experiment too large to run or even hold."""
    runs = units * replications
    if runs > MAX_RUNS:
        raise ConfigError(
            path,
            f"{units:,} {what} x {replications:,} replications = {runs:,} runs, more than the "
            f"{MAX_RUNS:,} one experiment may hold (at about a second a run, days of work); "
            "lower samples, levels or replications, or split the experiment",
        )


def _integer(
    path: Path, doc: dict, key: str, *, low: int, required: bool, group: str | None = None
) -> int | None:
    if key not in doc:
        if required:
            raise ConfigError(path, f"missing {key} = <whole number>", group)
        return None
    try:
        return check_integer(key, doc[key], low)
    except ParameterError as exc:
        raise ConfigError(path, str(exc), group) from None


def _string(path: Path, doc: dict, key: str, default: str) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(path, f"{key} must be a string, got {value!r}")
    return value


def _suggest(word: str, choices: Iterable[str]) -> str:
    hint = did_you_mean(word, choices)
    return f"; {hint}" if hint else ""
