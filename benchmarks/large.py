"""Large regions: time per step and peak memory at 50k to 200k organisations.

Each size runs in a fresh process (`python -m benchmarks.child large-region N MONTHS
SEED`), so its peak resident memory is its own. Regions keep the default density
(`benchmarks.population.region_of`): each organisation has about nine neighbours at
every size, so time and memory should grow linearly in N. Bytes per organisation are
the peak less the memory of the loaded interpreter, over N: what
`clustersim.resources` charges per organisation.

Months: the figures are meant for the same fit as `timing.scaling` (120 months), as
partnerships accumulate over the first years and a step of month 100 costs about 1.5
times one of month 10.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.child import peak_rss_mib
from benchmarks.timing import cluster_model, seconds_per_step

SIZES = [50_000, 100_000, 200_000]
MONTHS = 120


def one_region(n_organisations: int, months: int, seed: int) -> dict[str, float]:
    """Build and run one region of default policies in this process, measuring it.

    Call in a fresh process: the peak is this process's since it started.
    """
    imported = peak_rss_mib()  # interpreter, numpy, scipy, pandas and Mesa loaded
    start = time.perf_counter()
    model = cluster_model(n_organisations, months, seed, levers=False)
    build = time.perf_counter() - start
    pairs = model.awareness.neighbour_pairs
    step = seconds_per_step(model, months)
    peak = peak_rss_mib()
    return {
        "organisations": n_organisations,
        "months": months,
        "build_s": build,
        "seconds_per_step": step.wall_s,
        "cpu_seconds_per_step": step.cpu_s,
        "imported_rss_mib": imported,
        "peak_rss_mib": peak,
        "bytes_per_organisation": (peak - imported) * 2**20 / n_organisations,
        "neighbour_pairs": pairs,
        "neighbours_per_organisation": pairs / n_organisations,
    }


def large_regions(sizes: list[int], months: int, seed: int) -> dict[str, Any]:
    """Each size in a fresh process; JSON-ready figures, and the memory exponent.

    The exponent of peak memory less the interpreter, against N, is 1 when memory is
    linear in N (least squares on log-log, as `timing.fitted_exponent`).
    """
    from benchmarks.__main__ import _child  # here: __main__ may import this module
    from benchmarks.timing import fitted_exponent

    runs = [_child("large-region", n, months, seed) for n in sizes]
    result: dict[str, Any] = {"sizes": sizes, "months": months, "seed": seed, "runs": runs}
    if len(sizes) > 1:
        own = [r["peak_rss_mib"] - r["imported_rss_mib"] for r in runs]
        result["memory_exponent"] = fitted_exponent(sizes, own)
        result["time_exponent"] = fitted_exponent(sizes, [r["seconds_per_step"] for r in runs])
        cpu = [r["cpu_seconds_per_step"] for r in runs]
        result["cpu_time_exponent"] = fitted_exponent(sizes, cpu)
    return result
