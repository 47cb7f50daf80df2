"""Built-in data: rate–distortion sources and joints for the IB (generated, no downloads)."""

from .digits import DigitsData, digits_cooccurrence
from .joints import clustered_joint, dirichlet_joint
from .sources import RDSource, binary_source, gaussian_source

__all__ = [
    "DigitsData",
    "RDSource",
    "binary_source",
    "clustered_joint",
    "digits_cooccurrence",
    "dirichlet_joint",
    "gaussian_source",
]
