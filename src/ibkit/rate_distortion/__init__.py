"""Rate–distortion theory: distortion matrices, Blahut–Arimoto with certified bounds, R(D)
curves, channel capacity and closed forms (NumPy / array-API core; no torch import)."""

from .blahut_arimoto import RDSolution, blahut_arimoto
from .curve import RDCurve, auto_betas, rd_curve
from .capacity import CapacitySolution, channel_capacity
from .closed_form import binary_entropy, binary_hamming_rd, gaussian_mse_rd
from .distortion import absolute_error, hamming, squared_error

__all__ = [
    "CapacitySolution",
    "RDCurve",
    "RDSolution",
    "auto_betas",
    "rd_curve",
    "absolute_error",
    "binary_entropy",
    "binary_hamming_rd",
    "blahut_arimoto",
    "channel_capacity",
    "gaussian_mse_rd",
    "hamming",
    "squared_error",
]
