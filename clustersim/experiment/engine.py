"""Running an experiment's runs over any `concurrent.futures.Executor`.

The runner knows only the Executor interface: serial (for debugging), local
processes (the default) or an existing Dask distributed cluster all go through the
same loop. It keeps a bounded number of batches in flight, so the coordinator's memory
does not grow with the size of the experiment; it logs a batch's runs as done only
after the worker has written their files; it retries a run whose worker died or failed; and
on Ctrl-C it stops submitting, cancels what is queued and leaves a folder that the
same command resumes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tqdm import tqdm

from clustersim.experiment import compaction
from clustersim.experiment.spec import Experiment, RunSpec
from clustersim.experiment.store import ResultStore, StoreError
from clustersim.experiment.worker import execute_batch

MAX_ATTEMPTS = 3  # a run is tried at most this often, on any executor (see _retry_or_fail)
TARGET_S = 1.0  # model CPU seconds per task: per-task costs then weigh little (BatchSizer)
MAX_BATCH = 64  # runs per task at most: bounds a worker's memory and a batch's loss
BASE_S, PER_ORGANISATION_MONTH_S = 0.03, 7e-6  # a run's CPU seconds, first guess


class EngineError(Exception):
    """The engine cannot start as asked (e.g. no Dask scheduler at that address)."""


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process: for debugging and tests."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the caller sees it through future.result()
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class Engine:
    """How to make an executor, and how many runs to keep in flight on it.

    Made by one of three constructors, each a context manager that owns what the
    executor needs for as long as the block runs: `Engine.serial()`,
    `Engine.local(workers)` and `Engine.dask(address)`.
    """

    make: Callable[[], Executor]
    slots: int
    label: str

    @classmethod
    @contextmanager
    def serial(cls) -> Iterator[Engine]:
        """Every run in this process, one at a time: for debugging and tests."""
        yield cls(SerialExecutor, slots=1, label="serial")

    @classmethod
    @contextmanager
    def local(cls, workers: int | None = None) -> Iterator[Engine]:
        """Local worker processes, at most one per core, each tied to this process by a lifeline.

        More processes than cores would not run faster, only hold more memory each.
        """
        cores = os.cpu_count() or 1
        n = min(workers or cores, cores)
        capped = f", --workers {workers} capped at the {cores} cores" if n != (workers or n) else ""
        context = get_context("forkserver")
        # Workers fork from a server that has imported the model once, not each on its own.
        context.set_forkserver_preload(["clustersim.experiment.worker"])
        lifeline, keep_alive = context.Pipe(duplex=False)
        try:
            yield cls(
                lambda: ProcessPoolExecutor(
                    n, mp_context=context, initializer=_worker_start, initargs=(lifeline,)
                ),
                slots=2 * n,
                label=f"{n} local process{'es' if n > 1 else ''}{capped}",
            )
        finally:
            keep_alive.close()  # idle workers of a pool shut down without waiting end here
            lifeline.close()

    @classmethod
    @contextmanager
    def dask(cls, address: str) -> Iterator[Engine]:
        """An existing Dask distributed scheduler; its client lives as long as the block.

        Dask retries nothing (`retries` left at 0): the runner's own loop is the one
        place a failed run is retried, MAX_ATTEMPTS times in all, whatever the executor.
        """
        client = _dask_client(address)
        try:
            threads = sum(client.nthreads().values()) or 1
            yield cls(
                lambda: client.get_executor(pure=False),
                slots=2 * threads,
                label=f"Dask cluster at {address} ({threads} worker threads)",
            )
        finally:
            client.close()


def _dask_client(address: str) -> Any:  # distributed is imported only when asked for
    """A client of the scheduler at `address`, or an EngineError saying why not."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask is a dependency
        raise EngineError("--scheduler needs dask.distributed installed") from None
    try:
        return Client(address, timeout="20s")
    except OSError as exc:
        raise EngineError(f"--scheduler {address}: cannot connect ({exc})") from None
    except ValueError as exc:
        raise EngineError(
            f"--scheduler {address}: not an address ({exc}); use tcp://HOST:PORT"
        ) from None


def _worker_start(lifeline: Connection) -> None:
    """Workers leave Ctrl-C to the coordinator, and end the moment it ends, SIGKILL included.

    `lifeline` is the read end of a pipe whose only write end the coordinator holds;
    the kernel closes it when the coordinator dies however it dies, so a thread
    blocked reading it wakes and ends the worker. (A parent-death signal would not
    do: a forkserver's workers are its children, not the coordinator's.) With the
    workers gone, the forkserver and the resource tracker see their pipes close and
    end by themselves.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(lifeline,), name="lifeline", daemon=True).start()


def _end_with(lifeline: Connection) -> None:
    """Block until the coordinator's end of the lifeline closes, then end this process now."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            lifeline.recv_bytes()
    os._exit(1)


