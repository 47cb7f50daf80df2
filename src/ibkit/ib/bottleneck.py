"""The Information Bottleneck solver: validated entry point, restarts, the frozen result."""

from __future__ import annotations

import warnings
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, get_namespace, log_base, to_numpy
from .._validation import as_pmf, check_base, check_beta, check_int, check_positive
from ..exceptions import ConvergenceWarning, ShapeMismatchError
from ._iterative import (
    IBState,
    Monitor,
    information_terms,
    objective_nats,
    random_encoder,
    run_iterations,
)
from ._solution import IBSolution

__all__ = ["information_bottleneck", "solve_from"]


def _initial_encoders(
    init: Any, n_x: int, n_t: int, n_init: int, seed: Any, pxy: Array, xp: Any
) -> list[Array]:
    """Starting encoders in pxy's namespace, dtype and device (e.g. a CUDA tensor)."""
    device = array_api_compat.device(pxy)
    if init is not None:
        enc, init_xp = as_pmf(init, name="init", event_ndim=1)  # validated in its own namespace
        if tuple(enc.shape) != (n_x, n_t):
            raise ShapeMismatchError(
                f"init must be an encoder p(t|x) of shape ({n_x}, {n_t}); got {tuple(enc.shape)}"
            )
        if init_xp is not xp or array_api_compat.device(enc) != device:
            enc = xp.asarray(to_numpy(enc), device=device)  # a NumPy init for torch pxy, ...
        return [xp.astype(enc, pxy.dtype)]
    rng = np.random.default_rng(seed)
    return [
        xp.asarray(random_encoder(n_x, n_t, rng), dtype=pxy.dtype, device=device)
        for _ in range(n_init)
    ]


def solve_from(
    state: IBState,
    starts: list[Array],
    beta: float,
    alpha: float,
    tol: float,
    max_iter: int,
    base: float,
    monitor: Monitor | None = None,
) -> IBSolution:
    r"""Iterate from each start (validated inputs) and keep the lowest objective.

    .. math:: p^*(t|x) = \arg\min_{\text{starts}}\ H(T) - \alpha H(T|X) - \beta I(T;Y)

    ``starts``: encoders ``(n_x, n_t)``; information terms of the result in units of ``base``.
    """
    best: tuple[float, tuple[Array, Array, Array, int, bool], tuple[float, float, float]] | None
    best = None
    for start in starts:
        run = run_iterations(state, start, beta, alpha, tol, max_iter, monitor)
        terms = information_terms(state, run[0], run[1], run[2])
        value = objective_nats(*terms, beta, alpha)
        if best is None or value < best[0]:
            best = (value, run, terms)
    assert best is not None  # at least one start
    value, (encoder, marginal, decoder, iterations, converged), (i_xt, i_ty, h_t) = best
    unit = log_base(base)
    return IBSolution(
        encoder=encoder,
        marginal=marginal,
        decoder=decoder,
        I_XT=i_xt / unit,
        I_TY=i_ty / unit,
        H_T=h_t / unit,
        objective=value / unit,
        beta=beta,
        alpha=alpha,
        iterations=iterations,
        converged=converged,
        base=base,
    )


def information_bottleneck(
    pxy: Any,
    beta: float,
    n_clusters: int,
    *,
    alpha: float = 1.0,
    init: Any = None,
    n_init: int = 1,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    seed: Any = None,
    base: float = 2.0,
) -> IBSolution:
    r"""Find a stationary point of the (generalised) IB functional by iterating eq. 16.

    .. math:: \min_{p(t|x)}\ H(T) - \alpha H(T|X) - \beta I(T; Y)
              \quad(\alpha = 1:\ I(X;T) - \beta I(T;Y),\ \text{eq. 13})

    .. math:: p(t|x) = \frac{p(t)}{Z(x, \beta)} \exp(-\beta D_{KL}[p(y|x) \| p(y|t)])
              \quad \text{(eq. 14, for } \alpha = 1)

    Parameters
    ----------
    pxy : array_like, shape ``(n_x, n_y)``
        Joint pmf p(x, y) (zero rows and columns allowed).
    beta : float
        Trade-off β ≥ 0 (dimensionless: both informations in the same unit).
    n_clusters : int
        Cardinality |T| ≥ 1.
    alpha : float
        0 gives the deterministic IB (hard, argmax updates), 1 Tishby's IB.
    init : array_like, shape ``(n_x, n_clusters)``, optional
        Initial encoder p(t|x); default random (Dirichlet rows) from ``seed``.
    n_init : int
        Random restarts (ignored with ``init``); the lowest objective is kept.
    tol : float
        Stop when no encoder entry changes by more than ``tol`` in one iteration (tested
        every 4 iterations, so ``iterations`` may exceed the first such one by up to 3). In a
        slow linear tail (α > 0) p(t) and p(y|t) jump ahead by Aitken's Δ² extrapolation
        (same fixed point, fewer iterations).
    max_iter : int
        Iteration budget per restart (a ConvergenceWarning if it runs out).
    seed : int or numpy Generator, optional
        Seed of the random initial encoders.
    base : float
        Units of the reported information (2: bits).

    Returns
    -------
    IBSolution

    References
    ----------
    Tishby, Pereira & Bialek (2000), "The information bottleneck method".
    Strouse & Schwab (2017), "The deterministic information bottleneck", Neural Comput. 29(6).
    """
    xp = get_namespace(pxy)
    pxy, _ = as_pmf(pxy, name="pxy", event_ndim=2, batch=False, xp=xp)
    beta = check_beta(beta)
    alpha = check_beta(alpha, "alpha")  # the same rule as β: finite and >= 0
    n_t = check_int(n_clusters, "n_clusters", minimum=1)
    n_init = check_int(n_init, "n_init", minimum=1)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    base = check_base(base)
    state = IBState(pxy, xp)
    starts = _initial_encoders(init, int(pxy.shape[0]), n_t, n_init, seed, pxy, xp)
    solution = solve_from(state, starts, beta, alpha, tol, max_iter, base)
    if not solution.converged:
        warnings.warn(
            f"information_bottleneck stopped at max_iter={max_iter} (beta={beta:g}, "
            f"alpha={alpha:g}); the encoder still moves by more than tol={tol:g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return solution
