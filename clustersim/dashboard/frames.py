"""Frames: what the page draws of a model at one month, copied while the model stands still.

`playback.Run` takes a frame under its lock after every step. The views draw only
from frames, so drawing never reads a model that another thread is stepping. A frame
is never changed after it is made; `eq=False` makes two frames equal only if they are
the same frame, which is what the views' memos need to know. A frame holds all that a
click on the map can show (`inspector`): each active partnership as it stands
(`PartnershipNow`) and each organisation's culture, memberships and experience.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.dashboard.survival_plot import SurvivalSoFar, survival_so_far, survival_table
from clustersim.model import ClusterModel
from clustersim.partnership import Partnership
from clustersim.records import Event


@dataclass(frozen=True, eq=False)
class Region:
    """What never changes in a run: each organisation's name, place, type and size."""

    side_km: float
    position_km: np.ndarray  # (n, 2)
    regime: np.ndarray  # Regime codes
    employees: np.ndarray
    names: tuple[str, ...]  # 'SME 41', as the feed names them
    key: str  # the same for the same region: a rebuilt model keeps its map


@dataclass(frozen=True, eq=False)
class PartnershipNow:
    """An active partnership as it stands at a frame's month: what a click on it shows."""

    id: int
    members: tuple[int, ...]
    leader: int | None  # None: nobody in it can lead
    formed_month: int
    size_at_formation: int
    milestones_reached: int  # quick wins included
    main_milestones_reached: int
    quick_win_month: int | None
    due_month: int  # the month its next milestone is planned for
    trust: np.ndarray  # (k, k): row member's trust in column member, in `members` order
    subsidised: bool
    subsidy_until_month: int
    subsidy_eur: float  # received so far
    served: bool  # by the cluster manager this month
    served_months: int

    @property
    def mean_trust(self) -> float:
        """Mean trust over ordered pairs of distinct members (`TrustNetwork.mean_among`)."""
        k = len(self.members)
        return float(self.trust.sum() / (k * (k - 1))) if k > 1 else 0.0

    @property
    def hub(self) -> int:
        """Where the map's star starts: the leader, or the first member if nobody leads."""
        return self.leader if self.leader is not None else self.members[0]


def partnership_now(model: ClusterModel, part: Partnership) -> PartnershipNow:
    """A copy of what the page shows of `part`; call it only while nothing steps `model`."""
    members = tuple(part.members)
    others = np.array(members)
    trust = np.array([model.trust.toward(i, others) for i in members], dtype=float)
    return PartnershipNow(
        id=part.id,
        members=members,
        leader=part.leader,
        formed_month=part.formed_month,
        size_at_formation=part.size_at_formation,
        milestones_reached=part.milestones_reached,
        main_milestones_reached=part.main_milestones_reached,
        quick_win_month=part.quick_win_month,
        due_month=part.due_month,
        trust=trust.reshape(len(members), len(members)),
        subsidised=part.subsidised,
        subsidy_until_month=part.subsidy_until_month,
        subsidy_eur=float(part.subsidy_eur),
        served=bool(part.served),
        served_months=int(part.served_months),
    )


@dataclass(frozen=True, eq=False)
class ScenarioFrame:
    """One scenario at one month: everything the live views and the map draw."""

    serial: int
    scenario: Scenario
    region: Region  # shared by every frame of one model
    month: int
    months: int  # the run's horizon
    running: bool
    partnerships: tuple[PartnershipNow, ...]  # the active ones, in the order they formed
    memberships: np.ndarray  # (n,) active partnerships each organisation belongs to
    culture: np.ndarray  # (n, 6) each organisation's culture now (it converges)
    experience: np.ndarray  # (n,) partnerships each organisation has completed
    series: pd.DataFrame
    survival: SurvivalSoFar  # of every partnership formed so far
    events: tuple[Event, ...]  # every event of the run so far, oldest first

    @property
    def active(self) -> int:
        """Active partnerships."""
        return len(self.partnerships)

    @property
    def in_partnership(self) -> np.ndarray:
        """(n,) bool: the organisation is in an active partnership."""
        return self.memberships > 0

    def partnership(self, pid: int) -> PartnershipNow | None:
        """Active partnership `pid`, or None if it has ended or not formed."""
        return next((part for part in self.partnerships if part.id == pid), None)

    def partnerships_of(self, organisation: int) -> tuple[PartnershipNow, ...]:
        """The active partnerships `organisation` belongs to."""
        return tuple(part for part in self.partnerships if organisation in part.members)


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
        names = tuple(agent.name for agent in model.organisations)
        region = Region(float(model.p.region_km), *arrays, names=names, key=digest.hexdigest())
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
        partnerships=tuple(partnership_now(model, part) for part in model.active_partnerships),
        memberships=model.population.memberships.copy(),
        culture=model.population.culture.copy(),
        experience=model.population.experience.copy(),
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
