"""How much memory a run will need, checked against the machine before it starts.

A run's peak memory is, measured (docs in `estimate_bytes`):

* the interpreter with numpy, pandas, scipy and Mesa loaded (`BASE_BYTES`);
* the neighbour lists of the awareness structure, 8 bytes for every ordered pair of
  organisations within `awareness_radius_km` of each other: this dominates, and
  grows with the square of the population in a region of fixed size;
* the organisations themselves (arrays, Mesa agents, Mesa's space): per organisation;
* the records (ties, memberships, events, series, trust, contacts), which grow with
  the months, faster where each organisation knows more others;
* contacts made at matchmaking events, which grow with their size and number.

The number of neighbour pairs depends on where the organisations sit, so it is
counted on a sample of positions drawn the way the model draws them. A scenario
whose estimate exceeds the memory available is refused in one line, before any
work, naming the estimate, the machine's memory and what to lower. Experiments are
charged one run per worker process; the workers are capped to what fits.

`CLUSTERSIM_AVAILABLE_MEMORY` (bytes, or with a KiB/MiB/GiB suffix) replaces the
machine's available memory: for tests, and for a user who knows better (swap).
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Iterable
from typing import Any

from clustersim.parameters import ParameterError, Parameters

BASE_BYTES = 256 * 2**20  # python, numpy, pandas, scipy, Mesa imported: measured 250 MB
BYTES_PER_PAIR = 8  # one int64 index in a neighbour list
QUERY_CHUNK = 256  # locations per neighbour query (`region.neighbours_within`)
BYTES_PER_QUERY_PAIR = 40  # a Python int in a list, while one chunk is converted
BYTES_PER_ORGANISATION = 1_600  # measured 1,120 at 100k once built (arrays, agents, space)
BYTES_PER_ORGANISATION_MONTH = 15  # records, plus 1 byte per neighbour (below)
BYTES_PER_NEIGHBOUR_MONTH = 1  # denser regions form and remember more partnerships
NEIGHBOURS_SATURATE = 95  # beyond this many neighbours each, records grow no faster
BYTES_PER_CONTACT = 90  # one organisation in another's set of contacts (matchmaking)
SAMPLE = 4_000  # positions counted for the neighbour estimate
DRAWS = 3  # regions drawn; the largest count is used
DASHBOARD_MAX_ORGANISATIONS = 20_000  # a live page draws every organisation every month
ENV = "CLUSTERSIM_AVAILABLE_MEMORY"
_PAIR_PARAMETERS = (  # what the neighbour lists depend on, in the order of `_pairs`
    *("n_smes", "n_knowledge_institutions", "n_governments", "region_km"),
    *("n_centres", "centre_spread_km", "awareness_radius_km"),
)
_SIZE_PARAMETERS = (  # what memory depends on
    *_PAIR_PARAMETERS,
    *("months", "matchmaking", "matchmaking_interval_months"),
    *("matchmaking_participants", "matchmaking_introductions"),
)
_POWERS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_UNITS = {**_POWERS, **{f"{u}ib": k for u, k in _POWERS.items() if u not in ("", "b")}}


class ResourceError(ParameterError):
    """A scenario that would not fit in memory; one line for the user."""


def organisations(p: Parameters) -> int:
    """Everyone in the region: SMEs, knowledge institutions and government."""
    return p.n_smes + p.n_knowledge_institutions + p.n_governments


def neighbour_pairs(p: Parameters) -> float:
    """Expected ordered pairs within the awareness radius, counted on sampled regions.

    Positions are drawn as the model draws them (fixed seeds, so the estimate is the
    same every time); a sample of `SAMPLE` is scaled up by the number of pairs.
    """
    return _pairs(*(getattr(p, name) for name in _PAIR_PARAMETERS))


@functools.lru_cache(maxsize=256)
def _pairs(
    n_smes: int, n_ki: int, n_gov: int, region_km: float, n_centres: int, spread: float, r: float
) -> float:
    import numpy as np  # here: `validate` checks small configs without numpy or scipy
    from scipy.spatial import cKDTree

    from clustersim import region

    n = n_smes + n_ki + n_gov
    if n < 2:
        return 0.0
    m = min(n, SAMPLE)
    smes = round(n_smes * m / n)
    most = 0.0
    for seed in range(DRAWS):
        rng = np.random.default_rng(seed)
        centres = region.draw_centres(n_centres, region_km, rng)
        positions = np.vstack(
            [
                region.scatter_around(centres, smes, spread, region_km, rng),
                region.place_in_centres(centres, m - smes, region_km, rng),
            ]
        )
        tree = cKDTree(positions)
        within = tree.count_neighbors(tree, r) - m  # not oneself
        most = max(most, float(within) * (n * (n - 1)) / (m * (m - 1)))
    return most


def estimate_bytes(p: Parameters, pairs: float | None = None) -> int:
    """Peak resident memory of one run of `p`, in bytes (measured fit, see module doc).

    At the default density (about 9 neighbours each, `benchmarks.large`, 120 months)
    the peak less the interpreter was 4,130 bytes an organisation at 50k, 100k and
    200k (1,019 MiB at 200k; estimated 1,141 MiB). In the default 50 km region, where
    the neighbour lists dominate (measured before they were stored end to end, which
    saves 380 bytes an organisation), peaks against the estimate then (MiB): 5k SMEs
    244/275 (304/337 at 120 months, 108 neighbours each), 20k 334/386, 50k 733/842
    (3 months), 100k 2,018/2,278, 200k 7,072/7,783 (1 month). `pairs` replaces the
    counted neighbour pairs.
    """
    n = organisations(p)
    pairs = neighbour_pairs(p) if pairs is None else pairs
    transient = BYTES_PER_QUERY_PAIR * QUERY_CHUNK * pairs / max(n, 1)
    known = min(pairs / max(n, 1), NEIGHBOURS_SATURATE)
    monthly = BYTES_PER_ORGANISATION_MONTH + BYTES_PER_NEIGHBOUR_MONTH * known
    return int(
        BASE_BYTES
        + BYTES_PER_PAIR * pairs
        + transient
        + BYTES_PER_ORGANISATION * n
        + monthly * n * p.months
        + BYTES_PER_CONTACT * matchmaking_contacts(p)
    )


def matchmaking_contacts(p: Parameters) -> float:
    """Contacts matchmaking can add over the run: two per introduction, at most all pairs.

    Measured: 5k SMEs, 5,000 participants with 100 introductions every month for a
    year (12 M contacts) took 1.0 GB more than the same run without matchmaking.
    """
    if not p.matchmaking:
        return 0.0
    n = organisations(p)
    events = p.months // p.matchmaking_interval_months + 1
    made = 2 * events * min(p.matchmaking_participants, n) * p.matchmaking_introductions
    return float(min(made, n * (n - 1)))


def available_bytes() -> int:
    """Memory this machine can give now: `CLUSTERSIM_AVAILABLE_MEMORY`, else psutil's."""
    told = os.environ.get(ENV)
    if told is not None:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", told)
        if not match or match.group(2).lower() not in _UNITS:
            raise ResourceError(f"{ENV}={told!r}: not an amount of memory, e.g. 8GiB")
        return int(float(match.group(1)) * 1024 ** _UNITS[match.group(2).lower()])
    import psutil

    return int(psutil.virtual_memory().available)


