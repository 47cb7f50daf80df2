"""ibkit: the Information Bottleneck principle, computable end to end.

>>> import ibkit as ib
>>> float(ib.mutual_information([[0.5, 0.0], [0.0, 0.5]]))
1.0
"""

from . import datasets, estimators, exceptions, ib, measures, metrics, rate_distortion, schedules
from .estimators import EntropyEstimate, MIEstimate, estimate_entropy, estimate_mi
from .exceptions import (
    ConvergenceWarning,
    DataFormatError,
    IBKitError,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)
from .ib import IBSolution, information_bottleneck
from .measures import (
    conditional_entropy,
    conditional_mutual_information,
    cross_entropy,
    entropy,
    joint_entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
)
from .rate_distortion import (
    CapacitySolution,
    RDCurve,
    RDSolution,
    binary_hamming_rd,
    blahut_arimoto,
    channel_capacity,
    gaussian_mse_rd,
    hamming,
    rd_curve,
    squared_error,
)

__version__ = "0.1.0"

__all__ = [
    "CapacitySolution",
    "ConvergenceWarning",
    "DataFormatError",
    "EntropyEstimate",
    "IBKitError",
    "IBSolution",
    "InvalidDistributionError",
    "InvalidParameterError",
    "MIEstimate",
    "RDCurve",
    "RDSolution",
    "ShapeMismatchError",
    "__version__",
    "binary_hamming_rd",
    "blahut_arimoto",
    "channel_capacity",
    "conditional_entropy",
    "conditional_mutual_information",
    "cross_entropy",
    "datasets",
    "entropy",
    "estimate_entropy",
    "estimate_mi",
    "estimators",
    "exceptions",
    "gaussian_mse_rd",
    "hamming",
    "ib",
    "information_bottleneck",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "measures",
    "metrics",
    "mutual_information",
    "rate_distortion",
    "rd_curve",
    "schedules",
    "squared_error",
]
