"""clustersim in EMA Workbench: a model function to drive, and results its analyses read.

EMA Workbench (Kwakkel 2017) runs a model over uncertainties and levers and analyses the
results (PRIM, feature scoring, ...). A `ReplicatorModel` calls a plain function with
keyword arguments and a seed per replication, so clustersim needs no glue::

    from ema_workbench import ReplicatorModel, RealParameter, SequentialEvaluator
    from ema_workbench import perform_experiments
    import clustersim.ema

    model = ReplicatorModel("cluster", function=clustersim.ema.cluster_model)
    model.uncertainties = [RealParameter("initiation_rate", 0.01, 0.08)]
    model.outcomes = clustersim.ema.outcomes()
    model.replications = [{"seed": s} for s in (1, 2, 3)]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, 10, evaluator=evaluator)

The other way round, `ema_results` turns a clustersim results folder into EMA's pair
of an experiments table and a dict of outcome arrays, and `save_ema` writes it with
`ema_workbench.save_results`, so `ema_workbench.load_results` reads it. EMA is imported
inside the functions that need it: its import takes seconds.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clustersim.config import did_you_mean, load_config
from clustersim.parameters import ParameterError, Parameters, check_value, specs
from clustersim.partnership import DISSOLUTION_CAUSES
from clustersim.run import simulate, summarise
from clustersim.survival import HORIZONS_MONTHS

MODEL_NAME = "clustersim"  # EMA's `model` column of exported results
# Per run: `run.summarise`'s headline figures, then `analysis.run_outcomes`'s spending by
# lever and collaboration; the names of both, as the two functions return them.
SUMMARY_OUTCOMES = (
    "partnerships_formed",
    "partnerships_active_at_end",
    "share_collaborated",
    *(f"survival_{h}" for h in HORIZONS_MONTHS),
    *(f"dissolved_{c}" for c in DISSOLUTION_CAUSES),
    "mean_size_at_formation",
    "subsidy_spent_eur",
    "policy_spent_eur",
    "clusters_at_end",
    "network_clustering_at_end",
)
REACH_OUTCOMES = (
    "matchmaking_spent_eur",
    "manager_spent_eur",
    "survivors",
    "partnership_months",
    "membership_months",
    "organisations",
    "membership_months_per_organisation",
)
OUTCOMES = (*SUMMARY_OUTCOMES, *REACH_OUTCOMES)


@contextmanager
def _quiet_import() -> Iterator[None]:
    """EMA warns on import that ipyparallel is missing; clustersim never uses it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed")
        yield


# ------------------------------------------------------------- EMA drives clustersim
def cluster_model(seed: int, **parameters: Any) -> dict[str, float]:
    """One model run: clustersim parameters (defaults for the rest) and a seed in, OUTCOMES out.

    EMA passes numpy numbers; they are checked and turned into Python's like a config's.
    """
    values = {name: _checked(name, value) for name, value in parameters.items()}
    return run_figures(simulate(Parameters(**values), int(seed)))


def _checked(name: str, value: Any) -> Any:
    """A parameter value as the config would give it, or a ParameterError naming it."""
    if name not in specs():
        hint = did_you_mean(name, specs()) or "see `clustersim params`"
        raise ParameterError(f"{name}: not a clustersim parameter; {hint}")
    return check_value(name, value.item() if isinstance(value, np.generic) else value)


