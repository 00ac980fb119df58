"""What produced a result: software versions, for manifests that let results be traced."""

from __future__ import annotations

import platform

import mesa
import numpy as np
import pandas as pd

import clustersim


def software_versions() -> dict[str, str]:
    """Versions of clustersim and the libraries whose changes could change its numbers."""
    return {
        "clustersim": clustersim.__version__,
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }
