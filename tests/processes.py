"""Processes a test starts end with the test, whole process groups included.

A command the tests start (`clustersim compare`, `dask scheduler`, ...) may start
processes of its own: a forkserver and pool workers, Dask workers. Killing only the
command orphans those when it dies hard (SIGKILL) or times out. So every command is
started in a session and process group of its own, and the whole group is killed
when the test is done with it, however the test ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group led by `proc`, then reap `proc` and close its pipes."""
    # No such group: the leader and everything it started have ended already.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


@contextmanager
def started(args: Sequence[str | os.PathLike[str]], **popen: Any) -> Iterator[subprocess.Popen]:
    """`subprocess.Popen` in a new session; its whole process group is killed on leaving."""
    popen.setdefault("cwd", ROOT)
    proc = subprocess.Popen(args, start_new_session=True, **popen)
    try:
        yield proc
    finally:
        kill_group(proc)


def run_command(
    args: Sequence[str | os.PathLike[str]], *, timeout: float, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run(capture_output=True, text=True)`, but on a timeout or any other
    error the command's whole process group is killed, not only the command."""
    with started(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen) as proc:
        stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(list(args), proc.returncode, stdout, stderr)


def clustersim(
    *args: str | os.PathLike[str], timeout: float = 300, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m clustersim ARGS` as a user runs it, from the repository root."""
    command = [sys.executable, "-m", "clustersim", *map(str, args)]
    return run_command(command, timeout=timeout, **popen)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 and exactly one error line, the last (compare may first say what it starts),
    naming each of `words`; never a traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("clustersim: error: ")]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    for word in words:
        assert word in errors[0], result.stderr
