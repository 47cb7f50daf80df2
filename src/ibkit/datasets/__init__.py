"""Built-in data: rate–distortion sources and joints for the IB (generated, no downloads)."""

from .joints import clustered_joint, dirichlet_joint
from .sources import RDSource, binary_source, gaussian_source

__all__ = [
    "RDSource",
    "binary_source",
    "clustered_joint",
    "dirichlet_joint",
    "gaussian_source",
]
