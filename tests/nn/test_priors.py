"""Priors and likelihoods against torch.distributions (an independent implementation)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch.distributions import (  # noqa: E402
    Bernoulli,
    Categorical,
    Independent,
    MixtureSameFamily,
    Normal,
    kl_divergence,
)

from ibkit.exceptions import IBKitError, ShapeMismatchError  # noqa: E402
from ibkit.nn import (  # noqa: E402
    BernoulliDecoder,
    GaussianDecoder,
    MixturePrior,
    MLPDecoderNet,
    MLPEncoder,
    StandardNormalPrior,
    VampPrior,
)


def test_analytic_kl_matches_torch_distributions_per_dimension():
    torch.manual_seed(0)
    mean, log_var = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 4, dtype=torch.float64)
    per_dim = StandardNormalPrior(4).kl(mean, log_var)  # (7, 4)
    ref = kl_divergence(Normal(mean, torch.exp(0.5 * log_var)), Normal(0.0, 1.0))
    torch.testing.assert_close(per_dim, ref.double(), rtol=1e-12, atol=1e-12)
    total = kl_divergence(
        Independent(Normal(mean, torch.exp(0.5 * log_var)), 1),
        Independent(Normal(torch.zeros(4).double(), torch.ones(4).double()), 1),
    )
    torch.testing.assert_close(per_dim.sum(1), total, rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    mean=st.lists(st.floats(-5, 5), min_size=1, max_size=6),
    log_var=st.floats(-8, 4),
)
def test_kl_is_nonnegative_and_zero_only_at_the_prior(mean, log_var):
    m = torch.tensor([mean], dtype=torch.float64)
    lv = torch.full_like(m, log_var)
    kl = StandardNormalPrior(len(mean)).kl(m, lv)
    assert bool((kl >= -1e-12).all())
    at_prior = StandardNormalPrior(len(mean)).kl(torch.zeros_like(m), torch.zeros_like(m))
    assert float(at_prior.abs().max()) == 0.0


def test_standard_normal_log_prob_and_sampling():
    torch.manual_seed(1)
    prior = StandardNormalPrior(3)
    z = torch.randn(5, 3)
    ref = Independent(Normal(torch.zeros(3), torch.ones(3)), 1).log_prob(z)
    torch.testing.assert_close(prior.log_prob(z), ref)
    s = prior.sample(20_000)
    assert s.shape == (20_000, 3)
    assert float(s.mean(0).abs().max()) < 0.05 and float((s.var(0) - 1).abs().max()) < 0.05


def test_mixture_prior_log_prob_matches_mixture_same_family():
    torch.manual_seed(2)
    prior = MixturePrior(3, n_components=4)
    with torch.no_grad():
        prior.log_vars.normal_()
        prior.logits.normal_()
    ref = MixtureSameFamily(
        Categorical(logits=prior.logits),
        Independent(Normal(prior.means, torch.exp(0.5 * prior.log_vars)), 1),
    )
    z = torch.randn(2, 6, 3)  # extra batch axes broadcast
    torch.testing.assert_close(prior.log_prob(z), ref.log_prob(z))
    assert prior.sample(10).shape == (10, 3)


def test_vamp_prior_is_the_encoder_mixture_at_pseudo_inputs():
    torch.manual_seed(3)
    encoder = MLPEncoder(8, 2, hidden=(16,))
    prior = VampPrior(encoder, n_components=5)
    mean, log_var = encoder(prior.pseudo_inputs)  # (5, 2)
    ref = MixtureSameFamily(
        Categorical(logits=torch.zeros(5)), Independent(Normal(mean, torch.exp(0.5 * log_var)), 1)
    )
    z = torch.randn(9, 2)
    torch.testing.assert_close(prior.log_prob(z), ref.log_prob(z))
    assert prior.sample(4).shape == (4, 2)
    with pytest.raises(ShapeMismatchError, match="init"):
        VampPrior(encoder, n_components=5, init=torch.zeros(4, 8))


def test_gaussian_decoder_is_full_negative_log_density():
    torch.manual_seed(4)
    dec = GaussianDecoder(MLPDecoderNet(2, (3, 4), hidden=(5,)), variance="fixed", sigma=0.7)
    z, x = torch.randn(6, 2), torch.randn(6, 3, 4)
    out = dec(z)  # (6, 3, 4)
    ref = Independent(Normal(out, 0.7), 2).log_prob(x)
    torch.testing.assert_close(dec.log_prob(x, out), ref)
    learned = GaussianDecoder(MLPDecoderNet(2, 12, hidden=()), variance="learned", sigma=2.0)
    assert learned.log_var.requires_grad and float(learned.log_var.detach()) == pytest.approx(
        2 * math.log(2.0)
    )


def test_bernoulli_decoder_matches_torch_bernoulli():
    torch.manual_seed(5)
    dec = BernoulliDecoder(MLPDecoderNet(2, (1, 4, 4), hidden=(8,)))
    z = torch.randn(3, 2)
    x = (torch.rand(3, 1, 4, 4) > 0.5).float()
    logits = dec(z)
    ref = Independent(Bernoulli(logits=logits), 3).log_prob(x)
    torch.testing.assert_close(dec.log_prob(x, logits), ref)
    torch.testing.assert_close(dec.mean(logits), torch.sigmoid(logits))


def test_bad_prior_and_decoder_options():
    with pytest.raises(IBKitError, match="latent_dim"):
        StandardNormalPrior(0)
    with pytest.raises(IBKitError, match="n_components"):
        MixturePrior(2, n_components=0)
    with pytest.raises(IBKitError, match="variance"):
        GaussianDecoder(MLPDecoderNet(2, 3, hidden=()), variance="diagonal")
    with pytest.raises(IBKitError, match="sigma"):
        GaussianDecoder(MLPDecoderNet(2, 3, hidden=()), sigma=0.0)