@dataclass(frozen=True)
class Outcome:
    """How an experiment invocation ended."""

    total: int
    already_done: int
    completed: int
    failed: list[str]

    @property
    def missing(self) -> int:
        return self.total - self.already_done - self.completed


def run_experiment(
    experiment: Experiment, out_dir: Path, engine: Engine, *, progress: bool = True
) -> Outcome:
    """Run every run of `experiment` not yet done in `out_dir`; resumable and retrying."""
    store = ResultStore.open(out_dir, experiment)  # holds the folder's lock until closed
    try:
        return _Runner(experiment, store, engine, progress).run()
    finally:
        store.close()


def resume(store: ResultStore) -> set[str]:
    """The runs already done, each file read in full once; a damaged unit is dropped in
    the log (its runs are redone) and dead files of ours are deleted.

    A unit is dropped only on evidence: its folder is there and its file is missing,
    of another size or fails its checksums. If data/ or a scenario's folder is missing
    (a disk not mounted), nothing is dropped: the command stops with one line.
    """
    intact = {unit.name for unit in store.intact_units(verify=True)}
    units = store.units()
    damaged = [name for name, unit in units.items() if unit.runs and name not in intact]
    for name in damaged:
        why = store.absent(units[name])
        if why is not None:
            raise StoreError(
                f"{why}, yet status.jsonl names files there; if the data lives on another "
                "disk, mount it and run the same command again (nothing was changed)"
            )
    if damaged:
        store.log({"status": "dropped", "units": damaged, "why": "files missing or damaged"})
    compaction.clean(store)
    return store.completed()


