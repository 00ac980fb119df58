"""Formation: organisations with free time start partnerships with partners they know.

Each month some organisations initiate, likelier the more inclined they are to lead.
An initiator plans a size, ranks the free candidates it knows by its partner score
plus noise, and invites down the ranking until enough accept, asking at most twice
the places (001 phase 4). A call's admission rules decide whom it may invite and
whether the result may form (003 §3.2.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clustersim import acceptance, beliefs, portable
from clustersim.acceptance import Outlook
from clustersim.awareness import Awareness
from clustersim.organisations import Population, Regime
from clustersim.parameters import Parameters
from clustersim.partner_choice import PartnerScore
from clustersim.trust import TrustNetwork

if TYPE_CHECKING:
    from clustersim.policy import AdmissionRules, Policy


@dataclass(frozen=True)
class Invitations:
    """One initiator's round: whom it asked, in the order asked, and who said yes."""

    initiator: int
    invitees: np.ndarray
    terms: np.ndarray  # the initiator's score terms of each invitee
    scores: np.ndarray
    decisive: np.ndarray  # index into FACTORS of the term that weighed most, 001's question
    accepted: np.ndarray
    quality: float  # the planned project's latent quality
    subsidised: bool  # applied for a start subsidy and eligible as it turned out
    outlook: Outlook  # what each member (the initiator first) expects of the project

    @property
    def members(self) -> list[int]:
        """The initiator and those who accepted."""
        return [self.initiator, *self.invitees[self.accepted].tolist()]


def initiators(population: Population, p: Parameters, rng: np.random.Generator) -> np.ndarray:
    """Organisations with free time that start a partnership this month, in random order."""
    free = population.free_hours() >= p.hours_per_membership
    draws = rng.random(len(population))
    chosen = np.flatnonzero(free & (draws < p.initiation_rate * population.leadership))
    return rng.permutation(chosen)


def invitable(
    initiator: int,
    known: np.ndarray,
    current_partners: set[int],
    population: Population,
    p: Parameters,
    admission: AdmissionRules,
) -> np.ndarray:
    """Whom the initiator may invite: those it knows with free time, not yet its partners."""
    free = known[population.free_hours(known) >= p.hours_per_membership]
    if current_partners:
        free = free[~np.isin(free, list(current_partners))]
    return admission.candidates(population.competitor_keys, initiator, free)


def planned_size(p: Parameters, policy: Policy, rng: np.random.Generator) -> int:
    """Members the initiator aims for: at least what the rules need, about the target mean."""
    smallest = max(p.min_members, policy.admission.required)
    extra = max(0.0, p.target_size_mean - smallest)
    return policy.cap.limit(smallest + int(rng.poisson(extra)))


def invite(
    initiator: int,
    current_partners: set[int],
    *,
    population: Population,
    awareness: Awareness,
    trust: TrustNetwork,
    scorer: PartnerScore,
    policy: Policy,
    p: Parameters,
    rng: np.random.Generator,
) -> Invitations | None:
    """Rank the candidates, check the plan is worth it, and invite down the ranking until
    enough accept; None when the initiator has no time left, knows nobody it may invite
    or finds its own plan not worth its cost."""
    pop = population
    if pop.free_hours(initiator) < p.hours_per_membership:
        return None  # joined another partnership earlier this month
    candidates = invitable(
        initiator, awareness.known(initiator), current_partners, pop, p, policy.admission
    )
    if len(candidates) == 0:
        return None
    planned = planned_size(p, policy, rng)
    terms = scorer.terms(pop, awareness, trust, initiator, candidates)
    scores = scorer.scores(terms, scorer.regime_factor(pop, initiator, candidates))
    order = _invitation_order(initiator, candidates, scores, planned, pop, policy, p, rng)
    quality = beliefs.draw_quality(p, rng)
    plan = Plan.of(
        initiator, candidates[order], scores[order], planned, quality, pop, policy, p, rng
    )
    if not plan.initiator_agrees:
        return None
    invitees = candidates[order]
    views = _invitees_outlook(
        initiator, invitees, terms[order], planned, quality, pop, scorer, trust, p, rng
    )
    accepted = acceptance.decide(
        invitees, views, plan.cost_eur, plan.application_eur, population=pop, p=p, hours=plan.hours
    )
    asked = min(int(np.searchsorted(np.cumsum(accepted), planned - 1) + 1), len(order))
    order, accepted = order[:asked], accepted[:asked]
    views = views.take(np.arange(asked))
    subsidised, accepted = plan.settle(candidates[order], accepted, views, pop, policy, p)
    members_view = plan.own.then(views.take(np.flatnonzero(accepted)))
    decisive = scorer.decisive_factor(terms[order])
    return Invitations(
        initiator,
        candidates[order],
        terms[order],
        scores[order],
        decisive,
        accepted,
        quality,
        subsidised,
        members_view,
    )


