"""KL-versus-timestep curves: the marginal and the posterior (linear-model) variants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit.diffusion import (
    covariance_spectrum,
    gaussian_oracle,
    get_schedule,
    kl_curves,
    marginal_kl_curve,
    posterior_kl_curve,
)
from ibkit.exceptions import DataFormatError, InvalidParameterError


def _whitened(n, d, s2, seed=0):
    """n points in R^d with mean 0 and covariance exactly s² I (ddof = 0)."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    x -= x.mean(axis=0)
    w = np.linalg.cholesky(np.cov(x.T, ddof=0))
    return np.linalg.solve(w, x.T).T * math.sqrt(s2)


def test_marginal_kl_is_the_average_of_per_example_gaussian_kls():
    s = get_schedule("linear", 100)
    x = np.random.default_rng(1).uniform(-1, 1, size=(50, 4))
    ab = s.alphas_cumprod[:, None, None]
    mean, var = np.sqrt(ab) * x[None], 1 - ab  # (T, n, d), (T, 1, 1)
    kl = 0.5 * (var + mean**2 - 1 - np.log(var))  # KL(N(m, v) ‖ N(0, 1)) per coordinate
    want = kl.sum(axis=2).mean(axis=1)  # (T,)
    np.testing.assert_allclose(marginal_kl_curve(s, x), want, rtol=1e-10)
    bits = marginal_kl_curve(s, x, base=2, per_dim=True)
    np.testing.assert_allclose(bits, want / (4 * math.log(2)), rtol=1e-10)


@pytest.mark.parametrize("name", ["cosine", "sqrt", "scaled_linear"])
def test_posterior_curve_is_the_oracle_for_gaussian_moments(name):
    s = get_schedule(name, 300)
    x = _whitened(400, 3, 0.7)
    np.testing.assert_allclose(covariance_spectrum(x), 0.7, rtol=1e-10)
    oracle = gaussian_oracle(s, 0.7, dim=3)
    np.testing.assert_allclose(posterior_kl_curve(s, x), oracle.terms[1:-1], rtol=1e-8,
                               atol=1e-13)


def test_curves_relations_and_labels():
    s = get_schedule("cosine", 200)
    x = np.random.default_rng(2).uniform(-1, 1, size=(30, 100))  # n < D: Gram-matrix route
    c = kl_curves(s, x)
    assert c.units == "bits/dim" and c.schedule == "cosine"
    assert c.t.tolist() == list(range(1, 201)) and c.posterior_t[0] == 2
    assert np.all(c.marginal >= c.information - 1e-12)  # KL to N(0, I) ≥ I(x0; x_t)
    assert np.all(np.diff(c.marginal) < 0) and np.all(c.posterior >= -1e-15)
    # telescoping: Σ_{t≥2} L_{t−1} = I(x0; x1) − I(x0; x_T)
    assert c.posterior.sum() == pytest.approx(c.information[0] - c.information[-1], rel=1e-10)
    eig = covariance_spectrum(x)
    assert eig.shape == (100,) and np.count_nonzero(eig > 1e-12) <= 29
    np.testing.assert_allclose(eig.sum(), np.var(x, axis=0).sum(), rtol=1e-10)


def test_bad_input():
    s = get_schedule("cosine", 10)
    with pytest.raises(DataFormatError, match="finite"):
        marginal_kl_curve(s, [[0.0, np.nan]])
    with pytest.raises(DataFormatError, match="non-empty"):
        posterior_kl_curve(s, np.zeros((0, 3)))
    with pytest.raises(InvalidParameterError, match="schedule must be a NoiseSchedule"):
        kl_curves("cosine", np.zeros((3, 2)))
    with pytest.raises(InvalidParameterError, match="base"):
        kl_curves(s, np.zeros((3, 2)), base=1.0)
