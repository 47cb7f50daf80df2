r"""Uniform-grid k-NN search in the max-norm, 2-D to 4-D (numba, ``pip install ibkit[fast]``).

KSG on scalar ``x`` and ``y`` spends most of its time finding each sample's k-th nearest
neighbour in the 2-D joint space. A uniform grid of square cells of side ``h`` (about the
typical k-th distance: :func:`plan_grid` aims at :data:`TARGET` points in a sample's own cell)
answers each query by scanning the square rings of cells around the query's cell,
:math:`r = 0, 1, 2, \dots`, until every unscanned point is provably at least as far as the
current k-th distance:

.. math:: \min\bigl(q_x - X_{c_x - r},\ X_{c_x + r + 1} - q_x,\ q_y - Y_{c_y - r},\
          Y_{c_y + r + 1} - q_y\bigr) - \delta \;\ge\; \epsilon_{(k)},

with :math:`X_c = x_0 + c\,h` the cell edges and :math:`\delta` a slack that covers the
rounding of the cell assignment and of the edges (relative :math:`10^{-12}` of the coordinates'
magnitude, thousands of ulps), so the stop is conservative and the k-th distance exact: the
same float64 ``max(|dx|, |dy|)`` as SciPy's ``cKDTree`` and the k-d tree of :mod:`._knn_tree`.

Points of 3 or 4 coordinates are gridded on their first two (cells of about
:data:`TARGET_PROJECTED` points); the distance still runs over every coordinate, and the stop
stays valid because the gap in two coordinates bounds the max-norm from below.

The points are stored in cell order (row-major, counting sort), so each row of a ring is one
contiguous slice. Queries run in parallel (``prange``) over blocks of points in cell order.
:func:`plan_grid` refuses (returns ``None``) when the grid would be too uneven (heavy tails,
repeated points), and the caller falls back to the k-d tree.

References
----------
Bentley, Stanat & Williams (1977), "The complexity of finding fixed-radius near neighbors",
Inf. Process. Lett. 6(6) (cell methods).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit, prange

__all__ = ["TARGET", "TARGET_PROJECTED", "grid_kth", "plan_grid"]

TARGET = 2.5  # aimed-at mean number of points in a sample's own cell (itself included)
TARGET_PROJECTED = 12.0  # the same for points of 3 or 4 coordinates gridded on two of them
MAX_OCCUPANCY = 24.0  # above this the grid is too uneven: the k-d tree is used instead
CELLS_PER_POINT = 8  # at most this many cells per sample (memory of the cell index)
BLOCK = 256  # queries per parallel task


@njit()
def _occupancy(x, y, x0, y0, h, gx, gy) -> float:
    """Mean over the samples of their own cell's population, :math:`\\sum_c n_c^2 / n`."""
    counts = np.zeros(gx * gy, np.int64)
    inv = 1.0 / h
    for i in range(x.shape[0]):
        cx = min(int((x[i] - x0) * inv), gx - 1)
        cy = min(int((y[i] - y0) * inv), gy - 1)
        counts[cy * gx + cx] += 1
    total = 0.0
    for c in range(counts.shape[0]):
        total += counts[c] * counts[c]
    return total / x.shape[0]


def _shape(span_x: float, span_y: float, h: float) -> tuple[int, int]:
    return int(span_x / h) + 1, int(span_y / h) + 1


