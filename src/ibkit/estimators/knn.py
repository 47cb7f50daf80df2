r"""k-nearest-neighbour estimators: Kozachenko–Leonenko entropy and the KSG mutual information.

Distances are in the max-norm unless stated. With :math:`\epsilon_i/2` the distance from sample
:math:`i` to its k-th neighbour in the joint space, Kraskov, Stögbauer & Grassberger (2004) give

.. math::
    I^{(1)} = \psi(k) + \psi(N) - \langle \psi(n_x + 1) + \psi(n_y + 1) \rangle
    \quad (n_x = \#\{j \ne i : \|x_j - x_i\| < \epsilon_i/2\}),

    I^{(2)} = \psi(k) - 1/k + \psi(N) - \langle \psi(n_x) + \psi(n_y) \rangle
    \quad (n_x = \#\{j \ne i : \|x_j - x_i\| \le \epsilon_{x,i}/2\}),

where :math:`\epsilon_{x,i}/2` is the largest x-distance among the k joint neighbours. Values
are in nats inside this module.

References
----------
Kozachenko & Leonenko (1987), "Sample estimate of the entropy of a random vector".
Kraskov, Stögbauer & Grassberger (2004), "Estimating mutual information", Phys. Rev. E 69, 066138.
Gao, Ver Steeg & Galstyan (2015), "Efficient estimation of mutual information for strongly
dependent variables" (why k-NN estimates degrade with dimension and with large MI).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import digamma, gammaln

from ..exceptions import InvalidParameterError
from ._neighbors import count_within, kth_neighbors
from ._samples import EstimatorWarning

__all__ = ["MAX_RELIABLE_DIM", "kl_entropy_nats", "ksg_mi_nats", "prepare"]

MAX_RELIABLE_DIM = 10  # above this joint dimension k-NN estimates are warned about


def prepare(
    samples: np.ndarray, *, standardize: bool, jitter: float, rng: np.random.Generator
) -> np.ndarray:
    r"""Optionally scale each feature to unit variance, then add uniform noise of ``jitter``·scale.

    .. math:: x'_{ij} = \frac{x_{ij} - \bar x_j}{s_j} + \text{jitter}\cdot u_{ij},\quad
              u_{ij}\sim\mathcal U[0, 1)

    (without ``standardize``: :math:`x'_{ij} = x_{ij} + \text{jitter}\,s_j\,u_{ij}`);
    :math:`s_j` the feature's standard deviation (1 if constant). Shape ``(n, d)`` kept.

    The noise (relative to each feature's standard deviation, 1 for a constant feature) breaks
    ties between repeated values, which the strict inequalities of KSG cannot handle.
    """
    out = np.array(samples, dtype=np.float64, copy=True)
    scale = out.std(axis=0)
    scale[scale == 0] = 1.0
    if standardize:
        out = (out - out.mean(axis=0)) / scale
        scale = np.ones_like(scale)
    if jitter > 0:
        out += jitter * scale * rng.random(out.shape)
    return out


def _check_no_ties(radius: np.ndarray, name: str) -> None:
    zero = int(np.count_nonzero(radius <= 0))
    if zero:
        raise InvalidParameterError(
            f"{name} has {zero} samples whose k-th neighbour is at distance 0 (repeated values); "
            "use jitter > 0 or a discrete estimator"
        )


def warn_if_high_dim(dim: int, n: int) -> None:
    """Warn when the joint dimension makes k-NN estimates unreliable (strong negative bias)."""
    if dim > MAX_RELIABLE_DIM:
        warnings.warn(
            f"k-NN estimates in a joint dimension of {dim} (> {MAX_RELIABLE_DIM}) with {n} samples "
            "are strongly biased (towards 0 for large MI); treat the value as a rough lower figure",
            EstimatorWarning,
            stacklevel=3,  # the caller of estimate_mi / estimate_entropy
        )


def _log_unit_ball(d: int, metric: str) -> float:
    """log volume of the unit-radius ball in ``d`` dimensions (max-norm: 2^d)."""
    if metric == "chebyshev":
        return d * math.log(2.0)
    return 0.5 * d * math.log(math.pi) - float(gammaln(1.0 + 0.5 * d))


def kl_entropy_nats(
    x: np.ndarray, *, k: int, metric: str = "chebyshev", workers: int = -1
) -> tuple[float, float, dict]:
    r"""Kozachenko–Leonenko differential entropy in nats of samples ``x (n, d)``.

    .. math:: \hat h = \psi(N) - \psi(k) + \log V_d + \frac{d}{N}\sum_i \log r_i

    with :math:`r_i` the distance to the k-th neighbour and :math:`V_d` the volume of the unit
    ball of the metric (:math:`2^d` in the max-norm; Kraskov et al. 2004, eq. 20).
    Returns ``(h, stderr, diagnostics)``; ``stderr`` is :math:`d\,\mathrm{sd}(\log r)/\sqrt N`.
    """
    n, d = x.shape
    if metric == "chebyshev":
        radius, _ = kth_neighbors(x, k, workers=workers)
    else:
        from scipy.spatial import cKDTree

        radius = cKDTree(x).query(x, k=k + 1, p=2, workers=workers)[0][:, k]
    _check_no_ties(radius, "x")
    logr = np.log(radius)
    value = float(digamma(n) - digamma(k) + _log_unit_ball(d, metric) + d * logr.mean())
    stderr = float(d * logr.std() / math.sqrt(n))
    return value, stderr, {"k": k, "metric": metric, "dim": d}


def ksg_mi_nats(
    x: np.ndarray, y: np.ndarray, *, k: int, algorithm: int = 1, workers: int = -1
) -> tuple[float, float, dict]:
    r"""KSG estimate of I(X;Y) in nats from prepared samples ``x (n, dx)``, ``y (n, dy)``.

    .. math::
        \hat I^{(1)} = \psi(k) - \langle \psi(n_x + 1) + \psi(n_y + 1)\rangle + \psi(N),\qquad
        \hat I^{(2)} = \psi(k) - \tfrac1k - \langle \psi(n_x) + \psi(n_y)\rangle + \psi(N)

    with :math:`n_x, n_y` the marginal neighbour counts (self excluded) within the max-norm
    distance :math:`\epsilon_i` to the k-th joint neighbour (strictly, algorithm 1) or within
    :math:`\epsilon_{x,i}/2, \epsilon_{y,i}/2` (algorithm 2) (Kraskov et al. 2004, eqs. 8, 9).

    Returns ``(I, stderr, diagnostics)``. ``stderr`` is the standard deviation of the
    per-sample terms over :math:`\\sqrt N`, a rough scale only (the terms are correlated).
    """
    n = x.shape[0]
    joint = np.hstack([x, y])  # (n, dx + dy)
    eps, idx = kth_neighbors(joint, k, workers=workers)  # (n,), (n, k)
    _check_no_ties(eps, "(x, y)")
    if algorithm == 1:
        cx = count_within(x, eps, strict=True, workers=workers)  # n_x + 1
        cy = count_within(y, eps, strict=True, workers=workers)
        terms = digamma(k) + digamma(n) - digamma(cx) - digamma(cy)
    else:
        ex = np.abs(x[idx] - x[:, None, :]).max(axis=(1, 2))  # (n,): eps_x / 2
        ey = np.abs(y[idx] - y[:, None, :]).max(axis=(1, 2))
        cx = count_within(x, ex, strict=False, workers=workers) - 1  # n_x (self excluded)
        cy = count_within(y, ey, strict=False, workers=workers) - 1
        terms = digamma(k) - 1.0 / k + digamma(n) - digamma(cx) - digamma(cy)
    value = float(terms.mean())
    diagnostics = {
        "k": k,
        "algorithm": algorithm,
        "mean_nx": float(cx.mean()),
        "mean_ny": float(cy.mean()),
        "dim_x": int(x.shape[1]),
        "dim_y": int(y.shape[1]),
    }
    return value, float(terms.std() / math.sqrt(n)), diagnostics
