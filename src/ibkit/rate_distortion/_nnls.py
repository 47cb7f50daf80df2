r"""The Newton step of CNM: a convex quadratic over the non-negative orthant.

.. math:: \min_{w \ge 0}\ \tfrac12 w^\top H w - g^\top w, \qquad H \succ 0 \ (m, m)

Two paths with the same minimiser (unique, as H is positive definite; they agree to the
conditioning of H):

* **numba** (:data:`ibkit._jit.HAVE_NUMBA`): Lawson–Hanson's active-set method on (H, g),
  *warm-started* from CNM's current weights (feasible, so Lawson–Hanson's inner loop applies
  to them at once) with the Cholesky factor of :math:`H_{PP}` on the passive set P kept
  up to date — a row appended per entering variable (one triangular solve), Givens rotations
  per leaving one — so each step costs :math:`O(|P|^2)`, not a factorisation. Consecutive CNM
  supports differ in a few points, so a call takes tens of steps where a cold start takes
  about one per positive weight. The warm start's factor is one blocked LAPACK Cholesky of
  :math:`H_{PP}` (appending one variable at a time only where a pivot fails the
  independence test), and the entering variable's :math:`g - Hw` is computed off P only,
  from the |P| non-zero weights: :math:`O((m - |P|)\,|P|)` per step instead of :math:`m^2`.
* **SciPy**: the Cholesky factor R of H, the unconstrained minimiser when it is non-negative,
  else :func:`scipy.optimize.nnls` on :math:`\min \|R w - R^{-\top} g\|` (a cold start).

The step only sets CNM's search direction; the line search and the certified gap judge it.

References
----------
Lawson & Hanson (1974), *Solving Least Squares Problems*, ch. 23. Bro & De Jong (1997), "A fast
non-negativity-constrained least squares algorithm", J. Chemometrics 11(5). Golub & Van Loan
(2013), *Matrix Computations*, §6.5.4 (Cholesky up/downdating).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import nnls

from .._jit import HAVE_NUMBA, njit

__all__ = ["gram", "nonnegative_quadratic"]

_DEPENDENT = 1e-14  # a pivot below this fraction of H_jj: j is a combination of P
_BLOCK_ROWS = 128  # rows of A per block of the banded Gram product
_MIN_BANDED = 48  # narrower A: one dense product is as fast


def gram(
    a: np.ndarray, bands: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, float]:
    r"""H = AᵀA ``(m, m)`` for A ``(n, m)``, and the FLOPs spent; entries of A below
    :math:`\tau \max_k a_{xk}` in their row, :math:`\tau = 10^{-14}/m`, are skipped.

    .. math:: H = \sum_{b} A_{b, [l_b, u_b)}^\top A_{b, [l_b, u_b)}, \qquad
              |\Delta H_{ij}| \le \tau \sum_x \big(\max_k a_{xk}\big)^2
              \le \tau\, \mathrm{tr}\, H = 10^{-14}\, \mathrm{tr}\, H / m

    over blocks b of rows, with :math:`[l_b, u_b)` the columns where some row of the block
    has a kept entry. Each neglected product :math:`a_{xi} a_{xj}` has a factor below
    :math:`\tau \max_k a_{xk}` and the other at most :math:`\max_k a_{xk}`. For a kernel
    that decays away from the diagonal (a distortion of x − x̂ on a grid) each block needs
    only a band of columns; the perturbation is 1/100 of the ridge
    :math:`10^{-12}\,\mathrm{tr}\, H / m` CNM adds anyway, and only moves the search
    direction, never the certificate. ``bands``, when given, are the per-block [low, high)
    of that rule, computed by the caller (:func:`._cnm_jit.scaled_block`, fused with the
    scaling of A); blocks with low ≥ high hold no kept entry.
    """
    n, m = a.shape
    if m < _MIN_BANDED:
        return a.T @ a, 2.0 * n * m * m
    low, high = _bands(a) if bands is None else bands  # (blocks,) each
    live = np.flatnonzero(high > low)
    banded = float(np.sum((high - low)[live].astype(float) ** 2)) * _BLOCK_ROWS
    if banded > 0.5 * n * m * m:
        return a.T @ a, 2.0 * n * m * m  # no band to speak of
    hessian = np.zeros((m, m))
    for b in live:
        lo, hi = int(low[b]), int(high[b])
        block = a[b * _BLOCK_ROWS : (b + 1) * _BLOCK_ROWS, lo:hi]  # (rows, hi - lo)
        hessian[lo:hi, lo:hi] += block.T @ block
    return hessian, 2.0 * banded + 2.0 * n * m  # products, and the mask


def _bands(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per block of rows, the column band [low, high) of A's kept entries ``(blocks,)``."""
    n, m = a.shape
    kept = a > (1e-14 / m) * np.max(a, axis=1, keepdims=True)  # (n, m)
    blocks = -(-n // _BLOCK_ROWS)
    padded = np.zeros((blocks * _BLOCK_ROWS, m), dtype=bool)
    padded[:n] = kept
    used = padded.reshape(blocks, _BLOCK_ROWS, m).any(axis=1)  # (blocks, m)
    low = np.argmax(used, axis=1)  # (blocks,)
    high = np.where(used.any(axis=1), m - np.argmax(used[:, ::-1], axis=1), 0)  # (blocks,)
    return low, high


@njit()
def _row_dot(lower: np.ndarray, i: int, vec: np.ndarray, n: int) -> float:  # pragma: no cover
    """lower[i, :n] · vec[:n] with four partial sums (no serial dependence between FMAs)."""
    s0 = s1 = s2 = s3 = 0.0
    t = 0
    while t + 4 <= n:
        s0 += lower[i, t] * vec[t]
        s1 += lower[i, t + 1] * vec[t + 1]
        s2 += lower[i, t + 2] * vec[t + 2]
        s3 += lower[i, t + 3] * vec[t + 3]
        t += 4
    while t < n:
        s0 += lower[i, t] * vec[t]
        t += 1
    return (s0 + s1) + (s2 + s3)


@njit()
def _solve(lower: np.ndarray, k: int, rhs: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """out[:k] = (L Lᵀ)⁻¹ rhs[:k] for the leading k × k block of ``lower``: L y = rhs by rows
    (dot products), then Lᵀ x = y by rows of L (axpy updates, contiguous)."""
    for i in range(k):
        out[i] = (rhs[i] - _row_dot(lower, i, out, i)) / lower[i, i]
    for i in range(k - 1, -1, -1):
        xi = out[i] / lower[i, i]
        out[i] = xi
        for j in range(i):
            out[j] -= lower[i, j] * xi


@njit()
def _append(
    lower: np.ndarray, k: int, order: np.ndarray, hessian: np.ndarray, j: int
) -> bool:  # pragma: no cover
    """Add variable j as row k of the factor; False if H_jj's pivot vanishes (dependent)."""
    row = np.empty(k)
    for i in range(k):
        row[i] = (hessian[order[i], j] - _row_dot(lower, i, row, i)) / lower[i, i]
    pivot = hessian[j, j]
    for i in range(k):
        pivot -= row[i] * row[i]
    if not pivot > _DEPENDENT * hessian[j, j]:
        return False
    lower[k, :k] = row
    lower[k, k] = np.sqrt(pivot)
    order[k] = j
    return True


@njit()
def _remove(lower: np.ndarray, k: int, order: np.ndarray, pos: int) -> None:  # pragma: no cover
    """Drop the variable at position ``pos``: delete its row, then Givens rotations on
    column pairs restore the triangle (L Lᵀ is unchanged by a right rotation)."""
    for r in range(pos, k - 1):
        order[r] = order[r + 1]
        lower[r, : r + 2] = lower[r + 1, : r + 2]
    for r in range(pos, k - 1):
        a, b = lower[r, r], lower[r, r + 1]
        h = np.hypot(a, b)
        c, s = a / h, b / h
        for i in range(r, k - 1):
            u, v = lower[i, r], lower[i, r + 1]
            lower[i, r] = c * u + s * v
            lower[i, r + 1] = c * v - s * u
        lower[r, r + 1] = 0.0
    lower[k - 1, :k] = 0.0


@njit()
def _step_to_feasible(
    x: np.ndarray, z: np.ndarray, lower: np.ndarray, k: int, order: np.ndarray, inset: np.ndarray
) -> int:  # pragma: no cover
    """Lawson–Hanson's inner step: move x toward z until a weight hits 0, drop those."""
    alpha, first = 1.0, 0
    for i in range(k):
        if z[i] <= 0.0:
            xi = x[order[i]]
            a = xi / (xi - z[i])
            if a < alpha:
                alpha, first = a, i
    for i in range(k):
        o = order[i]
        x[o] += alpha * (z[i] - x[o])
    x[order[first]] = 0.0
    i = 0
    while i < k:
        o = order[i]
        if x[o] <= 0.0:
            x[o], inset[o] = 0.0, False
            _remove(lower, k, order, i)
            k -= 1
        else:
            i += 1
    return k


@njit()
def _start_factor(
    hessian: np.ndarray, x0: np.ndarray, lower: np.ndarray, order: np.ndarray
) -> int:  # pragma: no cover
    """LAPACK's Cholesky factor of :math:`H_{PP}`, P = {x0 > 0} in index order, into
    ``lower`` (what appending P's variables one by one builds, in one blocked call);
    returns |P|, or 0 where a pivot fails :func:`_append`'s independence test."""
    k = 0
    for i in range(x0.shape[0]):
        if x0[i] > 0.0:
            order[k] = i
            k += 1
    if k == 0:
        return 0
    block = np.empty((k, k))
    for r in range(k):
        for c in range(k):
            block[r, c] = hessian[order[r], order[c]]
    try:
        factor = np.linalg.cholesky(block)
    except Exception:  # not numerically positive definite
        return 0
    for r in range(k):
        if not factor[r, r] * factor[r, r] > _DEPENDENT * block[r, r]:
            return 0
    lower[:k, :k] = factor
    return k


@njit()
def _active_set(
    hessian: np.ndarray, g: np.ndarray, x0: np.ndarray, max_steps: int
) -> tuple[np.ndarray, bool, int]:  # pragma: no cover
    """Warm-started Lawson–Hanson on (H, g) from the feasible x0 ≥ 0; (w, converged,
    steps)."""
    m = g.shape[0]
    lower, order = np.zeros((m, m)), np.empty(m, np.int64)
    x, z, rhs = np.zeros(m), np.empty(m), np.empty(m)
    inset, banned = np.zeros(m, np.bool_), np.zeros(m, np.bool_)
    k = _start_factor(hessian, x0, lower, order)
    for i in order[:k]:
        x[i], inset[i] = x0[i], True
    if k == 0:  # a pivot failed above: one variable at a time, skipping dependent ones
        for i in range(m):
            if x0[i] > 0.0 and _append(lower, k, order, hessian, i):
                x[i], inset[i] = x0[i], True
                k += 1
    tol = 1e-13 * np.max(np.abs(g))
    solve = True
    for step in range(max_steps):
        if solve:
            for i in range(k):
                rhs[i] = g[order[i]]
            _solve(lower, k, rhs, z)
            if np.any(z[:k] <= 0.0):
                k = _step_to_feasible(x, z, lower, k, order, inset)
                continue
            for i in range(k):
                x[order[i]] = z[i]
        best, top = -1, tol
        for i in range(m):  # -∇ of the objective, g - Hx, off the passive set (x = 0 there)
            if inset[i] or banned[i]:
                continue
            dual = g[i]
            for t in range(k):
                dual -= hessian[i, order[t]] * x[order[t]]
            if dual > top:
                best, top = i, dual
        if best < 0:
            return x, True, step + 1
        solve = _append(lower, k, order, hessian, best)
        if solve:
            inset[best] = True
            k += 1
        else:
            banned[best] = True
    return x, False, max_steps


def _scipy_path(hessian: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    m = hessian.shape[0]
    factor = cholesky(hessian, lower=False, check_finite=False)  # H = RᵀR
    rhs = solve_triangular(factor, g, trans="T", check_finite=False)
    w = solve_triangular(factor, rhs, check_finite=False)  # unconstrained; NNLS if < 0
    flops = m**3 / 3.0 + 2.0 * m * m
    if not np.all(w >= 0.0):
        w, _ = nnls(factor, rhs, maxiter=50 * m + 100)
        flops += 4.0 * m * m * float(np.count_nonzero(w))  # about one QR update per step
    return w, flops


def nonnegative_quadratic(
    hessian: np.ndarray, g: np.ndarray, x0: np.ndarray, *, use_numba: bool = HAVE_NUMBA
) -> tuple[np.ndarray, float]:
    r""":math:`\arg\min_{w \ge 0} \tfrac12 w^\top H w - g^\top w` ``(m,)`` for H ``(m, m)``
    positive definite, warm-started from the feasible ``x0`` ``(m,)`` on the numba path;
    and an estimate of the FLOPs spent (each active-set step: two triangular solves and
    the dual :math:`g - Hw`, :math:`\le 4 m^2`; the first factor :math:`m^3/3`).

    .. math:: H w - g \ge 0,\quad w \ge 0,\quad w^\top (H w - g) = 0 \quad \text{(KKT)}

    Raises :class:`numpy.linalg.LinAlgError` / :class:`RuntimeError` where H is not
    numerically positive definite or the active set does not settle.
    """
    m = hessian.shape[0]
    if use_numba:
        w, converged, steps = _active_set(hessian, g, np.maximum(x0, 0.0), 20 * m + 50)
        if converged:
            return w, m**3 / 3.0 + 4.0 * m * m * steps
    return _scipy_path(hessian, g)