def size(n_bytes: float) -> str:
    """Bytes in words: '2.8 GiB', '350 MiB'."""
    if n_bytes >= 2**30:
        return f"{n_bytes / 2**30:.1f} GiB"
    return f"{n_bytes / 2**20:.0f} MiB"


def _advice(p: Parameters) -> str:
    """What to lower: the population, the radius, or matchmaking when it dominates."""
    if BYTES_PER_CONTACT * matchmaking_contacts(p) > BYTES_PER_PAIR * neighbour_pairs(p):
        return (
            f"lower matchmaking_participants (now {p.matchmaking_participants}) or "
            f"matchmaking_introductions (now {p.matchmaking_introductions}), raise "
            f"matchmaking_interval_months (now {p.matchmaking_interval_months}) or n_smes"
        )
    known = neighbour_pairs(p) / max(organisations(p), 1)
    return (
        f"lower n_smes (now {p.n_smes}) or awareness_radius_km (now "
        f"{p.awareness_radius_km:g}; each organisation would know about {known:,.0f} others)"
    )


def check_run(p: Parameters, what: str) -> None:
    """Refuse `p` (ResourceError) if one run would not fit in the memory available.

    When even everyone knowing everyone would fit, the neighbours are not counted.
    """
    have = available_bytes()
    n = organisations(p)
    if estimate_bytes(p, pairs=float(n * (n - 1))) <= have:
        return
    need = estimate_bytes(p)
    if need > have:
        raise ResourceError(
            f"{what}: a run needs about {size(need)} of memory and this machine has "
            f"{size(have)} available; {_advice(p)}"
        )


