"""The numba kernels (grid, k-d tree, brute force, rank counts) against SciPy's cKDTree fallback.

Every path must give the same k-th distances, the same counts and hence the same KSG estimate;
the numba cases run where numba is installed (``ibkit[fast]``), the SciPy path everywhere.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

import ibkit as ib
from ibkit import _jit
from ibkit.estimators import _neighbors, correlated_gaussian

# (HAVE_NUMBA, force brute force, allow the grid): the SciPy path, numba's k-d tree, numba's
# brute force, numba's grid (2-D to 6-D k-NN searches; the tree elsewhere).
BACKENDS = [(False, None, None)] + (
    [(True, False, False), (True, True, False), (True, False, True)] if _jit.HAVE_NUMBA else [])
IDS = {(False, None, None): "scipy", (True, False, False): "numba-tree",
       (True, True, False): "numba-brute", (True, False, True): "numba-grid"}


def _select(monkeypatch, use_numba, brute, grid) -> None:
    monkeypatch.setattr(_neighbors, "HAVE_NUMBA", use_numba)
    if brute is not None:
        monkeypatch.setattr(_neighbors, "_use_brute", lambda n, dim: brute)
        monkeypatch.setattr(_neighbors, "_use_grid", lambda n, dim: grid and 2 <= dim <= 6)


@pytest.fixture(params=BACKENDS, ids=[IDS[b] for b in BACKENDS])
def backend(request, monkeypatch):
    _select(monkeypatch, *request.param)
    return request.param


def _points(seed: int, n: int, dim: int, grid: float) -> np.ndarray:
    pts = np.random.default_rng(seed).standard_normal((n, dim))
    return np.round(pts / grid) * grid if grid else pts


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5, 13])
@pytest.mark.parametrize("grid", [0.0, 0.5])
def test_kth_neighbors_equal_ckdtree(backend, dim, grid):
    # grid > 0: lattice points, many exactly equal distances (ties at the k-th neighbour)
    pts = _points(dim, 700, dim, grid)
    dist, idx = _neighbors.kth_neighbors(pts, 4)
    ref = cKDTree(pts).query(pts, k=5, p=np.inf)[0]  # (n, 5), self first
    assert np.array_equal(dist, ref[:, 4])
    # the ids point at k points within the k-th distance (with duplicates, SciPy may list a
    # point's twin first and the point itself among its neighbours: both at distance 0)
    assert idx.shape == (700, 4)
    assert np.all(np.abs(pts[idx] - pts[:, None, :]).max(-1) <= dist[:, None])
    if not grid:  # no ties: the neighbour sets themselves agree, self excluded
        assert np.all(idx != np.arange(700)[:, None])
        ref_idx = cKDTree(pts).query(pts, k=5, p=np.inf)[1][:, 1:]
        assert np.array_equal(np.sort(idx, axis=1), np.sort(ref_idx, axis=1))


@pytest.mark.parametrize("dim", [1, 2, 3, 13])
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("grid", [0.0, 0.25])
def test_counts_equal_ckdtree(backend, dim, strict, grid):
    rng = np.random.default_rng(dim)
    pts = _points(dim + 10, 600, dim, grid)
    r = np.abs(rng.standard_normal(600)) + grid
    if grid:
        r = np.round(r / grid) * grid  # radii equal to many distances exactly
    radius = r * _neighbors.STRICT_SHRINK if strict else r
    ref = cKDTree(pts).query_ball_point(pts, radius, p=np.inf, return_length=True)
    assert np.array_equal(_neighbors.count_within(pts, r, strict=strict), ref)


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (2, 2), (1, 3), (7, 7)])
def test_ksg_is_the_same_on_every_backend(method, dx, dy, monkeypatch):
    x, y = correlated_gaussian(900, dim=1, mi=0.8, seed=dx + dy)
    rng = np.random.default_rng(dx)
    x = np.hstack([x, rng.standard_normal((900, dx - 1))])
    y = np.hstack([y, rng.standard_normal((900, dy - 1))])
    values = []
    for use_numba, brute, grid in BACKENDS:
        _select(monkeypatch, use_numba, bool(brute), bool(grid))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ib.estimators.EstimatorWarning)  # 14-D joint
            values.append(ib.estimate_mi(x, y, method=method, base=math.e, k=4).value)
    assert max(values) - min(values) <= 1e-13


@pytest.mark.parametrize("dim", [1, 2, 4])
def test_one_thread_and_all_threads_agree(backend, dim):
    x, y = correlated_gaussian(1200, dim=dim, mi=1.0, seed=dim)
    one = ib.estimate_mi(x, y, method="ksg1", workers=1).value
    assert one == ib.estimate_mi(x, y, method="ksg1", workers=-1).value


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 150), dim=st.sampled_from([1, 2]),
       grid=st.sampled_from([0.0, 0.5]), strict=st.booleans())
def test_rank_counts_match_brute_force(seed, n, dim, grid, strict):
    # the 1-D/2-D rank paths (binary searches + Fenwick sweep) on ties, tiny n, zero radii
    rng = np.random.default_rng(seed)
    pts = _points(seed, n, dim, grid)
    r = np.abs(rng.standard_normal(n))
    if grid:
        r = np.round(r / grid) * grid
    radius = (r * _neighbors.STRICT_SHRINK if strict else r)[:, None]
    d = np.abs(pts[:, None, :] - pts[None, :, :]).max(-1)  # (n, n)
    expected = (d <= radius).sum(1)
    for use_numba in {False, _jit.HAVE_NUMBA}:
        _neighbors.HAVE_NUMBA = use_numba
        try:
            assert np.array_equal(_neighbors.count_within(pts, r, strict=strict), expected)
        finally:
            _neighbors.HAVE_NUMBA = _jit.HAVE_NUMBA