def _invitation_order(
    initiator: int,
    candidates: np.ndarray,
    scores: np.ndarray,
    planned: int,
    pop: Population,
    policy: Policy,
    p: Parameters,
    rng: np.random.Generator,
) -> np.ndarray:
    """Positions of the candidates to invite, in order: a noisy ranking under the call's
    rules, at most twice the places (001 phase 4)."""
    noisy = scores + portable.gumbel(rng, 0.0, p.choice_noise, len(candidates))
    ranked = np.argsort(-noisy, kind="stable")
    in_order = policy.admission.invitation_order(
        pop.competitor_keys[candidates[ranked]],
        pop.regime[candidates[ranked]] == Regime.PUBLIC,
        policy.admission.min_public - int(pop.regime[initiator] == Regime.PUBLIC),
    )
    return ranked[in_order][: 2 * (planned - 1)]


def _invitees_outlook(
    initiator: int,
    invitees: np.ndarray,
    terms: np.ndarray,
    planned: int,
    quality: float,
    pop: Population,
    scorer: PartnerScore,
    trust: TrustNetwork,
    p: Parameters,
    rng: np.random.Generator,
) -> Outlook:
    """How each invitee sees the plan: its score of the initiator and its estimate."""
    view = scorer.terms_in_return(pop, trust, terms, invitees, initiator)
    fit = scorer.scores(view, scorer.regime_factor(pop, invitees, initiator))
    knowledge = np.full(len(invitees), pop.knowledge[initiator])
    return acceptance.outlook(
        invitees, fit, knowledge, planned, quality, population=pop, p=p, rng=rng
    )


@dataclass(frozen=True)
class Plan:
    """The initiator's plan: whether it applies for a subsidy, the price members expect,
    and whether the initiator itself finds the project worth it."""

    initiator: int
    applies: bool  # the planned members would be eligible for a start subsidy
    cost_eur: float  # expected monthly cost per member
    application_eur: float
    hours: float  # a month, per member: the membership and any reporting
    own: Outlook
    initiator_agrees: bool

    @classmethod
    def of(
        cls,
        initiator: int,
        ranked: np.ndarray,
        scores: np.ndarray,
        planned: int,
        quality: float,
        pop: Population,
        policy: Policy,
        p: Parameters,
        rng: np.random.Generator,
    ) -> Plan:
        """The plan with the best `planned - 1` candidates, judged by the initiator."""
        partners = ranked[: planned - 1]
        members = np.append(partners, initiator)
        applies = policy.subsidy.eligible(int((pop.regime[members] == Regime.COMMERCIAL).sum()))
        cost = acceptance.monthly_cost_eur(p, policy.subsidy, applies)
        application = policy.subsidy.admin_cost_eur(0) if applies else 0.0
        me = np.array([initiator])
        own = acceptance.outlook(
            me,
            np.array([scores[: planned - 1].mean()]),
            np.array([pop.knowledge[partners].mean()]),
            planned,
            quality,
            population=pop,
            p=p,
            rng=rng,
        )
        hours = p.hours_per_membership + (p.reporting_hours if applies else 0.0)
        agrees = acceptance.decide(me, own, cost, application, population=pop, p=p, hours=hours)
        return cls(initiator, applies, cost, application, hours, own, bool(agrees[0]))

    def settle(
        self,
        asked: np.ndarray,
        accepted: np.ndarray,
        views: Outlook,
        pop: Population,
        policy: Policy,
        p: Parameters,
    ) -> tuple[bool, np.ndarray]:
        """Whether the partnership as it turned out gets the subsidy it applied for, and
        who stays in: if it did not turn out eligible, everyone decides again at the
        full price, and without the initiator nobody does."""
        members = np.append(asked[accepted], self.initiator)
        firms = int((pop.regime[members] == Regime.COMMERCIAL).sum())
        if not self.applies or policy.subsidy.eligible(firms):
            return self.applies, accepted
        full = acceptance.monthly_cost_eur(p, policy.subsidy, False)
        hours = p.hours_per_membership
        again = acceptance.decide(asked, views, full, 0.0, population=pop, p=p, hours=hours)
        mine = acceptance.decide(
            np.array([self.initiator]), self.own, full, 0.0, population=pop, p=p, hours=hours
        )
        return False, accepted & again & bool(mine[0])


def admitted(members: list[int], population: Population, p: Parameters, policy: Policy) -> bool:
    """Whether `members` may form a partnership: enough of them, in the call's mix."""
    regimes = population.regime[members]
    return len(members) >= p.min_members and policy.admission.admits(
        int((regimes == Regime.COMMERCIAL).sum()), int((regimes == Regime.PUBLIC).sum())
    )
