r"""The Gaussian Information Bottleneck: closed-form optimal projections and information curve.

For jointly Gaussian X ∈ R^{n_x}, Y ∈ R^{n_y} the optimal bottleneck is a noisy linear
projection :math:`T = A X + \xi`, :math:`\xi \sim N(0, I)`, whose rows are scaled left
eigenvectors :math:`v_i` of :math:`\Sigma_{x|y}\Sigma_x^{-1}`, with eigenvalues
:math:`\lambda_i = 1 - \rho_i^2` (:math:`\rho_i` the canonical correlations of X and Y).
Component i switches on at the critical :math:`\beta_i^c = 1/(1 - \lambda_i)`.

References
----------
Chechik, Globerson, Tishby & Weiss (2005), "Information Bottleneck for Gaussian Variables",
JMLR 6:165–188, Theorem 3.1 and eq. (13).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._array import to_numpy
from .._validation import as_matrix, check_base, check_beta, check_int
from ..exceptions import InvalidParameterError, ShapeMismatchError

__all__ = ["GaussianIBCurve", "GaussianIBSolution", "gaussian_ib", "gaussian_ib_curve"]


@dataclass(frozen=True)
class GaussianIBSolution:
    r"""The optimal Gaussian IB projection at one β. Information in units of ``base``.

    .. math:: I(X;T) = \tfrac12 \sum_{i:\,\beta > \beta_i^c}
              \log\frac{(\beta - 1)(1 - \lambda_i)}{\lambda_i},\qquad
              I(T;Y) = \tfrac12 \sum_{i:\,\beta > \beta_i^c} \log\frac{\beta - 1}{\beta\lambda_i}

    (nats, divided by ln ``base``; Chechik et al. 2005, with
    :math:`\alpha_i^2 = (\beta(1-\lambda_i) - 1)/\lambda_i` for
    :math:`v_i^\top\Sigma_x v_i = 1`).

    Attributes
    ----------
    projection : ndarray, shape ``(n_x, n_x)``
        A, with T = A X + ξ, ξ ~ N(0, I). Row i is α_i v_iᵀ for an active component and zero
        for an inactive one (β ≤ β_i^c); rows are in the order of ``eigenvalues``.
    eigenvectors : ndarray, shape ``(n_x, n_x)``
        Column i is v_i, a left eigenvector of Σ_{x|y}Σ_x⁻¹, normalised so v_iᵀ Σ_x v_i = 1.
    eigenvalues : ndarray, shape ``(n_x,)``
        λ_i ∈ (0, 1], ascending (λ_i = 1 - ρ_i², ρ_i the canonical correlations).
    critical_betas : ndarray, shape ``(n_x,)``
        β_i^c = 1/(1 - λ_i), ascending; ``inf`` for directions of X uncorrelated with Y.
    n_active : int
        Number of components with β > β_i^c (the non-zero rows of ``projection``).
    I_XT, I_TY : float
        I(X;T) and I(T;Y), computed directly from the covariances of T (log-det ratios).
    I_XY : float
        I(X;Y) = ½ log det Σ_x / det Σ_{x|y}, the limit of I(T;Y) as β → ∞.
    beta, base : float
    """

    projection: np.ndarray
    eigenvectors: np.ndarray
    eigenvalues: np.ndarray
    critical_betas: np.ndarray
    n_active: int
    I_XT: float
    I_TY: float
    I_XY: float
    beta: float
    base: float = 2.0


@dataclass(frozen=True)
class GaussianIBCurve:
    r"""The analytic Gaussian IB curve: arrays of shape ``(n_points,)`` sorted by increasing β.

    .. math:: I(X;T) = \tfrac12 \sum_{i:\,\beta > \beta_i^c}
              \log\frac{(\beta - 1)(1 - \lambda_i)}{\lambda_i},\qquad
              I(T;Y) = \tfrac12 \sum_{i:\,\beta > \beta_i^c} \log\frac{\beta - 1}{\beta\lambda_i}

    (nats, divided by ln ``base``; Chechik et al. 2005, with
    :math:`\alpha_i^2 = (\beta(1-\lambda_i) - 1)/\lambda_i` for
    :math:`v_i^\top\Sigma_x v_i = 1`).

    ``critical_betas`` and ``eigenvalues`` have shape ``(n_x,)``; information in ``base`` units.
    """

    beta: np.ndarray
    I_XT: np.ndarray
    I_TY: np.ndarray
    n_active: np.ndarray
    critical_betas: np.ndarray
    eigenvalues: np.ndarray
    I_XY: float
    base: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and floats (``inf`` critical β stay ``inf``), ready for JSON."""
        return {
            "beta": self.beta.tolist(),
            "I_XT": self.I_XT.tolist(),
            "I_TY": self.I_TY.tolist(),
            "n_active": self.n_active.tolist(),
            "critical_betas": self.critical_betas.tolist(),
            "eigenvalues": self.eigenvalues.tolist(),
            "I_XY": self.I_XY,
            "base": self.base,
        }


