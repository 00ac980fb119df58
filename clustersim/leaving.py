"""Leaving: each month every member stays or leaves, and partnerships dissolve with a cause.

A member leaves for the first of these that applies (the order of `DISSOLUTION_CAUSES`):
a shock (owner change, champion lost, 003 §3.2.2); its time is needed for core
business, likelier the larger the share of its capacity the partnership takes; it
cannot pay its share; its trust in the others has collapsed; or it has waited longer
for a result than its patience, which trust and experience lengthen. A partnership
left with fewer than two members dissolves for the most pressing of its leavers'
reasons; one without a result for longer than `stall_months` dissolves as stalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clustersim.groups import members_end_to_end
from clustersim.organisations import Population
from clustersim.parameters import Parameters
from clustersim.partnership import DISSOLUTION_CAUSES, Cause, Partnership
from clustersim.trust import TrustNetwork


@dataclass(frozen=True)
class Departures:
    """This month's decisions of all members, partnership after partnership."""

    members: np.ndarray  # all partnerships' members end to end
    starts: np.ndarray  # each partnership's first position
    sizes: np.ndarray
    leaving: np.ndarray  # bool per member
    reason: np.ndarray  # per member: index into DISSOLUTION_CAUSES of its first reason
    anyone: np.ndarray  # bool per partnership

    def leavers(self, k: int) -> list[tuple[int, Cause]]:
        """Who leaves the partnership at position `k`, in member order, and why."""
        here = slice(self.starts[k], self.starts[k] + self.sizes[k])
        leaving = self.leaving[here]
        members = self.members[here][leaving].tolist()
        reasons = self.reason[here][leaving].tolist()
        return [(m, DISSOLUTION_CAUSES[r]) for m, r in zip(members, reasons, strict=True)]


def departures(
    parts: Sequence[Partnership],
    *,
    month: int,
    population: Population,
    trust: TrustNetwork,
    p: Parameters,
    unable_to_pay: set[tuple[int, int]],
    rng: np.random.Generator,
) -> Departures:
    """Every member's decision at once; the same random numbers, in the same order, as
    drawing (shock, capacity) numbers for one partnership after another."""
    pop = population
    idx, sizes, starts = members_end_to_end([part.members for part in parts])
    draws = rng.random(2 * len(idx))
    # The member at position i, in a partnership starting at position `start`, drew
    # numbers start + i (shock) and start + size + i (capacity).
    shock_row = np.arange(len(idx)) + np.repeat(starts, sizes)
    shock_draw, capacity_draw = draws[shock_row], draws[shock_row + np.repeat(sizes, sizes)]
    trust_in_others = np.array(
        [t for part in parts for t in trust.mean_toward_each_other(part.members)]
    )
    # Members join only when a partnership forms, and its first result is counted from then.
    waited = month - np.repeat([part.last_result_month for part in parts], sizes)
    patience = (
        np.array([part.patience_months[m] for part in parts for m in part.members])
        * (1.0 + p.patience_trust_gain * trust_in_others)
        * (1.0 + pop.experience_factor(p.experience_scale)[idx])
    )
    reasons = np.column_stack(
        [
            shock_draw < p.shock_rate,
            capacity_draw
            < p.capacity_pull_rate
            * p.hours_per_membership
            / np.maximum(pop.capacity_hours[idx], 1e-9),
            [(part.id, m) in unable_to_pay for part in parts for m in part.members]
            if unable_to_pay
            else np.zeros(len(idx), dtype=bool),
            trust_in_others < p.leave_trust,
            waited > patience,
        ]
    )
    leaving = reasons.any(axis=1)
    anyone = np.logical_or.reduceat(leaving, starts)
    return Departures(idx, starts, sizes, leaving, np.argmax(reasons, axis=1), anyone)


def dissolution_cause(
    part: Partnership, leavers_causes: list[Cause], month: int, stall_months: int
) -> Cause | None:
    """Why the partnership dissolves after this month's departures, or None if it goes on."""
    if leavers_causes and part.size < 2:
        return min(leavers_causes, key=DISSOLUTION_CAUSES.index)
    if month - part.last_result_month > stall_months:
        return Cause.STALLED
    return None
