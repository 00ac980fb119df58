"""Acceptance: an organisation joins when the results it expects are worth what it pays.

Invitees judge the partnership as planned: the initiator and its best candidates. The
value of a main result to an invitee grows with how well the initiator fits it (its
own partner score), shared base knowledge, the planned size and its experience (003
§2.2). How fast results come depends on the project's quality, which each invitee
estimates (`beliefs`). Its monthly cost is front-loaded (90 % before any result,
PortNET, 003 §3.1); a start subsidy lowers it but adds reporting hours and an
application (003 Box 3). An invitee joins when the expected value of results per
month is at least its monthly cost, and when it can fund its share until the first
planned result and pay the application now. The initiator applies the same test to
its own plan before it invites anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clustersim import beliefs
from clustersim.organisations import Population
from clustersim.parameters import Parameters

if TYPE_CHECKING:
    from clustersim.policy import StartSubsidy


@dataclass(frozen=True)
class Outlook:
    """What each of a group of organisations expects of one planned project."""

    value_eur: np.ndarray  # value to it of one main result
    estimate: np.ndarray  # its estimate of the project's quality
    prior_rate: np.ndarray  # main results per month it expects at first

    def take(self, rows: np.ndarray) -> Outlook:
        return Outlook(self.value_eur[rows], self.estimate[rows], self.prior_rate[rows])

    def then(self, more: Outlook) -> Outlook:
        """This group's outlook followed by `more`'s, as members are listed."""
        return Outlook(
            np.concatenate([self.value_eur, more.value_eur]),
            np.concatenate([self.estimate, more.estimate]),
            np.concatenate([self.prior_rate, more.prior_rate]),
        )


def outlook(
    who: np.ndarray,
    fit: np.ndarray,
    partner_knowledge: np.ndarray,
    planned: int,
    quality: float,
    *,
    population: Population,
    p: Parameters,
    rng: np.random.Generator,
) -> Outlook:
    """The value of a main result to each of `who`, and its estimate of `quality`.

    `fit` is each one's partner score of the other side; `partner_knowledge` the other
    side's base knowledge (only as much as both know is shared, 003 §2.2).
    """
    pop = population
    experience = pop.experience_factor(p.experience_scale, who)
    overlap = 0.5 + 0.5 * np.minimum(pop.knowledge[who], partner_knowledge)
    scale = np.sqrt(np.sqrt(planned / 2))  # bigger ones promise more: (n/2)**(1/4)
    bonus = 1.0 + p.experience_acceptance_bonus * experience
    value = p.expected_value_eur * fit * overlap * scale * bonus
    estimate = beliefs.estimates(quality, experience, p, rng)
    return Outlook(value, estimate, beliefs.expected_rate(estimate, p))


def monthly_cost_eur(p: Parameters, subsidy: StartSubsidy, subsidised: bool) -> float:
    """What a member expects to pay a month until the first result, as it decides.

    With a subsidy: the unpaid share, reporting hours and the application spread over
    the planned months to the first result. Without the price mechanism, members
    decide at the full price whatever a subsidy pays.
    """
    if not (subsidised and p.mechanism_price):
        return p.preparation_cost_eur
    admin = subsidy.admin_cost_eur(p.milestone_months) / p.milestone_months
    return p.preparation_cost_eur * (1.0 - subsidy.share) + admin


def decide(
    who: np.ndarray,
    views: Outlook,
    cost_eur: float,
    application_eur: float,
    *,
    population: Population,
    p: Parameters,
    hours: float | None = None,
) -> np.ndarray:
    """Whether each of `who` joins: results worth the cost, the money to take part, and
    the `hours` a month it takes (a membership by default, plus reporting if subsidised)."""
    months = p.milestone_months
    affordable = reserve_until_result_eur(population, who, months, p.preparation_cost_eur)
    can_apply = population.cash_eur[who] >= application_eur
    has_time = population.free_hours(who) >= (p.hours_per_membership if hours is None else hours)
    worth = beliefs.worth_it(views.prior_rate, views.value_eur, cost_eur)
    return worth & (affordable >= cost_eur * months) & can_apply & has_time


def reserve_until_result_eur(
    population: Population, invitees: np.ndarray, months: int, preparation_cost_eur: float
) -> np.ndarray:
    """What each invitee has for a new partnership over `months`: its reserve plus its
    income, less what its current partnerships take."""
    pop = population
    committed = pop.memberships[invitees] * preparation_cost_eur
    return pop.cash_eur[invitees] + months * (pop.income_eur[invitees] - committed)
