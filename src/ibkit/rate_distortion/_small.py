r"""All β of a curve at once for tiny alphabets: batched Newton steps on the BA dual.

For a binary or other small source the cost of one Blahut–Arimoto or CNM iteration is Python
overhead, not arithmetic. This solver runs the CNM Newton step (see :mod:`._cnm`) for every β
of a curve in the same NumPy calls, on the full support: with the kernel
:math:`K_\beta = e^{-\beta (d - \min_{\hat x} d)}` and the Lagrangian
:math:`\ell(w) - \sum w`, :math:`\ell(w) = \sum_x p(x) \log (K_\beta w)(x)`, each iteration

1. computes Z = K q, c = Kᵀ(p / Z) and Blahut's certified gap
   :math:`\log \max c - \sum q\, c \log c` for every β (converged β stop there);
2. solves :math:`H t = 2c - 1`, :math:`H = \sum_x p(x) S_x S_x^\top`,
   :math:`S_x = K_{x\cdot} / Z(x)` (the maximiser of the quadratic model, one batched ``solve``);
3. tries the step q + s (t - q) at s = s_max 2^{-l}, l = 0..7, all in one product, with
   s_max keeping q > 0, and keeps the first s that raises the Lagrangian; a β whose gap is
   below 1e-3 nats (Newton's quadratic region) takes the step s_max without the search —
   its next certified gap is computed all the same, and a step that fails shows there.

A β whose Z underflows, whose step does not help, whose q heads for the boundary of the
simplex (min q < 0.01 max q, or a Newton target that leaves the simplex inside the quadratic
region: an optimum a full-support Newton method only crawls toward, whose exact sparse form
CNM finds), or that needs more than ``MAX_ITERATIONS`` is reported as not solved; the
caller solves it with the general CNM. Every returned gap is the same certificate as CNM's.

References
----------
Wang (2007), J. R. Stat. Soc. B 69(2). Blahut (1972), IEEE Trans. IT 18(4).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["MAX_ITERATIONS", "SmallSolution", "is_small", "solve_small"]

MAX_ITERATIONS = 40
_MAX_CELLS = 256  # n_x · n_xhat up to which the batched path is used
_CHUNK = 512  # β per batch
_INTERIOR = 1e-2  # min q / max q below which q is taken to head for the boundary
_LEVELS = 2.0 ** -np.arange(8)  # step fractions tried at once
_TINY_Z = 1e-200
_ROUNDING = 8 * np.finfo(np.float64).eps
_QUADRATIC = 1e-3  # gap (nats) below which every active β takes full Newton steps


@dataclass(frozen=True)
class SmallSolution:
    r"""Per β (rows): p(x̂), encoder, rate and certified gap (nats), distortion, bookkeeping.

    .. math:: p_b(\hat x|x) = \frac{q_b(\hat x)\, e^{-\beta_b d(x,\hat x)}}{Z_b(x)}, \quad
              \text{rate}_b = I_b(X;\hat X), \quad \text{distortion}_b = E_b[d(X,\hat X)]
    """

    marginal: np.ndarray  # (B, n_xhat)
    encoder: np.ndarray  # (B, n_x, n_xhat)
    output_marginal: np.ndarray  # (B, n_xhat)
    rate: np.ndarray  # (B,), nats
    distortion: np.ndarray  # (B,)
    gap: np.ndarray  # (B,), nats
    iterations: np.ndarray  # (B,) int
    solved: np.ndarray  # (B,) bool: gap <= tol reached here


def is_small(shape: tuple[int, int]) -> bool:
    """Whether a (n_x, n_xhat) problem goes to the batched solver."""
    return shape[0] * shape[1] <= _MAX_CELLS


def _gradient(kernel: np.ndarray, px: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Z = K q (B, n_x) and c = Kᵀ(p / Z) (B, n_xhat). Z ≥ min q > 0: every row of K has a 1."""
    z = (kernel @ q[:, :, None])[:, :, 0]  # (B, n_x)
    c = ((px / z)[:, None, :] @ kernel)[:, 0, :]  # (B, n_xhat)
    return z, c


def _newton(
    kernel: np.ndarray, root_px: np.ndarray, z: np.ndarray, c: np.ndarray, eye: np.ndarray
) -> np.ndarray | None:
    """Newton targets t (B, n_xhat) from H t = 2c - 1, or None if H is singular."""
    s = kernel * (root_px / z)[:, :, None]  # (B, n_x, n_xhat)
    hessian = np.swapaxes(s, 1, 2) @ s  # (B, n_xhat, n_xhat)
    ridge = 1e-12 * np.trace(hessian, axis1=1, axis2=2) / eye.shape[0]  # (B,)
    try:
        return np.linalg.solve(hessian + ridge[:, None, None] * eye, (2.0 * c - 1.0)[:, :, None])[
            :, :, 0
        ]
    except np.linalg.LinAlgError:
        return None


