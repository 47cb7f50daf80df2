"""The rate–distortion curve R(D) by a warm-started sweep of Blahut–Arimoto over β."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, get_namespace, log_base, to_numpy
from .._io import write_csv
from .._validation import (
    as_matrix,
    as_pmf,
    check_base,
    check_beta,
    check_int,
    check_positive,
)
from ..exceptions import InvalidParameterError
from ._small import SmallSolution, is_small, solve_small
from ._structure import prepare
from .blahut_arimoto import RDSolution, blahut_arimoto, resolve_method, solve_validated

__all__ = ["RDCurve", "auto_betas", "rd_curve"]

Callback = Callable[[int, int, RDSolution], None]


@dataclass(frozen=True)
class RDCurve:
    r"""Points of R(D), sorted by increasing β (decreasing distortion).

    .. math:: R(D) = \min_{p(\hat x|x):\ E[d(X,\hat X)] \le D} I(X;\hat X), \qquad
              R'(D) = -\beta\ \text{(nats)},\ -\beta/\ln b\ \text{(base b)}

    Attributes
    ----------
    beta, rate, distortion, lower_bound : ndarray, shape ``(n_points,)``
        Slope parameter (nats per unit distortion), I(X;X̂) and E[d] of each solution, and
        Blahut's certified lower bound on R at that distortion (rates in units of ``base``).
    iterations : ndarray of int, converged : ndarray of bool
        Solver bookkeeping per point.
    base : float
        Logarithm base of the rates.
    encoders : tuple of arrays ``(n_x, n_xhat)``, optional
        p(x̂|x) per point, kept only with ``keep_encoders=True``.
    """

    beta: np.ndarray
    rate: np.ndarray
    distortion: np.ndarray
    lower_bound: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    base: float = 2.0
    encoders: tuple[Array, ...] | None = None

    @property
    def gap(self) -> np.ndarray:
        """Certified gaps ``rate - lower_bound`` (≥ 0) per point."""
        return self.rate - self.lower_bound

    def __len__(self) -> int:
        return int(self.beta.shape[0])

    def columns(self) -> dict[str, np.ndarray]:
        """The per-point arrays ``(n_points,)`` by column name (the CSV layout); ``gap`` =
        ``rate − lower_bound`` in units of ``base``."""
        return {
            "beta": self.beta,
            "distortion": self.distortion,
            "rate": self.rate,
            "lower_bound": self.lower_bound,
            "gap": self.gap,
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists and scalars); encoders are not included."""
        out: dict[str, Any] = {k: v.tolist() for k, v in self.columns().items()}
        out["base"] = self.base
        return out

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the per-point columns to ``path`` atomically."""
        cols = self.columns()
        cols["converged"] = cols["converged"].astype(int)
        return write_csv(path, cols)


def _distortion_range(px: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """(D_min, D_max): the least achievable distortion and the distortion at zero rate."""
    d_min = float(px @ d.min(axis=1))
    d_max = float((px @ d).min())
    return d_min, d_max


def auto_betas(
    px: Any, distortion: Any, n_points: int = 50, *, base: float = 2.0, method: str = "cnm"
) -> np.ndarray:
    r"""A geometric β grid ``(n_points,)`` (nats per unit distortion) spanning R(D) from D_max
    (rate ≈ 0) to near D_min.

    .. math:: D_\min = \sum_x p(x) \min_{\hat x} d(x,\hat x), \qquad
              D_\max = \min_{\hat x} \sum_x p(x)\, d(x,\hat x), \qquad
              \beta_k = \beta_\mathrm{lo} (\beta_\mathrm{hi}/\beta_\mathrm{lo})^{k/(n-1)}

    The low end is the largest β tried (halving from 1/(D_max - D_min)) whose solution has
    rate ≤ 1e-6; the high end the smallest β tried (doubling) with
    D - D_min ≤ 1e-2 (D_max - D_min). Returns ``[0.0]`` when D_max = D_min (R ≡ 0).
    """
    n_points = check_int(n_points, "n_points", minimum=1)
    p_host, d_host = to_numpy(px), to_numpy(distortion)
    d_min, d_max = _distortion_range(p_host, d_host)
    spread = d_max - d_min
    if spread <= 1e-15 * max(abs(d_max), 1.0):
        return np.zeros(1)

    def probe(beta: float) -> RDSolution:
        return blahut_arimoto(p_host, d_host, beta, tol=1e-4, base=base, method=method)

    start = 1.0 / spread
    low = start
    for _ in range(60):
        if probe(low).rate <= 1e-6:
            break
        low /= 2.0
    high = start
    for _ in range(60):
        if probe(high).distortion - d_min <= 1e-2 * spread:
            break
        high *= 2.0
    if n_points == 1:
        return np.array([math.sqrt(low * high)])
    return np.geomspace(low, high, n_points)


def _check_betas(betas: Any) -> np.ndarray:
    """β values sorted increasingly; a real NumPy array is checked in one pass."""
    if isinstance(betas, np.ndarray) and betas.dtype.kind in "fiu":
        grid = betas.astype(float).ravel()
        if np.all(np.isfinite(grid)) and np.all(grid >= 0):
            return np.sort(grid)
    values = np.atleast_1d(np.asarray(betas, dtype=object)).ravel()
    return np.sort(np.array([check_beta(b, "betas") for b in values], dtype=float))


def _curve_from_batch(
    grid: np.ndarray, small: SmallSolution, base: float, keep_encoders: bool
) -> RDCurve:
    unit = log_base(base)
    return RDCurve(
        beta=grid,
        rate=small.rate / unit,
        distortion=small.distortion,
        lower_bound=(small.rate - small.gap) / unit,
        iterations=small.iterations,
        converged=small.solved,
        base=base,
        encoders=tuple(small.encoder) if keep_encoders else None,
    )


def _solve_points(
    px: Array,
    d: Array,
    grid: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    base: float,
    method: str,
    xp: Any,
    callback: Callback | None,
    small: SmallSolution | None,
) -> list[RDSolution]:
    """Solve every β of ``grid``: those the batch ``small`` solved are taken from it, the rest
    one by one, warm-started from the previous point."""
    unit = log_base(base)
    prepared = prepare(d, xp) if method == "cnm" and small is None else None
    solutions: list[RDSolution] = []
    previous: RDSolution | None = None
    for index, beta in enumerate(grid):
        if small is not None and small.solved[index]:
            previous = RDSolution(
                rate=float(small.rate[index]) / unit,
                distortion=float(small.distortion[index]),
                lower_bound=float(small.rate[index] - small.gap[index]) / unit,
                _encoder=small.encoder[index],
                output_marginal=small.output_marginal[index],
                beta=float(beta),
                iterations=int(small.iterations[index]),
                converged=True,
                base=base,
            )
        else:
            previous = solve_validated(
                px,
                d,
                float(beta),
                tol=tol,
                max_iter=max_iter,
                init=previous,
                base=base,
                method=method,
                log_domain=False,
                xp=xp,
                prepared=prepared,
            )
        solutions.append(previous)
        if callback is not None:
            callback(index, len(grid), previous)
    return solutions


def rd_curve(
    px: Any,
    distortion: Any,
    betas: Any = None,
    *,
    n_points: int = 50,
    tol: float = 1e-6,
    max_iter: int = 100_000,
    base: float = 2.0,
    method: str | None = None,
    keep_encoders: bool = False,
    callback: Callback | None = None,
) -> RDCurve:
    r"""Trace R(D) by solving Blahut–Arimoto at each β, warm-starting from the previous point.

    The β-independent work (Toeplitz detection, row-shifted d) is done once per curve, and
    for tiny alphabets (|X|·|X̂| ≤ 256, NumPy input, ``method="cnm"``) all β are solved at
    once by batched Newton steps on the same certificate; a β whose optimum lies on the
    boundary of the simplex is handed to the per-point CNM.

    .. math:: R(D) = \min_{p(\hat x|x):\, E d \le D} I(X; \hat X), \qquad
              \frac{dR}{dD} = -\beta \ \text{(nats)}

    Parameters
    ----------
    px : array_like, shape ``(n_x,)``
        Source pmf.
    distortion : array_like, shape ``(n_x, n_xhat)``
        Distortion matrix.
    betas : array_like of β ≥ 0, optional
        Slopes to solve at (sorted increasingly). Default: :func:`auto_betas` with
        ``n_points`` points covering D from D_max to near D_min.
    tol : float
        Certified gap per point (units of ``base``): every rate is within ``tol`` of R(D).
    method : {"cnm", "squarem", "ba"} or None
        Solver per point (see :func:`blahut_arimoto`); None: ``"cnm"`` in host memory,
        ``"squarem"`` for arrays on an accelerator (the iteration then stays on the device).
    keep_encoders : bool
        Keep p(x̂|x) of every point (memory: n_points · n_x · n_xhat floats).
    callback : callable ``(index, total, solution)``, optional
        Called after each point (progress bars; library code never prints).

    Returns
    -------
    RDCurve

    References
    ----------
    Blahut (1972); Cover & Thomas (2006), §10.8.
    """
    xp = get_namespace(px, distortion)
    px, _ = as_pmf(px, name="px", batch=False, xp=xp)
    d = as_matrix(distortion, name="distortion", rows=int(px.shape[0]), nonnegative=True, xp=xp)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    base = check_base(base)
    d = xp.astype(d, px.dtype)
    method = resolve_method(method, px, d)
    if betas is None:
        grid = auto_betas(px, d, n_points, base=base, method=method)
    else:
        grid = _check_betas(betas)
        if grid.size == 0:
            raise InvalidParameterError("betas must hold at least one value; got an empty sequence")
    small = None
    if method == "cnm" and is_small(tuple(d.shape)) and array_api_compat.is_numpy_namespace(xp):
        small = solve_small(px, d, grid, tol=tol * log_base(base), max_iter=max_iter)
        if callback is None and small.solved.all():  # the whole curve from the batch's arrays
            return _curve_from_batch(grid, small, base, keep_encoders)
    solutions = _solve_points(
        px,
        d,
        grid,
        tol=tol,
        max_iter=max_iter,
        base=base,
        method=method,
        xp=xp,
        callback=callback,
        small=small,
    )
    return RDCurve(
        beta=grid,
        rate=np.array([s.rate for s in solutions]),
        distortion=np.array([s.distortion for s in solutions]),
        lower_bound=np.array([s.lower_bound for s in solutions]),
        iterations=np.array([s.iterations for s in solutions]),
        converged=np.array([s.converged for s in solutions]),
        base=base,
        encoders=tuple(s.encoder for s in solutions) if keep_encoders else None,
    )
