"""Build any model of :mod:`ibkit.nn` from plain options (what the CLI and configs call).

``build_model("beta-vae", input_shape=(1, 64, 64), architecture="conv", beta=4.0)`` returns a
ready :class:`~ibkit.nn.BetaVAE`; every option is checked and an unknown kind or option value
raises :class:`~ibkit.exceptions.InvalidParameterError`. Options a kind does not use are ignored
(so one config can carry them all), except where they would contradict it (a ``conv`` or
non-normal prior VIB).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from .. import schedules
from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ._checks import Schedule, as_shape
from .autoregressive import MADEDecoder
from .decoders import BernoulliDecoder, ConvDecoderNet, GaussianDecoder, MLPDecoderNet
from .encoders import ConvEncoder, GaussianEncoder, MLPEncoder
from .priors import MixturePrior, Prior, StandardNormalPrior, VampPrior
from .vae import VAE, BetaTCVAE, BetaVAE, CapacityVAE
from .vib import VIBClassifier

__all__ = ["KINDS", "build_model"]

KINDS = ("vae", "beta-vae", "capacity-vae", "beta-tcvae", "vib")
ARCHITECTURES = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian", "bernoulli-ar")
PRIORS = ("normal", "mixture", "vamp")

_DEFAULT_BETA = {"beta-vae": 4.0, "beta-tcvae": 6.0, "vib": 1e-3}
_DEFAULT_GAMMA = {"capacity-vae": 1000.0, "beta-tcvae": 1.0}


def build_model(
    kind: str,
    *,
    input_shape: int | Sequence[int],
    latent_dim: int | None = None,
    architecture: str = "mlp",
    likelihood: str = "bernoulli",
    hidden: Sequence[int] | None = None,
    beta: float | Mapping[str, Any] | Schedule | None = None,
    gamma: float | None = None,
    alpha: float = 1.0,
    capacity: float | Mapping[str, Any] | Schedule | None = None,
    prior: str = "normal",
    n_components: int | None = None,
    n_classes: int | None = None,
    dataset_size: int | None = None,
    variance: str = "fixed",
    sigma: float = 1.0,
    kl_samples: int = 1,
    n_samples: int = 12,
) -> nn.Module:
    """Build a model of one of the :data:`KINDS` from plain options.

    Parameters
    ----------
    input_shape : int or tuple of int
        Shape of one example: ``(D,)``, ``(H, W)`` or ``(C, H, W)``; ``conv`` needs a square
        image whose side is a multiple of 16.
    latent_dim : int, optional
        Default 10 (VAEs), 256 (VIB, Alemi et al.).
    architecture : {"mlp", "conv"}
        ``mlp``: encoder widths ``hidden`` (default 1200-1200), decoder the reverse
        (default 1200-1200-1200, Higgins et al.); ``conv``: Burgess et al.'s 4-layer conv net,
        fully connected widths ``hidden`` (default 256-256). VIB: MLP only (default 1024-1024).
    likelihood : {"bernoulli", "gaussian", "bernoulli-ar"}
        Decoder p(x|z); ``variance`` ("fixed" | "learned") and ``sigma`` set the Gaussian's.
        ``"bernoulli-ar"``: the autoregressive :class:`~ibkit.nn.MADEDecoder` (masked hidden
        layers ``reversed(hidden)``, or one of 512 if ``hidden=()``; ``architecture="mlp"`` only).
    beta : float, schedule dict or callable, optional
        β-VAE default 4, β-TCVAE 6 (weight on the total correlation), VIB 10⁻³.
    gamma : float, optional
        Capacity-VAE γ (default 1000), β-TCVAE weight on the dimension-wise KL (default 1).
    alpha : float
        β-TCVAE weight on the index-code mutual information.
    capacity : float, schedule dict or callable, optional
        Capacity-VAE C(step) in nats; default 0 → 25 nats linearly over 100 000 steps.
    prior : {"normal", "mixture", "vamp"}
        ``n_components`` defaults to 10 (mixture) or 500 (VampPrior).
    n_classes : int
        VIB only (required).
    dataset_size : int
        β-TCVAE only (required): N of the minibatch-weighted sampling estimator.
    kl_samples : int
        Monte Carlo KL samples for non-normal priors.
    n_samples : int
        VIB prediction samples S.
    """
    kind = check_choice(kind, "kind", KINDS)
    architecture = check_choice(architecture, "architecture", ARCHITECTURES)
    likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
    prior = check_choice(prior, "prior", PRIORS)
    shape = as_shape(input_shape, "input_shape")
    beta = _DEFAULT_BETA.get(kind, 1.0) if beta is None else beta
    if kind == "vib":
        return _build_vib(shape, latent_dim, architecture, hidden, beta, prior, n_classes,
                          n_samples)
    latent = check_int(10 if latent_dim is None else latent_dim, "latent_dim", minimum=1)
    encoder, decoder = _build_pair(shape, latent, architecture, likelihood, hidden, variance,
                                   sigma)
    p = _build_prior(prior, encoder, latent, n_components)
    gamma = _DEFAULT_GAMMA.get(kind, 1.0) if gamma is None else gamma
    if kind == "vae":
        return VAE(encoder, decoder, p, kl_samples=kl_samples)
    if kind == "beta-vae":
        return BetaVAE(encoder, decoder, p, beta=beta, kl_samples=kl_samples)
    if kind == "capacity-vae":
        cap = schedules.capacity(25.0, 100_000) if capacity is None else capacity
        return CapacityVAE(encoder, decoder, p, gamma=gamma, capacity=cap, kl_samples=kl_samples)
    if dataset_size is None:
        raise InvalidParameterError("beta-tcvae needs dataset_size (N of the MWS estimator)")
    return BetaTCVAE(encoder, decoder, p, beta=beta, dataset_size=dataset_size, alpha=alpha,
                     gamma=gamma)


def _image_geometry(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(channels, side)`` of a square image shape ``(H, W)`` or ``(C, H, W)``."""
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ShapeMismatchError(
            f"architecture='conv' needs input_shape (H, W) or (C, H, W) with H == W; got {shape}"
        )
    return shape[0], shape[1]


