"""ABC-SMC calibration with pyabc: a posterior of the free parameters, not one choice.

`clustersim calibrate FILE` on a file with `method = "abc-smc"` (see abc_plan.py) runs
pyabc's sequential Monte Carlo (Toni et al. 2009; Beaumont et al. 2009) over uniform
priors. A particle's distance is the one the LHS procedure ranks by (calibration.py):
each fitted target's miss (how far the statistic lies outside the target's range, in
the target's scale), root of the summed squares, on the mean over the particle's
replications. The threshold of each generation is the median distance of the last
(pyabc's MedianEpsilon); generation 0 accepts every prior draw, so no separate
calibration sample is spent.

Particles run through the experiment engine (abc_sampler.EngineSampler), each with
a seed of its own: the posterior is the same bit for bit whatever the workers. pyabc's
history database (OUT/abc.db) keeps every finished generation; running the same
command again continues from the last one (a generation cut short is redone from its
start, with the same seeds, so the result equals an uninterrupted run's).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.storage.history import database_exists
from sqlalchemy.exc import SQLAlchemyError

from clustersim.experiment.abc_plan import AbcPlan
from clustersim.experiment.abc_sampler import EngineSampler, interrupt_deferred, model_seed
from clustersim.experiment.engine import Engine
from clustersim.experiment.store import StoreError
from clustersim.experiment.validation import TARGETS, Target, pattern_statistics
from clustersim.parameters import ParameterError, Parameters
from clustersim.provenance import model_sha256
from clustersim.run import simulate

DATABASE = "abc.db"
STATE = "abc-state.json"  # what made the folder, and whether the sampling has finished


@dataclass(frozen=True)
class ParticleModel:
    """pyabc's model: a particle's values -> every pattern statistic, mean over replications.

    Plain data, so cloudpickle sends it to any worker; the seed is the particle's own.
    A particle that breaks a rule between parameters (say, a quick-win deadline before
    its earliest month) is not run: its statistics are undefined, so every miss is the
    largest (UNDEFINED_MISS) and no generation after the first keeps it. The prior is,
    in effect, truncated to the combinations the model accepts.
    """

    base: dict[str, Any]
    integers: tuple[str, ...]
    replications: int

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        try:
            params = Parameters(**{**self.base, **particle_values(values, self.integers)})
        except ParameterError:  # the prior box holds a combination the rules refuse
            return {t.statistic: float("nan") for t in TARGETS}  # every miss undefined
        seeds = np.random.SeedSequence(model_seed()).generate_state(self.replications)
        runs = [pattern_statistics(simulate(params, int(s)), params, int(s)) for s in seeds]
        return pd.DataFrame(runs).mean().to_dict()  # NaN-skipping, as point_distances


@dataclass(frozen=True)
class TargetDistance:
    """pyabc's distance: `target_distance` to these targets (x_0 is unused: the ranges are)."""

    targets: tuple[Target, ...]

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:
        return target_distance(x, self.targets)


def target_distance(means: dict[str, float], targets: tuple[Target, ...]) -> float:
    """The calibration distance of one point's mean statistics (as calibration.point_distances)."""
    return float(np.sqrt(sum(t.miss(means[t.statistic]) ** 2 for t in targets)))


def particle_values(values: dict[str, float], integers: tuple[str, ...]) -> dict[str, Any]:
    """A particle's values as Parameters take them: integer parameters rounded.

    An integer's prior is uniform over [low - 0.5, high + 0.5], so rounding gives each
    whole number from low to high the same prior mass.
    """
    return {k: round(v) if k in integers else float(v) for k, v in values.items()}


def prior(plan: AbcPlan) -> pyabc.Distribution:
    """Uniform priors over the plan's ranges (widened by half a unit for integers)."""
    rvs = {}
    for d in plan.priors:
        pad = 0.5 if d.integer else 0.0
        rvs[d.name] = pyabc.RV("uniform", d.low - pad, d.high - d.low + 2 * pad)
    return pyabc.Distribution(**rvs)


