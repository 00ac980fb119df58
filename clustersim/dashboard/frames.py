"""Frames: what the page draws of a model at one month, copied while the model stands still.

`playback.Run` takes a frame under its lock after every step. The views draw only
from frames, so drawing never reads a model that another thread is stepping. A frame
is never changed after it is made; `eq=False` makes two frames equal only if they are
the same frame, which is what the views' memos need to know.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.region_map import Links, partnership_links
from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.dashboard.survival_plot import SurvivalSoFar, survival_so_far, survival_table
from clustersim.records import Event


@dataclass(frozen=True, eq=False)
class Region:
    """What the map needs that never changes in a run: each organisation's place, type, size."""

    side_km: float
    position_km: np.ndarray  # (n, 2)
    regime: np.ndarray  # Regime codes
    employees: np.ndarray
    key: str  # the same for the same region: a rebuilt model keeps its map's background


@dataclass(frozen=True, eq=False)
class ScenarioFrame:
    """One scenario at one month: everything the live views and the map draw."""

    serial: int
    scenario: Scenario
    region: Region  # shared by every frame of one model
    month: int
    months: int  # the run's horizon
    running: bool
    active: int  # active partnerships
    in_partnership: np.ndarray  # (n,) bool: organisation is in an active partnership
    links: Links
    series: pd.DataFrame
    survival: SurvivalSoFar  # of every partnership formed so far
    events: tuple[Event, ...]  # every event of the run so far, oldest first


@dataclass(frozen=True, eq=False)
class PairFrame:
    """Two scenarios stepped together, at one month."""

    serial: int
    pair: ScenarioPair
    month: int
    running: bool
    left: ScenarioFrame
    right: ScenarioFrame


_REGIONS: weakref.WeakKeyDictionary[ScenarioModel, Region] = weakref.WeakKeyDictionary()


def region_of(model: ScenarioModel) -> Region:
    """The fixed layout of a model's region, copied once per model and shared by its frames."""
    region = _REGIONS.get(model)
    if region is None:
        pop = model.population
        arrays = (pop.position_km.copy(), pop.regime.copy(), pop.employees.copy())
        digest = hashlib.sha1(repr(float(model.p.region_km)).encode())
        for array in arrays:
            digest.update(np.ascontiguousarray(array).tobytes())
        region = Region(float(model.p.region_km), *arrays, key=digest.hexdigest())
        _REGIONS[model] = region
    return region


def scenario_frame(model: ScenarioModel, serial: int) -> ScenarioFrame:
    """A frame of `model` as it is now; call it only while nothing steps the model."""
    return ScenarioFrame(
        serial=serial,
        scenario=model.scenario,
        region=region_of(model),
        month=model.month,
        months=model.p.months,
        running=bool(model.running),
        active=len(model.active_partnerships),
        in_partnership=model.population.memberships > 0,
        links=partnership_links(model),
        series=model.series(),
        survival=survival_so_far(survival_table(model)),
        events=tuple(model.events),
    )


def pair_frame(model: ComparisonModel, serial: int) -> PairFrame:
    """A frame of both sides of `model`; call it only while nothing steps the model."""
    return PairFrame(
        serial=serial,
        pair=model.pair,
        month=model.steps,
        running=bool(model.running),
        left=scenario_frame(model.left, serial),
        right=scenario_frame(model.right, serial),
    )
