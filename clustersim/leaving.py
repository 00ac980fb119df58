"""Leaving: each month every member stays or leaves, and partnerships dissolve with a cause.

A member leaves for the first of these that applies (the order of `DISSOLUTION_CAUSES`):
a shock (owner change, champion lost, 003 §3.2.2); its time is needed for core
business, likelier the larger the share of its capacity the partnership takes; it
cannot pay its share; its trust in the others has collapsed; or the results it now
expects are no longer worth what it pays (`beliefs`). A partnership dissolves when
fewer than two members remain or the call's rules no longer admit it, and when it
loses its champion and no other member can lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clustersim import beliefs
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
    costs_eur: Sequence[float],
    unable_to_pay: set[tuple[int, int]],
    rng: np.random.Generator,
) -> Departures:
    """Every member's decision at once; the same random numbers, in the same order, as
    drawing (shock, capacity) numbers for one partnership after another.

    `costs_eur` is what each partnership's members paid this month.
    """
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
    reasons = np.column_stack(
        [
            shock_draw < p.shock_rate,
            capacity_draw < capacity_pull(pop, idx, p),
            [(part.id, m) in unable_to_pay for part in parts for m in part.members]
            if unable_to_pay
            else np.zeros(len(idx), dtype=bool),
            trust_in_others < p.leave_trust,
            ~still_worth_it(parts, idx, sizes, month, trust_in_others, pop, p, costs_eur),
        ]
    )
    leaving = reasons.any(axis=1)
    anyone = np.logical_or.reduceat(leaving, starts)
    return Departures(idx, starts, sizes, leaving, np.argmax(reasons, axis=1), anyone)


def capacity_pull(pop: Population, idx: np.ndarray, p: Parameters) -> np.ndarray:
    """Each member's monthly chance that core work takes its time back: likelier the
    larger the share of its capacity the partnership (and its reporting) takes."""
    if not p.mechanism_capacity:
        return np.zeros(len(idx))
    load = p.hours_per_membership + pop.admin_hours[idx] / np.maximum(pop.memberships[idx], 1)
    return p.capacity_pull_rate * load / np.maximum(pop.capacity_hours[idx], 1e-9)


def still_worth_it(
    parts: Sequence[Partnership],
    idx: np.ndarray,
    sizes: np.ndarray,
    month: int,
    trust_in_others: np.ndarray,
    pop: Population,
    p: Parameters,
    costs_eur: Sequence[float],
) -> np.ndarray:
    """Whether each member still expects results worth what it pays (`beliefs`).

    Its expectation is worth its patience in months, longer when it trusts the others
    and when it is experienced; months without results count against it, results for
    it in proportion to their size.
    """
    prior = np.array([part.prior_rate[m] for part in parts for m in part.members])
    value = np.array([part.value_eur[m] for part in parts for m in part.members])
    cost = np.repeat(np.asarray(costs_eur, dtype=float), sizes)
    if not p.mechanism_learning:
        return beliefs.worth_it(prior, value, cost)
    patience = (
        np.array([part.patience_months[m] for part in parts for m in part.members])
        * (1.0 + p.patience_trust_gain * trust_in_others)
        * (1.0 + pop.experience_factor(p.experience_scale, idx))
    )
    months = month - np.repeat([part.formed_month for part in parts], sizes)
    evidence = np.repeat([part.evidence for part in parts], sizes)
    rate = beliefs.posterior_rate(prior, patience, months, evidence)
    return beliefs.worth_it(rate, value, cost)


def dissolution_cause(
    part: Partnership,
    leavers_causes: list[Cause],
    still_admitted: bool,
    champion_lost: Cause | None,
) -> Cause | None:
    """Why the partnership dissolves after this month's departures, or None if it goes on.

    It dissolves when fewer than two members remain or the call's rules no longer admit
    it, for the most pressing of its leavers' reasons; and when it lost its champion and
    nobody else can lead, for the champion's reason (003 §3.2.2).
    """
    if leavers_causes and (part.size < 2 or not still_admitted):
        return min(leavers_causes, key=DISSOLUTION_CAUSES.index)
    return champion_lost
