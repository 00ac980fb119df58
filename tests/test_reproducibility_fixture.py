"""The same seed gives the same tables, bit for bit, on every x86-64 CPU.

Small runs are recorded once and re-run: the tables must be identical. The guarantee,
exactly as tested: on this machine, the two recorded runs give byte-identical tables
with numpy's SIMD dispatch at its full level, at AVX2 (`X86_V4` and the AVX-512 groups
disabled) and at the x86-64 baseline (`X86_V3` disabled too), and with glibc's FMA,
AVX2 and AVX-512 variants of its maths functions disabled; those are the code paths an
AVX-512, an AVX2 or an older CPU would take. The model gets there by computing
everything that feeds it with operations IEEE 754 rounds exactly (`clustersim.portable`).

Each case's parameters are stored in full in its `parameters.json`, so changing a
default later (calibration) does not change what the fixture runs. Parameters added
after the recording take their defaults, which must be their off-values: a new
lever left off must not change the fixture.

The tables were re-recorded when the model's `exp`, `log`, `pow`, log-normal, Gumbel
and Dirichlet draws moved to `clustersim.portable` (before, the ties' scores differed
in the last bit between AVX2 and AVX-512 machines, and the Dirichlet expertise draws
between C-library variants).

They were recorded afresh, with the defaults of the time, when policy effects moved
into mechanisms (project quality and members' expectations, results as evidence, a
cluster manager with hours and a salary, champion loss, formation at the month's end):
every table changed, and parameters were removed.

The other tests here check each batched helper of the speed work against the
one-at-a-time code it replaces (networkx for the network statistics).

Regenerate (only when a model change is meant to change results):
    python -m tests.test_reproducibility_fixture
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
from functools import reduce
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from clustersim import ClusterModel, network, partnership
from clustersim.culture import (
    converge,
    converge_groups,
    converge_partners,
    mean_culture_fit,
    mean_culture_fits,
)
from clustersim.network import collaboration_graph, group_statistics, network_statistics
from clustersim.parameters import Parameters
from clustersim.policy import pay_costs
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
    "cluster_manager_hours": 40.0,
}
CASES = {"defaults": SMALL_REGION, "levers_on": {**SMALL_REGION, **LEVERS_ON}}


def record(case: str, overrides: dict) -> None:
    """Write the tables of the case's run; a new case also gets its full parameter set.

    A recorded case keeps its stored parameters, so re-recording after a change to the
    model never picks up defaults calibrated since.
    """
    folder = FIXTURES / case
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / "parameters.json"
    if stored.exists():
        document = json.loads(stored.read_text())
    else:
        document = {"seed": SEED, "parameters": Parameters(**overrides).as_dict()}
        stored.write_text(json.dumps(document, indent=2) + "\n")
    params = Parameters(**document["parameters"])
    for name, frame in simulate(params, document["seed"]).items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_recorded_run_is_reproduced_exactly(case: str):
    folder = FIXTURES / case
    document = json.loads((folder / "parameters.json").read_text())
    tables = simulate(Parameters(**document["parameters"]), document["seed"])
    for name in TABLES:
        expected = pd.read_parquet(folder / f"{name}.parquet")
        pd.testing.assert_frame_equal(tables[name], expected, check_exact=True, obj=name)


# The numpy dispatch groups above each CPU level (numpy 2.4 names), and glibc's mask.
NUMPY_ABOVE_AVX2 = ("X86_V4", "AVX512_ICL", "AVX512_SPR")
NUMPY_ABOVE_BASELINE = ("X86_V3", *NUMPY_ABOVE_AVX2)
GLIBC_BASELINE = "glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA"
CPU_LEVELS = {
    "as_is": {},
    "numpy_avx2": {"NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_ABOVE_AVX2)},
    "numpy_baseline": {"NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_ABOVE_BASELINE)},
    "glibc_baseline": {"GLIBC_TUNABLES": GLIBC_BASELINE},
    "both_baseline": {
        "NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_ABOVE_BASELINE),
        "GLIBC_TUNABLES": GLIBC_BASELINE,
    },
}
_RECORD_IN = """
import json, sys
from pathlib import Path
from numpy._core._multiarray_umath import __cpu_features__ as features
from tests.test_reproducibility_fixture import FIXTURES, CASES
from clustersim.parameters import Parameters
from clustersim.run import simulate
out = Path(sys.argv[1])
for case in CASES:
    document = json.loads((FIXTURES / case / "parameters.json").read_text())
    tables = simulate(Parameters(**document["parameters"]), document["seed"])
    for name, frame in tables.items():
        frame.to_parquet(out / f"{case}-{name}.parquet", index=False)
