"""DDPM and vlb_terms against the Gaussian oracle; KLs, likelihoods vs torch.distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from ibkit.diffusion import (  # noqa: E402
    DDPM,
    GaussianOracleDenoiser,
    MLPDenoiser,
    discretized_gaussian_log_likelihood,
    gaussian_log_likelihood,
    gaussian_oracle,
    get_schedule,
    normal_kl,
    vlb_terms,
)
from ibkit.nn.terms import LossTerms  # noqa: E402

torch.set_num_threads(1)
S2, DIM, N = 0.3, 2, 3000


def _oracle_model(name="linear", T=100, prediction="eps", variance="learned", s2=S2):
    sched = get_schedule(name, T)
    oracle = gaussian_oracle(sched, s2, dim=DIM)
    net = GaussianOracleDenoiser(oracle, prediction=prediction,
                                 learned_variance=variance == "learned")
    return DDPM(net, sched, prediction=prediction, variance=variance), oracle


def _data(n=N, s2=S2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, DIM, generator=g, dtype=torch.float64) * math.sqrt(s2)


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
@pytest.mark.parametrize("variance", ["learned", "fixed_small", "fixed_large"])
def test_vlb_terms_match_the_oracle_closed_form(prediction, variance):
    # (ii) the oracle denoiser in a DDPM: the Monte Carlo bound (one x_t per example and step)
    # agrees with the closed form within 4 standard errors, in total and term by term.
    model, oracle = _oracle_model("cosine" if prediction == "v" else "linear",
                                  prediction=prediction, variance=variance)
    want = oracle.terms if variance == "learned" else oracle.fixed_variance_terms(variance)
    res = vlb_terms(model, _data(), batch_size=30_000, generator=torch.Generator().manual_seed(1))
    assert res.nats.shape == (N, 101) and res.nats.dtype == np.float64
    mean, se = res.total()
    assert abs(mean - want.sum()) < 4 * se, (mean, se, want.sum())
    z = np.abs(res.mean() - want) / np.maximum(res.stderr(), 1e-12)
    assert np.mean(z < 4) > 0.98  # ~0.006 % of terms may exceed 4 SE by chance
    np.testing.assert_allclose(res.nats[:, -1].mean(), want[-1], rtol=0.05)
    bpd = res.total(bits_per_dim=True)[0]
    assert bpd == pytest.approx(mean / (DIM * math.log(2)))


def test_fixed_variances_are_worse_by_monte_carlo_too():
    results = {}
    for variance in ("learned", "fixed_small", "fixed_large"):
        model, oracle = _oracle_model(variance=variance)
        results[variance] = vlb_terms(model, _data(), generator=torch.Generator().manual_seed(2))
    best, se = results["learned"].total()
    assert best == pytest.approx(oracle.total, abs=4 * se)
    for variance in ("fixed_small", "fixed_large"):
        diff = results[variance].total_nats - results["learned"].total_nats  # paired
        assert diff.mean() > 4 * diff.std(ddof=1) / math.sqrt(diff.size)


def test_training_loss_estimates_the_bound_without_bias():
    # rate + distortion of forward() is T·L_t + L_T at a random t: unbiased for Σ_k L_k.
    model, oracle = _oracle_model(T=25)
    torch.manual_seed(3)
    est = []
    for _ in range(10):
        terms = model(_data(n=4000, seed=len(est) + 10))
        est.append(float(terms.rate + terms.distortion))
        assert float(terms.elbo) == pytest.approx(-est[-1])
    mean, se = np.mean(est), np.std(est, ddof=1) / math.sqrt(len(est))
    assert abs(mean - oracle.total) < 4 * se


def test_kl_and_likelihoods_match_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    m1, m2, lv1, lv2 = (torch.randn(1000, generator=g, dtype=torch.float64) for _ in range(4))
    want = kl_divergence(Normal(m1, torch.exp(0.5 * lv1)), Normal(m2, torch.exp(0.5 * lv2)))
    torch.testing.assert_close(normal_kl(m1, lv1, m2, lv2), want)
    x = torch.randn(1000, generator=g, dtype=torch.float64)
    torch.testing.assert_close(gaussian_log_likelihood(x, m1, lv1),
                               Normal(m1, torch.exp(0.5 * lv1)).log_prob(x))


@settings(max_examples=40, deadline=None)
@given(st.floats(-3.0, 3.0), st.floats(1e-3, 3.0))
def test_discretized_decoder_sums_to_one_for_any_gaussian(mean, std):
    levels = torch.linspace(-1, 1, 256, dtype=torch.float64)
    logp = discretized_gaussian_log_likelihood(
        levels, torch.full_like(levels, mean), torch.full_like(levels, 2 * math.log(std))
    )
    assert torch.all(torch.isfinite(logp)) and torch.all(logp <= 0)
    assert float(torch.logsumexp(logp, 0).exp()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("mean", "std"), [(0.0, 0.5), (0.9, 0.01), (-0.99, 0.003), (5.0, 0.2)])
def test_discretized_decoder_is_a_pmf_over_the_levels(mean, std):
    levels = torch.linspace(-1, 1, 256, dtype=torch.float64)
    mu, lv = torch.full_like(levels, mean), torch.full_like(levels, 2 * math.log(std))
    logp = discretized_gaussian_log_likelihood(levels, mu, lv)
    assert torch.all(torch.isfinite(logp))
    assert float(torch.logsumexp(logp, 0).exp()) == pytest.approx(1.0, abs=1e-9)
    normal = torch.distributions.Normal(mean, std)
    inner = slice(100, 140)  # bins away from the edges: Φ(x + 1/255) − Φ(x − 1/255)
    x = levels[inner]
    direct = normal.cdf(x + 1 / 255) - normal.cdf(x - 1 / 255)
    keep = direct > 1e-300
    torch.testing.assert_close(logp[inner][keep], torch.log(direct[keep]), rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("loss", ["simple", "vlb", "hybrid"])
@pytest.mark.parametrize("variance", ["fixed_small", "learned"])
def test_forward_returns_loss_terms_and_trains(loss, variance):
    torch.manual_seed(0)
    net = MLPDenoiser(DIM, hidden=32, depth=2, learned_variance=variance == "learned")
    model = DDPM(net, get_schedule("cosine", 50), variance=variance, loss=loss)
    terms = model((_data(n=64).float(), torch.zeros(64)), step=5)
    assert isinstance(terms, LossTerms) and terms.weight == 1.0
    assert terms.loss.shape == () and torch.isfinite(terms.loss)
    scalars = terms.scalars()
    assert {"loss", "rate", "distortion", "elbo", "mse", "bits_per_dim"} <= set(scalars)
    terms.loss.backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and torch.all(torch.isfinite(g)) for g in grads)


def test_hybrid_loss_freezes_the_mean_in_the_bound_term():
    class Split(torch.nn.Module):  # separate parameters for the mean and the variance outputs
        data_shape = (DIM,)

        def __init__(self):
            super().__init__()
            self.mean = torch.nn.Parameter(torch.tensor(0.1))
            self.var = torch.nn.Parameter(torch.tensor(0.0))

        def forward(self, x, t):
            return torch.cat([self.mean * x, self.var * torch.ones_like(x)], dim=1)

    x = _data(n=256).float()
    grads = {}
    for loss in ("simple", "hybrid"):
        net = Split()
        model = DDPM(net, get_schedule("linear", 100), variance="learned", loss=loss)
        torch.manual_seed(7)
        model(x).loss.backward()
        grads[loss] = (float(net.mean.grad), net.var.grad)
    assert grads["hybrid"][0] == pytest.approx(grads["simple"][0], rel=1e-6)
    assert grads["simple"][1] is None or float(grads["simple"][1]) == 0.0
    assert float(grads["hybrid"][1]) != 0.0


def test_training_improves_the_bound():
    torch.manual_seed(0)
    # linear, not cosine: cosine's clipped β_T = 0.999 amplifies ε-errors 1/√α_T ≈ 32-fold
    sched = get_schedule("linear", 50)
    model = DDPM(MLPDenoiser(DIM, hidden=64, depth=2), sched, variance="fixed_large")
    x = _data(n=1024).float()
    gen = torch.Generator().manual_seed(0)
    before = vlb_terms(model, x[:512], generator=gen).total()[0]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(250):
        idx = torch.randint(0, x.shape[0], (128,))
        opt.zero_grad()
        model(x[idx]).loss.backward()
        opt.step()
    after, se = vlb_terms(model, x[:512], generator=gen).total()
    # the best fixed-large model is the oracle mean with σ² = β_t: within 0.3 nats of it
    best = gaussian_oracle(sched, S2, dim=DIM).fixed_variance_terms("fixed_large").sum()
    assert after < before / 10 and after < best + 0.3 + 4 * se


def test_oracle_sampling_reproduces_the_data_distribution():
    model, _ = _oracle_model(T=100)
    x = model.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (20_000, DIM) and x.dtype == torch.float64
    # x_T ~ N(0, 1) instead of N(0, v_T): negligible, v_T = 1 − ᾱ_T (1 − s²) with ᾱ_T ≈ 4e-4
    var = x.var(dim=0)
    assert torch.all((var - S2).abs() < 4 * S2 * math.sqrt(2 / 20_000) + 1e-3)
    again = model.sample(20_000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(x, again)
