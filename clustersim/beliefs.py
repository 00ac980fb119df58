"""What members expect of a project: its quality, how fast it yields results, and
whether that is worth what they pay.

A planned project has a latent quality: the chance that its work turns into results
(De Man & Duysters, in 003 §2.1: projects differ, and firms know their own). Each
invitee estimates it with noise, less the more experienced it is (003 §2.2).

A member expects main results at a rate: its estimate, relative to the median
project the plan is made for, per planned milestone. It holds that expectation as a
Gamma belief worth `patience` months of evidence, longer when it trusts its partners
and when it is experienced. Results are evidence in proportion to their size (a
quick win counts a quarter of a main milestone if it is a quarter of the work), and
every month without one is evidence too; the posterior mean rate after T months with
R results is (patience * rate0 + R) / (patience + T). A member joins, and stays,
while the expected value of results per month is at least what it pays per month
(003 §3.7: success within eyesight keeps members; nothing resets a clock).
"""

from __future__ import annotations

import numpy as np

from clustersim import portable
from clustersim.parameters import Parameters


def logistic(x: np.ndarray | float) -> np.ndarray | float:
    """1 / (1 + e^-x), with the portable exponential (the same bits on every CPU)."""
    return 1.0 / (1.0 + portable.exp(-np.asarray(x, dtype=float)))


def logit(q: float) -> float:
    return portable.log(q / (1.0 - q))


def draw_quality(p: Parameters, rng: np.random.Generator) -> float:
    """A planned project's latent quality, logit-normal around the median."""
    return float(
        logistic(logit(p.project_quality_median) + p.project_quality_spread * rng.standard_normal())
    )


def estimates(
    quality: float, experience: np.ndarray, p: Parameters, rng: np.random.Generator
) -> np.ndarray:
    """Each member's estimate of `quality`; `experience` is its experience factor in [0, 1).

    Without selection, members cannot tell projects apart and take each for the median.
    """
    noise = rng.standard_normal(len(experience))
    if not p.mechanism_selection:
        return np.full(len(experience), p.project_quality_median)
    spread = p.quality_noise / (1.0 + experience)
    return logistic(logit(quality) + spread * noise)


def expected_rate(estimate: np.ndarray, p: Parameters) -> np.ndarray:
    """Main results per month a member expects at first: the plan is made for the median
    project, so a better one is expected to deliver proportionally sooner."""
    return estimate / (p.project_quality_median * p.milestone_months)


def posterior_rate(
    prior_rate: np.ndarray, patience: np.ndarray, months: np.ndarray, evidence: np.ndarray
) -> np.ndarray:
    """Gamma-Poisson posterior mean of the result rate after `months` with `evidence`
    results (in main-milestone units); `patience` is the prior's worth in months."""
    return (patience * prior_rate + evidence) / (patience + months)


def worth_it(rate: np.ndarray, value_eur: np.ndarray, cost_eur: np.ndarray) -> np.ndarray:
    """Whether results at `rate` per month, each worth `value_eur`, pay the monthly cost."""
    return rate * value_eur >= cost_eur
