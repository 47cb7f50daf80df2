r"""Numba k-d tree for the max-norm searches of KSG in low dimension (``pip install ibkit[fast]``).

A balanced tree (median splits along the widest side, leaves of at most ``leafsize`` points,
bounding box per node) over a copy of the points in leaf order. Both searches are self-queries
(every sample asks about the others), run in parallel over leaves with ``prange``:

* :func:`tree_kth` — distance to the k-th nearest other point and its k neighbours' ids: the
  query's own leaf gives a first bound, then a depth-first search prunes every node whose box
  lies at max-norm distance ``>=`` the current k-th distance;
* :func:`tree_count` — :math:`\#\{j : \|p_j - p_i\|_\infty \le r_i\}`: nodes whose box lies
  inside the query box count wholesale, nodes outside are skipped.

Distances are ``max_d |a_d - b_d|`` in float64, so the values are bit-identical to SciPy's
``cKDTree`` (the fallback, :mod:`._neighbors`); the box tests are exact because rounded
subtraction is monotone and sign-symmetric.

References
----------
Friedman, Bentley & Finkel (1977), "An algorithm for finding best matches in logarithmic
expected time", ACM TOMS 3(3).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange

__all__ = ["build_tree", "tree_count", "tree_kth"]


@njit()
def _select(perm: np.ndarray, x: np.ndarray, dim: int, lo: int, hi: int, m: int) -> None:
    """Reorder ``perm[lo:hi]`` so that ``x[perm[m], dim]`` is its median-rank key (quickselect)."""
    a, b = lo, hi - 1
    while b > a:
        k0, k1, k2 = x[perm[a], dim], x[perm[(a + b) // 2], dim], x[perm[b], dim]
        pivot = max(min(k0, k1), min(max(k0, k1), k2))  # median of three
        i, j = a, b
        while i <= j:
            while x[perm[i], dim] < pivot:
                i += 1
            while x[perm[j], dim] > pivot:
                j -= 1
            if i <= j:
                perm[i], perm[j] = perm[j], perm[i]
                i += 1
                j -= 1
        if m <= j:
            b = j
        elif m >= i:
            a = i
        else:
            return


@njit()
def _bounds(x: np.ndarray, perm: np.ndarray, s: int, e: int, lo, hi) -> None:
    """Bounding box ``lo, hi (d,)`` of the points ``perm[s:e]``."""
    lo[:], hi[:] = np.inf, -np.inf
    for t in range(s, e):
        for c in range(x.shape[1]):
            v = x[perm[t], c]
            lo[c] = min(lo[c], v)
            hi[c] = max(hi[c], v)


@njit()
def build_tree(x: np.ndarray, leafsize: int):
    """Tree over ``x (n, d)``: ``(points (n, d) in leaf order, perm (n,), start, end (nodes,),
    lo, hi (nodes, d) boxes, first_leaf)``; node ``i`` has children ``2i+1, 2i+2``."""
    n, d = x.shape
    n_leaves = 1
    while n > leafsize * n_leaves:
        n_leaves *= 2
    n_nodes = 2 * n_leaves - 1
    perm = np.arange(n)
    start, end = np.zeros(n_nodes, np.int64), np.zeros(n_nodes, np.int64)
    lo, hi = np.empty((n_nodes, d)), np.empty((n_nodes, d))
    end[0] = n
    _bounds(x, perm, 0, n, lo[0], hi[0])
    for node in range(n_leaves - 1):  # breadth first: parents before children
        s, e = start[node], end[node]
        dim = np.argmax(hi[node] - lo[node])  # widest side of the node's cell
        mid = (s + e) // 2
        _select(perm, x, dim, s, e, mid)
        left, right = 2 * node + 1, 2 * node + 2
        start[left], end[left], start[right], end[right] = s, mid, mid, e
        lo[left], hi[left], lo[right], hi[right] = lo[node], hi[node], lo[node], hi[node]
        hi[left, dim] = lo[right, dim] = x[perm[mid], dim]
    for node in range(n_leaves - 1, n_nodes):
        _bounds(x, perm, start[node], end[node], lo[node], hi[node])
    for node in range(n_leaves - 2, -1, -1):  # exact boxes, from the leaves up
        for c in range(d):
            lo[node, c] = min(lo[2 * node + 1, c], lo[2 * node + 2, c])
            hi[node, c] = max(hi[2 * node + 1, c], hi[2 * node + 2, c])
    points = np.empty((n, d))
    for t in range(n):
        points[t] = x[perm[t]]
    return points, perm, start, end, lo, hi, n_leaves - 1


@njit()
def _box_gap(lo: np.ndarray, hi: np.ndarray, node: int, q: np.ndarray) -> float:
    """Max-norm distance from ``q`` to the box of ``node`` (0 inside)."""
    gap = 0.0
    for c in range(q.shape[0]):
        gap = max(gap, lo[node, c] - q[c], q[c] - hi[node, c])
    return gap


@njit()
def _scan(pts, s, e, p, q, best, ids) -> None:
    """Offer the points ``s:e`` (except ``p``) to the sorted k-best lists ``best``, ``ids``."""
    k = best.shape[0]
    for j in range(s, e):
        if j == p:
            continue
        dist = 0.0
        for c in range(q.shape[0]):
            dist = max(dist, abs(pts[j, c] - q[c]))
            if dist >= best[k - 1]:
                break
        if dist < best[k - 1]:
            t = k - 1
            while t > 0 and best[t - 1] > dist:
                best[t], ids[t] = best[t - 1], ids[t - 1]
                t -= 1
            best[t], ids[t] = dist, j


@njit()
def _search(points, start, end, lo, hi, first_leaf, root, p, q, best, ids, stack) -> None:
    """Depth first through the subtree ``root``, nearer child first, pruning far boxes."""
    k = best.shape[0]
    stack[0], top = root, 1
    while top > 0:
        top -= 1
        node = stack[top]
        if _box_gap(lo, hi, node, q) >= best[k - 1]:
            continue
        if node >= first_leaf:
            _scan(points, start[node], end[node], p, q, best, ids)
            continue
        a, b = 2 * node + 1, 2 * node + 2
        if _box_gap(lo, hi, a, q) < _box_gap(lo, hi, b, q):
            a, b = b, a
        stack[top], stack[top + 1] = a, b  # the nearer child b is searched first
        top += 2


@njit()
def _ball_inside(lo, hi, node: int, q: np.ndarray, r: float) -> bool:
    """Whether every point at distance < r from ``q`` lies in the cell of ``node``."""
    for c in range(q.shape[0]):
        if q[c] - lo[node, c] < r or hi[node, c] - q[c] < r:
            return False
    return True


@njit(parallel=True)
def tree_kth(points, perm, start, end, lo, hi, first_leaf, k):
    """k-th neighbour distance ``(n,)`` and neighbour ids ``(n, k)`` (original numbering).

    Bottom-up: the query's own leaf first, then the sibling subtree of each ancestor in turn,
    until the ball of the current k-th distance fits inside the ancestor's box (every point
    outside a node's box lies beyond one of its ancestors' splitting planes).
    """
    n = points.shape[0]
    n_nodes = start.shape[0]
    radius, neigh = np.empty(n), np.empty((n, k), np.int64)
    for leaf in prange(first_leaf, n_nodes):
        stack = np.empty(128, np.int64)
        best, ids = np.empty(k), np.empty(k, np.int64)
        for p in range(start[leaf], end[leaf]):
            q = points[p]
            best[:] = np.inf
            ids[:] = -1
            _scan(points, start[leaf], end[leaf], p, q, best, ids)
            node = leaf
            while node > 0 and not _ball_inside(lo, hi, node, q, best[k - 1]):
                sibling = node + 1 if node % 2 == 1 else node - 1
                _search(points, start, end, lo, hi, first_leaf, sibling, p, q, best, ids, stack)
                node = (node - 1) // 2
            radius[perm[p]] = best[k - 1]
            for t in range(k):
                neigh[perm[p], t] = perm[ids[t]] if ids[t] >= 0 else -1
    return radius, neigh


@njit()
def _count_one(points, start, end, lo, hi, first_leaf, q, r, stack) -> int:
    count, top = 0, 1
    stack[0] = 0
    while top > 0:
        top -= 1
        node = stack[top]
        outside, inside = False, True
        for c in range(q.shape[0]):
            if lo[node, c] - q[c] > r or q[c] - hi[node, c] > r:
                outside = True
                break
            if hi[node, c] - q[c] > r or q[c] - lo[node, c] > r:
                inside = False
        if outside:
            continue
        if inside:
            count += end[node] - start[node]
        elif node >= first_leaf:
            for j in range(start[node], end[node]):
                ok = True
                for c in range(q.shape[0]):
                    if abs(points[j, c] - q[c]) > r:
                        ok = False
                        break
                count += ok
        else:
            stack[top], stack[top + 1] = 2 * node + 1, 2 * node + 2
            top += 2
    return count


@njit(parallel=True)
def tree_count(points, perm, start, end, lo, hi, first_leaf, radius):
    """``#{j : max_d |p_jd - p_id| <= radius_i}`` for every point (self included), ``(n,)``."""
    n = points.shape[0]
    n_nodes = start.shape[0]
    counts = np.empty(n, np.int64)
    for leaf in prange(first_leaf, n_nodes):
        stack = np.empty(128, np.int64)
        for p in range(start[leaf], end[leaf]):
            i = perm[p]
            counts[i] = _count_one(points, start, end, lo, hi, first_leaf, points[p], radius[i],
                                   stack)
    return counts

