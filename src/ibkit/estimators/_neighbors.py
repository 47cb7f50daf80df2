"""Vectorised neighbour searches in the max-norm: k-th neighbour distances and radius counts.

Two interchangeable backends, chosen by :data:`ibkit._jit.HAVE_NUMBA` (read here at call time):

* numba (``pip install ibkit[fast]``): k-NN by a uniform grid over two coordinates
  (:mod:`._knn_grid`) in 2-D to 4-D, and 5-D/6-D for small samples (:func:`_use_grid`), else a
  parallel k-d tree (:mod:`._knn_tree`) up to :func:`_use_brute`'s dimension and a tiled
  brute-force scan (:mod:`._knn_brute`) above it; a 1-D or 2-D marginal is counted in ranks
  (:mod:`._knn_rank`: lockstep binary searches, and a Fenwick-tree sweep in 2-D); parallel
  loops on one thread below :data:`PARALLEL_MIN` samples;
* SciPy: :class:`scipy.spatial.cKDTree` (``query``, ``query_ball_point(..., return_length=True)``)
  with ``workers`` threads; a 1-D marginal is counted with :func:`numpy.searchsorted` and an exact
  fix-up.

Both apply the same floating-point predicate ``max_d |x_jd - x_id| <= r`` (``r`` shrunk by
:data:`STRICT_SHRINK` for a strict count) to the same float64 distances, so they return the same
distances and counts, and KSG the same estimate, whichever runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy.spatial import cKDTree

from .._jit import HAVE_NUMBA

__all__ = ["STRICT_SHRINK", "count_within", "kth_neighbors"]

TREE_LEAF = 16  # points per leaf of the numba k-d tree

STRICT_SHRINK = 1.0 - 1e-12  # "distance < r" is counted as "distance <= r·(1 - 1e-12)"


def _leafsize(dim: int, *, counting: bool) -> int:
    """Leaf size of the k-d tree: larger leaves in higher dimension, where pruning fails anyway.

    Measured on 2 cores (scipy 1.17, N = 5000 and 50000, Gaussian samples): k-NN queries are
    fastest with 8-point leaves in 2-D and 32-64 above; radius counts with 64-point leaves up to
    8-D and 512 above (4x faster than the default 16 in 20-D, where pruning barely works).
    """
    if counting:
        return 64 if dim <= 8 else 512
    if dim <= 2:
        return 8
    return 32 if dim <= 6 else 64


def _use_brute(n: int, dim: int) -> bool:
    """Brute force beats the numba k-d tree from about 12 dimensions on, and from 8 for small n.

    Measured on 2 cores (k = 3, Gaussian samples): k-NN in 8-D takes 0.05 s (tree) against 0.02 s
    (brute) at n = 5000 but 0.8 s against 2.5 s at n = 50000; in 12-D 3.1 s against 3.2 s at
    n = 50000; in 20-D and 40-D only brute force is run (the tree scans nearly every leaf).
    """
    return dim >= 12 or (dim >= 8 and n <= 20_000)


PARALLEL_MIN = 16_384  # fewer samples than this run on one thread


@contextmanager
def _numba_threads(workers: int, n: int) -> Iterator[None]:
    """Run numba's parallel loops on ``workers`` threads (-1: all), then restore the setting.

    Below :data:`PARALLEL_MIN` samples one thread is used: a whole KSG estimate then takes
    about a millisecond, less than waking the other threads of each parallel loop costs on a
    busy machine (measured on 2 shared cores, n = 5000: 1.4 ms on one thread, 22 ms on two).
    """
    import numba

    before = numba.get_num_threads()
    cap = numba.config.NUMBA_NUM_THREADS
    threads = cap if workers == -1 else max(1, min(workers, cap))
    numba.set_num_threads(1 if n < PARALLEL_MIN else threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _use_grid(n: int, dim: int) -> bool:
    """The grid (:mod:`._knn_grid`) beats the k-d tree in 2-D to 4-D, and up to 6-D for small n.

    Measured on 2 cores (k = 3, correlated Gaussian pairs, one thread): 2-D 0.7 ms against
    2.6 ms (tree) at n = 5000, 10 ms against 29 ms at 50000; 4-D 3.0 against 8.1 ms and 63
    against 100 ms; 6-D 8.5 against 19 ms at 5000 but 290 against 290 ms at 50000.
    """
    return 2 <= dim <= 4 or (5 <= dim <= 6 and n <= 20_000)


def _grid_kth(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The uniform-grid search of :mod:`._knn_grid` over the first two coordinates (for KSG's
    joint ``[x, y]`` two features of ``x`` where it has two, the least concentrated plane), or
    ``None`` where its grid would be uneven."""
    from ._knn_grid import TARGET, TARGET_PROJECTED, grid_kth, plan_grid

    target = TARGET if points.shape[1] == 2 else TARGET_PROJECTED
    h = plan_grid(np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1]), k,
                  target)
    return None if h is None else grid_kth(points, k, h)


