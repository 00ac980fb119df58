"""What produced a result: software versions, for manifests that let results be traced."""

from __future__ import annotations

import hashlib
import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import clustersim

# Every library whose version can change a number in the results: the model (mesa,
# numpy, networkx), the designs and statistics (scipy, SALib), the tables (pandas,
# pyarrow).
RESULT_LIBRARIES = ("mesa", "numpy", "pandas", "scipy", "SALib", "networkx", "pyarrow")


def software_versions() -> dict[str, str]:
    """Versions of clustersim and the libraries whose changes could change its numbers."""
    return {
        "clustersim": clustersim.__version__,
        **{name.lower(): _installed(name) for name in RESULT_LIBRARIES},
        "python": platform.python_version(),
    }


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:  # pragma: no cover - every one is a dependency
        return "not installed"


@cache
def model_sha256() -> str:
    """SHA-256 of the model's source (the package's top-level modules, in name order).

    Development versions share a version number, so results folders record this too: a
    folder made by other model code is never resumed into a mix of two models' runs.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(clustersim.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
