"""Mutual information and entropy from samples (NumPy/SciPy; neural bounds need torch).

>>> import numpy as np, ibkit as ib
>>> rng = np.random.default_rng(0)
>>> x = rng.standard_normal(2000); y = 0.8 * x + 0.6 * rng.standard_normal(2000)
>>> est = ib.estimate_mi(x, y, method="ksg", base=np.e)  # truth: -½ log(1 - 0.64) ≈ 0.511
>>> abs(est.value - 0.511) < 0.05
True

The neural estimators (:mod:`ibkit.estimators.neural`) are imported only when a neural method
is asked for, so ``import ibkit.estimators`` never imports torch.
"""

from ._result import EntropyEstimate, MIEstimate
from ._samples import EstimatorWarning
from .api import ENTROPY_METHODS, MI_METHODS, NEURAL_METHODS, estimate_entropy, estimate_mi
from .binning import bin_samples
from .gaussian import correlated_gaussian, gaussian_mi, rho_for_mi

__all__ = [
    "ENTROPY_METHODS",
    "MI_METHODS",
    "NEURAL_METHODS",
    "EntropyEstimate",
    "EstimatorWarning",
    "MIEstimate",
    "bin_samples",
    "correlated_gaussian",
    "estimate_entropy",
    "estimate_mi",
    "gaussian_mi",
    "rho_for_mi",
]
