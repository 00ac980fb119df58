"""What a run records besides its time series: partnerships, tie choices, memberships,
and the events a person watching would want told.

The partnership table is the basis of survival analysis: one row per partnership,
its duration, and whether it ended (with a cause) or was censored at the horizon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clustersim.culture import DIMENSIONS
from clustersim.network import group_statistics
from clustersim.organisations import TYPE_NAMES, Population
from clustersim.partner_choice import FACTORS
from clustersim.partnership import DISSOLUTION_CAUSES, Cause, Partnership
from clustersim.trust import TrustNetwork

if TYPE_CHECKING:
    from clustersim.formation import Invitations
    from clustersim.policy import Policy

# The tables a run records, as `clustersim.run.simulate` returns and the store writes them.
MODEL_TABLES = ("series", "partnerships", "ties", "memberships", "organisations")

# The model-level time series, one value per month (`month_statistics`).
SERIES = (
    "active_partnerships",
    "formed",
    "dissolved",
    *(f"dissolved_{cause}" for cause in DISSOLUTION_CAUSES),
    "members",
    "mean_size",
    "share_collaborating",
    "share_ever_collaborated",
    "mean_trust",
    "subsidised_active",
    "subsidy_spent_eur",
    "matchmaking_spent_eur",
    "manager_spent_eur",
    "policy_spent_eur",
    "network_density",
    "network_clustering",
    "largest_component_share",
    "clusters",
    "mean_cluster_size",
)


@dataclass(frozen=True)
class Event:
    """Something a person watching the run would want told: what happened in which
    month, to which partnership and organisations, and why. Data only: the dashboard
    says it in words (`clustersim.dashboard.wording`)."""

    month: int
    kind: str  # one of EVENT_KINDS
    partnership: int  # -1 when it concerns no one partnership
    organisations: tuple[int, ...] = ()  # the founders, initiator first, or who left
    names: tuple[str, ...] = ()  # their readable names, e.g. "SME 41"
    cause: Cause | None = None  # why a member left or a partnership dissolved
    count: int = 0  # introductions made, milestone number, or a project's months
    subsidised: bool = False  # a new partnership's start subsidy


# What the model tells, in the order a month's phases may tell it.
EVENT_KINDS = (
    "formed",
    "quick_win",
    "milestone",
    "missed",
    "member_left",
    "leader_lost",
    "subsidy_ended",
    "dissolved",
    "completed",
    "matchmaking",
    "introductions",
)


def month_statistics(
    active: Sequence[Partnership],
    counts: Mapping[str, int],
    population: Population,
    trust: TrustNetwork,
    policy: Policy,
    month: int,
) -> dict[str, float]:
    """The `SERIES` values at the end of `month`; `counts` holds the month's formations
    and dissolutions (`formed`, `dissolved_<cause>`)."""
    pop = population
    sizes = [part.size for part in active]
    dissolved = {f"dissolved_{c}": counts.get(f"dissolved_{c}", 0) for c in DISSOLUTION_CAUSES}
    return {
        "active_partnerships": len(active),
        "formed": counts.get("formed", 0),
        "dissolved": sum(dissolved.values()),
        **dissolved,
        "members": sum(sizes),
        "mean_size": float(np.mean(sizes)) if sizes else 0.0,
        "share_collaborating": float((pop.memberships > 0).mean()),
        "share_ever_collaborated": float(pop.ever_member.mean()),
        "mean_trust": float(np.mean([trust.mean_among(a.members) for a in active]))
        if active
        else 0.0,
        "subsidised_active": sum(a.subsidy_active(month) for a in active),
        "subsidy_spent_eur": policy.subsidy.spent_eur,
        "matchmaking_spent_eur": policy.matchmaking.spent_eur,
        "manager_spent_eur": policy.manager.public_spent_eur,
        "policy_spent_eur": policy.spent_eur,
        **group_statistics(len(pop), [part.members for part in active]),
    }


class TieLog:
    """Every invitation: who chose whom, the score terms, the decisive factor, the answer."""

    _COLUMNS = ("month", "chooser", "candidate", "rank", "score", "accepted", "partnership")

    def __init__(self) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(self, month: int, invitations: Invitations, partnership: int) -> None:
        """One initiator's invitations in `month`; `partnership` is -1 if none formed."""
        n = len(invitations.invitees)
        chunk = {
            "month": np.full(n, month),
            "chooser": np.full(n, invitations.initiator),
            "candidate": invitations.invitees.astype(np.int64),
            "rank": np.arange(1, n + 1),
            "score": invitations.scores,
            "accepted": invitations.accepted,
            "partnership": np.full(n, partnership),
            "decisive_factor": np.array(FACTORS, dtype=object)[invitations.decisive],
        }
        chunk.update({f"term_{f}": invitations.terms[:, k] for k, f in enumerate(FACTORS)})
        self._chunks.append(chunk)

    def table(self) -> pd.DataFrame:
        """One row per invitation; `partnership` is -1 where no partnership formed."""
        columns = [*self._COLUMNS, "decisive_factor", *(f"term_{f}" for f in FACTORS)]
        if not self._chunks:
            frame = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        else:
            frame = pd.DataFrame(
                {c: np.concatenate([chunk[c] for chunk in self._chunks]) for c in columns}
            )
        frame["decisive_factor"] = pd.Categorical(frame["decisive_factor"], categories=FACTORS)
        for c in ("month", "chooser", "candidate", "rank", "partnership"):
            frame[c] = frame[c].astype(np.int64)
        frame["accepted"] = frame["accepted"].astype(bool)
        frame["tie_formed"] = frame["accepted"] & (frame["partnership"] >= 0)
        return frame


