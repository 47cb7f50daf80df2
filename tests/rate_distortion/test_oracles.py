"""Blahut–Arimoto against closed forms and against plain BA on the same input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from ibkit.datasets import binary_source, gaussian_source
from ibkit.exceptions import ConvergenceWarning
from ibkit.rate_distortion import (
    binary_hamming_rd,
    blahut_arimoto,
    channel_capacity,
    gaussian_mse_rd,
    hamming,
    rd_curve,
)
from ibkit.rate_distortion.closed_form import binary_entropy

BINARY_BETAS = [0.9, 1.0, 1.3, 1.7, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 20.0]


@pytest.mark.parametrize("beta", BINARY_BETAS)
@pytest.mark.parametrize("method", ["cnm", "ba"])
def test_binary_source_matches_closed_form(beta, method):
    # Bernoulli(0.3) with Hamming distortion: D*(β) = 1/(1+e^β) on the curve's sloped part
    # (β > ln(0.7/0.3) ≈ 0.847), and R = H_b(0.3) - H_b(D*).
    sol = blahut_arimoto([0.7, 0.3], hamming(2), beta, tol=1e-12, method=method)
    d_star = min(float(expit(-beta)), 0.3)
    assert sol.converged
    assert sol.distortion == pytest.approx(d_star, abs=1e-9)
    assert sol.rate == pytest.approx(binary_hamming_rd(0.3, d_star), abs=1e-9)
    assert 0.0 <= sol.gap <= 1e-12


@pytest.mark.parametrize("beta", [0.1, 0.5, 0.8])
def test_binary_source_below_critical_slope_has_zero_rate(beta):
    sol = blahut_arimoto([0.7, 0.3], hamming(2), beta, tol=1e-12)
    assert sol.rate == pytest.approx(0.0, abs=1e-9)
    assert sol.distortion == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize("beta", [1e2, 1e3, 1e4])
def test_huge_beta_is_finite_and_lossless(beta):
    sol = blahut_arimoto([0.7, 0.3], hamming(2), beta)
    assert sol.distortion == pytest.approx(0.0, abs=1e-12)
    assert sol.rate == pytest.approx(binary_entropy(0.3), abs=1e-9)
    assert np.all(np.isfinite(sol.encoder))


def test_zero_probability_symbols_are_handled():
    px = np.array([0.5, 0.0, 0.3, 0.2, 0.0])
    sol = blahut_arimoto(px, hamming(5), 3.0, tol=1e-10)
    assert np.all(np.isfinite(sol.encoder))
    np.testing.assert_allclose(sol.encoder.sum(axis=1), 1.0, atol=1e-12)
    # Only the 3 symbols with mass matter: compare with the problem restricted to them.
    small = blahut_arimoto(px[[0, 2, 3]], hamming(3), 3.0, tol=1e-10)
    assert sol.rate == pytest.approx(small.rate, abs=1e-8)
    assert sol.distortion == pytest.approx(small.distortion, abs=1e-8)


def test_rectangular_distortion_is_allowed():
    # |X̂| = 3 with an "erasure" symbol at cost 0.4: a valid user matrix with |X̂| ≠ |X|.
    d = np.array([[0.0, 1.0, 0.4], [1.0, 0.0, 0.4]])
    sol = blahut_arimoto([0.5, 0.5], d, 2.0, tol=1e-10)
    assert sol.encoder.shape == (2, 3)
    assert sol.converged and sol.gap >= 0


@pytest.fixture(scope="module")
def gaussian():
    return gaussian_source(1.0, 1001)


@pytest.mark.parametrize("distortion", [0.5, 0.2, 0.1, 0.05, 0.02])
def test_gaussian_grid_matches_closed_form(gaussian, distortion):
    # On the ±5σ grid with spacing h = 0.01 the discrete R(D) lies below ½log(σ²/D) by
    # 2e-7–8e-7 bits (the grid's discretisation error: the continuum needs finer x̂); we
    # allow 2e-6 bits. The slope gives D = 1/(2β) to the same relative accuracy.
    beta = 1.0 / (2.0 * distortion)
    sol = blahut_arimoto(gaussian.px, gaussian.distortion, beta, tol=1e-9)
    assert sol.converged and sol.gap <= 1e-9
    assert sol.distortion == pytest.approx(distortion, rel=1e-5)
    exact = gaussian_mse_rd(gaussian.variance, sol.distortion)
    assert sol.rate == pytest.approx(exact, abs=2e-6)


def test_all_methods_reach_the_same_point():
    # Plain BA and SQUAREM (on a coarse grid, where they converge in reasonable time) agree
    # with CNM on the Lagrangian R + β D / ln 2, which every method's certificate brackets.
    coarse = gaussian_source(1.0, 41)
    beta = 2.0
    ref = blahut_arimoto(coarse.px, coarse.distortion, beta, tol=1e-10)
    slope = beta / math.log(2)
    best = ref.lower_bound + slope * ref.distortion  # ≤ the optimal Lagrangian
    for method in ("ba", "squarem"):
        sol = blahut_arimoto(coarse.px, coarse.distortion, beta, tol=1e-4, method=method)
        value = sol.rate + slope * sol.distortion
        assert best - 1e-12 <= value <= best + sol.gap + 1e-10
        assert sol.rate == pytest.approx(ref.rate, abs=1e-3)


def test_certificate_brackets_the_true_curve():
    # The lower bound never exceeds the closed form, and the rate never falls below it.
    for beta in (1.0, 2.0, 4.0):
        with pytest.warns(ConvergenceWarning, match=r"after 1 iterations \(max_iter\)"):
            sol = blahut_arimoto([0.7, 0.3], hamming(2), beta, tol=1e-3, max_iter=1, method="ba")
        exact = binary_hamming_rd(0.3, min(sol.distortion, 0.3))
        assert sol.lower_bound <= exact + 1e-12 <= sol.rate + 2e-12


def test_curve_matches_closed_form_at_every_point():
    src = binary_source(0.3)
    curve = rd_curve(src.px, src.distortion, n_points=25, tol=1e-10)
    exact = binary_hamming_rd(0.3, curve.distortion)
    np.testing.assert_allclose(curve.rate, exact, atol=1e-9)
    assert curve.distortion.max() == pytest.approx(0.3, abs=1e-6)  # starts at D_max
    assert curve.distortion.min() <= 3e-3  # reaches near D_min = 0


@pytest.mark.parametrize("eps", [0.0, 0.05, 0.11, 0.5])
def test_capacity_of_binary_symmetric_channel(eps):
    sol = channel_capacity([[1 - eps, eps], [eps, 1 - eps]], tol=1e-12)
    assert sol.capacity == pytest.approx(1.0 - binary_entropy(eps), abs=1e-12)
    assert sol.capacity <= sol.upper_bound + 1e-15


def test_capacity_of_z_channel_and_erasure_channel():
    z = channel_capacity([[1.0, 0.0], [0.5, 0.5]], tol=1e-12)
    assert z.capacity == pytest.approx(math.log2(5 / 4), abs=1e-10)
    np.testing.assert_allclose(z.input_pmf, [0.6, 0.4], atol=1e-6)
    erasure = channel_capacity([[0.8, 0.2, 0.0], [0.0, 0.2, 0.8]], tol=1e-12)
    assert erasure.capacity == pytest.approx(0.8, abs=1e-10)


def test_capacity_agrees_with_mutual_information_of_its_input():
    from ibkit import mutual_information

    w = np.random.default_rng(3).dirichlet(np.ones(6), size=5)
    sol = channel_capacity(w, tol=1e-8)
    joint = sol.input_pmf[:, None] * w
    assert mutual_information(joint) == pytest.approx(sol.capacity, abs=1e-12)
    assert 0 <= sol.gap <= 1e-8
