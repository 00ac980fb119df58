"""clustersim: agent-based simulation of cluster formation.

SMEs, knowledge institutions and government choose partners by proximity, culture
fit and trust; partnerships form, work towards milestones, earn or lose trust, and
survive or dissolve. See docs/ODD.md for the model description.
"""

from clustersim.model import ClusterModel
from clustersim.parameters import ParameterError, Parameters

__version__ = "0.1.0"
__all__ = ["ClusterModel", "ParameterError", "Parameters", "__version__"]
