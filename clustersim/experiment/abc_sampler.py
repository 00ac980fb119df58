"""A pyabc sampler that evaluates particles through the experiment engine, reproducibly.

pyabc's own samplers reseed every worker from the operating system and keep the
particles that happen to come back first, so a posterior depends on timing and on
the number of workers. Here particle i of generation t gets a seed of its own, derived
from (experiment seed, t, i) with numpy's SeedSequence. The worker seeds numpy's global
generator with it before calling pyabc's `simulate_one` (pyabc draws its proposals
there) and hands the same seed to the model. The generation keeps the first n accepted
particles *in index order*, whatever order they come back in: the same particles,
hence the same posterior bit for bit, on one process, many or a Dask cluster, and an
unbiased sample, since which particles are kept does not depend on how long they ran.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from numbers import Real
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from clustersim.experiment.engine import Engine

_model_seed: int | None = None  # the seed of the particle a worker is evaluating now
_one_at_a_time = threading.Lock()  # numpy's global generator is per process, not per thread
_interrupted = threading.Event()  # Ctrl-C seen while sampling, raised at a safe point
POLL_SECONDS = 0.2  # how often the sampler looks for a Ctrl-C while particles run


@contextmanager
def interrupt_deferred() -> Iterator[None]:
    """Ctrl-C inside the block is noted, then raised where the sampler checks for it.

    A KeyboardInterrupt raised wherever the signal lands can land in a finalizer (one of
    SQLAlchemy's, say), where Python prints and swallows it and sampling goes on. Noted
    instead, it stops the sampler between two particles, or at the end of the block.
    """
    _interrupted.clear()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: _interrupted.set())
    try:
        yield
        _raise_if_interrupted()
    finally:
        signal.signal(signal.SIGINT, previous)


def _raise_if_interrupted() -> None:
    if _interrupted.is_set():
        _interrupted.clear()
        raise KeyboardInterrupt


def particle_seeds(seed: int, t: int, index: int) -> tuple[int, np.ndarray]:
    """(model seed, proposal seed) of particle `index` of generation `t`.

    pyabc numbers its calibration sample t = -1, hence t + 1 in the spawn key.
    """
    state = np.random.SeedSequence(seed, spawn_key=(t + 1, index)).generate_state(4)
    return int(state[0]), state[1:]


def model_seed() -> int:
    """The seed of the particle being evaluated: the model function's seed."""
    if _model_seed is None:
        raise RuntimeError("model_seed() is only defined while a particle is evaluated")
    return _model_seed


@contextmanager
def _evaluating(seed: int, proposal: np.ndarray) -> Iterator[None]:
    """Seed numpy's and Python's global generators and the model for one particle."""
    global _model_seed
    np.random.seed(proposal)
    random.seed(int(proposal[0]))
    _model_seed = seed
    try:
        yield
    finally:
        _model_seed = None


def evaluate_batch(simulate_one: bytes, seed: int, t: int, indices: list[int]) -> list[Any]:
    """Run pyabc's `simulate_one` (cloudpickled) once per particle index, each seeded."""
    simulate = cloudpickle.loads(simulate_one)
    particles = []
    for index in indices:  # a Dask worker's threads share the global generators: take turns
        with _one_at_a_time, _evaluating(*particle_seeds(seed, t, index)):
            particles.append(simulate())
    return particles


class EngineSampler(Sampler):
    """Particles in batches through an Engine's executor; the first n accepted in index order.

    The executor is made on first use and shut down by `stop()` (pyabc calls it when a
    run ends, however it ends), so an interrupted calibration leaves no worker behind.
    """

    def __init__(self, engine: Engine, seed: int, batch: int = 1) -> None:
        super().__init__()
        self.engine, self.seed, self.batch = engine, seed, batch
        self.executor: Executor | None = None

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable,
        t: int,
        *,
        max_eval: Real = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """Evaluate indices 0, 1, 2, ... until the first n accepted are known in order."""
        if self.executor is None:
            self.executor = self.engine.make()
        payload = cloudpickle.dumps(simulate_one)
        results: dict[int, Any] = {}
        in_flight: dict[Future, list[int]] = {}
        submitted = 0
        try:
            while (cut := _cutoff(results, n, max_eval)) is None:
                while len(in_flight) < self.engine.slots and submitted < max_eval:
                    indices = list(range(submitted, int(min(submitted + self.batch, max_eval))))
                    future = self.executor.submit(evaluate_batch, payload, self.seed, t, indices)
                    in_flight[future] = indices
                    submitted = indices[-1] + 1
                finished, _ = wait(list(in_flight), POLL_SECONDS, return_when=FIRST_COMPLETED)
                _raise_if_interrupted()
                for future in finished:
                    results.update(zip(in_flight.pop(future), future.result(), strict=True))
        finally:
            for future in in_flight:  # past the cut-off, or interrupted: not needed
                future.cancel()
        return self._sample(results, cut, n)

    def _sample(self, results: dict[int, Any], cut: int, n: int) -> Any:
        sample = self._create_empty_sample()
        for index in range(cut):
            sample.append(results[index])
        self.nr_evaluations_ = cut
        sample.ok = sample.n_accepted == n
        return sample

    def stop(self) -> None:
        """Shut the executor down without waiting for particles no one needs."""
        if self.executor is not None:
            self.executor.shutdown(wait=False)  # what ran past the cut-off was cancelled
            self.executor = None

    def __getstate__(self) -> dict[str, Any]:  # pyabc may pickle its sampler; not the pool
        return {**self.__dict__, "executor": None}


def _cutoff(results: dict[int, Any], n: int, max_eval: Real) -> int | None:
    """How many leading indices hold the first n accepted particles (or all max_eval), or None.

    Only an unbroken run of indices from 0 counts: a later particle that came back
    early waits until every earlier one is known.
    """
    accepted = 0
    index = 0
    while index in results:
        accepted += bool(results[index].accepted)
        index += 1
        if accepted == n or index >= max_eval:
            return index
    return None
