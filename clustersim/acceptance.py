"""Acceptance: an invitee joins when its expected benefit beats its expected cost.

Invitees judge the partnership as planned: the initiator and its best candidates.
Benefits grow with how well the initiator fits the invitee (its own partner score),
shared base knowledge, the planned size and the invitee's experience (003 §2.2).
Costs are time and money, front-loaded until the first result (90 % before any
result, PortNET, 003 §3.1), so the months to the first milestone matter; a start
subsidy lowers them but adds admin hours (003 Box 3). Only an invitee that can fund
its share until the first result can say yes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clustersim import portable
from clustersim.organisations import Population, Regime
from clustersim.parameters import Parameters
from clustersim.partner_choice import PartnerScore
from clustersim.trust import TrustNetwork

if TYPE_CHECKING:
    from clustersim.policy import Policy, StartSubsidy


def accepts(
    initiator: int,
    invitees: np.ndarray,
    chosen_by: np.ndarray,
    planned: int,
    *,
    population: Population,
    scorer: PartnerScore,
    trust: TrustNetwork,
    policy: Policy,
    p: Parameters,
    rng: np.random.Generator,
) -> np.ndarray:
    """Whether each invitee (best first) joins a partnership planned at `planned` members.

    `chosen_by` holds the initiator's score terms of the invitees.
    """
    pop = population
    view = scorer.terms_in_return(pop, trust, chosen_by, invitees, initiator)
    fit = scorer.scores(view, scorer.regime_factor(pop, invitees, initiator))
    planned_members = np.append(invitees[: planned - 1], initiator)
    firms = int((pop.regime[planned_members] == Regime.COMMERCIAL).sum())
    months = policy.milestones.first().planned_months
    cost = expected_cost_eur(p.preparation_cost_eur, policy.subsidy, firms, months)
    overlap = 0.5 + 0.5 * np.minimum(pop.knowledge[invitees], pop.knowledge[initiator])
    scale = np.sqrt(np.sqrt(len(planned_members) / 2))  # bigger ones promise more: n**(1/4)
    experience = 1.0 + p.experience_acceptance_bonus * pop.experience_factor(
        p.experience_scale, invitees
    )
    noise = p.acceptance_noise
    perceived = portable.lognormal(rng, -0.5 * noise * noise, noise, len(invitees))
    benefit = p.expected_value_eur * fit * overlap * scale * experience * perceived
    affordable = reserve_until_result_eur(pop, invitees, months, p.preparation_cost_eur)
    return (benefit > cost) & (affordable >= cost)


def expected_cost_eur(
    preparation_cost_eur: float, subsidy: StartSubsidy, firms: int, months: int
) -> float:
    """A member's cost until the first result, `months` away, after any subsidy and its admin."""
    share = subsidy.share if subsidy.eligible(firms) else 0.0
    cost = preparation_cost_eur * months * (1.0 - share)
    if share:
        cost += subsidy.admin_cost_eur(months)
    return cost


def reserve_until_result_eur(
    population: Population, invitees: np.ndarray, months: int, preparation_cost_eur: float
) -> np.ndarray:
    """What each invitee has for a new partnership over `months`: its reserve plus its
    income, less what its current partnerships take."""
    pop = population
    committed = pop.memberships[invitees] * preparation_cost_eur
    return pop.cash_eur[invitees] + months * (pop.income_eur[invitees] - committed)
