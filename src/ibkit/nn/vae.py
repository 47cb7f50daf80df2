r"""The VAE family: VAE (eq. 17), β-VAE (eq. 18), capacity-controlled β-VAE, β-TCVAE.

All four share one forward pass: encode, reparameterise, decode, and report the terms
(:class:`~ibkit.nn.LossTerms`, batch means in nats)

.. math:: \text{rate} = E_x\,\mathrm{KL}(q(z|x)\,\|\,p(z)), \qquad
          \text{distortion} = -E_x E_{q(z|x)} \log p(x|z), \qquad
          \text{elbo} = -(\text{rate} + \text{distortion});

they differ only in the loss built from these terms.

Rate: analytic for :class:`~ibkit.nn.StandardNormalPrior` (also per dimension). For the mixture
and VampPrior the KL has no closed form and is estimated by Monte Carlo,
:math:`\frac1S\sum_s [\log q(z_s|x) - \log p(z_s)]`, with ``kl_samples = S``: ``S = 1`` reuses
the single reparameterised sample fed to the decoder (the usual, unbiased single-sample
estimator); ``S > 1`` draws S fresh samples for the KL only (lower variance, S× the prior cost).

References
----------
Kingma & Welling (2014), "Auto-encoding variational Bayes".
Higgins et al. (2017), "β-VAE: learning basic visual concepts with a constrained variational
framework".
Burgess et al. (2018), "Understanding disentangling in β-VAE".
Chen et al. (2018), "Isolating sources of disentanglement in variational autoencoders".
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .._validation import check_int
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ._checks import Schedule, check_features, make_schedule, split_batch, weight_at
from .decoders import LikelihoodDecoder
from .encoders import GaussianEncoder
from .priors import Prior, StandardNormalPrior, log_normal
from .terms import LossTerms

__all__ = ["VAE", "BetaTCVAE", "BetaVAE", "CapacityVAE"]


class VAE(nn.Module):
    r"""Variational auto-encoder maximising the ELBO (eq. 17 of the reference text).

    .. math:: \mathcal L = E_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z)),
              \qquad \text{loss} = -\mathcal L = \text{distortion} + \text{rate}

    Parameters
    ----------
    encoder : GaussianEncoder
        ``x → (mean, log_var)``, ``(B, latent_dim)`` each.
    decoder : LikelihoodDecoder
        ``z → `` distribution parameters with ``log_prob``; ``prod(output_shape)`` must equal
        ``prod(encoder.input_shape)``.
    prior : Prior, optional
        Default :class:`~ibkit.nn.StandardNormalPrior`.
    kl_samples : int
        Monte Carlo samples for the KL when the prior has no analytic KL (see module notes).
    """

    def __init__(
        self,
        encoder: GaussianEncoder,
        decoder: LikelihoodDecoder,
        prior: Prior | None = None,
        *,
        kl_samples: int = 1,
    ) -> None:
        super().__init__()
        latent = int(encoder.latent_dim)
        prior = StandardNormalPrior(latent) if prior is None else prior
        for name, part in (("decoder", decoder), ("prior", prior)):
            if int(part.latent_dim) != latent:
                raise ShapeMismatchError(
                    f"{name}.latent_dim must equal encoder.latent_dim={latent}; "
                    f"got {part.latent_dim}"
                )
        if math.prod(decoder.output_shape) != math.prod(encoder.input_shape):
            raise ShapeMismatchError(
                f"decoder.output_shape {decoder.output_shape} does not match "
                f"encoder.input_shape {encoder.input_shape}"
            )
        self.encoder, self.decoder, self.prior = encoder, decoder, prior
        self.latent_dim = latent
        self.input_shape: tuple[int, ...] = tuple(encoder.input_shape)
        self.kl_samples = check_int(kl_samples, "kl_samples", minimum=1)

    # ------------------------------------------------------------------ building blocks
    def prepare(self, batch: Any) -> torch.Tensor:
        """Validate a batch (tensor ``x`` or ``(x, y)``, ``y`` ignored) → ``(B, *output_shape)``,
        on the model's device and dtype."""
        x, _ = split_batch(batch)
        ref = next(self.encoder.parameters())
        x = check_features(x, self.input_shape, "x", support=self.decoder.support)
        x = x.to(device=ref.device, dtype=ref.dtype)
        return x.reshape(x.shape[0], *self.decoder.output_shape)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, log_var)`` of q(z|x), each ``(B, latent_dim)``; ``x`` is validated."""
        return self.encoder(self.prepare(x))

    @staticmethod
    def reparameterize(mean: torch.Tensor, log_var: torch.Tensor, n: int | None = None
                       ) -> torch.Tensor:
        r""":math:`z = \mu + \sigma \odot \varepsilon`; ``(B, D)`` or ``(n, B, D)`` if ``n``."""
        shape = mean.shape if n is None else (n, *mean.shape)
        eps = torch.randn(shape, device=mean.device, dtype=mean.dtype)
        return mean + torch.exp(0.5 * log_var) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``E[x|z]``, ``(B, *output_shape)`` (sigmoid of the logits for Bernoulli)."""
        return self.decoder.mean(self.decoder(z))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """``E[x | z = mean of q(z|x)]``, ``(B, *output_shape)`` (deterministic)."""
        mean, _ = self.encode(x)
        return self.decode(mean)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples' means ``E[x|z]``, z ~ p(z): ``(n, *output_shape)``."""
        return self.decode(self.prior.sample(n, generator=generator))

    def rate_terms(
        self, mean: torch.Tensor, log_var: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-example KL ``(B,)`` and per-dimension KL ``(B, D)`` (None if not analytic)."""
        if getattr(self.prior, "has_analytic_kl", False):
            per_dim = self.prior.kl(mean, log_var)  # (B, D)
            return per_dim.sum(dim=1), per_dim
        if self.kl_samples > 1:
            z = self.reparameterize(mean, log_var, self.kl_samples)  # (S, B, D)
        log_q = log_normal(z, mean, log_var).sum(dim=-1)  # (B,) or (S, B)
        kl = log_q - self.prior.log_prob(z)
        return (kl.mean(dim=0) if kl.ndim == 2 else kl), None

    # ------------------------------------------------------------------ forward
    def weight(self, step: int) -> float:
        """The weight on the rate at ``step`` (1 for the plain VAE)."""
        return 1.0

    def forward(self, batch: Any, step: int = 0) -> LossTerms:
        """Terms of one batch (tensor ``x`` or ``(x, y)``); ``step`` drives the schedules."""
        x = self.prepare(batch)  # (B, *output_shape)
        mean, log_var = self.encoder(x)  # (B, D) each
        z = self.reparameterize(mean, log_var)  # (B, D)
        log_px = self.decoder.log_prob(x, self.decoder(z))  # (B,)
        rate_i, per_dim = self.rate_terms(mean, log_var, z)  # (B,), (B, D) | None
        rate, distortion = rate_i.mean(), -log_px.mean()
        loss, weight, extra = self.objective(rate, distortion, mean, log_var, z, step)
        return LossTerms(
            loss=loss,
            rate=rate,
            distortion=distortion,
            weight=weight,
            elbo=-(rate + distortion),
            rate_per_dim=None if per_dim is None else per_dim.mean(dim=0),
            extra=extra,
        )

    def objective(
        self,
        rate: torch.Tensor,
        distortion: torch.Tensor,
        mean: torch.Tensor,
        log_var: torch.Tensor,
        z: torch.Tensor,
        step: int,
    ) -> tuple[torch.Tensor, float, dict[str, torch.Tensor]]:
        """``(loss, weight, extra)`` from the batch terms; subclasses change the loss."""
        beta = self.weight(step)
        return distortion + beta * rate, beta, {}


class BetaVAE(VAE):
    r"""β-VAE (eq. 18 of the reference text): the KL term weighted by β(step).

    .. math:: \mathcal L_\beta = E_{q(z|x)}[\log p(x|z)] - \beta\,\mathrm{KL}(q(z|x)\,\|\,p(z)),
              \qquad \text{loss} = \text{distortion} + \beta\cdot\text{rate}

    ``beta`` is a float ≥ 0 or a schedule ``Callable[[int], float]`` (:mod:`ibkit.schedules`:
    monotonic warm-up, cyclical, ...), evaluated at the ``step`` given to ``forward``.
    β = 1 is the plain VAE.
    """

    def __init__(
        self,
        encoder: GaussianEncoder,
        decoder: LikelihoodDecoder,
        prior: Prior | None = None,
        *,
        beta: float | Schedule = 4.0,
        kl_samples: int = 1,
    ) -> None:
        super().__init__(encoder, decoder, prior, kl_samples=kl_samples)
        self.beta = make_schedule(beta, "beta")

    def weight(self, step: int) -> float:
        return weight_at(self.beta, step, "beta")


class CapacityVAE(VAE):
    r"""Capacity-controlled β-VAE (Burgess et al. 2018).

    .. math:: \text{loss} = \text{distortion} + \gamma\,\big|\,\text{rate} - C(\text{step})\big|

    ``capacity`` C is in nats: a float or a schedule (the paper raises C linearly from 0 to
    25 nats over 10⁵ steps, γ = 1000). ``LossTerms.weight`` is γ; ``extra["capacity"]`` is C.
    """

    def __init__(
        self,
        encoder: GaussianEncoder,
        decoder: LikelihoodDecoder,
        prior: Prior | None = None,
        *,
        gamma: float = 1000.0,
        capacity: float | Schedule = 25.0,
        kl_samples: int = 1,
    ) -> None:
        super().__init__(encoder, decoder, prior, kl_samples=kl_samples)
        self.gamma = make_schedule(gamma, "gamma")
        self.capacity = make_schedule(capacity, "capacity")

    def weight(self, step: int) -> float:
        return weight_at(self.gamma, step, "gamma")

    def objective(
        self,
        rate: torch.Tensor,
        distortion: torch.Tensor,
        mean: torch.Tensor,
        log_var: torch.Tensor,
        z: torch.Tensor,
        step: int,
    ) -> tuple[torch.Tensor, float, dict[str, torch.Tensor]]:
        """``distortion + γ·|rate − C(step)|``; ``extra = {"capacity": C}``."""
        gamma = self.weight(step)
        c = weight_at(self.capacity, step, "capacity")
        loss = distortion + gamma * (rate - c).abs()
        return loss, gamma, {"capacity": torch.as_tensor(c, dtype=rate.dtype, device=rate.device)}


class BetaTCVAE(VAE):
    r"""β-TCVAE (Chen et al. 2018) with the minibatch-weighted sampling (MWS) estimator.

    With :math:`\log \hat q(z_i) = \operatorname{logsumexp}_j \log q(z_i|x_j) - \log(NM)` (batch
    of M, dataset of N) and the same per dimension, the KL splits into

    .. math:: \underbrace{E[\log q(z|x) - \log\hat q(z)]}_{\text{index\_code\_mi}}
              + \underbrace{E[\log\hat q(z) - \textstyle\sum_j\log\hat q(z_j)]}
                _{\text{total\_correlation}}
              + \underbrace{E[\textstyle\sum_j\log\hat q(z_j) - \log p(z)]}
                _{\text{dimension\_wise\_kl}}

    (the three sum exactly to ``extra["kl_mc"]`` :math:`= E[\log q(z|x) - \log p(z)]`, the
    single-sample KL estimate) and the loss is
    ``distortion + α·index_code_mi + β·total_correlation + γ·dimension_wise_kl``.
    ``rate`` stays the analytic KL. The prior must factorise (standard normal).
    """

    def __init__(
        self,
        encoder: GaussianEncoder,
        decoder: LikelihoodDecoder,
        prior: Prior | None = None,
        *,
        beta: float | Schedule = 6.0,
        dataset_size: int,
        alpha: float = 1.0,
        gamma: float = 1.0,
    ) -> None:
        super().__init__(encoder, decoder, prior)
        if not isinstance(self.prior, StandardNormalPrior):
            raise InvalidParameterError(
                "BetaTCVAE needs a factorised prior (StandardNormalPrior) for the dimension-wise "
                f"KL; got {type(self.prior).__name__}"
            )
        self.beta = make_schedule(beta, "beta")
        self.alpha = make_schedule(alpha, "alpha")
        self.gamma = make_schedule(gamma, "gamma")
        self.dataset_size = check_int(dataset_size, "dataset_size", minimum=1)

    def weight(self, step: int) -> float:
        return weight_at(self.beta, step, "beta")

    def decomposition(
        self, mean: torch.Tensor, log_var: torch.Tensor, z: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """MWS estimates ``index_code_mi``, ``total_correlation``, ``dimension_wise_kl``,
        ``kl_mc`` (batch means, nats) from ``(B, D)`` posteriors and samples."""
        m = z.shape[0]
        if m > self.dataset_size:
            raise InvalidParameterError(
                f"dataset_size={self.dataset_size} is smaller than the batch size {m}"
            )
        log_qz_x = log_normal(z, mean, log_var).sum(dim=1)  # (M,)
        log_pz = self.prior.log_prob(z)  # (M,)
        mat = log_normal(z.unsqueeze(1), mean.unsqueeze(0), log_var.unsqueeze(0))  # (M, M, D)
        log_nm = math.log(m * self.dataset_size)
        log_qz = torch.logsumexp(mat.sum(dim=2), dim=1) - log_nm  # (M,)
        log_prod_qzj = (torch.logsumexp(mat, dim=1) - log_nm).sum(dim=1)  # (M,)
        return {
            "index_code_mi": (log_qz_x - log_qz).mean(),
            "total_correlation": (log_qz - log_prod_qzj).mean(),
            "dimension_wise_kl": (log_prod_qzj - log_pz).mean(),
            "kl_mc": (log_qz_x - log_pz).mean(),
        }

    def objective(
        self,
        rate: torch.Tensor,
        distortion: torch.Tensor,
        mean: torch.Tensor,
        log_var: torch.Tensor,
        z: torch.Tensor,
        step: int,
    ) -> tuple[torch.Tensor, float, dict[str, torch.Tensor]]:
        """``distortion + α·MI + β·TC + γ·dim-wise KL``; ``extra`` holds the MWS terms."""
        parts = self.decomposition(mean, log_var, z)
        beta = self.weight(step)
        alpha = weight_at(self.alpha, step, "alpha")
        gamma = weight_at(self.gamma, step, "gamma")
        loss = (distortion + alpha * parts["index_code_mi"] + beta * parts["total_correlation"]
                + gamma * parts["dimension_wise_kl"])
        return loss, beta, parts
