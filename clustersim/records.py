"""What a run records besides its time series: partnerships, tie choices, memberships,
and a plain-words event feed.

The partnership table is the basis of survival analysis: one row per partnership,
its duration, and whether it ended (with a cause) or was censored at the horizon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clustersim.partner_choice import FACTORS
from clustersim.partnership import Cause, Partnership


@dataclass(frozen=True)
class Event:
    """Something a person watching the run would want told, in plain words."""

    month: int
    kind: str  # formed, quick_win, milestone, missed, member_left, leader_lost,
    # subsidy_ended, dissolved, completed, matchmaking
    partnership: int
    text: str


class TieLog:
    """Every invitation: who chose whom, the score terms, the decisive factor, the answer."""

    _COLUMNS = ("month", "chooser", "candidate", "rank", "score", "accepted", "partnership")

    def __init__(self) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        month: int,
        chooser: int,
        candidates: np.ndarray,
        terms: np.ndarray,
        scores: np.ndarray,
        decisive: np.ndarray,
        accepted: np.ndarray,
        partnership: int,
    ) -> None:
        n = len(candidates)
        chunk = {
            "month": np.full(n, month),
            "chooser": np.full(n, chooser),
            "candidate": candidates.astype(np.int64),
            "rank": np.arange(1, n + 1),
            "score": scores,
            "accepted": accepted,
            "partnership": np.full(n, partnership),
            "decisive_factor": np.array(FACTORS, dtype=object)[decisive],
        }
        chunk.update({f"term_{name}": terms[:, k] for k, name in enumerate(FACTORS)})
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
                "managed": p.managed,
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
        "collaboration_level",
    ]