class MembershipLog:
    """Who was in which partnership, from when to when, and why they left."""

    def __init__(self) -> None:
        self._rows: dict[tuple[int, int], list] = {}

    def join(self, partnership: int, organisation: int, month: int) -> None:
        self._rows[(partnership, organisation)] = [partnership, organisation, month, None, None]

    def leave(self, partnership: int, organisation: int, month: int, reason: str) -> None:
        row = self._rows[(partnership, organisation)]
        row[3], row[4] = month, reason

    def table(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            list(self._rows.values()),
            columns=["partnership", "organisation", "joined", "left", "reason"],
        )
        frame["left"] = frame["left"].astype("Int64")
        frame["reason"] = frame["reason"].astype("string")
        return frame


def organisation_table(population: Population) -> pd.DataFrame:
    """One row per organisation as drawn: type, employees, sector, stage, position, culture.

    Taken before the first month, as culture converges in partnerships later; analyses
    that need who is who (validation) read it instead of rebuilding the model.
    """
    names = np.array(list(TYPE_NAMES.values()))  # indexed by Regime code
    frame = pd.DataFrame(
        {
            "organisation": np.arange(len(population)),
            "type": pd.Series(names[population.regime], dtype="string"),
            "employees": np.array(population.employees, copy=True),
            "sector": np.array(population.sector, copy=True),
            "stage": np.array(population.stage, copy=True),
            "x_km": np.array(population.position_km[:, 0], copy=True),
            "y_km": np.array(population.position_km[:, 1], copy=True),
        }
    )
    for k, name in enumerate(DIMENSIONS):
        frame[f"culture_{name}"] = np.array(population.culture[:, k], copy=True)
    return frame


def partnership_table(
    partnerships: Iterable[Partnership], month: int, type_names: Iterable[str]
) -> pd.DataFrame:
    """One row per partnership, censored at `month` if still active."""
    type_names = list(type_names)
    rows = []
    for p in partnerships:
        rows.append(
            {
                "partnership": p.id,
                "formed": p.formed_month,
                "ended": p.ended_month,
                "duration": p.duration(month),
                # A project that reached its planned end is censored there, not dissolved.
                "dissolved": not p.active and p.cause is not Cause.COMPLETED,
                "cause": None if p.cause is None else str(p.cause),
                "size_at_formation": p.size_at_formation,
                "size_at_end": p.size if p.size_at_end is None else p.size_at_end,
                **{f"n_{name}": p.composition[name] for name in type_names},
                "subsidised": p.subsidised,
                "subsidy_eur": p.subsidy_eur,
                "quick_win_reached": p.quick_win_month is not None,
                "quick_win_month": p.quick_win_month,
                "milestones_reached": p.milestones_reached,
                "horizontal": p.horizontal,
                "competitor_pairs": p.competitor_pairs,
                "built_on_existing_ties": p.built_on_existing_ties,
                "culture_fit": p.culture_fit_at_formation,
                "led_at_formation": p.led_at_formation,
                "leader_now": p.leader is not None,
                "managed": p.served_months > 0,
                "managed_months": p.served_months,
                "quality": p.quality,
                "collaboration_level": str(p.collaboration_level),
            }
        )
    frame = pd.DataFrame(rows, columns=_partnership_columns(type_names))
    for c in ("ended", "quick_win_month"):
        frame[c] = frame[c].astype("Int64")
    frame["cause"] = frame["cause"].astype("string")
    for c in _BOOLEAN_COLUMNS:
        frame[c] = frame[c].astype(bool)
    return frame


_BOOLEAN_COLUMNS = (
    "dissolved",
    "subsidised",
    "quick_win_reached",
    "horizontal",
    "built_on_existing_ties",
    "led_at_formation",
    "leader_now",
    "managed",
)


def _partnership_columns(type_names: list[str]) -> list[str]:
    """Column order of the partnership table (also for a run that formed none)."""
    return [
        "partnership",
        "formed",
        "ended",
        "duration",
        "dissolved",
        "cause",
        "size_at_formation",
        "size_at_end",
        *(f"n_{name}" for name in type_names),
        "subsidised",
        "subsidy_eur",
        "quick_win_reached",
        "quick_win_month",
        "milestones_reached",
        "horizontal",
        "competitor_pairs",
        "built_on_existing_ties",
        "culture_fit",
        "led_at_formation",
        "leader_now",
        "managed",
        "managed_months",
        "quality",
        "collaboration_level",
    ]
