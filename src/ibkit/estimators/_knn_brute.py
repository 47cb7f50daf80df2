r"""Blocked brute-force max-norm searches for high dimension (numba, ``pip install ibkit[fast]``).

Above ten or so dimensions a k-d tree prunes almost nothing in the max-norm (the k-th neighbour
is nearly as far as a typical point), and a tree search degrades into a slow all-pairs scan.
These kernels do the all-pairs scan directly, in cache-sized tiles: for a block of ``QB``
queries and a block of ``PB`` points stored feature-major, the running maxima

.. math:: a_{qj} \leftarrow \max\bigl(a_{qj}, |x_{j,c} - x_{q,c}|\bigr),\qquad c = 1..d

vectorise (SIMD), and the tile is then offered to each query's k-best list (:func:`brute_kth`)
or counted against its radius (:func:`brute_count`). Queries run in parallel (``prange``).
The distances are the same float64 ``max_d |a_d - b_d|`` as SciPy's ``cKDTree``, so the results
are identical to the fallback.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange

__all__ = ["brute_count", "brute_kth"]

QB = 8  # queries per tile
PB = 512  # points per tile: QB·PB running maxima (32 KiB) stay in L1


@njit(fastmath=True, inline="always")
def _max_abs_into(acc: np.ndarray, row: np.ndarray, qv: float) -> None:
    for j in range(acc.shape[0]):
        t = abs(row[j] - qv)
        acc[j] = t if t > acc[j] else acc[j]


@njit(fastmath=True)
def _tile(xt: np.ndarray, x: np.ndarray, q0: int, nq: int, p0: int, p1: int, acc) -> None:
    """``acc[q, j] = max_c |x[p0 + j, c] - x[q0 + q, c]|`` for the tile; ``xt`` is ``x.T``."""
    npb = p1 - p0
    acc[:nq, :npb] = 0.0
    for c in range(xt.shape[0]):
        row = xt[c, p0:p1]
        for q in range(nq):
            _max_abs_into(acc[q, :npb], row, x[q0 + q, c])


@njit(parallel=True)
def brute_kth(x: np.ndarray, k: int):
    """k-th neighbour max-norm distance ``(n,)`` and neighbour ids ``(n, k)``, self excluded."""
    n = x.shape[0]
    xt = np.ascontiguousarray(x.T)  # (d, n)
    radius, neigh = np.empty(n), np.empty((n, k), np.int64)
    for block in prange((n + QB - 1) // QB):
        q0 = block * QB
        nq = min(n, q0 + QB) - q0
        best, ids = np.full((QB, k), np.inf), np.full((QB, k), -1, np.int64)
        acc = np.empty((QB, PB))
        for p0 in range(0, n, PB):
            p1 = min(n, p0 + PB)
            _tile(xt, x, q0, nq, p0, p1, acc)
            for q in range(nq):
                bound = best[q, k - 1]
                for j in range(p1 - p0):
                    dist = acc[q, j]
                    if dist < bound and p0 + j != q0 + q:
                        t = k - 1
                        while t > 0 and best[q, t - 1] > dist:
                            best[q, t], ids[q, t] = best[q, t - 1], ids[q, t - 1]
                            t -= 1
                        best[q, t], ids[q, t] = dist, p0 + j
                        bound = best[q, k - 1]
        for q in range(nq):
            radius[q0 + q] = best[q, k - 1]
            neigh[q0 + q] = ids[q]
    return radius, neigh


@njit(parallel=True)
def brute_count(x: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``#{j : max_c |x_jc - x_ic| <= radius_i}`` for every point (self included), ``(n,)``."""
    n = x.shape[0]
    xt = np.ascontiguousarray(x.T)  # (d, n)
    counts = np.zeros(n, np.int64)
    for block in prange((n + QB - 1) // QB):
        q0 = block * QB
        nq = min(n, q0 + QB) - q0
        acc = np.empty((QB, PB))
        for p0 in range(0, n, PB):
            p1 = min(n, p0 + PB)
            _tile(xt, x, q0, nq, p0, p1, acc)
            for q in range(nq):
                r, c = radius[q0 + q], 0
                for j in range(p1 - p0):
                    c += acc[q, j] <= r
                counts[q0 + q] += c
    return counts
