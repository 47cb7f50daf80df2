r"""The critical β at which the trivial IB solution loses local stability.

Perturb the trivial encoder :math:`p(t|x) = p(t)` to :math:`p(t)(1 + \varepsilon h_t(x))`
with :math:`E[h_t(X)] = 0`. To second order in ε (χ² expansions of both informations),

.. math::
    I(X;T) - \beta I(T;Y) \approx \frac{\varepsilon^2}{2} \sum_t p(t)
    \Big( E[h_t(X)^2] - \beta\, E\big[E[h_t(X) | Y]^2\big] \Big),

which turns negative for some h exactly when β exceeds
:math:`1 / \sup_h \mathrm{Var}\,E[h|Y] / \mathrm{Var}\,h = 1/\rho_m^2`, where
:math:`\rho_m` is the Hirschfeld–Gebelein–Rényi maximal correlation of X and Y: the second
singular value of :math:`B(x, y) = p(x, y) / \sqrt{p(x) p(y)}` (the first is 1).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import to_numpy
from .._validation import as_pmf

__all__ = ["critical_beta", "maximal_correlation"]


def maximal_correlation(pxy: Any) -> float:
    r"""Maximal correlation :math:`\rho_m(X;Y) = \sigma_2(p(x,y)/\sqrt{p(x)p(y)})` ∈ [0, 1].

    Parameters
    ----------
    pxy : array_like, shape ``(n_x, n_y)``
        Joint pmf (zero rows and columns allowed).
    """
    pxy, _ = as_pmf(pxy, name="pxy", event_ndim=2, batch=False)
    joint = np.asarray(to_numpy(pxy), dtype=np.float64)
    px, py = joint.sum(axis=1), joint.sum(axis=0)
    joint = joint[px > 0][:, py > 0]
    px, py = px[px > 0], py[py > 0]
    if min(joint.shape) < 2:
        return 0.0
    b = joint / np.sqrt(np.outer(px, py))  # (n_x', n_y')
    singular = np.linalg.svd(b, compute_uv=False)
    return float(min(max(singular[1], 0.0), 1.0))


def critical_beta(pxy: Any) -> float:
    r"""β at which the one-cluster IB solution stops being a local minimum: :math:`1/\rho_m^2`.

    Below it, forward annealing stays on the trivial solution (I(X;T) = 0); above it, clusters
    split. The trivial solution can stop being *globally* optimal earlier. Returns ``inf`` for
    independent X and Y (ρ_m = 0: nothing to learn at any β).

    References
    ----------
    Wu, Fischer, Chuang & Tegmark (2019), "Learnability for the information bottleneck";
    Gedeon, Parker & Dimitrov (2012), "The mathematical structure of information bottleneck
    methods".
    """
    rho = maximal_correlation(pxy)
    return math.inf if rho <= 1e-12 else 1.0 / (rho * rho)
