"""Output folders the tool may write: checked before any work, one writer at a time.

Every command that writes a folder checks here first, so a path that cannot be
written (under a file, on a read-only or virtual file system) is refused before a
simulation spends minutes, and a second command on the same folder is refused
instead of doing the same work twice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """An output folder that cannot be used as asked; one line for the user."""


def check_writable(out: Path, flag: str = "--out") -> None:
    """Refuse `out` unless it is (or can become) a folder this process can write into.

    Probes by creating and removing a temporary folder in the nearest existing
    ancestor: permission bits lie (root, read-only mounts, /proc), a real attempt does not.
    """
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise OutputError(f"{flag} {out}: exists and is not a folder; choose another path")
    ancestor = out
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"{flag} {out}: {ancestor} is a file, so no folder can be made under it; "
            "choose another path"
        )
    # The lock file and a run's staging folder go beside `out`, the results into it.
    for probe_in in (out.parent, out) if ancestor == out else (ancestor,):
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".clustersim-probe.", dir=probe_in))
        except OSError as exc:
            raise OutputError(
                f"{flag} {out}: cannot write in {probe_in} ({exc.strerror or exc}); "
                "choose another path"
            ) from None


def lock_path(folder: Path) -> Path:
    """The lock file of a results folder, taken by every command before it writes there.

    A hidden sibling, because the command may have to create, check or refuse the
    folder itself first; keyed on the real path, so two names of one folder (a
    symbolic link) share one lock. An experiment's store also locks from inside the
    folder while it writes (`store.LOCK_NAME`), which covers library callers too.
    """
    folder = Path(os.path.realpath(folder))
    return folder.with_name(f".{folder.name}.lock")


@contextmanager
def folder_lock(folder: Path, flag: str = "--out") -> Iterator[None]:
    """Hold the results folder's lock for the block; refuse at once if another command holds it.

    The lock is an OS file lock (released by the kernel if the holder dies, even by
    SIGKILL), so a crashed command never leaves a folder locked.
    """
    from filelock import FileLock, Timeout

    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputError(
            f"{flag} {os.path.abspath(folder)}: another clustersim command is writing this "
            "folder right now; wait for it to finish, or choose another --out"
        ) from None
    try:
        yield
    finally:
        lock.release()