def make_abc(plan: AbcPlan, engine: Engine, initial_epsilon: float | str) -> pyabc.ABCSMC:
    """The ABC-SMC set up for the plan, sampling through the engine.

    `initial_epsilon` is the first threshold of this invocation: inf for a new run
    (generation 0 takes the prior draws as they come); "from_sample" when continuing,
    so the threshold is the median of the last stored generation, as it would have been.
    """
    model = ParticleModel(
        plan.base.as_dict(), tuple(d.name for d in plan.priors if d.integer), plan.replications
    )
    return pyabc.ABCSMC(
        model,
        prior(plan),
        TargetDistance(plan.split.fitted),
        population_size=plan.population,
        sampler=EngineSampler(engine, plan.seed, plan.batch),
        eps=pyabc.MedianEpsilon(initial_epsilon=initial_epsilon),
    )


def sample_posterior(plan: AbcPlan, out: Path, engine: Engine) -> pyabc.History:
    """Run, or continue, the plan's generations into OUT/abc.db; return the history."""
    out = Path(out)
    state = _claim(plan, out)
    database = f"sqlite:///{(out / DATABASE).resolve()}"
    done = _generations_done(out)
    if state.get("finished") or done >= plan.generations:  # interrupted while finishing
        _write_state(out, {**state, "finished": True})
        return pyabc.History(database, _id=1)
    if done:
        abc = make_abc(plan, engine, "from_sample")
        abc.load(database, 1)
    else:
        (out / DATABASE).unlink(missing_ok=True)  # no generation finished: start afresh
        abc = make_abc(plan, engine, np.inf)
        abc.new(database, {})
    with interrupt_deferred(), np.errstate(invalid="ignore"):  # pyabc: inf - inf after t = 0
        history = abc.run(
            minimum_epsilon=plan.minimum_epsilon, max_nr_populations=plan.generations - done
        )
    _write_state(out, {**state, "finished": True})
    return history


def _generations_done(out: Path) -> int:
    """Generations finished in OUT/abc.db (0 when there is none)."""
    database = f"sqlite:///{(out / DATABASE).resolve()}"
    if not database_exists(database):  # none, or killed before pyabc wrote a byte
        return 0
    try:
        history = pyabc.History(database, _id=1, create=False)
        last = history.max_t
    except SQLAlchemyError:  # killed while pyabc set its tables up: nothing finished
        return 0
    # Killed between pyabc's first two commits, the database has no population yet.
    return 0 if last is None or not history.n_populations else int(last) + 1


def _claim(plan: AbcPlan, out: Path) -> dict[str, Any]:
    """Record what makes the folder, or refuse a folder another plan or model made."""
    path = out / STATE
    made = {"experiment_sha256": plan.sha256, "model_sha256": model_sha256()}
    if path.is_file():
        state = json.loads(path.read_text())
        if state.get("experiment_sha256") != made["experiment_sha256"]:
            raise StoreError(
                f"{out}: holds an ABC calibration of a different experiment file (or of "
                "targets measured differently); use a new --out folder"
            )
        if state.get("model_sha256") != made["model_sha256"]:
            raise StoreError(
                f"{out}: holds an ABC calibration of another version of the model; use a new "
                "--out folder, or delete this one to start over"
            )
        return state
    if out.exists() and any(out.iterdir()):
        raise StoreError(f"{out}: exists and is not an ABC calibration folder; use a new --out")
    out.mkdir(parents=True, exist_ok=True)
    _write_state(out, {**made, "finished": False})
    return {**made, "finished": False}


def _write_state(out: Path, state: dict[str, Any]) -> None:
    tmp = out / f".{STATE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(out / STATE)


def quiet_pyabc() -> None:
    """pyabc's per-generation lines only (epsilon, acceptance), not its debugging chatter."""
    logging.getLogger("ABC").setLevel(logging.INFO)
    for name in ("Sampler", "Epsilon", "Distance", "Acceptor", "History", "Population"):
        logging.getLogger(name).setLevel(logging.WARNING)
