r"""Exact 2-D max-norm radius counts by ranks and a Fenwick tree (numba, ``ibkit[fast]``).

For a 2-D marginal the box :math:`[x_i \pm r_i] \times [y_i \pm r_i]` is, in ranks, a rectangle
:math:`[a_i, b_i) \times [c_i, e_i)` (binary searches on the sorted coordinates, testing the
predicate ``|s - v| <= r`` itself, so ties and rounding are handled exactly; sixteen searches
run in lockstep, so their cache misses overlap). Its population is

.. math:: c_i = D(b_i, e_i) - D(a_i, e_i) - D(b_i, c_i) + D(a_i, c_i),\qquad
          D(a, c) = \#\{j : \mathrm{rank}_x(j) < a,\ \mathrm{rank}_y(j) < c\},

and the 4n dominance counts are answered offline in one sweep over x-ranks with a Fenwick tree
over y-ranks: :math:`O(n \log n)`, however many points each box holds (a k-d tree visits the
box's boundary leaves, which grow with the count).

References
----------
Fenwick (1994), "A new data structure for cumulative frequency tables", Softw. Pract. Exp. 24(3).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange

__all__ = ["rank_bounds", "rank_count_1d", "rank_count_2d"]


LANES = 16  # binary searches run in lockstep (their memory loads overlap)


@njit()
def _searches(s, v, r, t0: int, nl: int, upper: bool, base) -> None:
    """``base[l]`` = number of leading ``j`` with ``s_j - v <= r`` (``upper``) or with
    ``v - s_j > r`` (else), for the ``nl`` queries ``v[t0 + l], r[t0 + l]``: branch-free
    binary searches on a monotone predicate, all lanes one halving step at a time."""
    base[:nl] = 0
    length = s.shape[0]
    while length > 1:
        half = length // 2
        for lane in range(nl):
            j = base[lane] + half - 1
            d = s[j] - v[t0 + lane] if upper else v[t0 + lane] - s[j]
            ok = d <= r[t0 + lane] if upper else d > r[t0 + lane]
            base[lane] += half if ok else 0
        length -= half
    for lane in range(nl):
        j = base[lane]
        d = s[j] - v[t0 + lane] if upper else v[t0 + lane] - s[j]
        base[lane] += (d <= r[t0 + lane]) if upper else (d > r[t0 + lane])


@njit(parallel=True)
def rank_bounds(s: np.ndarray, order: np.ndarray, radius: np.ndarray):
    """``lo_i = #{j : v_i - s_j > r_i}``, ``hi_i = #{j : s_j - v_i <= r_i}``.

    ``s = v[order]`` is sorted, ``order (n,)`` the sorting permutation, ``radius (n,)``.

    ``[lo_i, hi_i)`` are the sorted positions with ``|s_j - v_i| <= r_i`` (``r_i >= 0``). Both
    predicates are monotone in ``s_j`` under rounding, so the binary searches are exact.
    """
    n = s.shape[0]
    r = radius[order]  # (n,): radii in sorted order
    lo, hi = np.empty(n, np.int64), np.empty(n, np.int64)
    for block in prange((n + LANES - 1) // LANES):
        t0 = block * LANES
        nl = min(LANES, n - t0)
        base = np.empty(LANES, np.int64)
        _searches(s, s, r, t0, nl, True, base)
        for lane in range(nl):
            hi[order[t0 + lane]] = base[lane]
        _searches(s, s, r, t0, nl, False, base)
        for lane in range(nl):
            lo[order[t0 + lane]] = base[lane]
    return lo, hi


@njit()
def _sweep(order_x, rank_y, xa, xb, ya, yb) -> np.ndarray:
    """Offline dominance counts: the box populations from the rank rectangles (see module)."""
    n = order_x.shape[0]
    m = xa.shape[0]
    first = np.zeros(n + 2, np.int64)  # queries bucketed by x-rank bound (counting sort)
    for i in range(m):
        first[xa[i] + 1] += 1
        first[xb[i] + 1] += 1
    for a in range(n + 1):
        first[a + 1] += first[a]
    fill = first[:-1].copy()
    query, side = np.empty(2 * m, np.int64), np.empty(2 * m, np.int64)
    for i in range(m):
        query[fill[xa[i]]], side[fill[xa[i]]] = i, -1
        fill[xa[i]] += 1
        query[fill[xb[i]]], side[fill[xb[i]]] = i, 1
        fill[xb[i]] += 1
    fenwick = np.zeros(n + 1, np.int64)
    counts = np.zeros(m, np.int64)
    for a in range(n + 1):
        for t in range(first[a], first[a + 1]):  # points with x-rank < a are in the tree
            i = query[t]
            total = 0
            c = yb[i]
            while c > 0:
                total += fenwick[c]
                c -= c & -c
            c = ya[i]
            while c > 0:
                total -= fenwick[c]
                c -= c & -c
            counts[i] += side[t] * total
        if a < n:
            c = rank_y[order_x[a]] + 1
            while c <= n:
                fenwick[c] += 1
                c += c & -c
    return counts


def rank_count_2d(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``#{j : max(|x_j - x_i|, |y_j - y_i|) <= radius_i}`` for ``points (n, 2)``, self included."""
    x, y = points[:, 0], points[:, 1]
    order_x, order_y = np.argsort(x), np.argsort(y)  # (n,), (n,)
    rank_y = np.empty(x.shape[0], np.int64)
    rank_y[order_y] = np.arange(x.shape[0])
    xa, xb = rank_bounds(x[order_x], order_x, radius)
    ya, yb = rank_bounds(y[order_y], order_y, radius)
    return _sweep(order_x, rank_y, xa, xb, ya, yb)


def rank_count_1d(v: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``#{j : |v_j - v_i| <= radius_i}`` for ``v (n,)``, self included."""
    order = np.argsort(v)  # (n,)
    lo, hi = rank_bounds(v[order], order, radius)
    return hi - lo
