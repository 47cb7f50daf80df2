"""VAE, β-VAE and capacity-VAE: the reported terms and the losses built from them."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from ibkit import schedules  # noqa: E402
from ibkit.exceptions import (  # noqa: E402
    DataFormatError,
    IBKitError,
    InvalidParameterError,
    ShapeMismatchError,
)
from ibkit.nn import (  # noqa: E402
    VAE,
    BernoulliDecoder,
    BetaVAE,
    CapacityVAE,
    ConvDecoderNet,
    ConvEncoder,
    GaussianDecoder,
    LossTerms,
    MixturePrior,
    MLPDecoderNet,
    MLPEncoder,
    VampPrior,
)

D, L = 12, 3


def _parts(seed: int = 0):
    torch.manual_seed(seed)
    return MLPEncoder(D, L, hidden=(16,)), BernoulliDecoder(MLPDecoderNet(L, D, hidden=(16,)))


def _data(n: int = 32) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return (torch.rand(n, D, generator=g) > 0.5).float()


def test_terms_identities_standard_normal_prior():
    model = VAE(*_parts())
    torch.manual_seed(2)
    t = model(_data())
    assert isinstance(t, LossTerms) and t.weight == 1.0
    torch.testing.assert_close(t.elbo, -(t.rate + t.distortion))
    torch.testing.assert_close(t.loss, t.rate + t.distortion)
    assert t.rate_per_dim.shape == (L,)
    torch.testing.assert_close(t.rate_per_dim.sum(), t.rate)
    s = t.scalars()
    assert s["rate_bits"] == pytest.approx(s["rate"] / math.log(2))


def test_rate_is_analytic_kl_of_the_encoder_posterior():
    model = VAE(*_parts())
    x = _data()
    mean, log_var = model.encode(x)
    expected = (0.5 * (mean**2 + log_var.exp() - 1 - log_var)).sum(1).mean()
    torch.testing.assert_close(model(x).rate, expected)


def test_beta_vae_with_beta_one_is_the_vae():
    x = _data()
    vae, beta_vae = VAE(*_parts()), BetaVAE(*_parts(), beta=1.0)
    torch.manual_seed(3)
    a = vae(x)
    torch.manual_seed(3)
    b = beta_vae(x)
    for name in ("loss", "rate", "distortion", "elbo"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name))


def test_beta_vae_loss_and_schedule_evaluated_at_step():
    model = BetaVAE(*_parts(), beta=schedules.linear(0.0, 8.0, steps=100))
    t = model(_data(), step=25)
    assert t.weight == pytest.approx(2.0)
    torch.testing.assert_close(t.loss, t.distortion + 2.0 * t.rate)
    assert BetaVAE(*_parts(), beta=lambda step: 0.5 * step)(_data(), step=4).weight == 2.0


@pytest.mark.parametrize("capacity", [0.0, 0.5, 5.0])
def test_capacity_loss_formula(capacity):
    model = CapacityVAE(*_parts(), gamma=100.0, capacity=capacity)
    t = model(_data(), step=7)
    assert t.weight == 100.0 and float(t.extra["capacity"]) == capacity
    torch.testing.assert_close(t.loss, t.distortion + 100.0 * (t.rate - capacity).abs())
    ramp = CapacityVAE(*_parts(), capacity=schedules.capacity(25.0, steps=100))
    assert float(ramp(_data(), step=40).extra["capacity"]) == pytest.approx(10.0)


@pytest.mark.parametrize("prior_kind", ["mixture", "vamp"])
def test_monte_carlo_kl_for_non_analytic_priors(prior_kind):
    enc, dec = _parts()
    prior = MixturePrior(L, 4) if prior_kind == "mixture" else VampPrior(enc, 4, init=_data(4))
    model = VAE(enc, dec, prior, kl_samples=4)
    t = model(_data())
    assert t.rate_per_dim is None
    torch.testing.assert_close(t.elbo, -(t.rate + t.distortion))
    t.loss.backward()  # gradients reach the prior's parameters
    params = [prior.means] if prior_kind == "mixture" else [prior.pseudo_inputs]
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params)


def test_monte_carlo_kl_is_unbiased_against_the_analytic_one():
    # A one-component "mixture" at N(0, I) is the standard normal: MC KL must average to the
    # analytic KL (tolerance: 5 standard errors of the mean over 400 single-sample passes).
    enc, dec = _parts()
    prior = MixturePrior(L, 1)
    with torch.no_grad():
        prior.means.zero_()
    model = VAE(enc, dec, prior)
    x = _data(8)
    analytic = float(VAE(enc, dec)(x).rate.detach())
    torch.manual_seed(4)
    draws = torch.stack([model(x).rate.detach() for _ in range(400)])
    assert float(draws.mean()) == pytest.approx(analytic, abs=5 * float(draws.std()) / 20)


def test_encode_decode_reconstruct_sample_shapes_conv():
    torch.manual_seed(5)
    enc = ConvEncoder(L, channels=1, image_size=16, hidden=(8,))
    model = VAE(enc, BernoulliDecoder(ConvDecoderNet(L, 1, 16, hidden=(8,))))
    x = torch.rand(4, 1, 16, 16)
    mean, log_var = model.encode(x)
    assert mean.shape == log_var.shape == (4, L)
    assert model.decode(mean).shape == (4, 1, 16, 16)
    assert model.reconstruct(x[:, 0]).shape == (4, 1, 16, 16)  # (B, H, W) accepted for C = 1
    s = model.sample(3)
    assert s.shape == (3, 1, 16, 16) and bool(((s >= 0) & (s <= 1)).all())
    assert model(x.flatten(1)).rate.shape == ()


def test_gaussian_vae_accepts_real_data_and_float64_input():
    torch.manual_seed(6)
    model = VAE(MLPEncoder(D, L, hidden=()), GaussianDecoder(MLPDecoderNet(L, D, hidden=())))
    t = model(torch.randn(5, D, dtype=torch.float64))  # cast to the model's dtype
    assert t.loss.dtype == torch.float32 and math.isfinite(float(t.loss.detach()))


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        (torch.rand(4, D + 1), ShapeMismatchError, "shape"),
        (torch.rand(D), ShapeMismatchError, "shape"),
        (torch.ones(4, D, dtype=torch.int64), DataFormatError, "floating"),
        (torch.full((4, D), float("nan")), DataFormatError, "finite"),
        (torch.rand(4, D) + 1.0, DataFormatError, r"\[0, 1\]"),
        (torch.rand(0, D), DataFormatError, "empty"),
        ([1, 2, 3], DataFormatError, "batch"),
        ("x", DataFormatError, "batch"),
    ],
)
def test_bad_batches_are_refused(batch, error, match):
    with pytest.raises(error, match=match):
        VAE(*_parts())(batch)


def test_bad_options_are_refused():
    enc, dec = _parts()
    with pytest.raises(InvalidParameterError, match="beta"):
        BetaVAE(enc, dec, beta=-1.0)
    with pytest.raises(InvalidParameterError, match="beta"):
        BetaVAE(enc, dec, beta=float("nan"))
    with pytest.raises(InvalidParameterError, match=r"beta\(step=3\)"):
        BetaVAE(enc, dec, beta=lambda step: -1.0)(_data(), step=3)
    with pytest.raises(InvalidParameterError, match="capacity"):
        CapacityVAE(enc, dec, capacity=-2.0)
    with pytest.raises(ShapeMismatchError, match="latent_dim"):
        VAE(enc, BernoulliDecoder(MLPDecoderNet(L + 1, D, hidden=())))
    with pytest.raises(ShapeMismatchError, match="output_shape"):
        VAE(enc, BernoulliDecoder(MLPDecoderNet(L, D + 2, hidden=())))
    with pytest.raises(IBKitError, match="image_size"):
        ConvEncoder(L, image_size=20)
    with pytest.raises(IBKitError, match="kl_samples"):
        VAE(enc, dec, kl_samples=0)


def test_conv_nets_follow_burgess_et_al():
    enc = ConvEncoder(10)  # 64×64×1 → 4 × [conv 32 4×4 stride 2] → 256 → 256 → 2·10
    convs = [m for m in enc.conv if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(32, (4, 4), (2, 2))] * 4
    assert [m.out_features for m in enc.head if isinstance(m, torch.nn.Linear)] == [256, 256, 20]
    dec = ConvDecoderNet(10, channels=3, image_size=32)
    assert dec(torch.zeros(2, 10)).shape == (2, 3, 32, 32)


def test_sampling_is_reproducible_with_a_generator():
    model = VAE(*_parts())
    a = model.sample(4, generator=torch.Generator().manual_seed(7))
    b = model.sample(4, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a, b)
