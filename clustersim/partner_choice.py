"""Partner choice: how an organisation scores the candidates it knows.

The score of candidate j for chooser i is a weighted sum of terms in [0, 1]. The
first five weights are the shares of 001's survey of what decided a partner choice
(659 responses); culture fit and trust are the "soft factors". A chooser prefers its
own regime, a preference that fades as it gains experience (000). Everything is
computed for arrays of (chooser, candidate) pairs at once.

For every tie, the factor contributing most to the score is recorded: the model's
answer to 001's survey question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clustersim import portable
from clustersim.awareness import Awareness
from clustersim.culture import culture_fit
from clustersim.motives import goal_fit
from clustersim.organisations import Population
from clustersim.parameters import Parameters
from clustersim.trust import TrustNetwork

FACTORS = ("proximity", "goals", "ambition", "experience", "expertise", "culture", "trust")
SURVEY_FACTORS = FACTORS[:5]  # the five factors 001's survey asked about


@dataclass(frozen=True)
class PartnerScore:
    """The scoring rule: factor weights and the two shape parameters."""

    weights: np.ndarray  # one per FACTORS entry
    proximity_scale_km: float
    same_regime_preference: float
    experience_scale: float
    reputation_weight: float

    @classmethod
    def from_parameters(cls, p: Parameters) -> PartnerScore:
        weights = np.array(
            [
                p.weight_proximity,
                p.weight_goals,
                p.weight_ambition,
                p.weight_experience,
                p.weight_expertise,
                p.weight_culture,
                p.weight_trust,
            ]
        )
        return cls(
            weights,
            p.proximity_scale_km,
            p.same_regime_preference,
            p.experience_scale,
            p.reputation_weight if p.mechanism_reputation else 0.0,
        )

    def terms(
        self,
        population: Population,
        awareness: Awareness,
        trust: TrustNetwork,
        chooser: int,
        candidates: np.ndarray,
    ) -> np.ndarray:
        """(len(candidates), len(FACTORS)) term values in [0, 1] for one chooser."""
        pop, i, c = population, chooser, candidates
        offset = pop.position_km[c] - pop.position_km[i]
        distance = np.sqrt(_row_dot(offset, offset))
        cosine = _cosine(pop.expertise[c], pop.expertise[i])
        known_trust = np.maximum(
            trust.toward(i, c), trust.reputations(i, c, self.reputation_weight)
        )
        return np.column_stack(
            [
                portable.exp(-distance / self.proximity_scale_km),
                goal_fit(pop.motives[c], pop.motives[i]),
                1.0 - np.abs(pop.ambition[c] - pop.ambition[i]),
                1.0 - portable.exp(-awareness.joint_partnerships(i, c)),
                pop.knowledge[c] * (1.0 - cosine),  # complementary expertise, 003 §3.2.2
                culture_fit(pop.culture[c], pop.culture[i]),
                known_trust,
            ]
        )

    def terms_in_return(
        self,
        population: Population,
        trust: TrustNetwork,
        terms: np.ndarray,
        choosers: np.ndarray,
        candidate: int,
    ) -> np.ndarray:
        """`terms(chooser, [candidate])` for each chooser: how invitees see their initiator.

        `terms` holds the candidate's own terms for the choosers. Proximity, goals,
        ambition, shared experience and culture fit are symmetric to the last bit, so
        they are taken from it; expertise (the candidate's knowledge) and trust (which
        is directed) are computed as `terms` computes them. The result equals one
        `terms` call per chooser, at a fraction of the cost.
        """
        pop, c = population, candidate
        cosine = _cosine(pop.expertise[[c]], pop.expertise[choosers])
        weight = self.reputation_weight
        view = terms.copy()
        view[:, FACTORS.index("expertise")] = pop.knowledge[c] * (1.0 - cosine)
        view[:, FACTORS.index("trust")] = [
            max(trust.get(j, c), trust.reputation(j, c, weight)) for j in choosers.tolist()
        ]
        return view

    def regime_factor(self, population: Population, chooser, candidates):
        """1 for the chooser's own regime, discounted for others until it is experienced.

        Either side may be an array: one chooser's factors for many candidates, or many
        choosers' factors for one candidate.
        """
        other = population.regime[candidates] != population.regime[chooser]
        novice = portable.exp(-population.experience[chooser] / self.experience_scale)
        return 1.0 - self.same_regime_preference * novice * other

    def scores(self, terms: np.ndarray, regime_factor: np.ndarray) -> np.ndarray:
        """Weighted scores, normalised to [0, 1] by the sum of weights."""
        total = self.weights.sum()
        return _row_dot(terms, self.weights) * regime_factor / (total if total > 0 else 1.0)

    def decisive_factor(self, terms: np.ndarray) -> np.ndarray:
        """Index into FACTORS of the largest weighted term of each row."""
        return np.argmax(terms * self.weights, axis=1)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of `a` and `b` (either may be one row)."""
    return _row_dot(a, b) / np.sqrt(_row_dot(a, a) * _row_dot(b, b))


def _row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of `a * b` over the last axis, in order, so symmetric in a and b.

    Not a matrix product: BLAS rounds differently on different CPUs (AVX2 or AVX-512
    kernels), and the same seed must give the same results on every machine. numpy
    sums fewer than 8 numbers one after another (its pairwise summation starts at 8),
    which is plain float arithmetic everywhere; a test holds it to that.
    """
    products = a * b
    assert products.shape[-1] < 8, "numpy's pairwise summation would reorder the sum"
    return products.sum(axis=-1)
