r"""Decoders :math:`p(x|z)`: a body network ``z → (B, *output_shape)`` and a likelihood on top.

Bodies (:class:`MLPDecoderNet`, :class:`ConvDecoderNet`) produce one tensor shaped like the
data; the likelihood decoders read it as Bernoulli logits (:class:`BernoulliDecoder`) or as a
Gaussian mean (:class:`GaussianDecoder`). ``log_prob(x, out)`` is the full log-density summed over
pixels, so the model's distortion :math:`-\log p(x|z)` is in nats per example.

References
----------
Kingma & Welling (2014), "Auto-encoding variational Bayes", appendix C.
Burgess et al. (2018), "Understanding disentangling in β-VAE", appendix A.1.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_int, check_positive
from ._checks import as_shape
from .encoders import check_image_size, mlp

__all__ = [
    "BernoulliDecoder",
    "ConvDecoderNet",
    "GaussianDecoder",
    "LikelihoodDecoder",
    "MLPDecoderNet",
]

_LOG_2PI = math.log(2.0 * math.pi)


class MLPDecoderNet(nn.Module):
    """Fully connected body ``(B, latent_dim) → (B, *output_shape)`` (ReLU hidden layers).

    ``hidden=()`` gives an affine map (probabilistic PCA's decoder ``Wz + μ``).
    """

    def __init__(
        self,
        latent_dim: int,
        output_shape: int | Sequence[int],
        hidden: Sequence[int] = (1200, 1200, 1200),
    ) -> None:
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.output_shape = as_shape(output_shape, "output_shape")
        self.net = mlp(self.latent_dim, tuple(hidden), math.prod(self.output_shape))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).reshape(z.shape[0], *self.output_shape)  # (B, *output_shape)


class ConvDecoderNet(nn.Module):
    """Transposed-convolution body mirroring :class:`~ibkit.nn.ConvEncoder`.

    ``Linear`` layers of widths ``hidden`` then ``32·(S/16)²`` (ReLU), reshaped to
    ``(B, 32, S/16, S/16)``, then four ``ConvTranspose2d(kernel 4, stride 2, padding 1)`` layers
    (ReLU between them) up to ``(B, channels, S, S)``.
    """

    def __init__(
        self,
        latent_dim: int,
        channels: int = 1,
        image_size: int = 64,
        hidden: Sequence[int] = (256, 256),
    ) -> None:
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        channels = check_int(channels, "channels", minimum=1)
        size = check_image_size(image_size)
        self.output_shape = (channels, size, size)
        self._start = (32, size // 16, size // 16)
        self.head = nn.Sequential(mlp(self.latent_dim, tuple(hidden), math.prod(self._start)),
                                  nn.ReLU())
        layers: list[nn.Module] = []
        for i, c_out in enumerate((32, 32, 32, channels)):
            layers.append(nn.ConvTranspose2d(32, c_out, kernel_size=4, stride=2, padding=1))
            if i < 3:
                layers.append(nn.ReLU())
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.head(z).reshape(z.shape[0], *self._start)  # (B, 32, S/16, S/16)
        return self.deconv(h)  # (B, C, S, S)


class LikelihoodDecoder(nn.Module, metaclass=abc.ABCMeta):
    """Base class: ``forward(z)`` gives the body's output, ``log_prob(x, out)`` scores data."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.latent_dim: int = int(net.latent_dim)
        self.output_shape: tuple[int, ...] = tuple(net.output_shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Distribution parameters, ``(B, *output_shape)``."""
        return self.net(z)

    @abc.abstractmethod
    def log_prob(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """``log p(x|z)`` per example, ``(B,)`` nats, for ``out = self(z)``."""
        ...

    @abc.abstractmethod
    def mean(self, out: torch.Tensor) -> torch.Tensor:
        """``E[x|z]``, ``(B, *output_shape)``."""
        ...

    support: tuple[float, float] | None = None
    """Closed interval the data must lie in (None: any finite value)."""


class BernoulliDecoder(LikelihoodDecoder):
    r"""Bernoulli pixels with logits :math:`\ell = f(z)`.

    .. math:: -\log p(x|z) = \sum_i \mathrm{BCEWithLogits}(\ell_i, x_i)

    Targets may be binary or grey levels in [0, 1] (the continuous relaxation commonly used on
    MNIST/dSprites); values outside [0, 1] are refused.
    """

    support = (0.0, 1.0)

    def log_prob(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        bce = F.binary_cross_entropy_with_logits(out, x, reduction="none")  # (B, *shape)
        return -bce.flatten(1).sum(dim=1)  # (B,)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(out)


class GaussianDecoder(LikelihoodDecoder):
    r"""Gaussian pixels with mean :math:`\mu(z)` and one shared variance :math:`\sigma^2`.

    .. math:: -\log p(x|z) = \tfrac12 \sum_{i=1}^{D}
              \Big[\frac{(x_i-\mu_i)^2}{\sigma^2} + \log \sigma^2 + \log 2\pi\Big]

    the full negative log-density in nats (constant included), so the ELBO is a true lower
    bound on :math:`\log p(x)`.

    Parameters
    ----------
    net : body module
    variance : {"fixed", "learned"}
        ``"fixed"``: σ = ``sigma`` throughout; ``"learned"``: one learnable log σ² shared by all
        pixels (homoscedastic, as in probabilistic PCA), initialised at ``sigma``.
    sigma : float
        Standard deviation (initial value when learned), > 0.
    """

    def __init__(self, net: nn.Module, variance: str = "fixed", sigma: float = 1.0) -> None:
        super().__init__(net)
        self.variance = check_choice(variance, "variance", ("fixed", "learned"))
        sigma = check_positive(sigma, "sigma")
        log_var = torch.tensor(2.0 * math.log(sigma))
        if self.variance == "learned":
            self.log_var = nn.Parameter(log_var)
        else:
            self.register_buffer("log_var", log_var)

    def log_prob(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        log_var = self.log_var.to(out.dtype)
        sq = (x - out).pow(2).flatten(1)  # (B, D)
        d = sq.shape[1]
        return -0.5 * (sq.sum(dim=1) * torch.exp(-log_var) + d * (log_var + _LOG_2PI))  # (B,)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        return out