(out / "features.json").write_text(json.dumps(features))
"""


def _supported(groups: tuple[str, ...]) -> str:
    """Those of `groups` this numpy dispatches and this CPU has: numpy refuses others."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return " ".join(g for g in groups if g in __cpu_dispatch__ and __cpu_features__.get(g))


def test_every_cpu_level_gives_the_recorded_tables_byte_for_byte(tmp_path: Path):
    written = {}
    for level, env in CPU_LEVELS.items():
        env = dict(env)
        if "NPY_DISABLE_CPU_FEATURES" in env:
            groups = tuple(env["NPY_DISABLE_CPU_FEATURES"].split())
            env["NPY_DISABLE_CPU_FEATURES"] = _supported(groups)
        out = tmp_path / level
        out.mkdir()
        subprocess.run(
            [sys.executable, "-c", _RECORD_IN, str(out)],
            env={**os.environ, **env},
            cwd=Path(__file__).parent.parent,
            check=True,
            timeout=600,
        )
        features = json.loads((out / "features.json").read_text())
        for group in env.get("NPY_DISABLE_CPU_FEATURES", "").split():
            assert not features[group], f"{level}: numpy still dispatches {group}"
        written[level] = {f.name: f.read_bytes() for f in out.glob("*.parquet")}
    reference = written.pop("as_is")
    assert len(reference) == len(CASES) * len(TABLES)
    for level, files in written.items():
        assert files == reference, f"{level} gives other bytes than the unmasked CPU"
    for case in CASES:
        for name in TABLES:
            got = pd.read_parquet(tmp_path / "as_is" / f"{case}-{name}.parquet")
            expected = pd.read_parquet(FIXTURES / case / f"{name}.parquet")
            pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)


@pytest.mark.parametrize("dense_limit", [network.DENSE_LIMIT, 0], ids=["dense", "sparse"])
def test_network_statistics_equal_networkx_to_the_last_bit(dense_limit, monkeypatch):
    monkeypatch.setattr(network, "DENSE_LIMIT", dense_limit)
    network._statistics.cache_clear()  # remembered answers would hide the path under test
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


def test_batched_work_bases_equal_one_partnership_at_a_time():
    model = ClusterModel(seed=6, **SMALL_REGION)
    for _ in range(30):
        model.step()
    parts, pop, p = model.active_partnerships, model.population, model.p
    assert len(parts) > partnership.FEW  # so the batched path is taken
    batched = partnership.work_bases(parts, pop, p)
    assert any(basis.free_riders is not None for basis in batched)  # riders compared too
    for part, basis in zip(parts, batched, strict=True):
        alone = partnership.work_basis(part, pop, p)
        assert (basis.members, basis.min_knowledge, basis.competitor_share) == (
            alone.members,
            alone.min_knowledge,
            alone.competitor_share,
        )
        riders = [] if basis.free_riders is None else basis.free_riders.tolist()
        assert riders == ([] if alone.free_riders is None else alone.free_riders.tolist())


def test_updating_in_waves_equals_group_after_group():
    """Overlapping groups: converging and paying wave by wave gives the sequential bits."""
    rng = np.random.default_rng(10)
    for _ in range(20):
        n = int(rng.integers(5, 40))
        groups = [
            rng.choice(n, size=int(rng.integers(2, 6)), replace=False).tolist()
            for _ in range(int(rng.integers(1, 25)))
        ]
        cultures = rng.random((n, 6))
        batched = cultures.copy()
        converge_partners(batched, groups, 0.1)
        for members in groups:
            cultures[members] = converge(cultures[members], 0.1)
        assert np.array_equal(batched, cultures)
        cash = rng.uniform(0, 3, n)
        costs = rng.uniform(0, 2, len(groups)).tolist()
        parts = [SimpleNamespace(id=k, members=g) for k, g in enumerate(groups)]
        paid = cash.copy()
        unable = pay_costs(paid, parts, costs)
        expected = set()
        for k, members in enumerate(groups):
            for m in members:
                if cash[m] >= costs[k]:
                    cash[m] -= costs[k]
                else:
                    expected.add((k, m))
        assert np.array_equal(paid, cash)
        assert unable == expected


def test_network_statistics_remembered_are_answered_again_and_not_shared():
    network._statistics.cache_clear()
    groups = [[0, 1, 2], [2, 3]]
    first = group_statistics(10, groups)
    first["clusters"] = -1.0  # a caller changing its copy
    again = group_statistics(10, groups)
    assert network._statistics.cache_info().hits == 1
    assert again == network_statistics(collaboration_graph(10, groups))
