"""Regions of any size that keep the default region's proportions and density.

Scaling to N organisations keeps the default shares of SMEs, knowledge institutions
and government, and grows the region's area and its number of centres with N. The
density of organisations, and so the number each one knows and chooses from, stays
what it is in the default region; that is what "linear in N" means for a spatial
model. A fixed 50 x 50 km region would instead give each organisation a
neighbourhood growing with N, and cost quadratic in N by design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clustersim.config import load_config
from clustersim.parameters import Parameters

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def default_size() -> int:
    """Organisations in the default region."""
    p = Parameters()
    return p.n_smes + p.n_knowledge_institutions + p.n_governments


def region_of(n_organisations: int) -> dict[str, Any]:
    """Population and region parameters for `n_organisations`, at the default density."""
    p = Parameters()
    factor = n_organisations / default_size()
    institutions = round(p.n_knowledge_institutions * factor)
    governments = round(p.n_governments * factor)
    return {
        "n_smes": n_organisations - institutions - governments,
        "n_knowledge_institutions": institutions,
        "n_governments": governments,
        "region_km": p.region_km * factor**0.5,  # area grows with N: density stays
        "n_centres": max(1, round(p.n_centres * factor)),
    }


def every_lever(n_organisations: int) -> dict[str, Any]:
    """The combined scenario's levers, plus a cluster manager with the hours to serve
    one partnership per 100 organisations.

    Read from configs/combined.toml, so a lever added to that scenario is benchmarked
    too. The cluster manager is not in it; its hours grow with the region.
    """
    combined = load_config(CONFIGS / "combined.toml").parameters.as_dict()
    defaults = Parameters().as_dict()
    levers = {k: v for k, v in combined.items() if v != defaults[k] and k != "name"}
    served = max(1, n_organisations // 100)
    hours = served * defaults["cluster_manager_hours_per_partnership"]
    return {**levers, "cluster_manager_hours": hours}
