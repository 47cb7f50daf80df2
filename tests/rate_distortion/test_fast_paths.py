"""The fast paths: Toeplitz/FFT kernel operator, its guard, and the batched tiny-alphabet curve.

Each fast path is compared with the dense path it replaces, on the same input.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibkit.datasets import binary_source, gaussian_source
from ibkit.exceptions import ConvergenceWarning
from ibkit.rate_distortion import _cnm, blahut_arimoto, hamming, rd_curve, squared_error
from ibkit.rate_distortion import _small as small_module
from ibkit.rate_distortion._cnm import cnm_solve
from ibkit.rate_distortion._small import solve_small
from ibkit.rate_distortion._structure import (
    DenseOps,
    Prepared,
    ToeplitzOps,
    kernel_ops,
    prepare,
    toeplitz_generator,
)

LN2 = np.log(2.0)


def _gauss(n: int = 300):
    src = gaussian_source(variance=1.0, n_points=n, half_width=5.0)
    return src.px, src.distortion


def test_toeplitz_is_detected_on_a_uniform_grid_only():
    _, d = _gauss()
    found = toeplitz_generator(d)
    assert found is not None
    generator, deviation = found
    assert generator.shape == (2 * d.shape[0] - 1,)
    assert deviation <= 64 * np.finfo(float).eps * d.max()
    rng = np.random.default_rng(0)
    assert toeplitz_generator(rng.random((200, 200))) is None  # general matrix
    grid = np.sort(rng.random(200))
    assert toeplitz_generator(squared_error(grid)) is None  # non-uniform grid
    assert toeplitz_generator(squared_error(np.linspace(0, 1, 20))) is None  # small: dense
    assert prepare(d[:, ::-1].copy(), np).generator is None  # Hankel, not Toeplitz


@pytest.mark.parametrize("beta", [0.5, 5.0, 50.0])
def test_toeplitz_operator_matches_the_dense_kernel(beta):
    # rectangular: x on a wider grid than x̂, so the row minima of d differ
    x, xhat = np.linspace(-3, 3, 301), np.linspace(-2, 2, 201)
    d = squared_error(x, xhat)
    prepared = prepare(d, np)
    assert prepared.generator is not None
    fast = ToeplitzOps(prepared, beta, np) if ToeplitzOps.usable(prepared, beta) else None
    dense = DenseOps(prepared, beta, np)
    if fast is None:  # β (max row min - min d) too large for the row scaling
        assert beta * 1.0 > 30.0
        assert isinstance(kernel_ops(prepared, beta, np), DenseOps)
        return
    idx = np.array([0, 7, 100, 200])
    np.testing.assert_allclose(fast.columns(idx), dense.columns(idx), rtol=1e-12, atol=0)
    np.testing.assert_allclose(fast.dist_columns(idx), dense.dist_columns(idx), atol=1e-12)
    v = np.random.default_rng(1).random(301)
    c_fast, bound = fast.gradient(v)
    c_dense, _ = dense.gradient(v)
    assert np.max(np.abs(c_fast - c_dense)) <= bound  # the error bound holds
    assert bound < 1e-10 * np.max(c_dense)


@pytest.mark.parametrize("beta", [1.0, 10.0, 200.0, 3000.0])
def test_fft_path_reaches_the_dense_solution(beta):
    px, d = _gauss()
    dense = Prepared(d, np)  # no structure: the dense kernel
    fast = prepare(d, np)
    assert fast.generator is not None
    q0 = np.zeros(d.shape[1])
    q0[int(np.argmin(px @ d))] = 1.0
    tol = 1e-9 if beta < 1000 else 1e-7  # near-lossless: CNM stalls near 5e-9 nats (dense too)
    a = cnm_solve(px, dense, beta, q0, tol=tol, max_iter=1000, xp=np)
    b = cnm_solve(px, fast, beta, q0, tol=tol, max_iter=1000, xp=np)
    assert a.converged and b.converged
    sa = blahut_arimoto(px, d, beta, init=a.marginal, tol=tol * 10)
    sb = blahut_arimoto(px, d, beta, init=b.marginal, tol=tol * 10)
    lagrangian_a = sa.rate + beta * sa.distortion / LN2
    lagrangian_b = sb.rate + beta * sb.distortion / LN2
    assert lagrangian_a == pytest.approx(lagrangian_b, abs=2 * tol * 10)


def test_guard_falls_back_to_the_dense_kernel_below_fft_resolution(monkeypatch):
    px, d = _gauss()
    built = []

    class Spy(DenseOps):
        def __init__(self, *args):
            built.append(args[1])
            super().__init__(*args)

    monkeypatch.setattr(_cnm, "DenseOps", Spy)
    loose = blahut_arimoto(px, d, 5.0, tol=1e-6)
    assert loose.converged and not built  # the FFT bound is far below 1e-6 bits
    with warnings.catch_warnings():  # 1e-13 bits may be below float64 resolution of ℓ too
        warnings.simplefilter("ignore", ConvergenceWarning)
        tight = blahut_arimoto(px, d, 5.0, tol=1e-13)  # below the FFT's rounding bound
    assert built == [5.0]
    assert 0.0 <= tight.gap <= 1e-13 or not tight.converged
    assert abs(tight.rate - loose.rate) <= 2e-6


def test_fft_certificate_brackets_the_closed_form():
    px, d = _gauss(600)
    for beta in (1.0, 5.0):
        sol = blahut_arimoto(px, d, beta, tol=1e-8)
        assert sol.converged and 0.0 <= sol.gap <= 1e-8
        exact = blahut_arimoto(px, d, beta, method="ba", tol=1e-3)  # dense, other method
        assert sol.rate + beta * sol.distortion / LN2 <= (
            exact.rate + beta * exact.distortion / LN2 + 1e-12
        )


# ---------------------------------------------------------------- batched tiny alphabets


def test_batched_binary_curve_matches_the_closed_form_and_single_points():
    src = binary_source(0.3)
    betas = np.linspace(1.0, 10.0, 13)
    curve = rd_curve(src.px, src.distortion, betas, tol=1e-9)
    assert curve.converged.all() and np.all(curve.gap <= 1e-9) and np.all(curve.gap >= 0)
    np.testing.assert_allclose(curve.distortion, 1 / (1 + np.exp(betas)), atol=1e-8)
    for beta, rate, dist in zip(betas[::4], curve.rate[::4], curve.distortion[::4], strict=True):
        single = blahut_arimoto(src.px, src.distortion, float(beta), tol=1e-11)
        assert rate == pytest.approx(single.rate, abs=2e-9)
        assert dist == pytest.approx(single.distortion, abs=1e-8)


def test_batch_handles_boundary_optima_and_falls_back(monkeypatch):
    # β below the critical slope ln(0.7/0.3): the optimum is a vertex of the simplex (R = 0),
    # which the full-support batch only approaches; whatever it certifies must hold, and
    # whatever it leaves (here: everything, with a budget of one iteration) CNM solves
    px, d = np.array([0.7, 0.3]), hamming(2)
    betas = np.array([0.0, 0.1, 0.5, 2.0, 8.0])
    batch = solve_small(px, d, betas, tol=1e-9, max_iter=1000)
    assert batch.solved[-2:].all()
    assert np.all((batch.gap[batch.solved] >= 0) & (batch.gap[batch.solved] <= 1e-9))
    reference = rd_curve(px, d, betas, tol=1e-9, keep_encoders=True)
    monkeypatch.setattr(small_module, "MAX_ITERATIONS", 1)
    assert not solve_small(px, d, betas[1:], tol=1e-9, max_iter=1000).solved.any()
    fallback = rd_curve(px, d, betas, tol=1e-9, keep_encoders=True)
    for curve in (reference, fallback):
        assert curve.converged.all() and np.all(curve.gap <= 1e-9)
        np.testing.assert_allclose(curve.rate[:3], 0.0, atol=1e-9)
        for encoder in curve.encoders:
            np.testing.assert_allclose(encoder.sum(axis=1), 1.0)
    np.testing.assert_allclose(fallback.rate, reference.rate, atol=2e-9)


@settings(max_examples=25, deadline=None)
@given(
    n_x=st.integers(2, 6),
    n_h=st.integers(2, 6),
    seed=st.integers(0, 10_000),
    zero=st.booleans(),
)
def test_batched_curve_agrees_with_single_point_solves(n_x, n_h, seed, zero):
    rng = np.random.default_rng(seed)
    px = rng.dirichlet(np.ones(n_x))
    if zero:
        px[0] = 0.0
        px /= px.sum()
    d = rng.random((n_x, n_h)) * 3
    betas = np.geomspace(0.05, 30.0, 6)
    curve = rd_curve(px, d, betas, tol=1e-8)
    assert curve.converged.all() and np.all((curve.gap >= 0) & (curve.gap <= 1e-8))
    for k in (0, 3, 5):
        single = blahut_arimoto(px, d, float(betas[k]), tol=1e-9)
        lag_curve = curve.rate[k] + betas[k] * curve.distortion[k] / LN2
        lag_single = single.rate + betas[k] * single.distortion / LN2
        assert lag_curve == pytest.approx(lag_single, abs=2e-8)


def test_long_grids_are_solved_in_chunks(monkeypatch):
    px, d = np.array([0.5, 0.3, 0.2]), hamming(3)
    betas = np.geomspace(0.5, 20.0, 13)
    whole = solve_small(px, d, betas, tol=1e-9, max_iter=1000)
    monkeypatch.setattr(small_module, "_CHUNK", 5)
    chunked = solve_small(px, d, betas, tol=1e-9, max_iter=1000)
    assert chunked.rate.shape == (13,) and chunked.encoder.shape == (13, 3, 3)
    both = chunked.solved & whole.solved  # the step policy is per batch, so these may differ
    assert both.sum() >= 8 and np.all(chunked.gap[chunked.solved] <= 1e-9)
    np.testing.assert_allclose(chunked.rate[both], whole.rate[both], atol=3e-9)
