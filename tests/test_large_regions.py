"""Large regions (issue 15): the largest allowed population at the default density is a
valid scenario, the neighbour lists stay compact, and the large-region benchmark
reports each size from a process of its own. Timings are never asserted."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.large import large_regions
from benchmarks.population import region_of
from benchmarks.timing import Scaling, extended
from clustersim.parameters import Parameters
from clustersim.region import neighbours_within


def test_the_largest_population_at_the_default_density_is_allowed():
    p = Parameters(**region_of(200_000))  # 3,215 centres, a region of 1,268 km
    assert p.n_smes + p.n_knowledge_institutions + p.n_governments == 200_000


def test_neighbour_lists_are_one_index_array_and_offsets():
    rng = np.random.default_rng(5)
    lists = neighbours_within(rng.uniform(0, 10, (500, 2)), 1.0, chunk=64)
    assert lists.pairs == sum(len(near) for near in lists) == len(lists.indices)
    assert len(lists.offsets) == 501 and lists.offsets[-1] == lists.pairs
    with pytest.raises(ValueError):
        lists[3][:] = 0  # read-only: one organisation cannot change another's


def test_large_regions_reports_each_size_from_a_fresh_process():
    result = large_regions([300, 600], 3, 1)
    assert [run["organisations"] for run in result["runs"]] == [300, 600]
    for run in result["runs"]:
        assert run["months"] == 3 and run["neighbour_pairs"] > 0
        assert run["peak_rss_mib"] >= run["imported_rss_mib"] > 0
        assert run["seconds_per_step"] > 0 and run["cpu_seconds_per_step"] > 0
    assert {"memory_exponent", "time_exponent", "cpu_time_exponent"} <= result.keys()


def test_the_scaling_fit_extends_over_the_large_sizes():
    sizes = [1000, 2000]
    fit = Scaling(False, sizes, [1e-6 * n for n in sizes], [1e-6 * n for n in sizes], 1.0, 1.0)
    large = {"months": 120, "runs": [_run(50_000), _run(200_000)]}
    wide = extended(fit, 120, large)
    assert wide.sizes == [1000, 2000, 50_000, 200_000]
    assert wide.exponent == pytest.approx(1.0) and wide.cpu_exponent == pytest.approx(1.0)
    with pytest.raises(ValueError):
        extended(fit, 12, large)  # time per step depends on the months


def _run(n: int) -> dict:
    return {
        "organisations": n,
        "months": 120,
        "seconds_per_step": 1e-6 * n,
        "cpu_seconds_per_step": 1e-6 * n,
    }
