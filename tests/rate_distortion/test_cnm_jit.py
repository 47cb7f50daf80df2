"""CNM's compiled kernels (._cnm_jit, the active set's LAPACK start) against their NumPy twins,
and CNM with and without them.

The kernels run compiled when numba is there and as plain Python otherwise (small inputs
here); ``_cnm._JIT`` switches the solver between the two paths in one process.
"""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest

from ibkit.datasets import gaussian_source
from ibkit.rate_distortion import _cnm, blahut_arimoto, rd_curve, squared_error
from ibkit.rate_distortion._cnm import _candidates, cnm_solve
from ibkit.rate_distortion._cnm_jit import candidates, scaled_block
from ibkit.rate_distortion._nnls import (
    _BLOCK_ROWS,
    _bands,
    _start_factor,
    gram,
    nonnegative_quadratic,
)
from ibkit.rate_distortion._structure import prepare

LN2 = np.log(2.0)


def _columns(n: int, m: int, beta: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian kernel block K (n, m) on sorted random columns, and p with a zero."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(-3.0, 3.0, n)
    idx = np.sort(rng.choice(n, m, replace=False))
    cols = np.exp(-beta * (grid[:, None] - grid[idx][None, :]) ** 2)  # (n, m)
    px = rng.random(n)
    px[n // 3] = 0.0
    return cols, px / px.sum()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(("m", "beta"), [(5, 0.5), (60, 40.0), (90, 400.0)])
def test_scaled_block_matches_numpy(order: str, m: int, beta: float) -> None:
    # A = diag(√p e^{-log Z}) K to rounding (one exp per row may differ by an ulp); the bands
    # exactly those of the NumPy rule in gram().
    cols, px = _columns(300, m, beta, seed=m)
    log_z = np.random.default_rng(1).normal(size=300)
    a, finite, low, high = scaled_block(np.asarray(cols, order=order), px, log_z, _BLOCK_ROWS)
    ref = (np.sqrt(px) * np.exp(-log_z))[:, None] * cols
    assert finite
    np.testing.assert_allclose(a, ref, rtol=1e-14, atol=0.0)
    ref_low, ref_high = _bands(ref)
    live = ref_high > ref_low
    np.testing.assert_array_equal(high > low, live)
    np.testing.assert_array_equal(low[live], ref_low[live])
    np.testing.assert_array_equal(high[live], ref_high[live])
    h_given, _ = gram(a, (low, high))
    h_found, _ = gram(ref)
    np.testing.assert_allclose(h_given, h_found, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("order", ["C", "F"])
def test_scaled_block_flags_overflow(order: str) -> None:
    cols, px = _columns(200, 10, 1.0, seed=3)
    log_z = np.zeros(200)
    log_z[7] = -800.0  # e^{800} overflows (uncompiled, NumPy would warn)
    with np.errstate(over="ignore", invalid="ignore"):
        _, finite, _, _ = scaled_block(np.asarray(cols, order=order), px, log_z, _BLOCK_ROWS)
    assert not finite


@pytest.mark.parametrize("seed", range(6))
def test_candidates_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log_c = np.round(rng.normal(size=80), 1)  # rounding makes ties and plateaus
    if seed == 0:
        log_c = -np.abs(log_c) - 0.1  # no point above 0: support and the maximum only
    idx = np.sort(rng.choice(80, 5, replace=False))
    np.testing.assert_array_equal(candidates(log_c, idx), _candidates(log_c, idx))


def _solve(px, d, beta, tol, jit, monkeypatch):
    monkeypatch.setattr(_cnm, "_JIT", jit)
    prepared = prepare(d, np)
    q0 = np.zeros(d.shape[1])
    q0[int(np.argmin(px @ d))] = 1.0
    return cnm_solve(px, prepared, beta, q0, tol=tol, max_iter=500, xp=np)


@pytest.mark.parametrize("beta", [2.0, 25.0])
@pytest.mark.parametrize("toeplitz", [True, False])
def test_compiled_and_numpy_cnm_reach_the_same_point(beta, toeplitz, monkeypatch) -> None:
    # Same iterations and the same p(x̂) to rounding, on the FFT kernel and on a dense one.
    src = gaussian_source(variance=1.0, n_points=300, half_width=5.0)
    px, d = src.px, src.distortion
    if not toeplitz:  # a jittered grid: no Toeplitz structure, the dense kernel
        x = src.points + np.random.default_rng(0).uniform(-1e-3, 1e-3, size=300)
        d = squared_error(x, x)
        assert prepare(d, np).generator is None
    fast = _solve(px, d, beta, 1e-8, True, monkeypatch)
    slow = _solve(px, d, beta, 1e-8, False, monkeypatch)
    assert fast.converged and slow.converged
    assert fast.gap <= 1e-8 and slow.gap <= 1e-8
    assert abs(fast.iterations - slow.iterations) <= 2
    np.testing.assert_allclose(fast.marginal, slow.marginal, atol=1e-5)  # ℓ is flat near q*


def test_curve_is_the_same_on_both_paths(monkeypatch) -> None:
    src = gaussian_source(variance=1.0, n_points=400, half_width=5.0)
    betas = 1.0 / (2.0 * np.array([0.5, 0.1, 0.02]))
    curves = []
    for jit in (True, False):
        monkeypatch.setattr(_cnm, "_JIT", jit)
        curves.append(rd_curve(src.px, src.distortion, betas, tol=1e-7))
    fast, slow = curves
    assert np.all(fast.gap <= 1e-7) and np.all(slow.gap <= 1e-7)
    np.testing.assert_allclose(fast.rate, slow.rate, atol=2e-7)
    np.testing.assert_allclose(fast.distortion, slow.distortion, atol=1e-6)


def test_kernels_only_touch_numpy_float64(monkeypatch) -> None:
    # array-API input keeps the array-API path: the compiled kernels are never called.
    def refuse(*args, **kwargs):
        raise AssertionError("compiled kernel called on array-API input")

    src = gaussian_source(variance=1.0, n_points=60, half_width=4.0)
    ref = blahut_arimoto(src.px, src.distortion, 3.0, tol=1e-8, method="cnm")
    monkeypatch.setattr(_cnm, "scaled_block", refuse)
    monkeypatch.setattr(_cnm, "candidates", refuse)
    xp = array_api_strict
    sol = blahut_arimoto(
        xp.asarray(src.px), xp.asarray(src.distortion), 3.0, tol=1e-8, method="cnm"
    )
    assert sol.rate == pytest.approx(ref.rate, abs=1e-7)
    problem = _cnm._Problem(src.px.astype(np.float32), prepare(src.distortion, np), 3.0, np)
    assert not problem.jit  # other dtypes: NumPy path as well


def _duplicated_problem(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """H = AᵀA with A's column 3 repeated as column 4 (H singular on any set holding both),
    g > 0, and a warm start positive on both copies."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-3, 3, 200)
    centres = np.sort(rng.uniform(-3, 3, 12))
    centres[4] = centres[3]
    a = np.exp(-4.0 * (x[:, None] - centres[None, :]) ** 2) / np.sqrt(200)  # (200, 12)
    x0 = rng.uniform(0.1, 1.0, 12)
    return a.T @ a, 2.0 * rng.uniform(0.5, 1.5, 12) - 1.0, x0


def test_start_factor_is_lapacks_cholesky_or_refuses_dependent_pivots() -> None:
    hessian, _, x0 = _duplicated_problem(0)
    x0[4] = 0.0  # independent passive set: the factor of H_PP, P = {x0 > 0}
    lower, order = np.zeros((12, 12)), np.empty(12, np.int64)
    k = _start_factor(hessian, x0, lower, order)
    passive = np.flatnonzero(x0 > 0)
    assert k == passive.size
    np.testing.assert_array_equal(order[:k], passive)
    np.testing.assert_allclose(
        lower[:k, :k], np.linalg.cholesky(hessian[np.ix_(passive, passive)]), rtol=1e-10
    )
    hessian, _, x0 = _duplicated_problem(0)  # both copies positive: H_PP singular
    assert _start_factor(hessian, x0, np.zeros((12, 12)), np.empty(12, np.int64)) == 0


@pytest.mark.parametrize("seed", range(4))
def test_active_set_falls_back_to_appending_on_a_singular_start(seed: int) -> None:
    # The one-by-one start skips the dependent copy; the answer still satisfies KKT.
    hessian, g, x0 = _duplicated_problem(seed)
    w, _ = nonnegative_quadratic(hessian, g, x0, use_numba=True)
    dual = hessian @ w - g  # ≥ 0, and 0 where w > 0
    scale = np.abs(g).max()
    assert w.min() >= 0.0
    assert dual.min() > -1e-6 * scale
    assert np.abs(dual[w > 0]).max() < 1e-6 * scale
