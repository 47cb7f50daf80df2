"""Kullback–Leibler and Jensen–Shannon divergences between discrete pmfs."""

from __future__ import annotations

import math
from typing import Any

from .._validation import as_pmf
from ..exceptions import ShapeMismatchError
from ._common import in_units, log0, pmf_pair

__all__ = ["js_divergence", "kl_divergence"]


def _kl_nats(p: Any, q: Any, xp: Any) -> Any:
    """KL(p‖q) in nats along the last axis; ``inf`` where p has mass outside q's support."""
    outside = xp.any((p > 0) & (q == 0), axis=-1)
    value = xp.sum(p * (log0(p, xp) - log0(q, xp)), axis=-1)
    return xp.where(outside, xp.inf, xp.clip(value, min=0.0))


def _log_scaled(w: float, p: Any, xp: Any) -> Any:
    r""":math:`\log(w\,p)` elementwise, ``-inf`` where ``p = 0`` (``w > 0``)."""
    return xp.where(p > 0, log0(p, xp) + math.log(w), -xp.inf * xp.ones_like(p))


def _kl_to_mixture_nats(w: float, p: Any, log_m: Any, xp: Any) -> Any:
    r""":math:`w\, D_{KL}(p \| m)` in nats from :math:`\log m`; 0 for a zero weight."""
    if w == 0:
        return xp.zeros_like(log_m[..., 0])
    log_m = xp.where(p > 0, log_m, xp.zeros_like(log_m))  # finite: m >= w p > 0 there
    return w * xp.clip(xp.sum(p * (log0(p, xp) - log_m), axis=-1), min=0.0)


def kl_divergence(
    p: Any, q: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Kullback–Leibler divergence (relative entropy), eq. 4 of the reference text.

    .. math:: D_{KL}(p \| q) = \sum_x p(x) \log \frac{p(x)}{q(x)} \ \ge 0

    Conventions: :math:`0 \log (0/q) = 0`; the divergence is ``inf`` (never NaN) where ``p``
    has mass outside the support of ``q``. Rounding below zero is clipped to 0.

    Parameters
    ----------
    p, q : array_like, shape ``(..., n)``
        pmfs over the same alphabet (last axis); batch axes broadcast.
    base : float
        2 for bits (default), ``numpy.e`` for nats.

    Returns
    -------
    D : shape ``broadcast(...)``, in the input's array type.

    References
    ----------
    Kullback & Leibler (1951), "On information and sufficiency".
    """
    p, q, xp = pmf_pair(p, q, tol=tol, normalize=normalize)
    return in_units(_kl_nats(p, q, xp), base, xp)


def js_divergence(
    p: Any,
    q: Any,
    weights: Any = None,
    *,
    base: float = 2.0,
    tol: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Jensen–Shannon divergence with weights :math:`(\pi_1, \pi_2)`.

    .. math:: JS_\pi(p, q) = \pi_1 D_{KL}(p \| m) + \pi_2 D_{KL}(q \| m),
              \quad m = \pi_1 p + \pi_2 q

    It is symmetric for equal weights, finite, and bounded by :math:`H(\pi)` (1 bit for
    equal weights). It is the merge cost of agglomerative IB.

    Parameters
    ----------
    p, q : array_like, shape ``(..., n)``
        pmfs over the same alphabet; batch axes broadcast.
    weights : array_like, shape ``(2,)``, optional
        The pmf :math:`(\pi_1, \pi_2)`; default ``(1/2, 1/2)``. With ``normalize=True`` it
        may be unnormalised too. A zero weight drops its term, so ``JS`` stays finite.

    Returns
    -------
    JS : shape ``broadcast(...)``.

    References
    ----------
    Lin (1991), "Divergence measures based on the Shannon entropy".
    """
    p, q, xp = pmf_pair(p, q, tol=tol, normalize=normalize)
    if weights is None:
        w1 = w2 = 0.5
    else:
        w, _ = as_pmf(weights, name="weights", batch=False, tol=tol, normalize=normalize)
        if w.shape[0] != 2:
            raise ShapeMismatchError(
                f"weights must hold 2 entries (pi_1, pi_2); got shape {tuple(w.shape)}"
            )
        w1, w2 = float(w[0]), float(w[1])
    # log m = log(π1 p + π2 q) in the log domain: a tiny weight cannot underflow m to 0.
    logs = [_log_scaled(w, r, xp) for w, r in ((w1, p), (w2, q)) if w > 0]
    log_m = xp.logaddexp(*logs) if len(logs) == 2 else logs[0] + xp.zeros_like(p + q)
    value = _kl_to_mixture_nats(w1, p, log_m, xp) + _kl_to_mixture_nats(w2, q, log_m, xp)
    return in_units(value, base, xp)
