"""Rate–distortion theory: distortion matrices, Blahut–Arimoto with certified bounds, R(D)
curves, channel capacity and closed forms (NumPy / array-API core; no torch import)."""

from .batched import RDBatchSolution, blahut_arimoto_batch
from .blahut_arimoto import RDSolution, blahut_arimoto
from .capacity import CapacitySolution, channel_capacity
from .closed_form import binary_entropy, binary_hamming_rd, gaussian_mse_rd
from .curve import RDCurve, auto_betas, rd_curve
from .distortion import absolute_error, hamming, squared_error

__all__ = [
    "CapacitySolution",
    "RDBatchSolution",
    "RDCurve",
    "RDSolution",
    "absolute_error",
    "auto_betas",
    "binary_entropy",
    "binary_hamming_rd",
    "blahut_arimoto",
    "blahut_arimoto_batch",
    "channel_capacity",
    "gaussian_mse_rd",
    "hamming",
    "rd_curve",
    "squared_error",
]
