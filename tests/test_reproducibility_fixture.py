"""Speed work must not change results: small runs recorded before any optimisation
are re-run and must give identical tables, bit for bit.

Each case's parameters are stored in full in its `parameters.json`, so changing a
default later (calibration) does not change what the fixture runs. Parameters added
after the recording take their defaults, which must be their off-values: a new
lever left off must not change the fixture.

The ties' `score` and `term_expertise` were re-recorded once, when scoring stopped
using BLAS (its rounding differs between CPUs): they moved by at most 3e-16, and
every other column and table is still as recorded before the speed work.

The other tests here check each batched helper of the speed work against the
one-at-a-time code it replaces (networkx for the network statistics).

Regenerate (only when a model change is meant to change results):
    python -m tests.test_reproducibility_fixture
"""

from __future__ import annotations

import json
import operator
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim import ClusterModel
from clustersim.culture import converge, converge_groups, mean_culture_fit, mean_culture_fits
from clustersim.network import collaboration_graph, group_statistics, network_statistics
from clustersim.parameters import Parameters
from clustersim.run import TABLES, simulate
from clustersim.trust import TrustNetwork

FIXTURES = Path(__file__).parent / "fixtures" / "reproducibility"
SEED = 11

SMALL_REGION = {
    "months": 60,
    "n_smes": 150,
    "n_knowledge_institutions": 4,
    "n_governments": 2,
    "region_km": 30.0,
    "n_centres": 3,
}
# Every lever on, so the recorded tables cover the policy code paths too.
LEVERS_ON = {
    "subsidy_share": 0.5,
    "participant_cap": 4,
    "quick_win": True,
    "matchmaking": True,
    "cluster_manager_capacity": 5,
}
CASES = {"defaults": SMALL_REGION, "levers_on": {**SMALL_REGION, **LEVERS_ON}}


def record(case: str, overrides: dict) -> None:
    """Write the case's full parameter set and the tables of its run."""
    folder = FIXTURES / case
    folder.mkdir(parents=True, exist_ok=True)
    params = Parameters(**overrides)
    document = {"seed": SEED, "parameters": params.as_dict()}
    (folder / "parameters.json").write_text(json.dumps(document, indent=2) + "\n")
    for name, frame in simulate(params, SEED).items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_recorded_run_is_reproduced_exactly(case: str):
    folder = FIXTURES / case
    document = json.loads((folder / "parameters.json").read_text())
    tables = simulate(Parameters(**document["parameters"]), document["seed"])
    for name in TABLES:
        expected = pd.read_parquet(folder / f"{name}.parquet")
        pd.testing.assert_frame_equal(tables[name], expected, check_exact=True, obj=name)


def test_sparse_network_statistics_equal_networkx_to_the_last_bit():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 300))
        groups = [
            sorted(rng.choice(n, size=min(n, int(rng.integers(2, 7))), replace=False).tolist())
            for _ in range(int(rng.integers(0, 60)))
        ]
        expected = network_statistics(collaboration_graph(n, groups))
        assert group_statistics(n, groups) == expected


def test_batched_group_helpers_equal_one_group_at_a_time():
    rng = np.random.default_rng(8)
    sizes = rng.integers(2, 12, 200)
    cultures = rng.random((int(sizes.sum()), 6))
    starts = np.cumsum(sizes) - sizes
    one_by_one = [slice(a, a + n) for a, n in zip(starts, sizes, strict=True)]
    fits = mean_culture_fits(cultures, sizes)
    assert fits.tolist() == [mean_culture_fit(cultures[g]) for g in one_by_one]
    converged = converge_groups(cultures, sizes, 0.05)
    for g in one_by_one:
        assert np.array_equal(converged[g], converge(cultures[g], 0.05))


def test_scores_are_plain_float_arithmetic_so_every_cpu_gives_the_same_bits():
    model = ClusterModel(seed=4, **SMALL_REGION)
    scorer, pop = model.scorer, model.population
    candidates = np.arange(1, 60)
    terms = scorer.terms(pop, model.awareness, model.trust, 0, candidates)
    regime = scorer.regime_factor(pop, 0, candidates)
    weights, total = scorer.weights.tolist(), float(scorer.weights.sum())
    by_hand = [
        reduce(operator.add, (t * w for t, w in zip(row, weights, strict=True))) * r / total
        for row, r in zip(terms.tolist(), regime.tolist(), strict=True)
    ]
    assert scorer.scores(terms, regime).tolist() == by_hand


def test_batched_trust_queries_equal_one_pair_at_a_time():
    rng = np.random.default_rng(9)
    trust = TrustNetwork()
    for _ in range(600):
        i, j = rng.integers(0, 40, 2).tolist()
        if i != j:
            trust.set(i, j, float(rng.random()))
    for _ in range(200):
        group = rng.choice(40, size=int(rng.integers(2, 7)), replace=False).tolist()
        i, others = group[0], group[1:]
        assert trust.reputations_among(i, others, 0.7) == [
            trust.reputation(i, j, 0.7) for j in others
        ]
        assert trust.reputations(i, np.array(group), 0.7).tolist() == [
            trust.reputation(i, j, 0.7) if j != i else 0.0 for j in group
        ]
        assert trust.mean_toward_each_other(group) == [
            trust.mean_toward_others(m, group) for m in group
        ]
        trust.set(i, others[0], float(rng.random()))  # invalidates what it remembered
        total = sum(trust.get(a, b) for a in group for b in group if a != b)
        assert trust.mean_among(group) == total / (len(group) * (len(group) - 1))


def test_invitees_view_of_the_initiator_equals_scoring_it_one_by_one():
    model = ClusterModel(seed=5, **SMALL_REGION)
    for _ in range(30):
        model.step()
    pop, scorer = model.population, model.scorer
    rng = np.random.default_rng(10)
    for initiator in rng.choice(len(pop), 40, replace=False).tolist():
        invitees = np.array([j for j in model.awareness.known(initiator)[:8] if j != initiator])
        if len(invitees) == 0:
            continue
        chosen_by = scorer.terms(pop, model.awareness, model.trust, initiator, invitees)
        view = scorer.terms_in_return(pop, model.trust, chosen_by, invitees, initiator)
        one_by_one = np.vstack(
            [
                scorer.terms(pop, model.awareness, model.trust, j, np.array([initiator]))
                for j in invitees
            ]
        )
        assert np.array_equal(view, one_by_one)


if __name__ == "__main__":
    for case_name, case_overrides in CASES.items():
        record(case_name, case_overrides)