def kth_neighbors(
    points: np.ndarray, k: int, *, workers: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    r"""Max-norm distances ``(n,)`` to the k-th nearest other point, and neighbour ids ``(n, k)``.

    .. math:: \epsilon_i = \|z_i - z_{(k)}\|_\infty, \qquad \|z\|_\infty = \max_d |z_d|

    The k-th distance is the same on both backends; the ids may differ only where several
    points lie at exactly the k-th distance.
    """
    if HAVE_NUMBA:
        from ._knn_brute import brute_kth
        from ._knn_tree import build_tree, tree_kth

        points = np.ascontiguousarray(points, dtype=np.float64)
        with _numba_threads(workers, points.shape[0]):
            if _use_grid(*points.shape):
                found = _grid_kth(points, k)
                if found is not None:
                    return found
            if _use_brute(*points.shape):
                return brute_kth(points, k)
            return tree_kth(*build_tree(points, TREE_LEAF), k)
    tree = cKDTree(points, leafsize=_leafsize(points.shape[1], counting=False), balanced_tree=False)
    order = tree.indices  # (n,): query in the tree's leaf order, for memory locality
    dist, idx = np.empty((points.shape[0], k + 1)), np.empty((points.shape[0], k + 1), np.intp)
    dist[order], idx[order] = tree.query(points[order], k=k + 1, p=np.inf, workers=workers)
    return dist[:, k], idx[:, 1:]  # (n,), (n, k): self is column 0


def _fix_upper(s: np.ndarray, v: np.ndarray, r: np.ndarray, hi: np.ndarray, inside) -> np.ndarray:
    n = s.size
    for _ in range(64):  # the initial guess is off by at most a few ulps
        up = (hi < n) & inside(s[np.minimum(hi, n - 1)] - v, r)
        down = (hi > 0) & ~inside(s[np.maximum(hi - 1, 0)] - v, r)
        if not (up.any() or down.any()):
            return hi
        hi = hi + up - down
    return hi


def _fix_lower(s: np.ndarray, v: np.ndarray, r: np.ndarray, lo: np.ndarray, inside) -> np.ndarray:
    n = s.size
    for _ in range(64):
        down = (lo > 0) & inside(v - s[np.maximum(lo - 1, 0)], r)
        up = (lo < n) & ~inside(v - s[np.minimum(lo, n - 1)], r)
        if not (up.any() or down.any()):
            return lo
        lo = lo - down + up
    return lo


def _count_sorted(v: np.ndarray, r: np.ndarray, strict: bool) -> np.ndarray:
    """``#{j : |v_j - v_i| < r_i}`` (or ``<=``) for 1-D ``v`` (n,), self included: ``(n,)``."""
    s = np.sort(v)
    inside = np.less if strict else np.less_equal
    hi = np.searchsorted(s, v + r, side="left" if strict else "right")
    lo = np.searchsorted(s, v - r, side="right" if strict else "left")
    hi = _fix_upper(s, v, r, hi, inside)
    lo = _fix_lower(s, v, r, lo, inside)
    return hi - lo


def _count_numba(points: np.ndarray, radius: np.ndarray, workers: int) -> np.ndarray:
    from ._knn_brute import brute_count
    from ._knn_rank import rank_count_1d, rank_count_2d
    from ._knn_tree import build_tree, tree_count

    with _numba_threads(workers, points.shape[0]):
        if points.shape[1] == 1:
            return rank_count_1d(points[:, 0], radius)
        if points.shape[1] == 2:
            return rank_count_2d(points, radius)
        if _use_brute(*points.shape):
            return brute_count(points, radius)
        return tree_count(*build_tree(points, TREE_LEAF), radius)


def count_within(
    points: np.ndarray, r: np.ndarray, *, strict: bool, workers: int = -1
) -> np.ndarray:
    r"""Number of points within max-norm distance ``r_i`` of each point (itself included).

    .. math:: c_i = \#\{j : \|p_j - p_i\|_\infty < r_i\}\ (\text{strict}),\qquad
              c_i = \#\{j : \|p_j - p_i\|_\infty \le r_i\}

    Parameters
    ----------
    points : (n, d) samples.
    r : (n,) radii, one per point.
    strict : count ``distance < r`` (KSG algorithm 1) instead of ``distance <= r`` (algorithm 2).
    workers : threads for the k-d tree (-1: all cores).

    Returns
    -------
    counts : (n,) int64, each >= 1.
    """
    radius = r * STRICT_SHRINK if strict else r
    if HAVE_NUMBA:
        return _count_numba(np.ascontiguousarray(points, dtype=np.float64), radius, workers)
    if points.shape[1] == 1:
        return _count_sorted(points[:, 0], radius, strict=False).astype(np.int64)
    tree = cKDTree(points, leafsize=_leafsize(points.shape[1], counting=True), balanced_tree=False)
    order = tree.indices  # (n,): query in the tree's leaf order, for memory locality
    counts = np.empty(points.shape[0], dtype=np.int64)
    counts[order] = tree.query_ball_point(
        points[order], radius[order], p=np.inf, return_length=True, workers=workers
    )
    return counts
