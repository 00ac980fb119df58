"""clustersim: agent-based simulation of cluster formation.

SMEs, knowledge institutions and government choose partners by proximity, culture
fit and trust; partnerships form, work towards milestones, earn or lose trust, and
survive or dissolve. See docs/ODD.md for the model description.

The names below are loaded on first use (PEP 562), so that `import clustersim` and
the quick commands (`clustersim --version`, `--help`, `validate`, `params`) answer
without importing Mesa, NumPy or the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time see __getattr__
    from clustersim.model import ClusterModel
    from clustersim.parameters import ParameterError, Parameters

    __version__: str

_LAZY = {
    "ClusterModel": "clustersim.model",
    "ParameterError": "clustersim.parameters",
    "Parameters": "clustersim.parameters",
}
__all__ = ["ClusterModel", "ParameterError", "Parameters", "__version__"]


def _installed_version() -> str:
    """The version pip installed, from the package metadata: pyproject.toml is its one source."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clustersim")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """Import the module behind a public name only when the name is first used."""
    if name == "__version__":
        value: Any = _installed_version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The public names too, though not yet imported."""
    return sorted({*globals(), *_LAZY, "__version__"})
