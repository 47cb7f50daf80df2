"""IWAE log-likelihood: a bound between the ELBO and log p(x), exact for a linear-Gaussian model."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from ibkit.exceptions import IBKitError  # noqa: E402
from ibkit.nn import (  # noqa: E402
    VAE,
    BernoulliDecoder,
    BetaVAE,
    GaussianDecoder,
    MixturePrior,
    MLPDecoderNet,
    MLPEncoder,
    VampPrior,
    VIBClassifier,
    iwae_log_likelihood,
)

D, L = 8, 2


def _linear_gaussian() -> VAE:
    torch.manual_seed(0)
    dec = GaussianDecoder(MLPDecoderNet(L, D, hidden=()), variance="fixed", sigma=0.6)
    return VAE(MLPEncoder(D, L, hidden=(8,)), dec).double()


def _exact_log_marginal(model: VAE, x: torch.Tensor) -> torch.Tensor:
    """x ~ N(b, W Wᵀ + σ² I) for the linear decoder x = W z + b + σ ε, z ~ N(0, I)."""
    lin = model.decoder.net.net[0]
    cov = lin.weight @ lin.weight.T + model.decoder.log_var.exp() * torch.eye(D).double()
    return torch.distributions.MultivariateNormal(lin.bias, cov).log_prob(x)


def test_iwae_sits_between_elbo_and_exact_log_likelihood_and_grows_with_k():
    model = _linear_gaussian()
    x = torch.randn(40, D, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(2)
    with torch.no_grad():
        exact = float(_exact_log_marginal(model, x).mean())
        elbo = torch.stack([model(x).elbo for _ in range(200)])
        k1 = torch.stack([iwae_log_likelihood(model, x, n_importance=1).mean() for _ in range(200)])
        lk = {}
        for k in (10, 100):
            runs = [iwae_log_likelihood(model, x, k).mean() for _ in range(5)]
            lk[k] = float(torch.stack(runs).mean())
        big = float(iwae_log_likelihood(model, x, n_importance=4000, batch_size=8).mean())
    # K = 1 is the single-sample ELBO estimate: equal means (5 combined standard errors; the
    # untrained encoder makes the weights heavy-tailed, so single runs vary by ~1 nat).
    se = float((elbo.var() / 200 + k1.var() / 200).sqrt())
    assert float(k1.mean()) == pytest.approx(float(elbo.mean()), abs=5 * se)
    # L_K increases with K (measured: −21.4, −17.0, −16.96) towards log p(x) = −16.82.
    assert float(elbo.mean()) < lk[10] < lk[100] <= exact + 0.01
    assert big == pytest.approx(exact, abs=0.05)


@pytest.mark.parametrize("prior", ["mixture", "vamp"])
def test_iwae_works_with_every_prior_and_keeps_training_mode(prior):
    torch.manual_seed(3)
    enc = MLPEncoder(D, L, hidden=(8,))
    p = MixturePrior(L, 3) if prior == "mixture" else VampPrior(enc, 3)
    model = BetaVAE(enc, BernoulliDecoder(MLPDecoderNet(L, D, hidden=(8,))), p, beta=2.0)
    x = (torch.rand(10, D) > 0.5).float()
    model.train()
    out = iwae_log_likelihood(model, (x, torch.zeros(10)), n_importance=7, batch_size=3)
    assert out.shape == (10,) and bool(torch.isfinite(out).all()) and bool((out <= 0).all())
    assert model.training


def test_iwae_refuses_bad_arguments():
    model = _linear_gaussian()
    with pytest.raises(IBKitError, match="n_importance"):
        iwae_log_likelihood(model, torch.randn(3, D), n_importance=0)
    with pytest.raises(IBKitError, match="shape"):
        iwae_log_likelihood(model, torch.randn(3, D + 1))
    with pytest.raises(IBKitError, match="VAE-family"):
        iwae_log_likelihood(VIBClassifier(D, 3, latent_dim=2, hidden=()), torch.randn(3, D))
