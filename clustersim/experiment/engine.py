"""Running an experiment's runs over any `concurrent.futures.Executor`.

The runner knows only the Executor interface: serial (for debugging), local
processes (the default) or an existing Dask distributed cluster all go through the
same loop. It keeps a bounded number of runs in flight, so the coordinator's memory
does not grow with the size of the experiment; it logs each run as done only after
the worker has written its files; it retries a run whose worker died or failed; and
on Ctrl-C it stops submitting, cancels what is queued and leaves a folder that the
same command resumes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

from tqdm import tqdm

from clustersim.experiment.spec import Experiment, RunSpec
from clustersim.experiment.store import ResultStore
from clustersim.experiment.worker import execute_run

MAX_ATTEMPTS = 3


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
class Backend:
    """How to make an executor, and how many runs to keep in flight on it."""

    make: Callable[[], Executor]
    slots: int
    label: str


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


@contextmanager
def _local_pool(workers: int | None) -> Iterator[Backend]:
    """Local worker processes, at most one per core, each tied to this process by a lifeline.

    More processes than cores would not run faster, only hold more memory each.
    """
    cores = os.cpu_count() or 1
    n = min(workers or cores, cores)
    capped = f", --workers {workers} capped at the {cores} cores" if n != (workers or n) else ""
    context = get_context("forkserver")
    lifeline, keep_alive = context.Pipe(duplex=False)
    try:
        yield Backend(
            lambda: ProcessPoolExecutor(
                n, mp_context=context, initializer=_worker_start, initargs=(lifeline,)
            ),
            slots=2 * n,
            label=f"{n} local process{'es' if n > 1 else ''}{capped}",
        )
    finally:
        keep_alive.close()  # idle workers of a pool shut down without waiting end here
        lifeline.close()


@contextmanager
def backend(
    *, serial: bool = False, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Backend]:
    """The executor factory for the chosen engine; a Dask client lives as long as the block."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - dask is a dependency
            raise EngineError("--scheduler needs dask.distributed installed") from None
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise EngineError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        except ValueError as exc:
            raise EngineError(
                f"--scheduler {scheduler}: not an address ({exc}); use tcp://HOST:PORT"
            ) from None
        try:
            threads = sum(client.nthreads().values()) or 1
            yield Backend(
                lambda: client.get_executor(pure=False, retries=MAX_ATTEMPTS - 1),
                slots=2 * threads,
                label=f"Dask cluster at {scheduler} ({threads} worker threads)",
            )
        finally:
            client.close()
    elif serial:
        yield Backend(SerialExecutor, slots=1, label="serial")
    else:
        with _local_pool(workers) as pool:
            yield pool


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
    experiment: Experiment, out_dir: Path, engine: Backend, *, progress: bool = True
) -> Outcome:
    """Run every run of `experiment` not yet done in `out_dir`; resumable and retrying."""
    store = ResultStore.open(out_dir, experiment)
    runs = experiment.runs()
    done = store.completed(verify=True)  # a damaged file's run is redone
    queue: deque[RunSpec] = deque(r for r in runs if r.run_id not in done)
    attempts: dict[str, int] = {}
    failed: list[str] = []
    completed = 0
    data_dir = str(store.data_dir.resolve())  # workers may run in another folder
    bar = tqdm(
        total=len(runs),
        initial=len(done),
        desc=experiment.name,
        unit="run",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    executor: Executor | None = None
    in_flight: dict[Future, RunSpec] = {}

    def retry_or_fail(run: RunSpec, error: str, then: deque[RunSpec] = queue) -> None:
        attempts[run.run_id] = attempts.get(run.run_id, 0) + 1
        if attempts[run.run_id] < MAX_ATTEMPTS:
            then.appendleft(run)
        else:
            failed.append(run.run_id)
            bar.set_postfix(failed=len(failed))
        store.mark_failed(run, error, attempts[run.run_id])

    # A dead process breaks the whole local pool, and every run in flight fails with it:
    # those become suspects, rerun one at a time, so only a run that kills its worker
    # on its own is charged an attempt, and the others are not failed along with it.
    suspects: deque[RunSpec] = deque()
    try:
        while queue or suspects or in_flight:
            if executor is None:
                executor = engine.make()
            source, limit = (suspects, 1) if suspects else (queue, engine.slots)
            try:
                while source and len(in_flight) < limit:
                    in_flight[executor.submit(execute_run, source[0], data_dir)] = source[0]
                    source.popleft()
            except BrokenProcessPool:  # a worker died between runs; what is in flight fails
                if not in_flight:  # and nothing was: no run to blame, rebuild the pool
                    _stop(executor, in_flight)
                    executor = None
                    continue
            alone = len(in_flight) == 1
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                run = in_flight.pop(future)
                try:
                    rows = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        retry_or_fail(run, "worker process died", then=suspects)
                    else:
                        suspects.append(run)
                except Exception as exc:  # a failing run must not sink the experiment
                    retry_or_fail(run, f"{type(exc).__name__}: {exc}")
                else:
                    store.mark_done(run, rows)
                    completed += 1
                    bar.update()
            if broken:  # requeue what was in flight as suspects and rebuild the pool
                for future, run in in_flight.items():
                    future.cancel()
                    suspects.append(run)
                in_flight.clear()
                store.log(
                    {
                        "status": "worker process died",
                        "rerun_one_at_a_time": [run.run_id for run in suspects],
                    }
                )
                _stop(executor, in_flight)
                executor = None
    except KeyboardInterrupt:
        store.log({"status": "interrupted", "done": len(done) + completed, "total": len(runs)})
        raise
    finally:
        bar.close()
        if executor is not None:
            _stop(executor, in_flight)
    store.finish(failed=len(failed))
    return Outcome(len(runs), len(done), completed, failed)


def _stop(executor: Executor, in_flight: dict[Future, RunSpec]) -> None:
    """Cancel what has not started and let the executor go without waiting for the rest."""
    for future in in_flight:
        future.cancel()
    executor.shutdown(wait=False)
