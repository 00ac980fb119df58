"""An ABC-SMC calibration file: the priors, the targets and the rules of the sampler.

A calibration file whose `[calibration]` table says `method = "abc-smc"` is read here,
not as a sweep: it has a base config, uniform priors over `[parameters]` ranges, the
validation experiment whose *calibration* targets make the distance, and the size of
the run (particles per generation, generations). `[predictive]` sets the posterior
predictive check of the held-out targets. Every mistake is a one-line ConfigError.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from clustersim.config import ConfigError, check_name, read_toml
from clustersim.experiment import validation
from clustersim.experiment.designs import Dimension
from clustersim.experiment.spec import (
    _integer,
    _load_relative,
    _string,
    _suggest,
    _with_months,
    known_parameter,
    range_dimension,
)
from clustersim.experiment.validation import TargetSplit, read_split
from clustersim.parameters import Parameters

METHOD = "abc-smc"
KEYS = ("name", "description", "seed", "replications", "months", "base", "calibration")
TABLES = ("parameters", "predictive")
CALIBRATION_KEYS = ("method", "targets", "population", "generations", "minimum_epsilon", "batch")
PREDICTIVE_KEYS = ("draws", "replications")


@dataclass(frozen=True)
class AbcPlan:
    """A validated ABC-SMC calibration file."""

    path: Path
    name: str
    description: str
    seed: int
    replications: int  # model runs per particle, averaged before the distance
    base: Parameters
    base_file: Path  # the base config, resolved: the predictive check's reference scenario
    months: int | None  # the file's horizon override, if any
    priors: tuple[Dimension, ...]  # uniform over [low, high]; integers over whole numbers
    split: TargetSplit
    population: int  # accepted particles per generation
    generations: int
    minimum_epsilon: float  # stop earlier once the threshold is this low
    batch: int  # particles per task sent to a worker
    draws: int  # posterior predictive check: worlds drawn from the posterior (0: none)
    draw_replications: int

    @cached_property
    def sha256(self) -> str:
        """Hash of everything that decides the posterior, not of the file's wording: the
        settings, the fitted targets whole, and the code that measures their statistics
        (clustersim/experiment/validation.py, which the model's fingerprint leaves out)."""
        plan = {
            "seed": self.seed,
            "replications": self.replications,
            "base": self.base.as_dict(),
            "priors": [d.__dict__ for d in self.priors],
            "fitted": [asdict(t) for t in self.split.fitted],  # ranges and scales too
            "statistics": hashlib.sha256(Path(validation.__file__).read_bytes()).hexdigest(),
            "population": self.population,
            "generations": self.generations,
            "minimum_epsilon": self.minimum_epsilon,
        }
        text = json.dumps(plan, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def settings(self) -> dict[str, Any]:
        """The rules as abc.json records them."""
        return {
            "experiment": str(self.path),
            "targets": str(self.split.path),
            "fitted": [t.statistic for t in self.split.fitted],
            "seed": self.seed,
            "replications_per_particle": self.replications,
            "population": self.population,
            "generations": self.generations,
            "minimum_epsilon": self.minimum_epsilon,
            "batch": self.batch,
            "priors": {d.name: [d.low, d.high] for d in self.priors},
            "integer": [d.name for d in self.priors if d.integer],
            "predictive_draws": self.draws,
            "predictive_replications": self.draw_replications,
        }


def is_abc(path: Path) -> bool:
    """Whether a calibration file asks for ABC-SMC (False for any file that cannot say)."""
    try:
        table = read_toml(Path(path)).get("calibration")
    except ConfigError:
        return False
    return isinstance(table, dict) and table.get("method") == METHOD


def read_abc_plan(path: Path) -> AbcPlan:
    """Read and check an ABC-SMC calibration file; a ConfigError in one line otherwise."""
    path = Path(path)
    doc = read_toml(path)
    for key in doc:
        if key not in KEYS + TABLES and key != "kind":
            raise ConfigError(path, f"unknown key {key}{_suggest(key, KEYS + TABLES)}")
    if "base" not in doc:
        raise ConfigError(path, 'an ABC calibration needs base = "<config file>"')
    base = _with_months(path, _load_relative(path, doc["base"], "base"), doc.get("months"))
    calibration = _table(path, doc, "calibration", CALIBRATION_KEYS)
    predictive = _table(path, doc, "predictive", PREDICTIVE_KEYS)
    if not isinstance(calibration.get("targets"), str):
        raise ConfigError(
            path,
            'needs targets = "<validation experiment>" (its [targets.calibration])',
            "calibration",
        )
    return AbcPlan(
        path=path,
        name=check_name(path, _string(path, doc, "name", default=path.stem)),
        description=_string(path, doc, "description", default=""),
        seed=_integer(path, doc, "seed", low=0, required=True),
        replications=_integer(path, doc, "replications", low=1, required=False) or 1,
        base=base,
        base_file=(path.parent / doc["base"]).resolve(),
        months=base.months if "months" in doc else None,
        priors=_priors(path, doc.get("parameters"), base),
        split=read_split(path.parent / calibration["targets"]),
        population=_whole(path, calibration, "population", 2, 100_000, "calibration"),
        generations=_whole(path, calibration, "generations", 1, 100, "calibration"),
        minimum_epsilon=_epsilon(path, calibration.get("minimum_epsilon", 0.0)),
        batch=_whole(path, calibration, "batch", 1, 1000, "calibration", default=1),
        draws=_whole(path, predictive, "draws", 0, 10_000, "predictive", default=0),
        draw_replications=_whole(path, predictive, "replications", 1, 1000, "predictive", 1),
    )


def _table(path: Path, doc: dict, name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    table = doc.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(path, f"{name} must be a table", name)
    for key in table:
        if key not in keys:
            raise ConfigError(path, f"unknown key {key}{_suggest(key, keys)}", name)
    return table


def _whole(
    path: Path, table: dict, key: str, least: int, most: int, group: str, default: int | None = None
) -> int:
    if key not in table and default is not None:
        return default
    value = _integer(path, table, key, low=least, required=True, group=group)
    if value > most:
        raise ConfigError(path, f"{key} must be at most {most}, got {value}", group)
    return value


def _epsilon(path: Path, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            path, f"minimum_epsilon must be a number >= 0, got {value!r}", "calibration"
        )
    return float(value)


def _priors(path: Path, table: Any, base: Parameters) -> tuple[Dimension, ...]:
    """The `[parameters]` ranges: known, numeric, not switches, low below high."""
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, "needs a [parameters] table: name = { low = .., high = .. }")
    priors = []
    for name, value in table.items():
        known_parameter(path, name)
        priors.append(range_dimension(path, name, value, base, "for a uniform prior"))
    return tuple(priors)
