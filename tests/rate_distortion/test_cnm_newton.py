"""CNM's Newton step (warm-started active set, numba and SciPy paths), its banded Gram product,
the spaced cold start and the encoder built from CNM's kernel block."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibkit.datasets import gaussian_source
from ibkit.rate_distortion import blahut_arimoto, rd_curve
from ibkit.rate_distortion._cnm import cnm_solve
from ibkit.rate_distortion._nnls import gram, nonnegative_quadratic
from ibkit.rate_distortion._structure import prepare, spaced_start
from ibkit.rate_distortion.blahut_arimoto import solution_from_marginal

PATHS = [False, True]  # SciPy; active set (compiled when numba is there, plain Python if not)


def _kernel_problem(seed: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CNM-like QP: H = AᵀA with A the columns of a Gaussian kernel (nearly collinear
    neighbours), g = 2c - 1, and a feasible warm start with some zeros."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-3, 3, 300)
    centres = np.sort(rng.uniform(-3, 3, m))
    a = np.exp(-4.0 * (x[:, None] - centres[None, :]) ** 2) * np.sqrt(1.0 / 300)  # (300, m)
    hessian = a.T @ a + 1e-10 * np.eye(m)
    g = 2.0 * rng.uniform(0.5, 1.5, m) - 1.0
    x0 = rng.uniform(0, 1, m) * (rng.uniform(size=m) < 0.6)
    return hessian, g, x0


def _kkt_residual(hessian: np.ndarray, g: np.ndarray, w: np.ndarray) -> float:
    dual = hessian @ w - g  # ≥ 0, and 0 where w > 0
    scale = np.abs(g).max()
    return max(-w.min(), -dual.min() / scale, np.abs(dual[w > 0]).max(initial=0.0) / scale)


@pytest.mark.parametrize("use_numba", PATHS)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 60))
def test_newton_step_satisfies_kkt(use_numba: bool, seed: int, m: int) -> None:
    hessian, g, x0 = _kernel_problem(seed, m)
    w, flops = nonnegative_quadratic(hessian, g, x0, use_numba=use_numba)
    assert _kkt_residual(hessian, g, w) < 1e-6
    assert flops > 0


@pytest.mark.parametrize("seed", range(8))
def test_numba_and_scipy_paths_agree(seed: int) -> None:
    """Same minimiser (unique: H ≻ 0) on both paths, whatever the warm start."""
    hessian, g, x0 = _kernel_problem(seed, 40)
    objective = lambda w: 0.5 * w @ hessian @ w - g @ w  # noqa: E731
    fast, _ = nonnegative_quadratic(hessian, g, x0, use_numba=True)
    cold, _ = nonnegative_quadratic(hessian, g, np.zeros_like(x0), use_numba=True)
    slow, _ = nonnegative_quadratic(hessian, g, x0, use_numba=False)
    for w in (fast, cold):
        assert objective(w) == pytest.approx(objective(slow), rel=1e-9, abs=1e-12)
        np.testing.assert_array_equal(w > 1e-8 * slow.max(), slow > 1e-8 * slow.max())


@pytest.mark.parametrize("beta", [2.0, 50.0, 400.0])
def test_banded_gram_is_within_its_bound(beta: float) -> None:
    x = np.linspace(-5, 5, 700)
    centres = np.linspace(-4.5, 4.5, 120)
    a = np.exp(-beta * (x[:, None] - centres[None, :]) ** 2)  # (700, 120)
    exact = a.T @ a
    banded, flops = gram(a)
    bound = 1e-14 * np.trace(exact) / a.shape[1]
    assert np.abs(banded - exact).max() <= bound
    assert flops > 0
    if beta >= 50.0:  # a narrow kernel: the band is a fraction of the dense product
        assert flops < 2.0 * a.size * a.shape[1] / 2


@pytest.mark.parametrize("use_numba", PATHS)
def test_cnm_paths_reach_the_same_certified_point(
    use_numba: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ibkit.rate_distortion import _cnm

    monkeypatch.setattr(
        _cnm,
        "nonnegative_quadratic",
        lambda h, g, x0: nonnegative_quadratic(h, g, x0, use_numba=use_numba),
    )
    src = gaussian_source(variance=1.0, n_points=300, half_width=5.0)
    prepared = prepare(src.distortion, np)
    q0 = np.full(300, 1.0 / 300)
    res = cnm_solve(src.px, prepared, 8.0, q0, tol=1e-9, max_iter=500, xp=np)
    assert res.converged and res.gap <= 1e-9 and res.flops > 0
    reference = blahut_arimoto(src.px, src.distortion, 8.0, tol=1e-9, base=np.e)
    _, _, rate, dist = solution_from_marginal(src.px, src.distortion, 8.0, res.marginal, np)
    assert rate + 8.0 * dist == pytest.approx(reference.rate + 8.0 * reference.distortion, abs=2e-9)


def test_spaced_start_covers_the_grid_one_kernel_width_apart() -> None:
    src = gaussian_source(variance=1.0, n_points=1000, half_width=5.0)
    prepared = prepare(src.distortion, np)
    step = 10.0 / 999
    for beta in (1.0, 25.0):
        start = spaced_start(prepared, beta)
        assert start is not None and start.sum() == pytest.approx(1.0)
        gaps = np.diff(np.flatnonzero(start))
        width = int(np.floor(1.0 / (np.sqrt(beta) * step) + 1e-9))  # β (k h)² ≤ 1
        assert np.all(np.abs(gaps - width) <= 1)
    assert spaced_start(prepared, 1e-3) is None  # one kernel covers everything: zero-rate start
    assert spaced_start(prepare(np.ones((4, 4)) - np.eye(4), np), 1.0) is None  # no structure


def test_cold_start_cuts_iterations_and_keeps_the_certificate() -> None:
    src = gaussian_source(variance=1.0, n_points=400, half_width=5.0)
    point = np.zeros(400)
    point[200] = 1.0
    cold = blahut_arimoto(src.px, src.distortion, 2.0, tol=1e-8)
    single = blahut_arimoto(src.px, src.distortion, 2.0, tol=1e-8, init=point)
    assert cold.converged and cold.gap <= 1e-8
    assert cold.iterations < single.iterations
    assert cold.rate + 2.0 * cold.distortion / np.log(2) == pytest.approx(
        single.rate + 2.0 * single.distortion / np.log(2), abs=2e-8
    )


@pytest.mark.parametrize("beta", [0.5, 5.0, 40.0])
def test_encoder_from_kernel_block_matches_the_log_domain_one(beta: float) -> None:
    src = gaussian_source(variance=1.0, n_points=300, half_width=5.0)
    prepared = prepare(src.distortion, np)
    res = cnm_solve(src.px, prepared, beta, np.full(300, 1 / 300), tol=1e-8, max_iter=500, xp=np)
    assert res.columns is not None
    kernel = (res.columns, prepared.minima)
    fast = solution_from_marginal(src.px, src.distortion, beta, res.marginal, np, kernel)
    slow = solution_from_marginal(src.px, src.distortion, beta, res.marginal, np)
    dense = [enc() if callable(enc) else enc for enc in (fast[0], slow[0])]  # lazy scatter
    np.testing.assert_allclose(dense[0], dense[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-12, atol=1e-15)
    assert fast[2] == pytest.approx(slow[2], abs=1e-12)
    assert fast[3] == pytest.approx(slow[3], abs=1e-12)


def test_curve_gap_is_certified_on_the_benchmark_grid() -> None:
    src = gaussian_source(variance=1.0, n_points=500, half_width=5.0)
    betas = 1.0 / (2.0 * np.array([0.5, 0.1, 0.02]))
    curve = rd_curve(src.px, src.distortion, betas, tol=1e-7)
    assert np.all(curve.gap <= 1e-7)
    assert np.all(curve.rate >= 0)


def test_dense_encoder_is_built_on_first_access_and_kept() -> None:
    """A sweep never fills the dense p(x̂|x); the first access builds it, once."""
    src = gaussian_source(variance=1.0, n_points=300, half_width=5.0)
    sol = blahut_arimoto(src.px, src.distortion, 8.0, tol=1e-8)
    assert callable(sol._encoder)  # deferred: CNM's support is sparse
    encoder = sol.encoder
    assert sol.encoder is encoder and encoder.shape == (300, 300)
    np.testing.assert_allclose(encoder.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(src.px @ encoder, sol.output_marginal, atol=1e-15)
