"""Shared helpers: small models that run in well under a second; and the check that
nothing the tests started is still running when they end."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator

import psutil
import pytest

from clustersim import ClusterModel

SMALL = {
    "n_smes": 80,
    "n_knowledge_institutions": 3,
    "n_governments": 2,
    "region_km": 25.0,
    "n_centres": 3,
}


def run_model(months: int = 36, seed: int = 1, **overrides) -> ClusterModel:
    """A small region run to its end: most mechanism tests need a finished run, quickly."""
    model = ClusterModel(seed=seed, **{**SMALL, "months": months, **overrides})
    while model.running:
        model.step()
    return model


@pytest.fixture
def small_model() -> ClusterModel:
    return ClusterModel(seed=3, **{**SMALL, "months": 60})


# --- nothing left running ------------------------------------------------------------

# Every process the tests start inherits this variable, set to a value of this pytest
# process's own (under pytest-xdist each worker sets its own). A process that outlives
# its parent is re-parented to init and is no longer our descendant; the mark still
# finds it.
SESSION_MARK = "CLUSTERSIM_TEST_SESSION"
GRACE_SECONDS = 10.0  # for processes that are ending on their own, e.g. a forkserver


def pytest_configure(config: pytest.Config) -> None:
    """Mark this session before any test starts a process, so its orphans can be found."""
    os.environ[SESSION_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"


def _own_multiprocessing_helpers() -> set[int]:
    """This process's forkserver and resource tracker, which in-process pools start.

    multiprocessing keeps both until the process that started them exits: each reads a
    pipe from this pytest process and ends when it closes. They die with pytest, so they
    are no leak; the pool workers they forked are still checked like any other process.
    """
    from multiprocessing import forkserver, resource_tracker

    pids = {
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    }
    return {pid for pid in pids if pid is not None}


def _running(process: psutil.Process) -> bool:
    """Alive and not a zombie: a zombie has ended and only waits for its parent to reap it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def started_by_tests() -> list[psutil.Process]:
    """Live processes the tests started: descendants of this one and orphans with our mark."""
    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)}
    mark = os.environ[SESSION_MARK]
    for process in psutil.process_iter():
        if process.pid in found or process.pid == me.pid:
            continue
        try:
            if process.environ().get(SESSION_MARK) == mark:
                found[process.pid] = process
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # not ours to read, or already gone
    exempt = _own_multiprocessing_helpers()
    return [p for p in found.values() if p.pid not in exempt and _running(p)]


def _describe(process: psutil.Process, helpers: set[int]) -> str:
    """Its pid, parent and command line; a pool worker has its forkserver's command line."""
    try:
        parent = process.ppid()
        line = " ".join(process.cmdline())[:300]
    except psutil.Error:
        return f"pid {process.pid}: (ended while being described)"
    if parent in helpers:
        return f"pid {process.pid}, a worker of a pool this pytest never shut down: {line}"
    return f"pid {process.pid}, child of pid {parent}: {line}"


@pytest.fixture(scope="session", autouse=True)
def nothing_left_running() -> Iterator[None]:
    """Fail the run if a process the tests started outlives them (issue 10): a pool,
    cluster, server or command left behind keeps using a machine CI shares."""
    yield
    deadline = time.monotonic() + GRACE_SECONDS
    survivors = started_by_tests()
    while survivors and time.monotonic() < deadline:
        time.sleep(0.2)
        survivors = [p for p in survivors if _running(p)]
    if not survivors:
        return
    helpers = _own_multiprocessing_helpers()
    report = [_describe(p, helpers) for p in survivors]
    for process in survivors:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    pytest.fail(
        f"{len(report)} processes started by the tests were still running at the end "
        f"(now killed):\n  " + "\n  ".join(report),
        pytrace=False,
    )
