"""One model run from a config: run it, summarise it, write its tables.

A run writes its folder atomically: everything goes into a temporary sibling
folder that is renamed into place only when complete, so a crash never leaves a
folder that looks finished.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

import clustersim
from clustersim.config import LoadedConfig
from clustersim.model import ClusterModel
from clustersim.partnership import DISSOLUTION_CAUSES
from clustersim.survival import HORIZONS_MONTHS, survival_at

TABLES = ("series", "partnerships", "ties", "memberships")


@dataclass(frozen=True)
class RunResult:
    """The tables of one finished run and what produced them."""

    config: LoadedConfig
    seed: int
    months: int
    tables: dict[str, pd.DataFrame]
    organisations: dict[str, int]

    def summary(self) -> dict:
        """The headline figures: formation, collaboration, survival and causes of dissolution."""
        parts = self.tables["partnerships"]
        series = self.tables["series"]
        causes = parts.loc[parts["dissolved"], "cause"].value_counts()
        return {
            "organisations": self.organisations,
            "partnerships_formed": len(parts),
            "partnerships_active_at_end": int((~parts["dissolved"]).sum()),
            "share_collaborated": float(series["share_ever_collaborated"].iloc[-1]),
            "survival": {str(h): v for h, v in survival_at(parts).items()},
            "dissolved_by_cause": {str(c): int(causes.get(str(c), 0)) for c in DISSOLUTION_CAUSES},
            "subsidy_spent_eur": float(series["subsidy_spent_eur"].iloc[-1]),
        }


def run_config(config: LoadedConfig, seed: int, months: int | None = None) -> RunResult:
    """Run the config's model for `months` (default: its own horizon) with `seed`."""
    params = config.parameters if months is None else config.parameters.replace(months=months)
    model = ClusterModel(seed=seed, **params.as_dict())
    while model.running:
        model.step()
    counts = {
        "sme": params.n_smes,
        "knowledge_institution": params.n_knowledge_institutions,
        "government": params.n_governments,
    }
    tables = {
        "series": model.series(),
        "partnerships": model.partnership_table(),
        "ties": model.tie_table(),
        "memberships": model.membership_table(),
    }
    return RunResult(config, seed, params.months, tables, counts)


def manifest(result: RunResult) -> dict:
    """What produced the run, so anyone can reproduce or audit it."""
    return {
        "config_path": str(result.config.path),
        "config_name": result.config.name,
        "config_chain": [str(p) for p in result.config.chain],
        "config_sha256": result.config.sha256,
        "parameters": result.config.parameters.replace(months=result.months).as_dict(),
        "seed": result.seed,
        "months": result.months,
        "versions": {
            "clustersim": clustersim.__version__,
            "mesa": mesa.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": platform.python_version(),
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": result.summary(),
    }


def write_run(result: RunResult, out_dir: Path) -> Path:
    """Write the tables as Parquet plus manifest.json into `out_dir`, atomically."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name in TABLES:
            result.tables[name].to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "manifest.json").write_text(json.dumps(manifest(result), indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def format_summary(result: RunResult) -> str:
    """The run's summary as a short plain-text table for the terminal."""
    s = result.summary()
    orgs = s["organisations"]
    survival = "   ".join(f"{h} months: {_percent(s['survival'][str(h)])}" for h in HORIZONS_MONTHS)
    causes = ", ".join(f"{c} {n}" for c, n in s["dissolved_by_cause"].items() if n) or "none"
    lines = [
        f"scenario {result.config.name} ({result.config.path}), seed {result.seed}, "
        f"{result.months} months",
        f"  organisations              {sum(orgs.values())} ({orgs['sme']} SMEs, "
        f"{orgs['knowledge_institution']} knowledge institutions, {orgs['government']} government)",
        f"  partnerships formed        {s['partnerships_formed']} "
        f"({s['partnerships_active_at_end']} still active at the end)",
        f"  organisations that collaborated  {_percent(s['share_collaborated'])}",
        f"  partnership survival       {survival}",
        f"  dissolved by cause         {causes}",
    ]
    if s["subsidy_spent_eur"]:
        lines.append(f"  subsidy spent              EUR {s['subsidy_spent_eur']:,.0f}")
    return "\n".join(lines)


def _percent(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f} %"
