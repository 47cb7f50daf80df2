"""ibkit: the Information Bottleneck principle, computable end to end.

>>> import ibkit as ib
>>> float(ib.mutual_information([[0.5, 0.0], [0.0, 0.5]]))
1.0
"""

from . import exceptions, measures
from .exceptions import (
    ConvergenceWarning,
    DataFormatError,
    IBKitError,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)
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

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "DataFormatError",
    "IBKitError",
    "InvalidDistributionError",
    "InvalidParameterError",
    "ShapeMismatchError",
    "__version__",
    "conditional_entropy",
    "conditional_mutual_information",
    "cross_entropy",
    "entropy",
    "exceptions",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "measures",
    "mutual_information",
]
