"""Exact information measures on pmf arrays (no torch, no matplotlib).

All functions take ``base=2`` (bits) by default, treat leading axes as batch axes, validate
their input (:class:`~ibkit.exceptions.InvalidDistributionError` names the bad argument), and
return results in the caller's array type (NumPy, torch, CuPy, any array-API array).
"""

from ._divergence import js_divergence, kl_divergence
from ._entropy import conditional_entropy, cross_entropy, entropy, joint_entropy
from ._mutual import conditional_mutual_information, mutual_information

__all__ = [
    "conditional_entropy",
    "conditional_mutual_information",
    "cross_entropy",
    "entropy",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
]