def _as_covariance(value: Any, name: str, n: int | None = None) -> np.ndarray:
    """A finite, symmetric, positive definite float64 matrix of shape ``(n, n)``."""
    cov = np.asarray(to_numpy(as_matrix(value, name=name, rows=n, cols=n)), dtype=np.float64)
    if cov.shape[0] != cov.shape[1]:
        raise ShapeMismatchError(f"{name} must be square; got shape {cov.shape}")
    scale = float(np.max(np.abs(cov)))
    asym = float(np.max(np.abs(cov - cov.T)))
    if asym > 1e-10 * scale:
        raise InvalidParameterError(
            f"{name} must be symmetric; got max |{name} - {name}.T| = {asym:g}"
        )
    cov = (cov + cov.T) / 2.0
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        low = float(np.linalg.eigvalsh(cov)[0])
        raise InvalidParameterError(
            f"{name} must be positive definite; got smallest eigenvalue {low:g}"
        ) from None
    return cov


def _validated(cov_x: Any, cov_xy: Any, cov_y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sx = _as_covariance(cov_x, "cov_x")
    sy = _as_covariance(cov_y, "cov_y")
    sxy = as_matrix(cov_xy, name="cov_xy", rows=sx.shape[0], cols=sy.shape[0])
    sxy = np.asarray(to_numpy(sxy), dtype=np.float64)
    joint = np.block([[sx, sxy], [sxy.T, sy]])  # (n_x + n_y, n_x + n_y)
    try:
        np.linalg.cholesky(joint)
    except np.linalg.LinAlgError:
        raise InvalidParameterError(
            "cov_xy is inconsistent with cov_x and cov_y: the joint covariance "
            "[[cov_x, cov_xy], [cov_xy.T, cov_y]] must be positive definite "
            "(every canonical correlation < 1)"
        ) from None
    return sx, sxy, sy


def _canonical(sx: np.ndarray, sxy: np.ndarray, sy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Squared canonical correlations ρ² (descending, ``(n_x,)``) and V (``(n_x, n_x)``).

    With :math:`\Sigma_x = L_x L_x^T`, :math:`\Sigma_y = L_y L_y^T` and the SVD
    :math:`L_x^{-1}\Sigma_{xy}L_y^{-T} = U\,\mathrm{diag}(\rho)\,W^T`, the columns of
    :math:`V = L_x^{-T} U` solve :math:`\Sigma_{x|y} v = (1 - \rho^2)\Sigma_x v` with
    :math:`V^T\Sigma_x V = I`: the generalised symmetric eigenproblem, solved without forming
    :math:`\Sigma_{x|y}` (no cancellation), and with exact zeros for the
    :math:`n_x - n_y` directions that Y cannot explain.
    """
    lx = np.linalg.cholesky(sx)  # (n_x, n_x), lower
    ly = np.linalg.cholesky(sy)  # (n_y, n_y), lower
    half = scipy.linalg.solve_triangular(lx, sxy, lower=True)  # L_x⁻¹ Σ_xy, (n_x, n_y)
    k = scipy.linalg.solve_triangular(ly, half.T, lower=True).T  # L_x⁻¹ Σ_xy L_y⁻ᵀ
    u, rho, _ = np.linalg.svd(k, full_matrices=True)  # u (n_x, n_x), rho (min(n_x, n_y),)
    n_x = sx.shape[0]
    rho = np.concatenate([rho, np.zeros(n_x - rho.size)])  # (n_x,), descending
    rho[rho < max(k.shape) * np.finfo(np.float64).eps] = 0.0  # rank cut-off: rounding noise
    if rho[0] >= 1.0:
        raise InvalidParameterError(
            f"cov_xy makes X and Y (numerically) deterministic: canonical correlation {rho[0]!r}"
        )
    v = scipy.linalg.solve_triangular(lx.T, u, lower=False)  # L_x⁻ᵀ U, (n_x, n_x)
    return rho**2, v


def _closed_form(rho2: np.ndarray, lam: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""I(X;T), I(T;Y) in nats and n_active, vectorised over β (``(m,)``) [Chechik et al. (13)].

    .. math::
        I(T;X) = \tfrac12 \sum_{i \le n(\beta)} \log\frac{(\beta - 1)(1 - \lambda_i)}{\lambda_i},
        \qquad I(T;Y) = I(T;X) - \tfrac12 \sum_{i \le n(\beta)} \log\big(\beta(1-\lambda_i)\big)
    """
    b = beta[:, None]  # (m, 1)
    active = b * rho2[None, :] > 1.0  # (m, n_x): β > β_i^c
    xt = np.log(np.where(active, (b - 1.0) * rho2 / lam, 1.0))  # (m, n_x)
    ty = xt - np.log(np.where(active, b * rho2, 1.0))
    return 0.5 * xt.sum(axis=1), 0.5 * ty.sum(axis=1), active.sum(axis=1)


def _critical(rho2: np.ndarray) -> np.ndarray:
    return np.divide(1.0, rho2, out=np.full_like(rho2, np.inf), where=rho2 > 0)  # 1/(1 - λ)


def gaussian_ib(
    cov_x: Any, cov_xy: Any, cov_y: Any, beta: float, *, base: float = 2.0
) -> GaussianIBSolution:
    r"""Optimal Gaussian IB projection :math:`T = AX + \xi` minimising I(X;T) - β I(T;Y).

    .. math::
        A = \begin{bmatrix}\alpha_1 v_1^T \\ \vdots \\ \alpha_{n_x} v_{n_x}^T\end{bmatrix},
        \quad \alpha_i = \sqrt{\frac{\beta(1-\lambda_i) - 1}{\lambda_i r_i}}
        \text{ if } \beta > \beta_i^c = \frac{1}{1-\lambda_i}, \text{ else } 0,

    with :math:`v_i^T\Sigma_{x|y}\Sigma_x^{-1} = \lambda_i v_i^T`, :math:`r_i = v_i^T\Sigma_x v_i
    = 1` and :math:`\Sigma_{x|y} = \Sigma_x - \Sigma_{xy}\Sigma_y^{-1}\Sigma_{yx}`. The reported
    informations come straight from the covariances of T:

    .. math::
        I(X;T) = \tfrac12\log\det(A\Sigma_xA^T + I), \quad
        I(T;Y) = \tfrac12\log\frac{\det(A\Sigma_xA^T + I)}{\det(A\Sigma_{x|y}A^T + I)}.

    Parameters
    ----------
    cov_x : array_like, shape ``(n_x, n_x)``
        Σ_x, symmetric positive definite.
    cov_xy : array_like, shape ``(n_x, n_y)``
        Σ_xy = Cov(X, Y); the joint covariance must be positive definite.
    cov_y : array_like, shape ``(n_y, n_y)``
        Σ_y, symmetric positive definite.
    beta : float
        Trade-off β ≥ 0 (no component is active for β ≤ 1).
    base : float
        Logarithm base of the informations (2: bits, e: nats).

    Returns
    -------
    GaussianIBSolution

    References
    ----------
    Chechik, Globerson, Tishby & Weiss (2005), JMLR 6, Theorem 3.1.
    """
    sx, sxy, sy = _validated(cov_x, cov_xy, cov_y)
    beta = check_beta(beta)
    base = check_base(base)
    rho2, v = _canonical(sx, sxy, sy)
    lam = 1.0 - rho2
    active = beta * rho2 > 1.0  # (n_x,)
    alpha2 = np.where(active, (beta * rho2 - 1.0) / lam, 0.0)  # r_i = 1
    a = np.sqrt(alpha2)[:, None] * v.T  # (n_x, n_x): row i = α_i v_iᵀ
    cond = sx - sxy @ scipy.linalg.cho_solve(scipy.linalg.cho_factor(sy), sxy.T)  # Σ_{x|y}
    eye = np.eye(sx.shape[0])
    logdet_t = np.linalg.slogdet(a @ sx @ a.T + eye)[1]  # log det Σ_t
    logdet_ty = np.linalg.slogdet(a @ cond @ a.T + eye)[1]  # log det Σ_{t|y}
    log_base = math.log(base)
    return GaussianIBSolution(
        projection=a,
        eigenvectors=v,
        eigenvalues=lam,
        critical_betas=_critical(rho2),
        n_active=int(active.sum()),
        I_XT=float(0.5 * logdet_t / log_base),
        I_TY=float(0.5 * (logdet_t - logdet_ty) / log_base),
        I_XY=float(-0.5 * np.sum(np.log(lam)) / log_base),
        beta=beta,
        base=base,
    )


def _beta_grid(betas: Any, critical: np.ndarray, n_points: int) -> np.ndarray:
    if betas is None:
        finite = critical[np.isfinite(critical)]
        if finite.size == 0:  # X and Y independent: the curve is the origin at every β
            return np.geomspace(1.0, 100.0, n_points)
        return np.geomspace(0.9 * finite[0], 100.0 * finite[-1], n_points)
    values = np.atleast_1d(np.asarray(betas, dtype=object)).ravel()
    grid = np.array([check_beta(b, "betas") for b in values], dtype=float)
    if grid.size == 0:
        raise InvalidParameterError("betas must hold at least one value; got an empty sequence")
    if np.any(np.diff(grid) <= 0):
        raise InvalidParameterError(f"betas must be strictly increasing; got {grid.tolist()}")
    return grid


def gaussian_ib_curve(
    cov_x: Any,
    cov_xy: Any,
    cov_y: Any,
    betas: Any = None,
    *,
    n_points: int = 100,
    base: float = 2.0,
) -> GaussianIBCurve:
    r"""The analytic Gaussian IB information curve (I(X;T)(β), I(T;Y)(β)).

    Uses the closed form of Chechik et al. (2005), eq. (13), summing over the
    :math:`n(\beta)` components with :math:`\beta > \beta_i^c`:

    .. math::
        I(T;X) = \tfrac12 \sum_{i \le n(\beta)} \log\frac{(\beta - 1)(1 - \lambda_i)}{\lambda_i},
        \qquad I(T;Y) = I(T;X) - \tfrac12 \sum_{i \le n(\beta)} \log\big(\beta(1-\lambda_i)\big).

    The curve is concave with slope dI(T;Y)/dI(X;T) = 1/β and tends to I(X;Y) as β → ∞.

    Parameters
    ----------
    cov_x, cov_xy, cov_y : array_like
        Covariances of shapes ``(n_x, n_x)``, ``(n_x, n_y)``, ``(n_y, n_y)`` (see
        :func:`gaussian_ib`).
    betas : array_like, optional
        Strictly increasing β ≥ 0. Default: ``n_points`` geometric points from 0.9 β_1^c to
        100 β_last^c (the smallest and largest finite critical β).
    n_points : int
        Grid size when ``betas`` is None (≥ 2).
    base : float
        Logarithm base of the informations.

    Returns
    -------
    GaussianIBCurve
    """
    sx, sxy, sy = _validated(cov_x, cov_xy, cov_y)
    base = check_base(base)
    rho2, _ = _canonical(sx, sxy, sy)
    lam = 1.0 - rho2
    critical = _critical(rho2)
    grid = _beta_grid(betas, critical, check_int(n_points, "n_points", minimum=2))
    i_xt, i_ty, n_active = _closed_form(rho2, lam, grid)
    log_base = math.log(base)
    return GaussianIBCurve(
        beta=grid,
        I_XT=i_xt / log_base,
        I_TY=i_ty / log_base,
        n_active=n_active.astype(np.int64),
        critical_betas=critical,
        eigenvalues=lam,
        I_XY=float(-0.5 * np.sum(np.log(lam)) / log_base),
        base=base,
    )