def _build_pair(
    shape: tuple[int, ...], latent: int, architecture: str, likelihood: str,
    hidden: Sequence[int] | None, variance: str, sigma: float,
) -> tuple[GaussianEncoder, Any]:
    if likelihood == "bernoulli-ar":
        if architecture != "mlp":
            raise InvalidParameterError(
                f"likelihood='bernoulli-ar' needs architecture='mlp'; got {architecture!r}")
        enc_w = (1200, 1200) if hidden is None else tuple(hidden)
        dec_w = tuple(reversed(enc_w)) or (512,)
        return MLPEncoder(shape, latent, enc_w), MADEDecoder(latent, shape, dec_w)
    if architecture == "conv":
        channels, side = _image_geometry(shape)
        widths = (256, 256) if hidden is None else tuple(hidden)
        encoder: GaussianEncoder = ConvEncoder(latent, channels, side, widths)
        net: nn.Module = ConvDecoderNet(latent, channels, side, tuple(reversed(widths)))
    else:
        enc_w = (1200, 1200) if hidden is None else tuple(hidden)
        dec_w = (1200, 1200, 1200) if hidden is None else tuple(reversed(enc_w))
        encoder = MLPEncoder(shape, latent, enc_w)
        net = MLPDecoderNet(latent, shape, dec_w)
    if likelihood == "bernoulli":
        return encoder, BernoulliDecoder(net)
    return encoder, GaussianDecoder(net, variance=variance, sigma=sigma)


def _build_prior(
    prior: str, encoder: GaussianEncoder, latent: int, n_components: int | None
) -> Prior:
    if prior == "normal":
        return StandardNormalPrior(latent)
    if prior == "mixture":
        return MixturePrior(latent, 10 if n_components is None else n_components)
    return VampPrior(encoder, 500 if n_components is None else n_components)


def _build_vib(
    shape: tuple[int, ...], latent_dim: int | None, architecture: str,
    hidden: Sequence[int] | None, beta: Any, prior: str, n_classes: int | None, n_samples: int,
) -> VIBClassifier:
    if architecture != "mlp":
        raise InvalidParameterError(f"vib supports architecture='mlp' only; got {architecture!r}")
    if prior != "normal":
        raise InvalidParameterError(f"vib uses the standard normal prior; got prior={prior!r}")
    if n_classes is None:
        raise InvalidParameterError("vib needs n_classes")
    return VIBClassifier(
        shape, n_classes,
        latent_dim=256 if latent_dim is None else latent_dim,
        hidden=(1024, 1024) if hidden is None else tuple(hidden),
        beta=beta, n_samples=n_samples,
    )
