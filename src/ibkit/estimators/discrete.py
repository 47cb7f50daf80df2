r"""Entropy and mutual information of discrete samples: plug-in, Miller–Madow, Grassberger.

All three estimate entropies from the counts :math:`n_i` of the observed symbols
(:math:`N = \sum_i n_i`); mutual information is :math:`\hat I = \hat H(X) + \hat H(Y) - \hat H(X,Y)`
with the same entropy estimator on each term. Values are in nats inside this module.

References
----------
Miller (1955), "Note on the bias of information estimates".
Grassberger (2003), "Entropy estimates from insufficient samplings", arXiv:physics/0307138.
Basharin (1959), "On a statistical estimate for the entropy of a sequence of independent random
variables" (the delta-method variance used for ``stderr``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

__all__ = [
    "DISCRETE_METHODS",
    "discrete_entropy_nats",
    "discrete_mi_nats",
    "entropy_from_counts",
    "symbols",
]

DISCRETE_METHODS = ("plugin", "miller-madow", "grassberger")


def symbols(samples: np.ndarray) -> np.ndarray:
    """Map each row of ``samples`` (n, d) to an integer symbol in ``0..m-1``, shape ``(n,)``.

    Equal rows get equal symbols (sorted order of the distinct rows); no formula applies.
    """
    if samples.shape[1] == 1:
        return np.unique(samples[:, 0], return_inverse=True)[1].reshape(-1)
    return np.unique(samples, axis=0, return_inverse=True)[1].reshape(-1)


def _grassberger_g(n: np.ndarray) -> np.ndarray:
    r""":math:`G_n = \psi(n) + \tfrac12 (-1)^n [\psi(\tfrac{n+1}2) - \psi(\tfrac n2)]` (eq. 35)."""
    sign = np.where(n % 2 == 0, 1.0, -1.0)
    return digamma(n) + 0.5 * sign * (digamma((n + 1) / 2.0) - digamma(n / 2.0))


def entropy_from_counts(counts: np.ndarray, method: str) -> float:
    r"""Entropy in nats from symbol counts.

    .. math::
        \hat H_{\rm plug} = -\sum_i \tfrac{n_i}{N}\log\tfrac{n_i}{N},\qquad
        \hat H_{\rm MM} = \hat H_{\rm plug} + \frac{m - 1}{2N},\qquad
        \hat H_{\rm G} = \log N - \frac1N \sum_i n_i G_{n_i}

    with :math:`m` the number of observed symbols and :math:`G_n` Grassberger's (2003) eq. (35).

    Parameters
    ----------
    counts : (m,) positive integer counts of the observed symbols.
    method : ``"plugin"``, ``"miller-madow"`` or ``"grassberger"``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    n = counts.sum()
    if method == "grassberger":
        return float(np.log(n) - np.dot(counts, _grassberger_g(counts)) / n)
    p = counts / n
    h = float(-np.dot(p, np.log(p)))
    if method == "miller-madow":
        h += (counts.size - 1) / (2.0 * n)
    return h


def _counts(sym: np.ndarray) -> np.ndarray:
    return np.bincount(sym)


def discrete_entropy_nats(samples: np.ndarray, method: str) -> tuple[float, float, dict]:
    r"""``(H, stderr, diagnostics)`` in nats for samples ``(n, d)`` (rows are symbols).

    The standard error is Basharin's delta method,
    :math:`\sqrt{(\overline{\log^2 \hat p} - \hat H_{\rm plug}^2)/N}`.
    """
    counts = _counts(symbols(samples))
    counts = counts[counts > 0]
    n = int(counts.sum())
    p = counts / n
    logp = np.log(p)
    var = max(float(np.dot(p, logp**2) - np.dot(p, logp) ** 2), 0.0)
    value = entropy_from_counts(counts, method)
    return value, float(np.sqrt(var / n)), {"n_symbols": int(counts.size)}


def discrete_mi_nats(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float, dict]:
    r"""``(I, stderr, diagnostics)`` in nats from paired discrete samples ``x``, ``y`` (n, d).

    .. math:: \hat I = \hat H(X) + \hat H(Y) - \hat H(X, Y)

    The standard error is the delta method on the plug-in estimate,
    :math:`\sqrt{\operatorname{Var}[\log \hat p(x,y)/(\hat p(x)\hat p(y))]/N}`; it is 0 when the
    empirical joint is independent, where the estimator's spread is of order :math:`1/N` instead.
    """
    sx, sy = symbols(x), symbols(y)
    n = sx.size
    pair = sx.astype(np.int64) * (int(sy.max()) + 1) + sy  # (n,) one code per (x, y) symbol pair
    _, sxy, joint = np.unique(pair, return_inverse=True, return_counts=True)  # observed pairs only
    cx, cy = np.bincount(sx), np.bincount(sy)
    value = (
        entropy_from_counts(cx, method)
        + entropy_from_counts(cy, method)
        - entropy_from_counts(joint, method)
    )
    # Per-sample log-ratio log p(x,y) / (p(x) p(y)) of the empirical pmf, for the delta method.
    cxy = joint[sxy.reshape(-1)].astype(np.float64)
    terms = np.log(cxy * n / (cx[sx].astype(np.float64) * cy[sy]))
    var = max(float(np.mean(terms**2) - np.mean(terms) ** 2), 0.0)
    diagnostics = {
        "n_symbols_x": int(np.count_nonzero(cx)),
        "n_symbols_y": int(np.count_nonzero(cy)),
        "n_symbols_xy": int(np.count_nonzero(joint)),
    }
    return float(value), float(np.sqrt(var / n)), diagnostics
