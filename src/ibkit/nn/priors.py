r"""Priors :math:`p(z)` of the VAE family: standard normal, learnable Gaussian mixture, VampPrior.

Each prior has ``latent_dim``, ``log_prob(z)`` (summed over the last axis, nats) and
``sample(n)``. Only :class:`StandardNormalPrior` has an analytic ``kl(mean, log_var)``
(``has_analytic_kl = True``); for the others the models estimate
:math:`\mathrm{KL}(q(z|x)\,\|\,p(z)) = E_q[\log q(z|x) - \log p(z)]` by Monte Carlo
(see :class:`~ibkit.nn.VAE`, argument ``kl_samples``).

References
----------
Tomczak & Welling (2018), "VAE with a VampPrior", AISTATS.
Dilokthanakul et al. (2016), "Deep unsupervised clustering with Gaussian mixture VAEs".
"""

from __future__ import annotations

import abc
import math

import torch
from torch import nn

from .._validation import check_int
from ..exceptions import ShapeMismatchError
from .encoders import GaussianEncoder

__all__ = ["MixturePrior", "Prior", "StandardNormalPrior", "VampPrior", "log_normal"]

_LOG_2PI = math.log(2.0 * math.pi)


def log_normal(z: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    r"""Elementwise Gaussian log-density (broadcasting), nats.

    .. math:: \log \mathcal N(z; \mu, \sigma^2) = -\tfrac12\big[(z-\mu)^2 e^{-\log\sigma^2}
              + \log\sigma^2 + \log 2\pi\big]
    """
    return -0.5 * ((z - mean).pow(2) * torch.exp(-log_var) + log_var + _LOG_2PI)


class Prior(nn.Module, metaclass=abc.ABCMeta):
    """Base class of the priors (``latent_dim``, ``log_prob``, ``sample``)."""

    has_analytic_kl: bool = False
    latent_dim: int

    @abc.abstractmethod
    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """``log p(z)``: ``(..., latent_dim) → (...)``, nats."""
        ...

    @abc.abstractmethod
    def sample(
        self, n: int, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` draws, ``(n, latent_dim)``."""
        ...

    def _device_dtype(self) -> tuple[torch.device, torch.dtype]:
        ref = next(iter(self.parameters()), None)
        ref = ref if ref is not None else next(iter(self.buffers()))
        return ref.device, ref.dtype


class StandardNormalPrior(Prior):
    r""":math:`p(z) = \mathcal N(0, I)` with the analytic KL of a diagonal Gaussian posterior.

    .. math:: \mathrm{KL}\big(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1)\big)
              = \tfrac12\big(\mu^2 + \sigma^2 - 1 - \log\sigma^2\big)\quad\text{per dimension}
    """

    has_analytic_kl = True

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.register_buffer("_ref", torch.zeros(()), persistent=False)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return (-0.5 * (z.pow(2) + _LOG_2PI)).sum(dim=-1)

    def kl(self, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        r"""Per-dimension KL, ``(B, latent_dim)`` nats; sum over the last axis for the total.

        .. math:: \mathrm{KL}\big(\mathcal N(\mu_j, \sigma_j^2)\,\|\,\mathcal N(0, 1)\big)
                  = \tfrac12\big(\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1\big)
        """
        return 0.5 * (mean.pow(2) + torch.exp(log_var) - 1.0 - log_var)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        device, dtype = self._device_dtype()
        n = check_int(n, "n", minimum=1)
        return torch.randn(n, self.latent_dim, device=device, dtype=dtype, generator=generator)


def _mixture_log_prob(
    z: torch.Tensor, means: torch.Tensor, log_vars: torch.Tensor, log_weights: torch.Tensor
) -> torch.Tensor:
    """``log Σ_k π_k N(z; μ_k, σ_k²)`` for z ``(..., D)``, components ``(K, D)``, ``(K,)``."""
    comp = log_normal(z.unsqueeze(-2), means, log_vars).sum(dim=-1)  # (..., K)
    return torch.logsumexp(comp + log_weights, dim=-1)  # (...)


def _mixture_sample(
    n: int, means: torch.Tensor, log_vars: torch.Tensor, log_weights: torch.Tensor,
    generator: torch.Generator | None,
) -> torch.Tensor:
    n = check_int(n, "n", minimum=1)
    k = torch.multinomial(log_weights.softmax(0), n, replacement=True, generator=generator)  # (n,)
    eps = torch.randn(n, means.shape[1], device=means.device, dtype=means.dtype,
                      generator=generator)  # (n, D)
    return means[k] + torch.exp(0.5 * log_vars[k]) * eps  # (n, D)


class MixturePrior(Prior):
    r"""Learnable mixture of K diagonal Gaussians.

    .. math:: p(z) = \sum_{k=1}^{K} \pi_k\, \mathcal N(z; \mu_k, \operatorname{diag}\sigma_k^2),
              \quad \pi = \operatorname{softmax}(\text{logits})

    Means start at draws from N(0, I), variances at 1, weights uniform; all are trained with the
    model. No analytic KL: the model uses a Monte Carlo estimate.
    """

    def __init__(self, latent_dim: int, n_components: int = 10) -> None:
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.n_components = check_int(n_components, "n_components", minimum=1)
        self.means = nn.Parameter(torch.randn(self.n_components, self.latent_dim))  # (K, D)
        self.log_vars = nn.Parameter(torch.zeros(self.n_components, self.latent_dim))  # (K, D)
        self.logits = nn.Parameter(torch.zeros(self.n_components))  # (K,)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return _mixture_log_prob(z, self.means, self.log_vars, self.logits.log_softmax(0))

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        with torch.no_grad():
            return _mixture_sample(n, self.means, self.log_vars, self.logits.log_softmax(0),
                                   generator)


class VampPrior(Prior):
    r"""VampPrior: the encoder's posteriors at K learnable pseudo-inputs, equally weighted.

    .. math:: p_\lambda(z) = \frac1K \sum_{k=1}^{K} q(z \mid u_k)

    Parameters
    ----------
    encoder : GaussianEncoder
        The VAE's own encoder (shared, so the prior moves with it during training).
    n_components : int
        K, the number of pseudo-inputs (Tomczak & Welling use 500 on MNIST).
    init : tensor, optional
        Initial pseudo-inputs ``(K, *encoder.input_shape)``, e.g. K random training examples.
        Default: N(0.05, 0.01²) draws, the paper's initialisation for images in [0, 1].
    """

    def __init__(
        self, encoder: GaussianEncoder, n_components: int = 500, init: torch.Tensor | None = None
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.latent_dim = int(encoder.latent_dim)
        self.n_components = check_int(n_components, "n_components", minimum=1)
        shape = (self.n_components, *encoder.input_shape)
        if init is None:
            init = 0.05 + 0.01 * torch.randn(shape)
        elif tuple(init.shape) != shape:
            raise ShapeMismatchError(f"init must have shape {shape}; got {tuple(init.shape)}")
        self.pseudo_inputs = nn.Parameter(init.detach().clone().float())  # (K, *input_shape)

    def components(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(means, log_vars)`` of the K components, each ``(K, latent_dim)``."""
        return self.encoder(self.pseudo_inputs)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        means, log_vars = self.components()  # (K, D) each
        log_w = torch.full((self.n_components,), -math.log(self.n_components),
                           device=z.device, dtype=z.dtype)
        return _mixture_log_prob(z, means, log_vars, log_w)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        with torch.no_grad():
            means, log_vars = self.components()
            log_w = torch.zeros(self.n_components, device=means.device, dtype=means.dtype)
            return _mixture_sample(n, means, log_vars, log_w, generator)