@njit()
def _extent(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """``(min x, max x, min y, max y)`` in one pass (``min(axis=0)`` on ``(n, 2)`` is slow)."""
    x0, x1, y0, y1 = x[0], x[0], y[0], y[0]
    for i in range(1, x.shape[0]):
        x0, x1 = min(x0, x[i]), max(x1, x[i])
        y0, y1 = min(y0, y[i]), max(y1, y[i])
    return x0, x1, y0, y1


def plan_grid(x: np.ndarray, y: np.ndarray, k: int, target: float = TARGET) -> float | None:
    r"""Cell side ``h`` for :func:`grid_kth` on samples ``x, y (n,)``, or ``None`` (use the tree).

    Starts from the side giving one sample per cell over the bounding box, then rescales up to
    three times by :math:`\sqrt{(T - 1)/(S - 1)}` (locally uniform density: the other points in
    a cell grow as :math:`h^2`), with :math:`S` the mean own-cell population (itself included)
    measured on a subsample of about 8192 points (cells :math:`\sqrt{m}` times wider for every
    m-th point) and :math:`T` = :data:`TARGET`; at most :data:`CELLS_PER_POINT` cells a sample.
    """
    n = x.shape[0]
    x0, x1, y0, y1 = _extent(x, y)
    span_x, span_y = x1 - x0, y1 - y0
    scale = abs(x0) + abs(x1) + abs(y0) + abs(y1)
    if not (math.isfinite(scale) and span_x > 1e-100 and span_y > 1e-100 and n > 4 * k):
        return None
    step = max(1, n // 8192)
    sub_x, sub_y = np.ascontiguousarray(x[::step]), np.ascontiguousarray(y[::step])
    widen = math.sqrt(step)
    size = max(1.0, (k + 1) / 4)  # more neighbours, larger cells
    h = math.sqrt(span_x * span_y / n)
    for attempt in range(5):
        gx, gy = _shape(span_x, span_y, h)
        if gx * gy > CELLS_PER_POINT * n:  # too fine: widen to the cap
            h *= math.sqrt(gx * gy / (CELLS_PER_POINT * n)) * 1.01
        occupancy = _occupancy(sub_x, sub_y, x0, y0, h * widen,
                               *_shape(span_x, span_y, h * widen))
        if abs(occupancy - target * size) <= 0.3 * target * size or attempt == 4:
            break
        h *= math.sqrt((target * size - 1.0) / max(occupancy - 1.0, 1e-3))  # others grow as h²
    if occupancy > MAX_OCCUPANCY * size * max(1.0, target / TARGET) or h <= 1e-9 * scale:
        return None
    return h


@njit()
def _build(x, y, x0, y0, h, gx, gy):
    """Counting sort into cells: ``(xs, ys, cxs, cys, perm (n,), start (gx*gy + 1,))``."""
    n = x.shape[0]
    inv = 1.0 / h
    cell = np.empty(n, np.int64)
    start = np.zeros(gx * gy + 1, np.int64)
    for i in range(n):
        cx = min(int((x[i] - x0) * inv), gx - 1)
        cy = min(int((y[i] - y0) * inv), gy - 1)
        cell[i] = cy * gx + cx
        start[cell[i] + 1] += 1
    for c in range(gx * gy):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    perm = np.empty(n, np.int64)
    for i in range(n):
        perm[fill[cell[i]]] = i
        fill[cell[i]] += 1
    xs, ys = np.empty(n), np.empty(n)
    cxs, cys = np.empty(n, np.int64), np.empty(n, np.int64)
    for p in range(n):
        i = perm[p]
        xs[p], ys[p] = x[i], y[i]
        cxs[p], cys[p] = cell[i] % gx, cell[i] // gx
    return xs, ys, cxs, cys, perm, start


@njit(inline="always")
def _scan(xs, ys, rest, s, e, p, qx, qy, best, ids) -> None:
    """Offer the points ``s:e`` (except ``p``) to the sorted k-best lists ``best``, ``ids``."""
    k = best.shape[0]
    for j in range(s, e):
        dist = max(abs(xs[j] - qx), abs(ys[j] - qy))
        for c in range(rest.shape[0]):  # further coordinates (none for 2-D points)
            dist = max(dist, abs(rest[c, j] - rest[c, p]))
        if dist < best[k - 1] and j != p:
            t = k - 1
            while t > 0 and best[t - 1] > dist:
                best[t], ids[t] = best[t - 1], ids[t - 1]
                t -= 1
            best[t], ids[t] = dist, j


@njit(inline="always")
def _ring(xs, ys, rest, start, gx, gy, cx, cy, r, p, qx, qy, best, ids) -> None:
    """Scan the cells at Chebyshev cell distance exactly ``r`` from ``(cx, cy)``."""
    if r == 0:
        c = cy * gx + cx
        _scan(xs, ys, rest, start[c], start[c + 1], p, qx, qy, best, ids)
        return
    a, b = max(cx - r, 0), min(cx + r, gx - 1)
    for row in (cy - r, cy + r):  # top and bottom rows: one contiguous slice each
        if 0 <= row < gy:
            _scan(xs, ys, rest, start[row * gx + a], start[row * gx + b + 1], p, qx, qy, best, ids)
    for row in range(max(cy - r + 1, 0), min(cy + r, gy)):  # left and right columns
        if cx - r >= 0:
            c = row * gx + cx - r
            _scan(xs, ys, rest, start[c], start[c + 1], p, qx, qy, best, ids)
        if cx + r < gx:
            c = row * gx + cx + r
            _scan(xs, ys, rest, start[c], start[c + 1], p, qx, qy, best, ids)


@njit(inline="always")
def _unscanned_gap(qx, qy, cx, cy, r, gx, gy, x0, y0, h) -> float:
    """Max-norm distance from ``q`` to the cells outside the ``(2r+1)²`` block (inf: none)."""
    gap = np.inf
    if cx - r > 0:
        gap = min(gap, qx - (x0 + (cx - r) * h))
    if cx + r < gx - 1:
        gap = min(gap, x0 + (cx + r + 1) * h - qx)
    if cy - r > 0:
        gap = min(gap, qy - (y0 + (cy - r) * h))
    if cy + r < gy - 1:
        gap = min(gap, y0 + (cy + r + 1) * h - qy)
    return gap


@njit(parallel=True)
def _query(xs, ys, rest, cxs, cys, perm, start, gx, gy, x0, y0, h, slack, k):
    n = xs.shape[0]
    radius, neigh = np.empty(n), np.empty((n, k), np.int64)
    for block in prange((n + BLOCK - 1) // BLOCK):
        best, ids = np.empty(k), np.empty(k, np.int64)
        for p in range(block * BLOCK, min(n, (block + 1) * BLOCK)):
            qx, qy, cx, cy = xs[p], ys[p], cxs[p], cys[p]
            best[:] = np.inf
            ids[:] = -1
            a, b = max(cx - 1, 0), min(cx + 1, gx - 1)
            for row in range(max(cy - 1, 0), min(cy + 2, gy)):  # rings 0 and 1: 3 slices
                c0 = row * gx
                _scan(xs, ys, rest, start[c0 + a], start[c0 + b + 1], p, qx, qy, best, ids)
            r = 1
            while True:
                if r > 1:
                    _ring(xs, ys, rest, start, gx, gy, cx, cy, r, p, qx, qy, best, ids)
                gap = _unscanned_gap(qx, qy, cx, cy, r, gx, gy, x0, y0, h)
                if gap == np.inf or gap - slack >= best[k - 1]:
                    break
                r += 1
            i = perm[p]
            radius[i] = best[k - 1]
            for t in range(k):
                neigh[i, t] = perm[ids[t]] if ids[t] >= 0 else -1
    return radius, neigh


@njit()
def _gather(points: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Coordinates 2.. of the points in cell order, feature-major: ``(d - 2, n)``."""
    rest = np.empty((points.shape[1] - 2, points.shape[0]))
    for p in range(points.shape[0]):
        for c in range(points.shape[1] - 2):
            rest[c, p] = points[perm[p], c + 2]
    return rest


def grid_kth(points: np.ndarray, k: int, h: float) -> tuple[np.ndarray, np.ndarray]:
    """k-th neighbour max-norm distance ``(n,)`` and neighbour ids ``(n, k)`` of ``points (n, d)``.

    The grid is over the first two coordinates (cell side ``h`` from :func:`plan_grid`); the
    distance is over all ``d``. Self is excluded; with ties at the k-th distance the ids may
    differ from other backends' (the distance does not).
    """
    x, y = np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1])  # (n,), (n,)
    x0, x1, y0, y1 = _extent(x, y)
    gx, gy = _shape(x1 - x0, y1 - y0, h)
    slack = 1e-12 * (abs(x0) + abs(x1) + abs(y0) + abs(y1) + h)
    xs, ys, cxs, cys, perm, start = _build(x, y, x0, y0, h, gx, gy)
    rest = _gather(points, perm)  # (d - 2, n)
    return _query(xs, ys, rest, cxs, cys, perm, start, gx, gy, x0, y0, h, slack, k)