class BatchSizer:
    """How many runs of a scenario to send as one task: about TARGET_S of model time.

    The first guess is from organisations x months; the CPU seconds that workers
    report then rescale it, so a batch is about a second on this machine and model.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.measured, self.estimated = 0.0, 0.0

    def estimate(self, run: RunSpec) -> float:
        p = run.parameters
        organisations = p["n_smes"] + p["n_knowledge_institutions"] + p["n_governments"]
        return BASE_S + PER_ORGANISATION_MONTH_S * organisations * p["months"]

    def size(self, run: RunSpec, remaining: int) -> int:
        """Runs in the next batch: about TARGET_S, never so many that workers idle at the end."""
        scale = self.measured / self.estimated if self.estimated else 1.0
        wanted = int(TARGET_S / max(scale * self.estimate(run), 1e-6))
        return max(1, min(MAX_BATCH, wanted, -(-remaining // self.slots)))

    def learn(self, runs: list[RunSpec], seconds: list[float]) -> None:
        self.measured += sum(seconds)
        self.estimated += sum(self.estimate(run) for run in runs[: len(seconds)])


class _Runner:
    """One invocation's loop: what is queued, in flight, suspected, retried and failed.

    Runs go to workers in batches of one scenario (`BatchSizer`); a batch is logged
    done in one line once the worker has written its files, and a scenario whose runs
    are all settled is compacted (`compaction`). A dead process breaks the whole local
    pool, and every batch in flight fails with it: their runs become suspects, rerun
    one at a time, so only a run that kills its worker on its own is charged an
    attempt, and the others are not failed along with it.
    """

    def __init__(
        self, experiment: Experiment, store: ResultStore, engine: Engine, progress: bool
    ) -> None:
        runs = experiment.runs()
        self.store, self.engine, self.total = store, engine, len(runs)
        self.done = resume(store)  # a damaged file's runs are redone
        self.queue: deque[RunSpec] = deque(r for r in runs if r.run_id not in self.done)
        self.unsettled = Counter(run.scenario for run in self.queue)
        self.scenarios = list(dict.fromkeys(run.scenario for run in runs))
        self.suspects: deque[RunSpec] = deque()
        self.attempts: dict[str, int] = {}
        self.failed: list[str] = []
        self.completed = 0
        self.sizer = BatchSizer(engine.slots)
        self.data_dir = str(store.data_dir.resolve())  # workers may run in another folder
        self.executor: Executor | None = None
        self.in_flight: dict[Future, tuple[str, list[RunSpec]]] = {}
        self.bar = tqdm(
            total=len(runs),
            initial=len(self.done),
            desc=experiment.name,
            unit="run",
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def run(self) -> Outcome:
        """Loop until nothing is queued, suspected or in flight; log an interruption."""
        try:
            while self.queue or self.suspects or self.in_flight:
                self._step()
        except KeyboardInterrupt:
            done = len(self.done) + self.completed
            self.store.log({"status": "interrupted", "done": done, "total": self.total})
            raise
        finally:
            self.bar.close()
            if self.executor is not None:
                _stop(self.executor, self.in_flight)
        for scenario in self.scenarios:  # those settled before this invocation, too
            compaction.compact(self.store, scenario)
        compaction.clean(self.store)  # files of batches whose worker died mid-write
        # A file found damaged while merging loses its runs: then the folder is not finished.
        intact = self.store.completed()
        lost = sum(run.run_id not in intact for run in self.store.runs) - len(self.failed)
        if not lost:
            self.store.finish(failed=len(self.failed))
        completed = self.total - len(self.done) - len(self.failed) - lost
        return Outcome(self.total, len(self.done), completed, self.failed)

    def _step(self) -> None:
        """Fill the executor, wait for the first batch to end, and handle what ended."""
        if self.executor is None:
            self.executor = self.engine.make()
        if not self._submit():
            return
        alone = len(self.in_flight) == 1
        finished, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
        broken = False
        for future in finished:
            broken |= self._collect(future, alone)
        if broken:
            self._rebuild()

    def _submit(self) -> bool:
        """Keep the executor's slots full (one run at a time while suspects are rerun).

        False when the pool broke with nothing in flight to blame: it is rebuilt.
        """
        source, limit = (self.suspects, 1) if self.suspects else (self.queue, self.engine.slots)
        try:
            while source and len(self.in_flight) < limit:
                size = 1 if source is self.suspects else self.sizer.size(source[0], len(source))
                batch = _take(source, size)
                name = f"batch-{uuid.uuid4().hex[:12]}"
                # announced before a file is written under it: `clean` may then delete
                # what a dying worker leaves of it, and nothing it was not told of
                scenario = batch[0].scenario
                self.store.log({"status": "submitted", "batch": name, "scenario": scenario})
                try:
                    future = self.executor.submit(execute_batch, batch, self.data_dir, name)
                except BaseException:
                    source.extendleft(reversed(batch))
                    raise
                self.in_flight[future] = (name, batch)
        except BrokenProcessPool:  # a worker died between batches; what is in flight fails
            if not self.in_flight:  # and nothing was: no run to blame, rebuild the pool
                _stop(self.executor, self.in_flight)
                self.executor = None
                return False
        return True

    def _collect(self, future: Future, alone: bool) -> bool:
        """Record one ended batch's runs as done, retried or suspected; True if its worker died."""
        name, batch = self.in_flight.pop(future)
        try:
            result = future.result()
        except BrokenProcessPool:
            if alone and len(batch) == 1:
                self._retry_or_fail(batch[0], "worker process died", then=self.suspects)
            else:
                self.suspects.extend(batch)
            return True
        except Exception as exc:  # a failing batch must not sink the experiment
            # The worker catches each run's own errors, so this is the whole batch: a
            # worker Dask lost, a write that failed. Only a run alone is to blame.
            if len(batch) == 1:
                self._retry_or_fail(batch[0], f"{type(exc).__name__}: {exc}", then=self.queue)
            else:
                self.suspects.extend(batch)
            return False
        if result["runs"]:
            self.store.mark_batch_done(name, batch[0].scenario, result)
        done = set(result["runs"])
        self.sizer.learn([run for run in batch if run.run_id in done], result["seconds"])
        for run in reversed(batch):
            if run.run_id in result["failed"]:
                self._retry_or_fail(run, result["failed"][run.run_id], then=self.queue)
        for run in batch:
            if run.run_id in done:
                self._settle(run)
        self.completed += len(done)
        self.bar.update(len(done))
        return False

    def _settle(self, run: RunSpec) -> None:
        """A run is done or given up: compact its scenario once none of its runs is left."""
        self.unsettled[run.scenario] -= 1
        if self.unsettled[run.scenario] == 0:
            compaction.compact(self.store, run.scenario)

    def _retry_or_fail(self, run: RunSpec, error: str, then: deque[RunSpec]) -> None:
        """The one place attempts are counted: requeue a run or give it up as failed."""
        self.attempts[run.run_id] = self.attempts.get(run.run_id, 0) + 1
        if self.attempts[run.run_id] < MAX_ATTEMPTS:
            then.appendleft(run)
        else:
            self.failed.append(run.run_id)
            self.bar.set_postfix(failed=len(self.failed))
        self.store.mark_failed(run, error, self.attempts[run.run_id])
        if self.attempts[run.run_id] >= MAX_ATTEMPTS:
            self._settle(run)

    def _rebuild(self) -> None:
        """Requeue what was in flight as suspects and drop the broken pool."""
        for future, (_, batch) in self.in_flight.items():
            future.cancel()
            self.suspects.extend(batch)
        self.in_flight.clear()
        self.store.log(
            {
                "status": "worker process died",
                "rerun_one_at_a_time": [run.run_id for run in self.suspects],
            }
        )
        _stop(self.executor, self.in_flight)
        self.executor = None


def _take(source: deque[RunSpec], size: int) -> list[RunSpec]:
    """Up to `size` runs from the head of `source`, all of the head's scenario."""
    batch = [source.popleft()]
    while source and len(batch) < size and source[0].scenario == batch[0].scenario:
        batch.append(source.popleft())
    return batch


def _stop(executor: Executor, in_flight: dict[Future, Any]) -> None:
    """Cancel what has not started and let the executor go without waiting for the rest."""
    for future in in_flight:
        future.cancel()
    executor.shutdown(wait=False)
