"""The Gaussian oracle: closed-form terms, the entropy identity, and suboptimal variances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit.diffusion import gaussian_oracle, get_schedule, linear_reverse_terms
from ibkit.exceptions import InvalidParameterError, ShapeMismatchError

SCHEDULES = ["linear", "scaled_linear", "cosine", "sqrt", "sigmoid", "sigmoid_alpha_bar",
             "log_snr"]


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("s2", [0.1, 1.0, 3.0])
def test_decomposition_sums_to_entropy_plus_prior_kl(name, s2):
    # (i) Σ_k L_k = h(x0) + KL(q(x_T) ‖ N(0, I)) in float64, terms from the generic Gaussian KL.
    oracle = gaussian_oracle(get_schedule(name, 1000), s2, dim=3)
    h = 1.5 * math.log(2 * math.pi * math.e * s2)
    v_t = oracle.marginal_variance[-1]
    assert oracle.total == pytest.approx(h + 1.5 * (v_t - 1 - math.log(v_t)), abs=1e-12)
    assert abs(oracle.terms.sum() - oracle.total) < 1e-9
    # every term equals its mutual-information form: L_{t−1} = I(x0;x_{t−1}) − I(x0;x_t)
    np.testing.assert_allclose(oracle.terms, oracle.information_terms(), rtol=0, atol=1e-9)
    assert np.all(oracle.terms[1:-1] >= -1e-15)


def test_optimal_reverse_kernel_is_the_gaussian_conditional():
    # a_t, σ*²_t from the joint covariance of (x_{t−1}, x_t) directly.
    s = get_schedule("cosine", 50)
    o = gaussian_oracle(s, 0.5)
    v = o.marginal_variance
    cov = np.sqrt(s.alphas) * v[:-1]
    np.testing.assert_allclose(o.mean_coef, cov / v[1:], rtol=1e-12)
    np.testing.assert_allclose(o.variance, v[:-1] - cov**2 / v[1:], rtol=1e-9)
    # ε̂, x̂0, v̂ all give the same reverse mean through μ̃(x̂0, x_t)
    x0_from_eps = (1 - s.sqrt_one_minus_alphas_cumprod * o.eps_coef) / s.sqrt_alphas_cumprod
    x0_from_v = s.sqrt_alphas_cumprod - s.sqrt_one_minus_alphas_cumprod * o.v_coef
    np.testing.assert_allclose(x0_from_eps, o.x0_coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x0_from_v, o.x0_coef, rtol=1e-9, atol=1e-12)
    mean = s.posterior_mean_coef1 * o.x0_coef + s.posterior_mean_coef2
    np.testing.assert_allclose(mean, o.mean_coef, rtol=1e-9)


@pytest.mark.parametrize("name", ["linear", "cosine", "sqrt"])
@pytest.mark.parametrize("s2", [0.25, 4.0])
def test_fixed_variances_are_strictly_worse(name, s2):
    # (iii) β̃_t (fixed small) and β_t (fixed large) are not σ*²_t unless s² = 1 (β_t is then
    # optimal for t ≥ 2, Ho et al. §3.2), so their totals sit strictly above the optimum.
    o = gaussian_oracle(get_schedule(name, 500), s2)
    for variance in ("fixed_small", "fixed_large"):
        terms = o.fixed_variance_terms(variance)
        assert terms.sum() > o.total + 1e-6
        assert np.all(terms >= o.terms - 1e-12)  # term by term, too


def test_any_other_linear_model_is_worse():
    s = get_schedule("linear", 200)
    o = gaussian_oracle(s, 2.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        m = o.mean_coef * (1 + 0.01 * rng.normal(size=s.T))
        var = o.variance * np.exp(0.1 * rng.normal(size=s.T))
        assert linear_reverse_terms(s, 2.0, m, var).sum() > o.total


def test_unit_variance_data_make_fixed_large_optimal():
    o = gaussian_oracle(get_schedule("cosine", 100), 1.0)
    np.testing.assert_allclose(o.variance, o.schedule.betas, rtol=1e-12)
    assert o.fixed_variance_terms("fixed_large").sum() == pytest.approx(o.total, abs=1e-9)


def test_bad_input():
    s = get_schedule("cosine", 10)
    with pytest.raises(InvalidParameterError, match=r"s2 must be > 0; got -1\.0"):
        gaussian_oracle(s, -1.0)
    with pytest.raises(InvalidParameterError, match="dim must be >= 1"):
        gaussian_oracle(s, 1.0, dim=0)
    with pytest.raises(InvalidParameterError, match="schedule must be a NoiseSchedule"):
        gaussian_oracle("cosine", 1.0)
    with pytest.raises(ShapeMismatchError, match=r"shape \(10,\)"):
        linear_reverse_terms(s, 1.0, np.ones(3), np.ones(3))
    with pytest.raises(InvalidParameterError, match=r"variance\[2\] = 0.0"):
        linear_reverse_terms(s, 1.0, np.ones(10), np.r_[1.0, 1.0, 0.0, np.ones(7)])
    with pytest.raises(InvalidParameterError, match="variance must be one of"):
        gaussian_oracle(s, 1.0).fixed_variance_terms("tiny")
