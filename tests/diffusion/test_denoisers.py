"""Denoisers (MLP, U-Net), images through DDPM and vlb_terms, batching, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ibkit.diffusion import (  # noqa: E402
    DDPM,
    GaussianOracleDenoiser,
    MLPDenoiser,
    UNet,
    gaussian_oracle,
    get_schedule,
    timestep_embedding,
    vlb_terms,
)
from ibkit.exceptions import (  # noqa: E402
    DataFormatError,
    InvalidParameterError,
    ShapeMismatchError,
)

torch.set_num_threads(1)


def test_timestep_embedding():
    emb = timestep_embedding(torch.tensor([0, 5, 999]), 7)
    assert emb.shape == (3, 7)
    torch.testing.assert_close(emb[0, :3], torch.ones(3))  # cos(0) = 1
    assert float(emb[1, 0]) == pytest.approx(math.cos(5.0))


@pytest.mark.parametrize(("size", "base"), [(8, 16), (64, 8)])
@pytest.mark.parametrize("learned", [False, True])
def test_unet_shapes(size, base, learned):
    net = UNet(size, base_channels=base, learned_variance=learned)
    x = torch.randn(2, 1, size, size)
    out = net(x, torch.tensor([0, 7]))
    assert out.shape == (2, 2 if learned else 1, size, size)
    assert net.data_shape == (1, size, size)


def test_unet_ddpm_on_8x8_images_with_the_discretised_decoder():
    torch.manual_seed(0)
    sched = get_schedule("cosine", 10)
    model = DDPM(UNet(8, base_channels=16, learned_variance=True), sched, variance="learned",
                 loss="hybrid", decoder="discretized")
    levels = torch.randint(0, 256, (6, 8, 8)).float() / 127.5 - 1  # (B, H, W) accepted
    terms = model(levels)
    terms.loss.backward()
    res = vlb_terms(model, levels, batch_size=16, generator=torch.Generator().manual_seed(0))
    assert res.nats.shape == (6, 11) and np.all(np.isfinite(res.nats))
    assert res.decoder == "discretized" and res.n_dims == 64
    assert np.all(res.nats[:, 0] > 0)  # −log of a probability
    samples = model.sample(3, generator=torch.Generator().manual_seed(0), clip_x0=True)
    assert samples.shape == (3, 1, 8, 8)


def test_discretised_decoder_with_17_levels_is_a_pmf_on_digit_grey_levels():
    sched = get_schedule("cosine", 5)
    model = DDPM(MLPDenoiser(64, hidden=8, depth=1), sched, decoder="discretized", bins=17)
    levels = torch.linspace(-1, 1, 17, dtype=torch.float64)
    mean, logvar = torch.full_like(levels, 0.3), torch.full_like(levels, math.log(0.2))
    nll = torch.stack([model.decoder_nll(v.reshape(1, 1), mean[:1].reshape(1, 1),
                                         logvar[:1].reshape(1, 1)) for v in levels])
    assert float(torch.exp(-nll).sum()) == pytest.approx(1.0, abs=1e-9)


def test_vlb_terms_chunking_progress_and_callback(capsys):
    sched = get_schedule("sqrt", 13)
    oracle = gaussian_oracle(sched, 2.0, dim=3)
    model = DDPM(GaussianOracleDenoiser(oracle), sched)
    x = torch.randn(5, 3, dtype=torch.float64)
    calls = []
    res = vlb_terms(model, x, batch_size=7, progress=True, callback=lambda d, n: calls.append(n))
    # 5 examples per chunk, 7 // 5 = 1 step per chunk: 13 chunks
    assert len(calls) == 13 and calls[-1] == 13 and res.nats.shape == (5, 14)
    assert "bound terms" in capsys.readouterr().err
    prior = 0.5 * (sched.alphas_cumprod[-1] * (x**2).sum(1).numpy() - 3 * sched.alphas_cumprod[-1]
                   - 3 * math.log(1 - sched.alphas_cumprod[-1]))
    np.testing.assert_allclose(res.nats[:, -1], prior, rtol=1e-9)
    table = res.table()
    assert table["term"][0] == "L_0" and table["term"][-1] == "L_13" and len(table["t"]) == 14
    # the same generator gives the same estimate
    again = vlb_terms(model, x, batch_size=7, generator=torch.Generator().manual_seed(4))
    twice = vlb_terms(model, x, batch_size=7, generator=torch.Generator().manual_seed(4))
    np.testing.assert_array_equal(again.nats, twice.nats)


def test_bad_input():
    sched = get_schedule("cosine", 10)
    net = MLPDenoiser(3, hidden=8, depth=1)
    for kw, match in [({"prediction": "score"}, "prediction must be one of"),
                      ({"variance": "huge"}, "variance must be one of"),
                      ({"loss": "l1"}, "loss must be one of"),
                      ({"decoder": "bernoulli"}, "decoder must be one of")]:
        with pytest.raises(InvalidParameterError, match=match):
            DDPM(net, sched, **kw)
    with pytest.raises(InvalidParameterError, match="schedule must be a NoiseSchedule"):
        DDPM(net, "cosine")
    with pytest.raises(InvalidParameterError, match="data_shape is needed"):
        DDPM(torch.nn.Identity(), sched)
    model = DDPM(net, sched, variance="learned")
    with pytest.raises(ShapeMismatchError, match=r"denoiser output must have shape \(4, 6\)"):
        model(torch.randn(4, 3))
    model = DDPM(net, sched)
    with pytest.raises(ShapeMismatchError, match=r"x must have shape \(batch, 3\)"):
        model(torch.randn(4, 5))
    with pytest.raises(DataFormatError, match="finite"):
        model(torch.tensor([[0.0, float("nan"), 1.0]]))
    with pytest.raises(DataFormatError, match="floating point"):
        vlb_terms(model, torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(DataFormatError, match=r"\[-1.0, 1.0\]|\[-1, 1\]|support|outside"):
        vlb_terms(model, torch.full((2, 3), 1.5), decoder="discretized")
    with pytest.raises(InvalidParameterError, match="batch_size must be >= 1"):
        vlb_terms(model, torch.zeros(2, 3), batch_size=0)
    with pytest.raises(InvalidParameterError, match="model must be a DDPM"):
        vlb_terms(net, torch.zeros(2, 3))
    with pytest.raises(InvalidParameterError, match="n must be >= 1"):
        model.sample(0)
    with pytest.raises(InvalidParameterError, match="bins must be >= 2"):
        DDPM(net, sched, bins=1)
    with pytest.raises(InvalidParameterError, match="image_size must be divisible"):
        UNet(10, channel_mults=(1, 2, 2))
