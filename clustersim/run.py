"""One model run from a config: run it, summarise it, write its tables.

The folder itself is the store's to write (`experiment.store.write_run_folder`:
atomically, so a crash never leaves a folder that looks finished); this module says
what goes in it: the tables of `simulate` and the manifest of what produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from clustersim.config import LoadedConfig
from clustersim.formatting import percent
from clustersim.model import ClusterModel
from clustersim.parameters import Parameters
from clustersim.partnership import DISSOLUTION_CAUSES
from clustersim.provenance import software_versions
from clustersim.records import MODEL_TABLES, organisation_table
from clustersim.survival import HORIZONS_MONTHS, survival_at

TABLES = MODEL_TABLES


def simulate(params: Parameters, seed: int) -> dict[str, pd.DataFrame]:
    """Run a model to its horizon and return its tables, keyed as in TABLES."""
    model = ClusterModel(seed=seed, **params.as_dict())
    organisations = organisation_table(model.population)  # as drawn, before month 1
    while model.running:
        model.step()
    return {
        "series": model.series(),
        "partnerships": model.partnership_table(),
        "ties": model.tie_table(),
        "memberships": model.membership_table(),
        "organisations": organisations,
    }


def summarise(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The headline figures of one run, flat, so many runs stack into one table."""
    parts, series = tables["partnerships"], tables["series"]
    causes = parts.loc[parts["dissolved"], "cause"].value_counts()
    last = series.iloc[-1]
    return {
        "partnerships_formed": len(parts),
        "partnerships_active_at_end": int(parts["ended"].isna().sum()),
        "share_collaborated": float(last["share_ever_collaborated"]),
        **{f"survival_{h}": v for h, v in survival_at(parts).items()},
        **{f"dissolved_{c}": int(causes.get(str(c), 0)) for c in DISSOLUTION_CAUSES},
        "mean_size_at_formation": float(parts["size_at_formation"].mean()) if len(parts) else 0.0,
        "subsidy_spent_eur": float(last["subsidy_spent_eur"]),
        "policy_spent_eur": float(last["policy_spent_eur"]),
        "clusters_at_end": float(last["clusters"]),
        "network_clustering_at_end": float(last["network_clustering"]),
    }


@dataclass(frozen=True)
class RunResult:
    """The tables of one finished run and what produced them."""

    config: LoadedConfig
    parameters: Parameters
    seed: int
    tables: dict[str, pd.DataFrame]

    def summary(self) -> dict[str, float]:
        return summarise(self.tables)


def run_config(config: LoadedConfig, seed: int, months: int | None = None) -> RunResult:
    """Run the config's model for `months` (default: its own horizon) with `seed`."""
    params = config.parameters if months is None else config.parameters.replace(months=months)
    return RunResult(config, params, seed, simulate(params, seed))


def manifest(result: RunResult) -> dict:
    """What produced the run, so anyone can reproduce or audit it."""
    return {
        "kind": "run",
        "config_path": str(result.config.path),
        "config_name": result.config.name,
        "config_chain": [str(p) for p in result.config.chain],
        "config_sha256": result.config.sha256,
        "parameters": result.parameters.as_dict(),
        "seed": result.seed,
        "months": result.parameters.months,
        "versions": software_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": result.summary(),
    }


def write_run(result: RunResult, out_dir: Path) -> Path:
    """Write the run's tables and manifest into `out_dir` (atomically, by the store).

    The store is imported here, once the run is done: it brings the experiment layer
    (SALib, scipy's samplers, pyarrow datasets), which a simulation does not need.
    """
    from clustersim.experiment.store import write_run_folder

    return write_run_folder(result.tables, manifest(result), out_dir)


def format_summary(result: RunResult) -> str:
    """The run's summary as a short plain-text table for the terminal."""
    s, p = result.summary(), result.parameters
    survival = "   ".join(f"{h} months: {_percent(s[f'survival_{h}'])}" for h in HORIZONS_MONTHS)
    causes = ", ".join(
        f"{c} {s[f'dissolved_{c}']}" for c in DISSOLUTION_CAUSES if s[f"dissolved_{c}"]
    )
    organisations = p.n_smes + p.n_knowledge_institutions + p.n_governments
    lines = [
        f"scenario {result.config.name} ({result.config.path}), seed {result.seed}, "
        f"{p.months} months",
        f"  organisations                {organisations} ({p.n_smes} SMEs, "
        f"{p.n_knowledge_institutions} knowledge institutions, {p.n_governments} government)",
        f"  partnerships formed          {s['partnerships_formed']} "
        f"({s['partnerships_active_at_end']} still active at the end)",
        f"  share that collaborated      {_percent(s['share_collaborated'])}",
        f"  partnership survival         {survival}",
        f"  dissolved by cause           {causes or 'none'}",
    ]
    if s["subsidy_spent_eur"]:
        lines.append(f"  subsidy spent                EUR {s['subsidy_spent_eur']:,.0f}")
    return "\n".join(lines)


def _percent(x: float) -> str:
    return percent(x, suffix=" %")
