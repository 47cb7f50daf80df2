"""build_model: every kind and option builds a working model; bad options are refused."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from ibkit import schedules  # noqa: E402
from ibkit.exceptions import InvalidParameterError, ShapeMismatchError  # noqa: E402
from ibkit.nn import (  # noqa: E402
    KINDS,
    VAE,
    BetaTCVAE,
    BetaVAE,
    CapacityVAE,
    ConvEncoder,
    GaussianDecoder,
    LossTerms,
    MixturePrior,
    VampPrior,
    VIBClassifier,
    build_model,
)

SMALL = {"hidden": (8,), "latent_dim": 2, "n_classes": 3, "dataset_size": 100}
EXPECTED = {"vae": VAE, "beta-vae": BetaVAE, "capacity-vae": CapacityVAE,
            "beta-tcvae": BetaTCVAE, "vib": VIBClassifier}


@pytest.mark.parametrize(
    ("kind", "architecture"),
    [(k, a) for k in KINDS for a in ("mlp", "conv") if (k, a) != ("vib", "conv")],  # VIB: MLP
)
def test_every_kind_builds_and_runs(kind, architecture):
    torch.manual_seed(0)
    shape = (1, 16, 16) if architecture == "conv" else (10,)
    model = build_model(kind, input_shape=shape, architecture=architecture, **SMALL)
    assert type(model) is EXPECTED[kind]
    x = torch.rand(6, *shape)
    t = model((x, torch.tensor([0, 1, 2, 0, 1, 2])), step=3)
    assert isinstance(t, LossTerms)
    t.loss.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_defaults_and_options_reach_the_model():
    m = build_model("beta-vae", input_shape=(64, 64), architecture="conv", likelihood="gaussian",
                    variance="learned", sigma=0.5, prior="mixture", n_components=7)
    assert isinstance(m.encoder, ConvEncoder) and m.encoder.input_shape == (1, 64, 64)
    assert isinstance(m.decoder, GaussianDecoder) and m.decoder.variance == "learned"
    assert isinstance(m.prior, MixturePrior) and m.prior.n_components == 7
    assert m.latent_dim == 10 and m.weight(0) == 4.0
    vamp = build_model("vae", input_shape=12, prior="vamp", hidden=(8,), n_components=5)
    assert isinstance(vamp.prior, VampPrior) and vamp.prior.encoder is vamp.encoder
    cap = build_model("capacity-vae", input_shape=12, hidden=(8,))
    assert cap.capacity(100_000) == 25.0 and cap.weight(0) == 1000.0
    warm = build_model("beta-vae", input_shape=12, hidden=(8,),
                       beta={"kind": "linear", "start": 0.0, "end": 2.0, "steps": 10})
    assert warm.weight(5) == pytest.approx(1.0)
    cyc = build_model("beta-vae", input_shape=12, hidden=(8,), beta=schedules.cyclical(100))
    assert cyc.weight(0) == 0.0
    vib = build_model("vib", input_shape=(8, 8), n_classes=10)
    assert vib.latent_dim == 256 and vib.n_samples == 12 and vib.weight(0) == 1e-3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "gan"}, InvalidParameterError, "kind"),
        ({"kind": "vae", "architecture": "rnn"}, InvalidParameterError, "architecture"),
        ({"kind": "vae", "likelihood": "poisson"}, InvalidParameterError, "likelihood"),
        ({"kind": "vae", "prior": "laplace"}, InvalidParameterError, "prior"),
        ({"kind": "vae", "latent_dim": 0}, InvalidParameterError, "latent_dim"),
        ({"kind": "vae", "input_shape": ()}, InvalidParameterError, "input_shape"),
        ({"kind": "vae", "input_shape": (0, 4)}, InvalidParameterError, "input_shape"),
        ({"kind": "vae", "architecture": "conv", "input_shape": (8, 16)}, ShapeMismatchError,
         "H == W"),
        ({"kind": "vae", "architecture": "conv", "input_shape": (20, 20)}, InvalidParameterError,
         "image_size"),
        ({"kind": "beta-vae", "beta": -1.0}, InvalidParameterError, "beta"),
        ({"kind": "capacity-vae", "gamma": -1.0}, InvalidParameterError, "gamma"),
        ({"kind": "beta-tcvae"}, InvalidParameterError, "dataset_size"),
        ({"kind": "vib"}, InvalidParameterError, "n_classes"),
        ({"kind": "vib", "n_classes": 3, "architecture": "conv"}, InvalidParameterError, "mlp"),
        ({"kind": "vib", "n_classes": 3, "prior": "vamp"}, InvalidParameterError, "prior"),
        ({"kind": "vae", "likelihood": "gaussian", "variance": "full"}, InvalidParameterError,
         "variance"),
    ],
)
def test_bad_options_are_refused(kwargs, error, match):
    kwargs = {"input_shape": (16, 16), "hidden": (4,), **kwargs}
    with pytest.raises(error, match=match):
        build_model(**kwargs)
