"""KSG and Kozachenko–Leonenko against closed forms and against npeet-plus on the same samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ibkit as ib
from ibkit.estimators import EstimatorWarning, correlated_gaussian, gaussian_mi
from ibkit.estimators._neighbors import count_within

npeet = pytest.importorskip("npeet_plus")


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
@pytest.mark.parametrize(("rho", "dim"), [(0.3, 1), (0.6, 1), (0.9, 1), (0.6, 2), (0.5, 3)])
def test_ksg_correlated_gaussians(method, rho, dim):
    # N = 4000, k = 3: KSG's bias at these MI levels is < 0.01 nats/dim and its spread
    # ~0.02 nats; 0.05 nats + 3% of the truth covers both with margin (Kraskov et al. 2004, Fig. 4).
    truth = gaussian_mi(rho, dim)
    x, y = correlated_gaussian(4000, dim=dim, mi=truth, seed=7)
    est = ib.estimate_mi(x, y, method=method, base=math.e)
    assert est.value == pytest.approx(truth, abs=0.05 + 0.03 * truth)
    assert est.base == math.e and est.method == method and est.n_samples == 4000


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
def test_independent_variables_are_near_zero(method):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((3000, 2)), rng.uniform(size=(3000, 1))
    est = ib.estimate_mi(x, y, method=method, base=math.e)
    assert abs(est.value) < 0.03  # spread of KSG at I = 0 with N = 3000 is ~0.01 nats


def test_bits_and_nats_agree():
    x, y = correlated_gaussian(500, mi=0.7, seed=1)
    bits = ib.estimate_mi(x, y, method="ksg").value
    nats = ib.estimate_mi(x, y, method="ksg", base=math.e).value
    assert bits == pytest.approx(nats / math.log(2), rel=1e-12)


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
def test_monotone_transforms_of_marginals_barely_change_ksg(method):
    # I(X;Y) is invariant under invertible maps of each marginal; KSG is so approximately
    # (its neighbourhoods change). exp/cubic maps at I = 0.5 nat move it by < 0.06 nat here.
    x, y = correlated_gaussian(3000, mi=0.5, seed=11)
    base = ib.estimate_mi(x, y, method=method, base=math.e).value
    moved = ib.estimate_mi(np.exp(x), y**3 + y, method=method, base=math.e).value
    assert moved == pytest.approx(base, abs=0.06)
    assert moved == pytest.approx(0.5, abs=0.08)


@pytest.mark.parametrize("dim", [1, 2, 4])
def test_ksg1_equals_npeet_plus_on_the_same_samples(dim):
    # npeet-plus computes KSG-1 as psi(k) + psi(N) - <psi(n_x) + psi(n_y)> with n counted
    # including the point itself (query_radius) at radius r - 1e-15: the same numbers as ours.
    # It adds its own 1e-10 noise; that moves no count, so values agree to rounding.
    rng = np.random.default_rng(dim)
    x, y = correlated_gaussian(1500, dim=dim, mi=0.8, seed=dim)
    x += 1e-10 * rng.random(x.shape)
    y += 1e-10 * rng.random(y.shape)
    ours = ib.estimate_mi(x, y, method="ksg1", base=2, k=4, jitter=0, standardize=False).value
    np.random.seed(0)  # noqa: NPY002 (npeet-plus draws its noise from the global state)
    theirs = npeet.mi(x, y, k=4, base=2)
    assert ours == pytest.approx(theirs, abs=1e-10)


@pytest.mark.parametrize("dim", [1, 3])
def test_kl_entropy_equals_npeet_plus(dim):
    # Same estimator and max-norm convention (log-volume d log 2). npeet adds 1e-10 noise to the
    # samples, which moves log r by ~1e-10/r; hence 1e-7 rather than 1e-12.
    x = np.random.default_rng(5).standard_normal((1000, dim))
    np.random.seed(0)  # noqa: NPY002 (npeet-plus draws its noise from the global state)
    theirs = npeet.entropy(x, k=3, base=math.e)
    assert ib.estimate_entropy(x, k=3, base=math.e).value == pytest.approx(theirs, abs=1e-7)


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_kl_entropy_of_gaussian_and_uniform(metric, dim):
    # h(N(0, I_d)) = d/2 log(2 pi e); h(U[0, 2]^d) = d log 2. KL's spread at N = 4000 is ~0.02·d.
    rng = np.random.default_rng(dim)
    gauss = rng.standard_normal((4000, dim))
    unif = rng.uniform(0, 2, size=(4000, dim))
    h_gauss = ib.estimate_entropy(gauss, method="kl", metric=metric, base=math.e).value
    h_unif = ib.estimate_entropy(unif, method="kl", metric=metric, base=math.e).value
    assert h_gauss == pytest.approx(0.5 * dim * math.log(2 * math.pi * math.e), abs=0.04 * dim)
    assert h_unif == pytest.approx(dim * math.log(2), abs=0.04 * dim)


def test_ties_are_broken_by_the_seeded_jitter():
    x = np.repeat(np.arange(50.0), 10)  # every (x, y) pair repeated 10 times
    y = np.sqrt(x)
    a = ib.estimate_mi(x, y, method="ksg", seed=1).value
    assert a == ib.estimate_mi(x, y, method="ksg", seed=1).value  # seeded: reproducible
    assert math.isfinite(a) and a > 1
    with pytest.raises(ib.InvalidParameterError, match="jitter"):
        ib.estimate_mi(x, y, method="ksg", jitter=0)


def test_high_joint_dimension_warns():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((200, 6)), rng.standard_normal((200, 6))
    with pytest.warns(EstimatorWarning, match="joint dimension of 12"):
        ib.estimate_mi(x, y, method="ksg")


@pytest.mark.parametrize("strict", [True, False])
def test_sorted_counting_equals_the_kd_tree(strict):
    # The 1-D fast path (searchsorted + exact fix-up) must count exactly what cKDTree counts,
    # including points at exactly the radius (integers make many exact ties).
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(2)
    v = rng.integers(0, 30, size=(400, 1)).astype(float) * 0.1 + 1e3
    r = rng.integers(0, 5, size=400) * 0.1
    fast = count_within(v, r, strict=strict)
    radius = r * (1 - 1e-12) if strict else r
    tree = cKDTree(v).query_ball_point(v, radius, p=np.inf, return_length=True)
    assert np.array_equal(fast, tree)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 200), rho=st.floats(-0.95, 0.95))
def test_ksg1_is_symmetric(seed, n, rho):
    x, y = correlated_gaussian(n, mi=gaussian_mi(rho), seed=seed)
    a = ib.estimate_mi(x, y, method="ksg1").value
    b = ib.estimate_mi(y, x, method="ksg1").value
    assert a == pytest.approx(b, abs=1e-12)


def _brute_force_ksg(x: np.ndarray, y: np.ndarray, k: int, algorithm: int) -> float:
    """Kraskov et al. (2004) eqs. (8) and (9) written out with all pairwise distances."""
    from scipy.special import digamma

    n = x.shape[0]
    dx = np.abs(x[:, None, :] - x[None, :, :]).max(-1)  # (n, n) max-norm distances
    dy = np.abs(y[:, None, :] - y[None, :, :]).max(-1)
    dz = np.maximum(dx, dy)
    np.fill_diagonal(dz, np.inf)
    order = np.argsort(dz, axis=1)[:, :k]  # (n, k): the k joint neighbours
    rows = np.arange(n)[:, None]
    np.fill_diagonal(dx, np.inf)
    np.fill_diagonal(dy, np.inf)
    if algorithm == 1:
        eps = dz[rows, order].max(1, keepdims=True)  # (n, 1): eps/2
        nx, ny = (dx < eps).sum(1), (dy < eps).sum(1)
        return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))
    ex = dx[rows, order].max(1, keepdims=True)
    ey = dy[rows, order].max(1, keepdims=True)
    nx, ny = (dx <= ex).sum(1), (dy <= ey).sum(1)
    return float(digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny)))


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (1, 3), (2, 2)])
def test_ksg_equals_the_brute_force_definition(algorithm, dx, dy):
    rng = np.random.default_rng(dx * 10 + dy)
    x = rng.standard_normal((300, dx))
    y = x[:, :1] + rng.standard_normal((300, dy))
    ours = ib.estimate_mi(x, y, method=f"ksg{algorithm}", base=math.e, k=5, jitter=0,
                          standardize=False).value
    assert ours == pytest.approx(_brute_force_ksg(x, y, 5, algorithm), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), dim=st.integers(1, 4), strict=st.booleans(),
       grid=st.sampled_from([0.0, 0.25]))
def test_count_within_matches_brute_force(seed, dim, strict, grid):
    # grid > 0 puts samples on a lattice: many distances equal the radius exactly.
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((120, dim))
    if grid:
        pts = np.round(pts / grid) * grid
    r = np.abs(rng.standard_normal(120)) + (grid if grid else 0.0)
    if grid:
        r = np.round(r / grid) * grid
    d = np.abs(pts[:, None, :] - pts[None, :, :]).max(-1)
    radius = (r * (1 - 1e-12))[:, None] if strict else r[:, None]
    assert np.array_equal(count_within(pts, r, strict=strict), (d <= radius).sum(1))
