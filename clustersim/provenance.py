"""What produced a result: software versions, for manifests that let results be traced."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

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
