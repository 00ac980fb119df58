"""Time per model step: ClusterModel, and Mesa's BoltzmannWealth as a reference."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from mesa.examples import BoltzmannWealth

from benchmarks.population import every_lever, region_of
from clustersim import ClusterModel


@dataclass(frozen=True)
class StepTime:
    """Mean wall and CPU seconds per step; on a busy machine CPU time is the steadier."""

    wall_s: float
    cpu_s: float


def seconds_per_step(model: mesa.Model, steps: int) -> StepTime:
    """Mean time of `steps` steps (construction excluded), stopping if the model does."""
    done = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while done < steps and model.running:
        model.step()
        done += 1
    done = max(done, 1)
    return StepTime((time.perf_counter() - wall) / done, (time.process_time() - cpu) / done)


def cluster_model(n_organisations: int, months: int, seed: int, levers: bool) -> ClusterModel:
    """A ClusterModel of `n_organisations` at the default density, with or without levers."""
    parameters: dict[str, Any] = {**region_of(n_organisations), "months": months}
    if levers:
        parameters |= every_lever(n_organisations)
    return ClusterModel(seed=seed, **parameters)


def boltzmann_model(n_agents: int, seed: int) -> BoltzmannWealth:
    """Mesa's BoltzmannWealth at its own density of one agent per cell (100 on 10 x 10)."""
    side = max(1, round(n_agents**0.5))
    return BoltzmannWealth(n=n_agents, width=side, height=side, seed=seed)


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope b of log(seconds) = a + b log(size), by least squares: 1 is linear."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


@dataclass(frozen=True)
class Scaling:
    """Seconds per step at each size, and the fitted exponents (wall and CPU time)."""

    levers: bool
    sizes: list[int]
    seconds_per_step: list[float]
    cpu_seconds_per_step: list[float]
    exponent: float
    cpu_exponent: float


def scaling(sizes: list[int], months: int, seed: int, levers: bool) -> Scaling:
    """Time a whole run at each size; the fit is over all of them."""
    times = [seconds_per_step(cluster_model(n, months, seed, levers), months) for n in sizes]
    wall = [t.wall_s for t in times]
    cpu = [t.cpu_s for t in times]
    return Scaling(
        levers, sizes, wall, cpu, fitted_exponent(sizes, wall), fitted_exponent(sizes, cpu)
    )


def extended(fit: Scaling, months: int, large: dict[str, Any]) -> Scaling:
    """`fit` (of `months`) with the sizes of `large.large_regions` added and the exponents
    refitted: one exponent from 1k to 200k. Both must be default policies over the same
    months, as time per step grows while partnerships accumulate."""
    if fit.levers or large["months"] != months:
        raise ValueError("extend only the default-policy scaling, over the same months")
    runs = [r for r in large["runs"] if r["organisations"] not in fit.sizes]
    sizes = fit.sizes + [r["organisations"] for r in runs]
    wall = fit.seconds_per_step + [r["seconds_per_step"] for r in runs]
    cpu = fit.cpu_seconds_per_step + [r["cpu_seconds_per_step"] for r in runs]
    return Scaling(
        False, sizes, wall, cpu, fitted_exponent(sizes, wall), fitted_exponent(sizes, cpu)
    )


@dataclass(frozen=True)
class Reference:
    """ClusterModel against BoltzmannWealth at the same size, measured in turns."""

    n_agents: int
    steps: int
    cluster_seconds: list[float]
    boltzmann_seconds: list[float]
    cluster_cpu_seconds: list[float]
    boltzmann_cpu_seconds: list[float]

    @property
    def ratio(self) -> float:
        """Median ClusterModel time per step over median BoltzmannWealth time per step."""
        return statistics.median(self.cluster_seconds) / statistics.median(self.boltzmann_seconds)

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time."""
        return statistics.median(self.cluster_cpu_seconds) / statistics.median(
            self.boltzmann_cpu_seconds
        )


def reference(n_agents: int, steps: int, repeats: int, seed: int) -> Reference:
    """Alternate the two models `repeats` times, so drifts in machine load hit both."""
    cluster, boltzmann = [], []
    for k in range(repeats):
        cluster.append(seconds_per_step(cluster_model(n_agents, steps, seed + k, False), steps))
        boltzmann.append(seconds_per_step(boltzmann_model(n_agents, seed + k), steps))
    return Reference(
        n_agents,
        steps,
        [t.wall_s for t in cluster],
        [t.wall_s for t in boltzmann],
        [t.cpu_s for t in cluster],
        [t.cpu_s for t in boltzmann],
    )