def check_dashboard(p: Parameters) -> None:
    """Refuse what the live page cannot show: too many organisations, or too much memory."""
    n = organisations(p)
    if n > DASHBOARD_MAX_ORGANISATIONS:
        raise ResourceError(
            f"{n:,} organisations: the dashboard shows at most "
            f"{DASHBOARD_MAX_ORGANISATIONS:,}; lower n_smes (now {p.n_smes}) or run it "
            "with `clustersim run`"
        )
    check_run(p, "the dashboard")


def fit_workers(
    scenarios: Iterable[Parameters], what: str, workers: int | None, serial: bool
) -> tuple[int | None, str]:
    """Workers that fit in memory, each holding one run, and a note if fewer than asked.

    Refuses (ResourceError) when not even one run fits. Every worker is charged the
    largest run (`largest_run`).
    """
    worst, largest = largest_run(scenarios)
    have = available_bytes()
    # serial runs in this process; a pool adds worker processes to this coordinator
    budget = have if serial else have - BASE_BYTES
    if largest > budget:
        raise ResourceError(
            f"{what}: its largest run needs about {size(largest)} of memory and this "
            f"machine has {size(have)} available; {_advice(worst)}"
        )
    if serial:
        return workers, ""
    cores = os.cpu_count() or 1
    asked = min(workers or cores, cores)
    fits = int(budget // largest)
    if asked <= fits:
        return workers, ""
    return fits, (
        f"; {fits} worker{'s' if fits > 1 else ''}, not {asked}, as each run needs about "
        f"{size(largest)} and {size(have)} is available"
    )


def largest_run(scenarios: Iterable[Parameters], most: int = 32) -> tuple[Parameters, int]:
    """The scenario with the largest estimate, and the estimate.

    Only parameters memory depends on tell scenarios apart; of more than `most`
    distinct ones, the `most` with the most organisation pairs in a same-centre
    neighbourhood or a uniform region (a cheap formula) are counted, 0.1 s each.
    """
    distinct = list({tuple(_sizes(p).values()): p for p in scenarios}.values())
    if not distinct:
        return Parameters(), BASE_BYTES
    distinct.sort(key=_rough_pairs, reverse=True)
    sized = [(p, estimate_bytes(p)) for p in distinct[:most]]
    return max(sized, key=lambda pair: pair[1])


def _rough_pairs(p: Parameters) -> float:
    """Pairs if SMEs sat normally around their centre alone, or uniformly in the region."""
    n, r = organisations(p), p.awareness_radius_km
    same_centre = -math.expm1(-(r**2) / (4 * p.centre_spread_km**2)) / p.n_centres
    uniform = min(1.0, math.pi * r**2 / p.region_km**2)
    return float(n * n * (same_centre + uniform)) + n * p.months


def _sizes(p: Parameters) -> dict[str, float]:
    """The parameters memory depends on: the population, the region and the horizon."""
    return {name: getattr(p, name) for name in _SIZE_PARAMETERS}


def experiment_scenarios(scenarios: dict[str, Parameters], points: Any) -> list[Parameters]:
    """Every distinct size an experiment runs: its scenarios with each design point's sizes.

    `points` is the design (a DataFrame, one row per point); only the columns memory
    depends on are applied, so a sweep of other parameters costs one estimate.
    """
    columns = [c for c in points.columns if c in _SIZE_PARAMETERS]
    rows = points[columns].drop_duplicates().to_dict("records") if columns else [{}]
    return [base.replace(**row) if row else base for base in scenarios.values() for row in rows]
