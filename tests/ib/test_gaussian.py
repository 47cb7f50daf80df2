"""Gaussian IB: closed form vs direct log-dets, critical β, 1-D oracle, curve shape, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibkit.exceptions import IBKitError, InvalidParameterError, ShapeMismatchError
from ibkit.ib.gaussian import gaussian_ib, gaussian_ib_curve

from ..strategies import FAST

RHO = np.array([0.9, 0.6, 0.3])  # canonical correlations of the reference example


def _canonical_example(seed: int = 0, n_y: int = 3):
    """X = B U, Y = C W with Cov(U) = Cov(W) = I and Cov(U, W) = diag(RHO): λ = 1 - RHO²."""
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    c = rng.normal(size=(n_y, n_y)) + 3 * np.eye(n_y)
    cross = np.zeros((3, n_y))
    k = min(3, n_y)
    cross[:k, :k] = np.diag(RHO[:k])
    return b @ b.T, b @ cross @ c.T, c @ c.T


@st.composite
def gaussian_joints(draw, max_dim: int = 4):
    """(Σ_x, Σ_xy, Σ_y) from a joint M Mᵀ + 0.1 I, n_x, n_y ∈ [1, max_dim]."""
    n_x, n_y = draw(st.integers(1, max_dim)), draw(st.integers(1, max_dim))
    d = n_x + n_y
    entries = draw(st.lists(st.floats(-1.0, 1.0), min_size=d * d, max_size=d * d))
    m = np.asarray(entries).reshape(d, d)
    joint = m @ m.T + 0.1 * np.eye(d)
    return joint[:n_x, :n_x], joint[:n_x, n_x:], joint[n_x:, n_x:]


def _lagrangian(a, cov_x, cov_xy, cov_y, beta):
    """I(X;T) - β I(T;Y) in nats for T = A X + ξ, straight from the definitions."""
    cond = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    eye = np.eye(a.shape[0])
    logdet_t = np.linalg.slogdet(a @ cov_x @ a.T + eye)[1]
    logdet_ty = np.linalg.slogdet(a @ cond @ a.T + eye)[1]
    return 0.5 * logdet_t - beta * 0.5 * (logdet_t - logdet_ty)


def test_eigenvalues_and_critical_betas_are_invariant_to_linear_maps():
    # λ_i = 1 - ρ_i² depends only on the canonical correlations, not on B and C.
    sol = gaussian_ib(*_canonical_example(), 5.0)
    assert sol.eigenvalues == pytest.approx(np.sort(1 - RHO**2), abs=1e-12)
    assert sol.critical_betas == pytest.approx(1 / RHO**2, rel=1e-12)
    assert sol.n_active == 2  # 1/0.81 and 1/0.36 < 5 < 1/0.09


@pytest.mark.parametrize("beta", [0.5, 1.2, 1.3, 2.0, 3.0, 7.5, 12.0, 40.0, 1e3, 1e6])
def test_closed_form_curve_equals_direct_log_det(beta):
    # The paper's eq. (13) (the curve) against log-dets of the covariances of T (the solution);
    # both are ~1e-15 accurate here, well-conditioned: allow 1e-10.
    covs = _canonical_example(seed=3)
    curve = gaussian_ib_curve(*covs, [beta])
    sol = gaussian_ib(*covs, beta)
    assert sol.I_XT == pytest.approx(curve.I_XT[0], abs=1e-10)
    assert sol.I_TY == pytest.approx(curve.I_TY[0], abs=1e-10)
    assert sol.n_active == curve.n_active[0]


def test_projection_rows_are_scaled_left_eigenvectors():
    cov_x, cov_xy, cov_y = _canonical_example(seed=1)
    beta = 5.0
    sol = gaussian_ib(cov_x, cov_xy, cov_y, beta)
    cond = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    v = sol.eigenvectors
    # v_iᵀ Σ_{x|y} Σ_x⁻¹ = λ_i v_iᵀ and r_i = v_iᵀ Σ_x v_i = 1.
    left = v.T @ cond @ np.linalg.inv(cov_x)
    assert left == pytest.approx(sol.eigenvalues[:, None] * v.T, abs=1e-10)
    assert v.T @ cov_x @ v == pytest.approx(np.eye(3), abs=1e-10)
    lam = sol.eigenvalues
    alpha = np.sqrt(np.maximum(beta * (1 - lam) - 1, 0) / lam)
    assert sol.projection == pytest.approx(alpha[:, None] * v.T, abs=1e-12)
    assert np.all(sol.projection[sol.n_active :] == 0)


@pytest.mark.parametrize("beta", [1.5, 5.0, 20.0])
def test_projection_is_a_local_minimum_of_the_ib_lagrangian(beta):
    # Perturbing A in any direction cannot lower I(X;T) - β I(T;Y) (to second order in ε).
    covs = _canonical_example(seed=2)
    a = gaussian_ib(*covs, beta).projection
    best = _lagrangian(a, *covs, beta)
    rng = np.random.default_rng(0)
    for _ in range(20):
        step = 1e-3 * rng.normal(size=a.shape)
        assert _lagrangian(a + step, *covs, beta) >= best - 1e-12


def test_trivial_below_first_critical_beta_and_steps_at_each_critical_beta():
    covs = _canonical_example(seed=4)
    for beta in (0.0, 1.0, 0.999 / RHO[0] ** 2):
        sol = gaussian_ib(*covs, beta)
        assert np.all(sol.projection == 0)
        assert sol.n_active == 0
        assert (sol.I_XT, sol.I_TY) == (0.0, 0.0)
    for i, rho in enumerate(RHO):
        beta_c = 1 / rho**2
        assert gaussian_ib(*covs, beta_c * (1 - 1e-9)).n_active == i
        assert gaussian_ib(*covs, beta_c * (1 + 1e-9)).n_active == i + 1


def test_directions_unexplained_by_y_never_activate():
    # n_x = 3 > n_y = 1: two canonical correlations are exactly 0, so λ = 1 and β_c = inf.
    sol = gaussian_ib(*_canonical_example(seed=5, n_y=1), 1e12)
    assert np.isinf(sol.critical_betas[1:]).all()
    assert sol.eigenvalues[1:] == pytest.approx([1.0, 1.0], abs=0)
    assert sol.n_active == 1
    assert sol.I_TY == pytest.approx(-0.5 * math.log2(1 - RHO[0] ** 2), abs=1e-10)


@pytest.mark.parametrize("rho", [0.2, -0.5, 0.95])
def test_one_dimensional_oracle(rho):
    # σ_x = 2, σ_y = 3, correlation ρ: λ = 1 - ρ², β_c = 1/ρ², I(X;Y) = -½ log(1 - ρ²).
    cov_x, cov_y, cov_xy = [[4.0]], [[9.0]], [[6.0 * rho]]
    i_xy = -0.5 * math.log2(1 - rho**2)
    sol = gaussian_ib(cov_x, cov_xy, cov_y, 2.0 / rho**2)
    assert sol.eigenvalues[0] == pytest.approx(1 - rho**2, rel=1e-12)
    assert sol.critical_betas[0] == pytest.approx(1 / rho**2, rel=1e-12)
    assert sol.I_XY == pytest.approx(i_xy, rel=1e-12)
    assert 0 < sol.I_TY <= sol.I_XT
    # I(T;Y) = I(X;Y) - ½ log(β/(β - 1)): the gap at β = 1e9 is ~7e-10 bits.
    far = gaussian_ib(cov_x, cov_xy, cov_y, 1e9)
    assert far.I_TY == pytest.approx(i_xy, abs=1e-8)
    assert far.I_TY <= far.I_XT


@given(covs=gaussian_joints())
@FAST
def test_curve_is_monotone_concave_and_bounded(covs):
    curve = gaussian_ib_curve(*covs, n_points=60)
    tol = 1e-10
    assert np.all(np.diff(curve.I_XT) >= -tol)
    assert np.all(np.diff(curve.I_TY) >= -tol)
    assert np.all(np.diff(curve.n_active) >= 0)
    assert np.all(curve.I_TY <= np.minimum(curve.I_XT, curve.I_XY) + tol)
    # The tangent slope is 1/β, so each chord slope lies in [1/β_{k+1}, 1/β_k] and the
    # chord slopes decrease (concavity). Skip chords too short to difference accurately.
    d_xt, d_ty = np.diff(curve.I_XT), np.diff(curve.I_TY)
    ok = d_xt > 1e-6
    slopes = d_ty[ok] / d_xt[ok]
    assert np.all(slopes <= 1 / curve.beta[:-1][ok] + 1e-6)
    assert np.all(slopes >= 1 / curve.beta[1:][ok] - 1e-6)
    assert np.all(np.diff(slopes) <= 1e-6)


@given(covs=gaussian_joints(max_dim=3), beta=st.floats(0.0, 1e3))
@FAST
def test_solution_matches_curve_and_bounds(covs, beta):
    sol = gaussian_ib(*covs, beta)
    curve = gaussian_ib_curve(*covs, [beta])
    cov_x, cov_xy, cov_y = covs
    cond = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    i_xy = 0.5 * (np.linalg.slogdet(cov_x)[1] - np.linalg.slogdet(cond)[1]) / math.log(2)
    assert sol.I_XY == pytest.approx(i_xy, rel=1e-8, abs=1e-9)
    assert sol.I_XT == pytest.approx(curve.I_XT[0], rel=1e-8, abs=1e-9)
    assert sol.I_TY == pytest.approx(curve.I_TY[0], rel=1e-8, abs=1e-9)
    assert -1e-9 <= sol.I_TY <= min(sol.I_XT, i_xy) + 1e-9
    assert np.all(np.diff(sol.eigenvalues) >= 0)
    assert np.all((sol.eigenvalues > 0) & (sol.eigenvalues <= 1))


def test_auto_grid_base_and_serialisation():
    covs = _canonical_example(seed=6)
    curve = gaussian_ib_curve(*covs, n_points=50)
    assert curve.beta[0] < curve.critical_betas[0] < curve.critical_betas[-1] < curve.beta[-1]
    assert curve.n_active[0] == 0 and curve.n_active[-1] == 3
    assert curve.I_TY[-1] == pytest.approx(curve.I_XY, rel=2e-3)  # 100 β_c: close to I(X;Y)
    nats = gaussian_ib_curve(*covs, n_points=50, base=math.e)
    assert nats.I_XT == pytest.approx(curve.I_XT * math.log(2), rel=1e-12)
    data = json.loads(json.dumps(curve.to_dict()))
    assert data["beta"] == curve.beta.tolist() and data["n_active"][-1] == 3
    independent = gaussian_ib_curve(np.eye(2), np.zeros((2, 1)), [[1.0]], n_points=5)
    assert np.isinf(independent.critical_betas).all()
    assert np.all(independent.I_XT == 0) and independent.I_XY == 0


GOOD = (np.eye(2), np.full((2, 1), 0.3), np.eye(1))
ASYMMETRIC = np.array([[1.0, 0.5], [0.0, 1.0]])
INDEFINITE = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((ASYMMETRIC, *GOOD[1:]), InvalidParameterError, "cov_x.*symmetric"),
        ((INDEFINITE, *GOOD[1:]), InvalidParameterError, "cov_x.*definite"),
        ((*GOOD[:2], [[-1.0]]), InvalidParameterError, "cov_y.*definite"),
        ((np.ones((2, 3)), *GOOD[1:]), ShapeMismatchError, "cov_x"),
        ((np.ones(2), *GOOD[1:]), ShapeMismatchError, "cov_x"),
        ((GOOD[0], np.zeros((3, 1)), GOOD[2]), ShapeMismatchError, "cov_xy"),
        ((GOOD[0], np.zeros((2, 2)), GOOD[2]), ShapeMismatchError, "cov_xy"),
        ((GOOD[0], [[0.9], [0.9]], GOOD[2]), InvalidParameterError, "cov_xy.*definite"),
        ((np.array([[1.0, np.nan], [np.nan, 1.0]]), *GOOD[1:]), IBKitError, "cov_x.*finite"),
        ((GOOD[0], [[np.inf], [0.0]], GOOD[2]), IBKitError, "cov_xy.*finite"),
    ],
)
def test_bad_covariances_are_refused(args, error, match):
    with pytest.raises(error, match=match):
        gaussian_ib(*args, 2.0)
    with pytest.raises(error, match=match):
        gaussian_ib_curve(*args)


@pytest.mark.parametrize("beta", [-1.0, math.nan, math.inf, "2", True])
def test_bad_beta_is_refused(beta):
    with pytest.raises(InvalidParameterError, match="beta"):
        gaussian_ib(*GOOD, beta)


def test_bad_curve_options_are_refused():
    with pytest.raises(InvalidParameterError, match="betas"):
        gaussian_ib_curve(*GOOD, [2.0, 1.0])
    with pytest.raises(InvalidParameterError, match="betas"):
        gaussian_ib_curve(*GOOD, [1.0, -2.0])
    with pytest.raises(InvalidParameterError, match="betas"):
        gaussian_ib_curve(*GOOD, [])
    with pytest.raises(InvalidParameterError, match="n_points"):
        gaussian_ib_curve(*GOOD, n_points=1)
    with pytest.raises(InvalidParameterError, match="base"):
        gaussian_ib(*GOOD, 2.0, base=1.0)
