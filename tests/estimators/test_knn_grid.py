"""The uniform-grid k-NN search against SciPy's cKDTree: exact k-th distances on awkward inputs
(lattices with many ties, outliers, offsets, tiny samples, larger k).

The kernels are called directly, so they run (jitted) even under ``IBKIT_DISABLE_NUMBA=1``;
without numba installed at all they run as plain Python, on smaller samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from ibkit import _jit
from ibkit.estimators import _neighbors

COMPILED = _jit._numba is not None  # plain Python kernels are slow: smaller samples


def _check(pts: np.ndarray, k: int) -> None:
    from ibkit.estimators._knn_grid import TARGET, TARGET_PROJECTED, grid_kth, plan_grid

    target = TARGET if pts.shape[1] == 2 else TARGET_PROJECTED
    h = plan_grid(np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]), k, target)
    ref = cKDTree(pts).query(pts, k=k + 1, p=np.inf)[0][:, k]  # (n,)
    if h is None:  # refused: the caller takes the tree; the public entry point must agree
        assert np.array_equal(_neighbors.kth_neighbors(pts, k)[0], ref)
        return
    dist, idx = grid_kth(pts, k, h)
    assert np.array_equal(dist, ref)
    assert np.all(idx >= 0)
    assert np.all(np.abs(pts[idx] - pts[:, None, :]).max(-1) <= dist[:, None])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 400), dim=st.sampled_from([2, 3, 4]),
       k=st.integers(1, 6), grid=st.sampled_from([0.0, 0.1, 0.5]),
       offset=st.sampled_from([0.0, -3.0, 1e6]), outliers=st.booleans())
def test_grid_equals_ckdtree(seed, n, dim, k, grid, offset, outliers):
    if n < k + 1:
        n = k + 1
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((n, dim))
    pts[:, 1] = 0.9 * pts[:, 0] + 0.3 * pts[:, 1]  # a diagonal band, as for dependent x, y
    if outliers:
        pts[: max(1, n // 50)] *= 40.0
    if grid:
        pts = np.round(pts / grid) * grid  # lattice: many distances exactly equal
    _check(pts + offset, k)


@pytest.mark.parametrize("dim", [2, 4])
def test_grid_on_larger_samples(dim):
    rng = np.random.default_rng(dim)
    n = 20_000 if COMPILED else 600
    _check(rng.standard_normal((n, dim)), 3)
    _check(np.round(rng.standard_normal((n // 4, dim)) * 8) / 8, 5)  # heavy ties


def test_plan_refuses_uneven_or_degenerate_samples():
    from ibkit.estimators._knn_grid import plan_grid

    rng = np.random.default_rng(0)
    cauchy = rng.standard_cauchy((5000 if COMPILED else 500, 2)) ** 3  # one crowded cell
    assert plan_grid(cauchy[:, 0].copy(), cauchy[:, 1].copy(), 3) is None
    const = np.zeros(100)
    assert plan_grid(const, rng.standard_normal(100), 3) is None
    _check(cauchy, 3)  # the public path still gives the exact distances


def test_kth_neighbors_uses_the_grid_in_low_dimension():
    assert _neighbors._use_grid(50_000, 2) and _neighbors._use_grid(50_000, 4)
    assert not _neighbors._use_grid(50_000, 1) and not _neighbors._use_grid(50_000, 6)
