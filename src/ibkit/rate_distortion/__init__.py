"""Rate–distortion theory: distortion matrices, Blahut–Arimoto with certified bounds, R(D)
curves, channel capacity and closed forms (NumPy / array-API core; no torch import)."""

from .blahut_arimoto import RDSolution, blahut_arimoto
from .closed_form import binary_entropy, binary_hamming_rd, gaussian_mse_rd
from .distortion import absolute_error, hamming, squared_error

__all__ = [
    "RDSolution",
    "absolute_error",
    "binary_entropy",
    "binary_hamming_rd",
    "blahut_arimoto",
    "gaussian_mse_rd",
    "hamming",
    "squared_error",
]
