"""One model run from a config: run it, summarise it, write its tables.

A run writes its folder atomically: everything goes into a temporary sibling
folder that is renamed into place only when complete, so a crash never leaves a
folder that looks finished.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from clustersim.config import LoadedConfig
from clustersim.formatting import percent
from clustersim.model import ClusterModel
from clustersim.outdir import OutputError
from clustersim.parameters import Parameters
from clustersim.partnership import DISSOLUTION_CAUSES
from clustersim.provenance import software_versions
from clustersim.survival import HORIZONS_MONTHS, survival_at

TABLES = ("series", "partnerships", "ties", "memberships")
RUN_FILES = frozenset({"manifest.json", *(f"{name}.parquet" for name in TABLES)})


def simulate(params: Parameters, seed: int) -> dict[str, pd.DataFrame]:
    """Run a model to its horizon and return its four tables, keyed as in TABLES."""
    model = ClusterModel(seed=seed, **params.as_dict())
    while model.running:
        model.step()
    return {
        "series": model.series(),
        "partnerships": model.partnership_table(),
        "ties": model.tie_table(),
        "memberships": model.membership_table(),
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


def earlier_run(out_dir: Path) -> bool:
    """Whether `out_dir` is provably a folder `clustersim run` wrote, and nothing else.

    Its manifest must say it is a run and the folder must hold exactly the files a
    run writes: a folder with anything more is someone's, and is never replaced.
    """
    try:
        entries = list(Path(out_dir).iterdir())
        if {e.name for e in entries} != RUN_FILES:
            return False
        if any(e.is_symlink() or not e.is_file() for e in entries):
            return False
        manifest = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    legacy = "config_sha256" in manifest and "seed" in manifest  # written before `kind`
    return manifest.get("kind", "run" if legacy else None) == "run"


def check_out_dir(out_dir: Path) -> None:
    """Refuse an --out a run may not write: only a new or empty folder or an earlier run's."""
    out_dir = Path(os.path.abspath(out_dir))
    here = Path.cwd()
    if out_dir == here or out_dir in here.parents:
        raise OutputError(
            f"--out {out_dir}: is the current folder or holds it; a run writes a folder of "
            "its own; choose a new one, e.g. --out results/my-run"
        )
    if out_dir.is_symlink():
        raise OutputError(f"--out {out_dir}: is a symbolic link; give a real folder path")
    if not out_dir.is_dir() or not any(out_dir.iterdir()) or earlier_run(out_dir):
        return
    foreign = sorted(e.name for e in out_dir.iterdir() if e.name not in RUN_FILES)
    shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    raise OutputError(
        f"--out {out_dir}: is not the folder of an earlier `clustersim run`"
        f"{f' (it holds {shown})' if foreign else ''}, and a run replaces nothing else; "
        "choose a new or empty folder"
    )


def write_run(result: RunResult, out_dir: Path) -> Path:
    """Write the tables as Parquet plus manifest.json into `out_dir`, atomically."""
    out_dir = Path(os.path.abspath(out_dir))
    check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name in TABLES:
            table = staging / f"{name}.parquet"
            result.tables[name].to_parquet(table, index=False, write_page_checksum=True)
        (staging / "manifest.json").write_text(json.dumps(manifest(result), indent=2) + "\n")
        _put_in_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # the staging folder is ours alone
        raise
    return out_dir


def _put_in_place(staging: Path, out_dir: Path) -> None:
    """Rename `staging` to `out_dir`; an earlier run there is moved aside, then its files removed.

    Only the files a run writes are unlinked, one by one, and the folder is removed
    with rmdir, which fails rather than delete anything that appeared meanwhile.
    """
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        staging.rename(out_dir)  # rename(2) replaces an empty folder, never a full one
        return
    aside = out_dir.with_name(f"{staging.name}.old")
    out_dir.rename(aside)
    if not earlier_run(aside):  # changed since it was checked: put it back, refuse
        aside.rename(out_dir)
        check_out_dir(out_dir)
        raise OutputError(f"--out {out_dir}: changed while the run was written; try again")
    try:
        staging.rename(out_dir)
    except BaseException:
        aside.rename(out_dir)
        raise
    for name in RUN_FILES:
        (aside / name).unlink(missing_ok=True)
    aside.rmdir()


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
