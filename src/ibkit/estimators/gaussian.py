r"""Correlated Gaussian samples with a known mutual information (the calibration staircase).

``d`` independent pairs :math:`(X_j, Y_j)` with correlation :math:`\rho` give

.. math:: I(X;Y) = -\tfrac d2 \log(1 - \rho^2)\ \text{nats},\qquad
          \rho = \sqrt{1 - e^{-2 I / d}}.

The cubic transform :math:`Y \mapsto Y^3` keeps the MI (it is invertible) but makes the joint
non-Gaussian, which is hard for estimators (Poole et al. 2019; Song & Ermon 2020).

References
----------
Belghazi et al. (2018), "MINE: Mutual information neural estimation".
Song & Ermon (2020), "Understanding the limitations of variational mutual information estimators".
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_beta, check_int

__all__ = ["correlated_gaussian", "gaussian_mi", "rho_for_mi"]


def gaussian_mi(rho: float, dim: int = 1) -> float:
    r"""MI in nats of ``dim`` pairs with correlation ``rho``: :math:`-\frac d2\log(1-\rho^2)`."""
    return -0.5 * dim * math.log1p(-rho * rho)


def rho_for_mi(mi: float, dim: int = 1) -> float:
    r"""The correlation giving ``mi`` nats over ``dim`` pairs: :math:`\sqrt{1 - e^{-2I/d}}`."""
    mi = check_beta(mi, "mi")
    dim = check_int(dim, "dim", minimum=1)
    return math.sqrt(-math.expm1(-2.0 * mi / dim))


def correlated_gaussian(
    n: int, *, dim: int = 1, mi: float = 1.0, cubic: bool = False, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples ``(x, y)`` of shape ``(n, dim)`` each with :math:`I(X;Y)` = ``mi`` nats.

    ``y = rho x + sqrt(1 - rho²) noise`` per coordinate; with ``cubic=True`` ``y`` is cubed.
    """
    n = check_int(n, "n", minimum=1)
    rho = rho_for_mi(mi, dim)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((n, dim))
    return x, (y**3 if cubic else y)
