r"""Exact 2-D max-norm radius counts by ranks and a Fenwick tree (numba, ``ibkit[fast]``).

For a 2-D marginal the box :math:`[x_i \pm r_i] \times [y_i \pm r_i]` is, in ranks, a rectangle
:math:`[a_i, b_i) \times [c_i, e_i)` (binary searches on the sorted coordinates, testing the
predicate ``|s - v| <= r`` itself, so ties and rounding are handled exactly). Its population is

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


@njit()
def _first_false_up(s: np.ndarray, v: float, r: float, pos: int) -> int:
    """First ``j > pos`` with ``s_j - v > r``, given ``s_pos - v <= r``: gallop, then bisect."""
    n, step, a = s.shape[0], 1, np.int64(pos)  # signed: prange indices may be unsigned
    while a + step < n and s[a + step] - v <= r:
        a += step
        step *= 2
    b = min(n, a + step)  # s[a] passes, s[b] fails (or b == n)
    while b - a > 1:
        m = (a + b) // 2
        if s[m] - v <= r:
            a = m
        else:
            b = m
    return b


@njit()
def _first_true_down(s: np.ndarray, v: float, r: float, pos: int) -> int:
    """First ``j <= pos`` with ``v - s_j <= r`` (true at ``pos``): gallop down, then bisect."""
    step, b = 1, np.int64(pos)
    while b - step >= 0 and v - s[b - step] <= r:
        b -= step
        step *= 2
    a = max(-1, b - step)  # s[b] passes, s[a] fails (or a == -1)
    while b - a > 1:
        m = (a + b) // 2
        if v - s[m] <= r:
            b = m
        else:
            a = m
    return b


@njit(parallel=True)
def rank_bounds(s: np.ndarray, order: np.ndarray, radius: np.ndarray):
    """``lo_i = #{j : v_i - s_j > r_i}``, ``hi_i = #{j : s_j - v_i <= r_i}``.

    ``s = v[order]`` is sorted, ``order (n,)`` the sorting permutation, ``radius (n,)``.

    ``[lo_i, hi_i)`` are the sorted positions with ``|s_j - v_i| <= r_i`` (``r_i >= 0``). Both
    predicates are monotone in ``s_j`` under rounding, so the searches (from the point's own
    position outwards) are exact.
    """
    n = s.shape[0]
    lo, hi = np.empty(n, np.int64), np.empty(n, np.int64)
    for t in prange(n):
        i = order[t]
        hi[i] = _first_false_up(s, s[t], radius[i], t)
        lo[i] = _first_true_down(s, s[t], radius[i], t)
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