def run_figures(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """OUTCOMES of one run's tables (`run.simulate`'s), computed as a results folder's are."""
    from clustersim.experiment import analysis

    keyed = {
        name: tables[name].assign(scenario="run", point=0, replication=0)
        for name in ("series", "partnerships", "memberships", "organisations")
    }
    reach = analysis.run_outcomes(
        keyed["series"], keyed["partnerships"], keyed["memberships"], keyed["organisations"]
    ).iloc[0]
    figures = {**summarise(tables), **{name: reach[name] for name in REACH_OUTCOMES}}
    return {name: float(figures[name]) for name in OUTCOMES}


def outcomes(names: tuple[str, ...] = OUTCOMES) -> list:
    """EMA ScalarOutcomes for `names` (default: every figure `cluster_model` returns).

    Each is the mean over a ReplicatorModel's replications (a plain Model's one value
    passes through), as EMA's analyses want one number per experiment. EMA keeps one
    outcome class per name in a process: the exports below save these same outcomes.
    """
    with _quiet_import():
        from ema_workbench import ScalarOutcome

    return [ScalarOutcome(name, function=np.mean) for name in names]


def sweep_parameters(experiment: Path | str) -> list:
    """EMA parameters over a clustersim sweep's ranges, to use as uncertainties or levers.

    A range becomes a RealParameter (an IntegerParameter for whole-number parameters), a
    grid's list of values a CategoricalParameter.
    """
    from clustersim.experiment.spec import load_experiment

    with _quiet_import():
        from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    found = []
    for d in load_experiment(experiment).dimensions:
        if d.values is not None:
            found.append(CategoricalParameter(d.name, list(d.values)))
        elif d.integer:
            found.append(IntegerParameter(d.name, int(d.low), int(d.high)))
        else:
            found.append(RealParameter(d.name, float(d.low), float(d.high)))
    return found


def config_constants(config: Path | str, varied: Iterable[str] = ()) -> list:
    """EMA Constants for every value a clustersim config sets apart from the defaults.

    `varied`: names the EMA model sets itself (its uncertainties and levers), left out,
    for EMA refuses a name that is both a constant and varied.
    """
    with _quiet_import():
        from ema_workbench import Constant

    defaults = Parameters().as_dict()
    values = load_config(config).parameters.as_dict()
    skip = set(varied)
    return [Constant(k, v) for k, v in values.items() if v != defaults[k] and k not in skip]


# ---------------------------------------------------- clustersim results for EMA
def ema_results(root: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A results folder as EMA's (experiments, outcomes), one experiment per run.

    experiments: the parameters that vary between runs, then EMA's `scenario` (the design
    point and replication, '<point>-<replication>': the same world and dice under every
    policy, as common random numbers make it), `policy` (the clustersim scenario) and
    `model`. outcomes: one float array per OUTCOMES name, in the same order of runs.
    """
    from clustersim.experiment.report import PARTNERSHIP_COLUMNS, with_run_outcomes
    from clustersim.experiment.store import ResultStore, read_table

    manifest = ResultStore.existing(root).read_manifest()
    runs = read_table(root, "runs")
    runs = with_run_outcomes(root, runs, read_table(root, "partnerships", PARTNERSHIP_COLUMNS))
    runs = runs.sort_values(["scenario", "point", "replication"], kind="stable")
    experiments = _run_parameters(manifest, runs)
    world = runs["point"].astype(str) + "-" + runs["replication"].astype(str)
    experiments["scenario"] = world.to_numpy()
    experiments["policy"] = runs["scenario"].to_numpy()
    experiments["model"] = MODEL_NAME
    figures = {name: runs[name].to_numpy(dtype=float) for name in OUTCOMES}
    return experiments, figures


def _run_parameters(manifest: dict, runs: pd.DataFrame) -> pd.DataFrame:
    """Each run's parameters (its scenario's, with its design point's values), the varied ones."""
    points = manifest.get("points") or [{}]
    rows = [
        {**manifest["scenarios"][s], **points[p]}
        for s, p in zip(runs["scenario"], runs["point"], strict=True)
    ]
    table = pd.DataFrame(rows)
    varied = [c for c in table.columns if table[c].nunique(dropna=False) > 1]
    return table[varied].reset_index(drop=True)


def save_ema(root: Path, out: Path) -> tuple[int, int]:
    """Write `ema_results(root)` as `ema_workbench.save_results` does, atomically.

    Returns (experiments, outcomes) written.
    """
    with _quiet_import():
        from ema_workbench import save_results

    out = Path(out)
    _check_target(out)
    experiments, figures = ema_results(root)
    outcomes(tuple(figures))  # EMA saves an outcome by the class registered under its name
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        save_results((experiments, figures), str(temporary))
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return len(experiments), len(figures)


def _check_target(out: Path) -> None:
    """Refuse to write where the archive cannot go, or over a file that is not one."""
    from clustersim.outdir import OutputError, check_writable

    check_writable(out.parent)
    if out.is_dir():
        raise OutputError(f"--out {out}: is a folder; give a file name, e.g. {out}/ema.tar.gz")
    if out.exists() and not _ema_archive(out):
        raise OutputError(
            f"--out {out}: exists and is not an EMA Workbench results file of clustersim's "
            "export; choose another name, or move it away"
        )


def _ema_archive(path: Path) -> bool:
    """Whether `path` is an archive this export wrote: `save_results`'s gzipped tar whose
    experiments all name clustersim as their model. EMA results of the user's own runs
    are refused, not replaced."""
    import tarfile

    try:
        with tarfile.open(path, "r:gz") as archive:
            if "metadata.json" not in archive.getnames():
                return False
            experiments = pd.read_csv(archive.extractfile("experiments.csv"), usecols=["model"])
    except (OSError, tarfile.TarError, EOFError, KeyError, ValueError, pd.errors.ParserError):
        return False
    return bool(len(experiments)) and bool((experiments["model"] == MODEL_NAME).all())