def _step_fractions(q: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The largest fraction ≤ 1 of ``step`` that keeps q > 0 (with 1% to spare), (B,)."""
    shrink = step < 0
    room = np.min(np.where(shrink, q, np.inf) / np.where(shrink, -step, 1.0), axis=1)  # (B,)
    return np.minimum(1.0, 0.99 * room)


def _line_search(
    kernel_t: np.ndarray, px: np.ndarray, q: np.ndarray, target: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first step fraction whose ℓ(w) - Σw exceeds ``floor`` (B,); (new q, found).
    ``kernel_t`` is Kᵀ (B, n_xhat, n_x)."""
    step = target - q  # (B, n_xhat)
    fraction = _step_fractions(q, step)[:, None] * _LEVELS  # (B, L)
    trials = q[:, None, :] + fraction[:, :, None] * step[:, None, :]  # (B, L, n_xhat), > 0
    mass = trials.sum(axis=2)  # (B, L)
    value = np.log(trials @ kernel_t) @ px - mass  # (B, L): ℓ(w) - Σw, Z ≥ min w > 0
    better = value > floor[:, None]
    first = np.argmax(better, axis=1)  # (B,)
    rows = np.arange(q.shape[0])
    return trials[rows, first] / mass[rows, first][:, None], better.any(axis=1)


def solve_small(
    px: np.ndarray, d: np.ndarray, betas: np.ndarray, *, tol: float, max_iter: int
) -> SmallSolution:
    r"""Solve every β of ``betas`` (B,) on the (n_x, n_xhat) problem; ``tol`` in nats.
    Long grids go in chunks of ``_CHUNK`` β (memory: 8 trial points per β and x).

    .. math:: \max_{q_b \in \Delta}\ \sum_x p(x) \log \sum_{\hat x} q_b(\hat x)\,
              e^{-\beta_b d(x, \hat x)} \quad \text{for each } b
    """
    if betas.shape[0] > _CHUNK:
        parts = [
            _solve_chunk(px, d, betas[k : k + _CHUNK], tol=tol, max_iter=max_iter)
            for k in range(0, betas.shape[0], _CHUNK)
        ]
        return SmallSolution(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(SmallSolution))
        )
    return _solve_chunk(px, d, betas, tol=tol, max_iter=max_iter)


def _solve_chunk(
    px: np.ndarray, d: np.ndarray, betas: np.ndarray, *, tol: float, max_iter: int
) -> SmallSolution:
    row_min = d.min(axis=1)  # (n_x,)
    kernel = np.exp(-betas[:, None, None] * (d - row_min[:, None]))  # (B, n_x, n_xhat)
    kernel_t = np.swapaxes(kernel, 1, 2)  # (B, n_xhat, n_x)
    n_b, n_h = kernel.shape[0], kernel.shape[2]
    root_px, eye = np.sqrt(px), np.eye(n_h)
    q = px @ (kernel / kernel.sum(axis=2, keepdims=True))  # (B, n_xhat): a BA step from uniform
    q = np.maximum(q, 1e-3 / n_h)  # (mixed with uniform mass: the Newton steps need q > 0)
    q /= q.sum(axis=1, keepdims=True)
    iterations = np.zeros(n_b, dtype=int)
    active, solved = np.ones(n_b, dtype=bool), np.zeros(n_b, dtype=bool)
    gap = np.full(n_b, np.inf)
    for _ in range(min(max_iter, MAX_ITERATIONS)):
        z, c = _gradient(kernel, px, q)
        interior = q.min(axis=1) >= _INTERIOR * q.max(axis=1)  # (B,)
        log_c = np.log(np.maximum(c, 1e-300))  # (B, n_xhat)
        now = np.maximum(log_c.max(axis=1) - np.sum(q * c * log_c, axis=1), 0.0)  # (B,)
        gap = np.where(active, now, gap)
        iterations += active
        solved |= active & (gap <= tol) & interior
        quadratic = gap <= _QUADRATIC  # Newton's quadratic region: full steps, no search
        active &= ~solved & (z.min(axis=1) > _TINY_Z) & (interior | ~quadratic)
        if not active.any():
            break
        target = _newton(kernel, root_px, z, c, eye)
        if target is None:
            break
        active &= ~(quadratic & np.any(target <= 0.0, axis=1))  # optimum on the boundary: CNM
        mass = target.sum(axis=1, keepdims=True)  # (B, 1); target > 0 where quadratic & active
        new_q = target / np.where(mass > 0, mass, 1.0)
        if not np.all(quadratic | ~active):
            base = np.log(z) @ px - 1.0  # (B,): ℓ(q) - Σq at the simplex point q
            floor = base + _ROUNDING * (np.abs(base) + 1.0)
            searched, found = _line_search(kernel_t, px, q, target, floor)
            new_q = np.where(quadratic[:, None], new_q, searched)
            active &= found | quadratic
        q = np.where(active[:, None], new_q, q)
    return _statistics(px, d, betas, kernel, row_min, q, gap, iterations, solved)


def _statistics(
    px: np.ndarray,
    d: np.ndarray,
    betas: np.ndarray,
    kernel: np.ndarray,
    row_min: np.ndarray,
    q: np.ndarray,
    gap: np.ndarray,
    iterations: np.ndarray,
    solved: np.ndarray,
) -> SmallSolution:
    r"""Encoder, p(x̂), rate and distortion of every q, with
    :math:`I = \sum_{\hat x} p(\hat x) \log \frac{q(\hat x)}{p(\hat x)} - \beta D
    - \sum_x p(x) \log Z(x)` (Z of the unshifted kernel)."""
    joint = kernel * q[:, None, :]  # (B, n_x, n_xhat)
    z = joint.sum(axis=2)  # (B, n_x)
    encoder = joint / z[:, :, None]
    marginal = px @ encoder  # (B, n_xhat)
    distortion = (encoder * d).sum(axis=2) @ px  # (B,)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(marginal > 0, marginal * (np.log(q) - np.log(marginal)), 0.0).sum(1)
        log_z = np.log(np.where(px > 0, z, 1.0)) @ px - betas * (px @ row_min)  # (B,)
    rate = np.maximum(cross - betas * distortion - log_z, 0.0)
    ok = solved & np.isfinite(rate)
    return SmallSolution(q, encoder, marginal, rate, distortion, gap, iterations, ok)
