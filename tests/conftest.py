"""Shared helpers: small models that run in well under a second."""

from __future__ import annotations

import pytest

from clustersim import ClusterModel

SMALL = {
    "n_smes": 80,
    "n_knowledge_institutions": 3,
    "n_governments": 2,
    "region_km": 25.0,
    "n_centres": 3,
}


def run_model(months: int = 36, seed: int = 1, **overrides) -> ClusterModel:
    model = ClusterModel(seed=seed, **{**SMALL, "months": months, **overrides})
    while model.running:
        model.step()
    return model


@pytest.fixture
def small_model() -> ClusterModel:
    return ClusterModel(seed=3, **{**SMALL, "months": 60})
