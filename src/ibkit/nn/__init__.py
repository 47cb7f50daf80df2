"""Neural bottlenecks [torch]: encoders/decoders, priors, VAE family, VIB, trainer.

Importing this package needs the ``torch`` extra (``pip install ibkit[torch]``).
Every model is an ``nn.Module`` whose ``forward(batch, step=0)`` returns :class:`LossTerms`.
"""

from __future__ import annotations

from .adversarial import fgsm_error, fgsm_perturb
from .autoregressive import MADEDecoder
from .decoders import (
    BernoulliDecoder,
    ConvDecoderNet,
    GaussianDecoder,
    LikelihoodDecoder,
    MLPDecoderNet,
)
from .encoders import ConvEncoder, GaussianEncoder, MLPEncoder
from .factory import KINDS, build_model
from .iwae import iwae_log_likelihood
from .priors import MixturePrior, Prior, StandardNormalPrior, VampPrior
from .terms import LossTerms
from .trainer import TrainConfig, Trainer, TrainResult
from .vae import VAE, BetaTCVAE, BetaVAE, CapacityVAE
from .vib import VIBClassifier

__all__ = [
    "KINDS",
    "VAE",
    "BernoulliDecoder",
    "BetaTCVAE",
    "BetaVAE",
    "CapacityVAE",
    "ConvDecoderNet",
    "ConvEncoder",
    "GaussianDecoder",
    "GaussianEncoder",
    "LikelihoodDecoder",
    "LossTerms",
    "MADEDecoder",
    "MLPDecoderNet",
    "MLPEncoder",
    "MixturePrior",
    "Prior",
    "StandardNormalPrior",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "VIBClassifier",
    "VampPrior",
    "build_model",
    "fgsm_error",
    "fgsm_perturb",
    "iwae_log_likelihood",
]
