"""MADEDecoder: autoregressive masks, exact normalisation, sampling, and VAE wiring."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from ibkit.exceptions import IBKitError, InvalidParameterError, ShapeMismatchError  # noqa: E402
from ibkit.nn import BetaVAE, MADEDecoder, MLPEncoder, build_model  # noqa: E402
from ibkit.nn.autoregressive import made_masks  # noqa: E402
from ibkit.nn.iwae import iwae_log_likelihood  # noqa: E402


def _decoder(latent=3, shape=(2, 3), hidden=(16, 16), seed=0):
    torch.manual_seed(seed)
    return MADEDecoder(latent, shape, hidden).double()


def _all_binary(d):
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=d)), dtype=torch.float64)


@pytest.mark.parametrize("hidden", [(16,), (16, 16), (5, 7)])
def test_logit_i_depends_only_on_earlier_pixels(hidden):
    dec = _decoder(hidden=hidden)
    z = torch.randn(1, 3, dtype=torch.float64)
    out = dec(z)
    x = torch.rand(1, 2, 3, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: dec.logits(v, out)[0], x)  # (6, 1, 2, 3)
    jac = jac.reshape(6, 6)
    upper = torch.triu(torch.ones(6, 6, dtype=torch.bool))  # j >= i
    assert torch.all(jac[upper] == 0.0)
    # the masks themselves connect every earlier pixel when the widths allow it
    masks = made_masks(6, (16, 16))
    path = masks[2] @ masks[1] @ masks[0]  # (6, 6) number of paths j → i
    assert torch.equal(path > 0, ~upper)


def test_perturbing_later_pixels_leaves_earlier_logits_unchanged():
    dec = _decoder(shape=10, hidden=(32,))
    out = dec(torch.randn(4, 3, dtype=torch.float64))
    x = torch.rand(4, 10, dtype=torch.float64)
    base = dec.logits(x, out)
    for i in range(10):
        y = x.clone()
        y[:, i:] = torch.rand(4, 10 - i, dtype=torch.float64)
        assert torch.allclose(dec.logits(y, out)[:, : i + 1], base[:, : i + 1], atol=0, rtol=0)


def test_log_prob_equals_direct_sum_of_conditionals():
    dec = _decoder(shape=5, hidden=(12,))
    out = dec(torch.randn(3, 3, dtype=torch.float64))
    x = torch.rand(3, 5, dtype=torch.float64)
    direct = torch.zeros(3, dtype=torch.float64)
    for i in range(5):
        masked = x.clone()
        masked[:, i:] = 0.0  # logit i must not see pixels ≥ i
        p = torch.sigmoid(dec.logits(masked, out)[:, i])
        direct += x[:, i] * torch.log(p) + (1 - x[:, i]) * torch.log1p(-p)
    assert torch.allclose(dec.log_prob(x, out), direct, atol=1e-12)


def test_probabilities_sum_to_one_over_all_binary_images():
    dec = _decoder(shape=(2, 2), hidden=(8, 8))
    z = torch.randn(3, 3, dtype=torch.float64)
    xs = _all_binary(4)  # (16, 4)
    for row in z:
        out = dec(row.expand(16, 3))
        total = torch.logsumexp(dec.log_prob(xs.reshape(16, 2, 2), out), dim=0)
        assert abs(float(total.detach())) < 1e-12


def test_sample_shape_values_and_frequencies():
    dec = _decoder(shape=3, hidden=(8,))
    z = torch.randn(1, 3, dtype=torch.float64)
    n = 4000
    out = dec(z.expand(n, 3))
    gen = torch.Generator().manual_seed(0)
    x = dec.sample(out, gen)
    assert x.shape == (n, 3) and set(x.unique().tolist()) <= {0.0, 1.0}
    xs = _all_binary(3)  # (8, 3)
    exact = torch.exp(dec.log_prob(xs, out[:8]))  # (8,) probabilities of each image
    freq = torch.stack([(x == v).all(dim=1).double().mean() for v in xs])
    assert torch.allclose(freq, exact, atol=0.03)
    # mean(): one-path conditional probabilities, unbiased for E[x|z]
    mean = dec.mean(out)
    assert mean.shape == (n, 3) and torch.all((mean >= 0) & (mean <= 1))
    assert torch.allclose(mean.mean(dim=0), exact @ xs, atol=0.03)


def test_in_a_vae_forward_decode_sample_and_iwae():
    torch.manual_seed(0)
    model = BetaVAE(MLPEncoder((4, 4), 2, (16,)), MADEDecoder(2, (4, 4), (32,)), beta=1.0)
    x = torch.rand(5, 4, 4)
    terms = model(x)
    assert torch.isfinite(terms.loss) and terms.rate_per_dim.shape == (2,)
    terms.loss.backward()
    assert model.decoder.context.weight.grad.abs().sum() > 0
    assert model.reconstruct(x).shape == (5, 4, 4)
    assert model.sample(3, generator=torch.Generator().manual_seed(0)).shape == (3, 4, 4)
    ll = iwae_log_likelihood(model, x, n_importance=4)
    assert ll.shape == (5,) and torch.all(torch.isfinite(ll))


def test_build_model_bernoulli_ar():
    m = build_model("beta-vae", input_shape=16, latent_dim=2, hidden=(8,),
                    likelihood="bernoulli-ar", beta=1.0)
    assert isinstance(m.decoder, MADEDecoder) and m.decoder.hidden == (8,)
    with pytest.raises(InvalidParameterError, match="architecture"):
        build_model("vae", input_shape=(16, 16), architecture="conv", likelihood="bernoulli-ar")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"latent_dim": 0}, "latent_dim"), ({"hidden": ()}, "hidden"), ({"hidden": (4, 0)}, "hidden"),
     ({"output_shape": (0, 3)}, "output_shape")],
)
def test_bad_arguments_are_refused(kwargs, match):
    args = {"latent_dim": 2, "output_shape": 4, "hidden": (4,)} | kwargs
    with pytest.raises(IBKitError, match=match):
        MADEDecoder(**args)


def test_data_outside_unit_interval_is_refused():
    torch.manual_seed(0)
    model = BetaVAE(MLPEncoder(4, 2, (8,)), MADEDecoder(2, 4, (8,)))
    with pytest.raises(IBKitError):
        model(torch.full((2, 4), 2.0))


def test_mismatched_context_or_input_is_refused():
    dec = _decoder(shape=4, hidden=(8,))
    out = dec(torch.randn(2, 3, dtype=torch.float64))
    with pytest.raises(ShapeMismatchError, match="out"):
        dec.log_prob(torch.rand(2, 4, dtype=torch.float64), out[:, :5])
    with pytest.raises(ShapeMismatchError, match="x"):
        dec.log_prob(torch.rand(2, 5, dtype=torch.float64), out)
