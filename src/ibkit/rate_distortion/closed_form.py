"""Closed-form rate–distortion functions used as oracles and plot overlays."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_base, check_positive
from ..exceptions import InvalidParameterError

__all__ = ["binary_entropy", "binary_hamming_rd", "gaussian_mse_rd"]


def binary_entropy(p: Any, *, base: float = 2.0) -> np.ndarray | np.float64:
    r"""Binary entropy :math:`H_b(p) = -p \log p - (1-p) \log (1-p)` (elementwise)."""
    p = np.asarray(p, dtype=np.float64)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise InvalidParameterError(f"p must lie in [0, 1]; got {p!r}")
    q = 1.0 - p
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)
        h -= np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0.0)
    out = h / np.log(check_base(base))
    return out[()] if out.ndim == 0 else out


def binary_hamming_rd(p: float, distortion: Any, *, base: float = 2.0) -> np.ndarray | np.float64:
    r"""R(D) of a Bernoulli(p) source under Hamming distortion.

    .. math:: R(D) = H_b(p) - H_b(D) \ \text{for}\ 0 \le D < \min(p, 1-p), \quad 0 \text{ otherwise}

    Parameters
    ----------
    p : float in [0, 1]
        Probability of the symbol 1.
    distortion : float or array_like
        Distortion level(s) D ≥ 0.

    References
    ----------
    Cover & Thomas (2006), Theorem 10.3.1.
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise InvalidParameterError(f"p must lie in [0, 1]; got {p!r}")
    d = np.asarray(distortion, dtype=np.float64)
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        raise InvalidParameterError(f"distortion must be finite and >= 0; got {d!r}")
    dmax = min(p, 1.0 - p)
    clipped = np.minimum(d, dmax)
    out = np.where(d < dmax, binary_entropy(p, base=base) - binary_entropy(clipped, base=base), 0.0)
    return out[()] if out.ndim == 0 else out


def gaussian_mse_rd(
    variance: float, distortion: Any, *, base: float = 2.0
) -> np.ndarray | np.float64:
    r"""R(D) of a Gaussian source N(0, σ²) under squared error.

    .. math:: R(D) = \max\left(0, \tfrac12 \log \frac{\sigma^2}{D}\right)

    Parameters
    ----------
    variance : float > 0
        Source variance σ².
    distortion : float or array_like
        Mean squared error level(s) D > 0.

    References
    ----------
    Cover & Thomas (2006), Theorem 10.3.2.
    """
    variance = check_positive(variance, "variance")
    d = np.asarray(distortion, dtype=np.float64)
    if np.any(~np.isfinite(d)) or np.any(d <= 0):
        raise InvalidParameterError(f"distortion must be finite and > 0; got {d!r}")
    out = np.maximum(0.0, 0.5 * np.log(variance / d)) / np.log(check_base(base))
    return out[()] if out.ndim == 0 else out
