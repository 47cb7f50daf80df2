r"""Gaussian encoders :math:`q(z|x) = \mathcal N(\mu(x), \operatorname{diag}\sigma^2(x))`.

Every encoder maps a batch ``x`` of shape ``(B, *input_shape)`` to ``(mean, log_var)``, two
tensors of shape ``(B, latent_dim)``; ``log_var`` is the natural log of the variance.
Encoders do not validate their input: the models (:class:`~ibkit.nn.VAE`,
:class:`~ibkit.nn.VIBClassifier`) check each batch once against ``encoder.input_shape``.

References
----------
Kingma & Welling (2014), "Auto-encoding variational Bayes".
Burgess et al. (2018), "Understanding disentangling in β-VAE", appendix A.1 (architecture).
"""

from __future__ import annotations

import abc
import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_int
from ..exceptions import InvalidParameterError
from ._checks import as_shape

__all__ = ["ConvEncoder", "GaussianEncoder", "MLPEncoder", "mlp"]


def mlp(in_features: int, hidden: Sequence[int], out_features: int) -> nn.Sequential:
    """``Linear → ReLU`` for each width in ``hidden``, then a final ``Linear`` (no activation).

    ``hidden=()`` gives a single affine map (the linear-Gaussian models of probabilistic PCA).
    """
    widths = [in_features, *(check_int(h, "hidden", minimum=1) for h in hidden)]
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], out_features))
    return nn.Sequential(*layers)


class GaussianEncoder(nn.Module, metaclass=abc.ABCMeta):
    """Base class: subclasses set ``input_shape``, ``latent_dim`` and implement ``features``.

    ``features(x)`` returns ``(B, 2·latent_dim)``; the first half is the mean, the second the
    log-variance.
    """

    input_shape: tuple[int, ...]
    latent_dim: int

    @abc.abstractmethod
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Body of the network: ``(B, *input_shape) → (B, hidden)`` features."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mean, log_var)``, each ``(B, latent_dim)``."""
        h = self.features(x)  # (B, 2·latent_dim)
        mean, log_var = h.chunk(2, dim=-1)  # (B, latent_dim) each
        return mean, log_var


class MLPEncoder(GaussianEncoder):
    """Fully connected Gaussian encoder; images are flattened.

    Parameters
    ----------
    input_dim : int or tuple of int
        Features per example, or the shape of one example (e.g. ``(64, 64)``); flattened.
    latent_dim : int
        Dimension of z.
    hidden : tuple of int
        Hidden widths (ReLU); default ``(1200, 1200)`` as in Higgins et al. (2017) on dSprites.
        ``()`` gives a linear encoder.
    """

    def __init__(
        self, input_dim: int | Sequence[int], latent_dim: int, hidden: Sequence[int] = (1200, 1200)
    ) -> None:
        super().__init__()
        self.input_shape = as_shape(input_dim, "input_dim")
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.hidden = tuple(hidden)
        self.net = mlp(math.prod(self.input_shape), self.hidden, 2 * self.latent_dim)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(x.shape[0], -1))  # (B, D_in) -> (B, 2·latent_dim)


def check_image_size(image_size: int, n_layers: int = 4) -> int:
    """An image side must be a positive multiple of ``2**n_layers`` (each layer halves it)."""
    size = check_int(image_size, "image_size", minimum=1)
    if size % 2**n_layers:
        raise InvalidParameterError(
            f"image_size must be a multiple of {2**n_layers} ({n_layers} stride-2 layers); "
            f"got {size}"
        )
    return size


class ConvEncoder(GaussianEncoder):
    """The small convolutional encoder of Burgess et al. (2018) for square images.

    Four ``Conv2d(·, 32, kernel 4, stride 2, padding 1)`` + ReLU layers take ``(B, C, S, S)`` to
    ``(B, 32, S/16, S/16)``, then fully connected ReLU layers of widths ``hidden`` (default two
    of 256) and a linear layer to ``2·latent_dim``.

    Parameters
    ----------
    latent_dim : int
    channels : int
        Image channels C (1 for dSprites).
    image_size : int
        Side S of the square image; a multiple of 16 (64 for dSprites).
    hidden : tuple of int
        Widths of the fully connected layers after the convolutions.
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
        self.input_shape = (channels, size, size)
        convs: list[nn.Module] = []
        for c_in in (channels, 32, 32, 32):
            convs += [nn.Conv2d(c_in, 32, kernel_size=4, stride=2, padding=1), nn.ReLU()]
        self.conv = nn.Sequential(*convs)
        flat = 32 * (size // 16) ** 2
        self.head = mlp(flat, tuple(hidden), 2 * self.latent_dim)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.input_shape)  # (B, C, S, S)
        h = self.conv(x)  # (B, 32, S/16, S/16)
        return self.head(h.flatten(1))  # (B, 2·latent_dim)
