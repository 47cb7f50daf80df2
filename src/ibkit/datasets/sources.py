"""Built-in sources for rate–distortion: a binary source and a discretised Gaussian."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_positive
from ..exceptions import InvalidParameterError
from ..rate_distortion.distortion import hamming, squared_error

__all__ = ["RDSource", "binary_source", "gaussian_source"]


@dataclass(frozen=True)
class RDSource:
    r"""A discrete source with its distortion matrix.

    .. math:: D = E[d(X, \hat X)] = \sum_{x,\hat x} p(x)\,p(\hat x|x)\,d(x,\hat x)

    is what a code for it is charged (``distortion`` in the source's own units, e.g. squared
    symbol units for ``gaussian_source``).

    Attributes
    ----------
    px : ndarray, shape ``(n_x,)``
        Source pmf.
    distortion : ndarray, shape ``(n_x, n_xhat)``
        Distortion matrix d(x, x̂).
    points : ndarray, shape ``(n_x,)``
        Source symbols (grid points for a discretised continuous source).
    name : str
        A short description for reports.
    """

    px: np.ndarray
    distortion: np.ndarray
    points: np.ndarray
    name: str

    @property
    def variance(self) -> float:
        r"""Variance of the discrete source (the grid's own, not the nominal σ²).

        .. math:: \sigma^2 = \sum_x p(x)\,(x - \mu)^2, \quad \mu = \sum_x p(x)\,x
        """
        mean = float(self.px @ self.points)
        return float(self.px @ (self.points - mean) ** 2)


def binary_source(p: float = 0.3) -> RDSource:
    r"""Bernoulli(p) source on {0, 1} with Hamming distortion (``px`` ``(2,)``, d ``(2, 2)``).

    .. math:: d(x, \hat x) = \mathbb 1[x \ne \hat x], \qquad
              R(D) = h(p) - h(D)\ \text{for}\ D < \min(p, 1-p),\ 0\ \text{otherwise}
    """
    p = float(p)
    if not (np.isfinite(p) and 0.0 <= p <= 1.0):
        raise InvalidParameterError(f"p must lie in [0, 1]; got {p!r}")
    return RDSource(np.array([1.0 - p, p]), hamming(2), np.array([0.0, 1.0]), f"Bernoulli({p:g})")


def gaussian_source(
    variance: float = 1.0, n_points: int = 1001, half_width: float = 5.0
) -> RDSource:
    r"""N(0, σ²) discretised on ``n_points`` evenly spaced points over :math:`[-w\sigma, w\sigma]`.

    ``px`` is proportional to the Gaussian density at the grid points and the distortion is the
    squared error between the grid and itself. With the defaults (w = 5, 1001 points) the
    spacing is h = 0.01σ, the truncated tail mass is 6e-7 and R(D) matches
    :func:`~ibkit.rate_distortion.gaussian_mse_rd` (with the grid's own variance) for D ≫ h².
    """
    variance = check_positive(variance, "variance")
    n_points = check_int(n_points, "n_points", minimum=2)
    half_width = check_positive(half_width, "half_width")
    points = np.linspace(-half_width, half_width, n_points) * np.sqrt(variance)
    logp = -0.5 * points**2 / variance
    px = np.exp(logp - logp.max())
    px /= px.sum()
    name = f"N(0, {variance:g}) on {n_points} points"
    return RDSource(px, np.asarray(squared_error(points)), points, name)
