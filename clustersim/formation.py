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

from clustersim import portable
from clustersim.acceptance import accepts
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
    """Rank the candidates and invite down the ranking until enough accept; None when
    the initiator has no time left or knows nobody it may invite."""
    pop, admission = population, policy.admission
    if pop.free_hours(initiator) < p.hours_per_membership:
        return None  # joined another partnership earlier this month
    known = awareness.known(initiator)
    candidates = invitable(initiator, known, current_partners, pop, p, admission)
    if len(candidates) == 0:
        return None
    planned = planned_size(p, policy, rng)
    terms = scorer.terms(pop, awareness, trust, initiator, candidates)
    scores = scorer.scores(terms, scorer.regime_factor(pop, initiator, candidates))
    noisy = scores + portable.gumbel(rng, 0.0, p.choice_noise, len(candidates))
    ranked = np.argsort(-noisy, kind="stable")
    in_order = admission.invitation_order(
        pop.competitor_keys[candidates[ranked]],
        pop.regime[candidates[ranked]] == Regime.PUBLIC,
        admission.min_public - int(pop.regime[initiator] == Regime.PUBLIC),
    )
    order = ranked[in_order][: 2 * (planned - 1)]
    accepted = accepts(
        initiator,
        candidates[order],
        terms[order],
        planned,
        population=pop,
        scorer=scorer,
        trust=trust,
        policy=policy,
        p=p,
        rng=rng,
    )
    asked = int(np.searchsorted(np.cumsum(accepted), planned - 1) + 1)
    order, accepted = order[:asked], accepted[:asked]
    terms = terms[order]
    decisive = scorer.decisive_factor(terms)
    return Invitations(initiator, candidates[order], terms, scores[order], decisive, accepted)


def admitted(members: list[int], population: Population, p: Parameters, policy: Policy) -> bool:
    """Whether `members` may form a partnership: enough of them, in the call's mix."""
    regimes = population.regime[members]
    return len(members) >= p.min_members and policy.admission.admits(
        int((regimes == Regime.COMMERCIAL).sum()), int((regimes == Regime.PUBLIC).sum())
    )
