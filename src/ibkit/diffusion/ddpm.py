r"""A DDPM [torch]: forward process, reverse model, the per-timestep bound terms, training losses.

The bound (eq. 19 of the reference text, written as a loss, in nats per example)

.. math:: L = \underbrace{-\log p_\theta(x_0|x_1)}_{L_0}
          + \sum_{t=2}^{T} \underbrace{\mathrm{KL}(q(x_{t-1}|x_t,x_0)\,\|\,
          p_\theta(x_{t-1}|x_t))}_{L_{t-1}}
          + \underbrace{\mathrm{KL}(q(x_T|x_0)\,\|\,\mathcal N(0, I))}_{L_T}
          \;\ge\; -\log p_\theta(x_0).

Time index: tensors ``t`` hold ``t_paper − 1`` ∈ {0, …, T − 1}; ``t = 0`` is the decoder step.
The reverse mean is always :math:`\tilde\mu_t(\hat x_0, x_t)`, with :math:`\hat x_0` read off the
denoiser output for the chosen parameterisation (ε, x_0 or v).

References
----------
Ho, Jain & Abbeel (2020), "Denoising diffusion probabilistic models".
Nichol & Dhariwal (2021), "Improved denoising diffusion probabilistic models" (learned variance,
hybrid loss).
Salimans & Ho (2022), "Progressive distillation for fast sampling of diffusion models"
(v-prediction).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from torch import nn

from .._validation import check_choice, check_int, check_positive
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ..nn._checks import check_features, split_batch
from ..nn.terms import LossTerms
from .likelihoods import (
    discretized_gaussian_log_likelihood,
    gaussian_log_likelihood,
    normal_kl,
    sum_dims,
)
from .noise_schedule import NoiseSchedule

__all__ = ["DDPM", "DECODERS", "LOSSES", "PREDICTIONS", "VARIANCES"]

PREDICTIONS = ("eps", "x0", "v")
VARIANCES = ("fixed_small", "fixed_large", "learned")
LOSSES = ("simple", "vlb", "hybrid")
DECODERS = ("continuous", "discretized")


def _extract(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values[t]`` reshaped to ``(B, 1, …, 1)`` to broadcast against ``like`` ``(B, ...)``."""
    return values[t].reshape(t.shape[0], *([1] * (like.ndim - 1)))


class DDPM(nn.Module):
    r"""Denoising diffusion probabilistic model around a denoiser ``net(x_t, t)``.

    Parameters
    ----------
    denoiser : nn.Module
        ``net(x_t, t) → output`` with ``x_t`` of shape ``(B, *data_shape)`` and integer ``t``
        ``(B,)``; the output has the shape of ``x_t``, or twice its channels (axis 1) with
        ``variance="learned"``. Needs a ``data_shape`` attribute unless ``data_shape`` is given.
    schedule : NoiseSchedule
    prediction : {"eps", "x0", "v"}
        What the denoiser predicts: the noise ε, the clean x_0, or v = √ᾱ ε − √(1−ᾱ) x_0.
    variance : {"fixed_small", "fixed_large", "learned"}
        Reverse variance σ_t²: β̃_t (β̃_1 clipped to β̃_2), β_t, or Nichol & Dhariwal's
        interpolation :math:`\log\sigma_t^2 = f\log\beta_t + (1-f)\log\tilde\beta_t`,
        ``f = (r + 1)/2`` with ``r`` the extra output channel (unconstrained).
    loss : {"simple", "vlb", "hybrid"}
        ``simple``: mean squared error of the prediction target (Ho et al.); ``vlb``: the
        unbiased single-t estimate ``T·L_t + L_T`` of the bound; ``hybrid``: ``simple +
        λ·T·L_t`` with the mean frozen in the bound term (λ = ``hybrid_weight`` = 0.001).
    decoder : {"continuous", "discretized"}
        p(x_0|x_1): a Gaussian density (any real data) or Ho et al.'s Gaussian discretised to
        ``bins`` levels in [−1, 1] (8-bit-style data; inputs must lie in [−1, 1]).
    bins : int
        Levels of the discretised decoder, ``−1 + 2k/(bins − 1)``: 256 for 8-bit images, 17 for
        scikit-learn's digits (grey levels 0–16).
    data_shape : tuple of int, optional
        Shape of one example; default ``denoiser.data_shape``.
    """

    def __init__(
        self,
        denoiser: nn.Module,
        schedule: NoiseSchedule,
        *,
        prediction: str = "eps",
        variance: str = "fixed_small",
        loss: str = "simple",
        hybrid_weight: float = 1e-3,
        decoder: str = "continuous",
        bins: int = 256,
        data_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(schedule, NoiseSchedule):
            raise InvalidParameterError(
                f"schedule must be a NoiseSchedule (see get_schedule); got {schedule!r}"
            )
        if not isinstance(denoiser, nn.Module):
            raise InvalidParameterError(f"denoiser must be a torch.nn.Module; got {denoiser!r}")
        self.denoiser = denoiser
        self.schedule = schedule
        self.prediction = check_choice(prediction, "prediction", PREDICTIONS)
        self.variance = check_choice(variance, "variance", VARIANCES)
        self.loss_type = check_choice(loss, "loss", LOSSES)
        self.decoder = check_choice(decoder, "decoder", DECODERS)
        self.hybrid_weight = check_positive(hybrid_weight, "hybrid_weight")
        self.bins = check_int(bins, "bins", minimum=2)
        shape = data_shape if data_shape is not None else getattr(denoiser, "data_shape", None)
        if shape is None:
            raise InvalidParameterError(
                "data_shape is needed: pass data_shape=... or give the denoiser a data_shape"
            )
        self.data_shape = tuple(check_int(s, "data_shape", minimum=1) for s in shape)
        self._cache: dict[tuple[Any, Any], dict[str, torch.Tensor]] = {}

    def extra_repr(self) -> str:
        return (f"schedule={self.schedule!r}, prediction={self.prediction!r}, "
                f"variance={self.variance!r}, loss={self.loss_type!r}, decoder={self.decoder!r}, "
                f"bins={self.bins}, "
                f"data_shape={self.data_shape}")

    # -- schedule tensors ---------------------------------------------------------------------
    @property
    def num_timesteps(self) -> int:
        """T."""
        return self.schedule.T

    @property
    def n_dims(self) -> int:
        """Number of scalar dimensions of one example, D = prod(data_shape)."""
        return math.prod(self.data_shape)

    def coefs(self, like: torch.Tensor) -> dict[str, torch.Tensor]:
        """The schedule's arrays as tensors on ``like``'s device and dtype (exact float64 cast)."""
        key = (like.device, like.dtype)
        if key not in self._cache:
            self._cache[key] = self.schedule.to_torch(like.device, like.dtype)
        return self._cache[key]

    # -- forward process ----------------------------------------------------------------------
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        r""":math:`x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon`, (B, ...)."""
        c = self.coefs(x0)
        return (_extract(c["sqrt_alphas_cumprod"], t, x0) * x0
                + _extract(c["sqrt_one_minus_alphas_cumprod"], t, x0) * noise)

    def q_posterior(
        self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Mean ``(B, ...)`` and clipped log-variance ``(B, 1, …)`` of q(x_{t−1}|x_t, x_0).

        .. math:: \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0
                  + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t,
                  \qquad \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t

        (log-variance: :math:`\log\tilde\beta_t`, with :math:`\tilde\beta_1` replaced by
        :math:`\tilde\beta_2`). Same units as the data.
        """
        c = self.coefs(x_t)
        mean = (_extract(c["posterior_mean_coef1"], t, x_t) * x0
                + _extract(c["posterior_mean_coef2"], t, x_t) * x_t)
        return mean, _extract(c["posterior_log_variance_clipped"], t, x_t)

    def prior_kl(self, x0: torch.Tensor) -> torch.Tensor:
        r"""L_T = KL(q(x_T|x_0) ‖ N(0, I)) per example, ``(B,)`` nats (analytic).

        .. math:: L_T = \sum_{d}\mathrm{KL}\big(\mathcal N(\sqrt{\bar\alpha_T}\,x_{0,d},
                  1-\bar\alpha_T)\,\|\,\mathcal N(0, 1)\big)

        ``x0``: ``(B, *data_shape)``.
        """
        c = self.coefs(x0)
        last = torch.full((x0.shape[0],), self.num_timesteps - 1, device=x0.device)
        mean = _extract(c["sqrt_alphas_cumprod"], last, x0) * x0
        logvar = torch.log(_extract(c["sqrt_one_minus_alphas_cumprod"], last, x0) ** 2)
        zero = torch.zeros_like(mean)
        return sum_dims(normal_kl(mean, logvar.expand_as(mean), zero, zero))

    # -- reverse model ------------------------------------------------------------------------
    def _split_output(self, out: torch.Tensor, x_t: torch.Tensor) -> tuple[torch.Tensor, Any]:
        channels = x_t.shape[1]
        want = 2 * channels if self.variance == "learned" else channels
        if out.shape[0] != x_t.shape[0] or out.shape[1] != want or out.shape[2:] != x_t.shape[2:]:
            raise ShapeMismatchError(
                f"denoiser output must have shape {(x_t.shape[0], want, *x_t.shape[2:])} "
                f"(variance={self.variance!r}); got {tuple(out.shape)}"
            )
        if self.variance == "learned":
            return out[:, :channels], out[:, channels:]
        return out, None

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        r"""x̂_0 from the mean output ``out`` ``(B, ...)``, same shape and units as ``x_t``.

        .. math:: \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}
                  {\sqrt{\bar\alpha_t}}\ (\varepsilon),\qquad \hat x_0\ (x_0),\qquad
                  \hat x_0 = \sqrt{\bar\alpha_t}\,x_t - \sqrt{1-\bar\alpha_t}\,\hat v\ (v)
        """
        c = self.coefs(x_t)
        a = _extract(c["sqrt_alphas_cumprod"], t, x_t)
        s = _extract(c["sqrt_one_minus_alphas_cumprod"], t, x_t)
        if self.prediction == "eps":
            return (x_t - s * out) / a
        if self.prediction == "x0":
            return out
        return a * x_t - s * out

    def target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        r"""The regression target of the simple loss, ``(B, ...)``: ε, x_0 or v.

        .. math:: v = \sqrt{\bar\alpha_t}\,\varepsilon - \sqrt{1-\bar\alpha_t}\,x_0
        """
        if self.prediction == "eps":
            return noise
        if self.prediction == "x0":
            return x0
        c = self.coefs(x0)
        return (_extract(c["sqrt_alphas_cumprod"], t, x0) * noise
                - _extract(c["sqrt_one_minus_alphas_cumprod"], t, x0) * x0)

    def _log_variance(self, var_out: Any, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        c = self.coefs(like)
        small = _extract(c["posterior_log_variance_clipped"], t, like)
        large = torch.log(_extract(c["betas"], t, like))
        if self.variance == "fixed_small":
            return small
        if self.variance == "fixed_large":
            return large
        frac = (var_out + 1.0) / 2.0
        return frac * large + (1.0 - frac) * small

    def p_mean_variance(
        self, x_t: torch.Tensor, t: torch.Tensor, *, out: torch.Tensor | None = None,
        freeze_mean: bool = False, clip_x0: bool = False,
    ) -> dict[str, torch.Tensor]:
        r"""Reverse-step parameters: ``mean``, ``log_variance`` (broadcastable), ``pred_x0``,
        and the raw mean output ``model_output``; ``freeze_mean`` detaches the mean (hybrid).

        .. math:: p_\theta(x_{t-1}|x_t) = \mathcal N\big(\tilde\mu_t(\hat x_0, x_t),
                  \sigma_t^2 I\big)

        ``mean``/``pred_x0``/``model_output``: ``(B, ...)`` like ``x_t``; ``log_variance``:
        ``(B, 1, …)`` (fixed) or ``(B, ...)`` (learned), log of a squared data unit.
        """
        out = self.denoiser(x_t, t) if out is None else out
        mean_out, var_out = self._split_output(out, x_t)
        if freeze_mean:
            mean_out = mean_out.detach()
        pred_x0 = self.predict_x0(x_t, t, mean_out)
        if clip_x0:
            pred_x0 = pred_x0.clamp(-1.0, 1.0)
        mean, _ = self.q_posterior(pred_x0, x_t, t)
        return {"mean": mean, "log_variance": self._log_variance(var_out, t, x_t),
                "pred_x0": pred_x0, "model_output": mean_out}

    def decoder_nll(
        self, x0: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, *,
        decoder: str | None = None,
    ) -> torch.Tensor:
        r"""L_0 = −log p(x_0|x_1) per example ``(B,)``, nats; ``decoder`` defaults to the model's.

        .. math:: L_0 = -\sum_d \log p_\theta(x_{0,d}\,|\,x_1), \qquad p_\theta =
                  \mathcal N(\mu, \sigma^2)\ \text{(continuous) or its integral over the bin of}
                  \ x_{0,d}\ \text{(discretized)}
        """
        logvar = logvar.expand_as(mean)
        if (decoder or self.decoder) == "discretized":
            return -sum_dims(discretized_gaussian_log_likelihood(x0, mean, logvar,
                                                                 bins=self.bins))
        return -sum_dims(gaussian_log_likelihood(x0, mean, logvar))

    def bound_term(
        self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, *,
        params: dict[str, torch.Tensor] | None = None, decoder: str | None = None,
    ) -> torch.Tensor:
        r"""L_t per example ``(B,)``, nats: decoder NLL where ``t == 0``, else the posterior KL.

        .. math:: L_{t-1} = \mathrm{KL}\big(q(x_{t-1}|x_t,x_0)\,\|\,p_\theta(x_{t-1}|x_t)\big)
                  \ (t \ge 2), \qquad L_0 = -\log p_\theta(x_0|x_1)

        ``x0``, ``noise``: ``(B, *data_shape)``; ``t``: ``(B,)`` holding ``t_paper − 1``.
        """
        x_t = self.q_sample(x0, t, noise)
        params = self.p_mean_variance(x_t, t) if params is None else params
        true_mean, true_logvar = self.q_posterior(x0, x_t, t)
        kl = sum_dims(normal_kl(true_mean, true_logvar.expand_as(true_mean),
                                params["mean"], params["log_variance"].expand_as(true_mean)))
        nll = self.decoder_nll(x0, params["mean"], params["log_variance"], decoder=decoder)
        return torch.where(t == 0, nll, kl)

    # -- training -----------------------------------------------------------------------------
    def check_input(self, x: Any, *, decoder: str | None = None) -> torch.Tensor:
        """Validate a data batch (in [−1, 1] for the discretised decoder); ``(B, *data_shape)``."""
        support = (-1.0, 1.0) if (decoder or self.decoder) == "discretized" else None
        x = check_features(x, self.data_shape, "x", support)
        return x.reshape(x.shape[0], *self.data_shape)

    def forward(self, batch: Any, step: int = 0) -> LossTerms:
        r"""One training evaluation at uniformly drawn ``t`` (batch means, nats).

        .. math:: \hat L = T\,L_{t-1} + L_T,\ t \sim \mathcal U\{1,\dots,T\},\qquad
                  L_\text{simple} = \lVert \text{target} - \text{net}(x_t, t)\rVert^2 / D

        ``rate`` estimates Σ_{t≥2} L_{t−1} + L_T and ``distortion`` estimates L_0 (unbiased:
        ``T·1[t=0]·L_0`` per example), so ``rate + distortion`` estimates the whole bound;
        exact per-term values come from :func:`~ibkit.diffusion.vlb_terms`.
        """
        x0, _ = split_batch(batch)
        x0 = self.check_input(x0)  # (B, *data_shape)
        n, big_t = x0.shape[0], self.num_timesteps
        t = torch.randint(0, big_t, (n,), device=x0.device)  # (B,)
        noise = torch.randn_like(x0)
        x_t = self.q_sample(x0, t, noise)
        out = self.denoiser(x_t, t)
        params = self.p_mean_variance(x_t, t, out=out)
        mse = ((params["model_output"] - self.target(x0, noise, t)) ** 2)
        mse = mse.reshape(n, -1).mean(dim=1)  # (B,)
        # With the simple loss the bound is only logged: no autograd graph for it.
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.loss_type != "simple"):
            term = self.bound_term(x0, t, noise, params=params)  # (B,)
            prior = self.prior_kl(x0)  # (B,)
            rate = (big_t * torch.where(t > 0, term, torch.zeros_like(term)) + prior).mean()
            distortion = (big_t * torch.where(t == 0, term, torch.zeros_like(term))).mean()
        if self.loss_type == "simple":
            loss = mse.mean()
        elif self.loss_type == "vlb":
            loss = rate + distortion
        else:
            frozen = self.p_mean_variance(x_t, t, out=out, freeze_mean=True)
            vb = self.bound_term(x0, t, noise, params=frozen)
            loss = mse.mean() + self.hybrid_weight * big_t * vb.mean()
        vlb = rate + distortion
        extra = {"mse": mse.mean().detach(),
                 "bits_per_dim": vlb.detach() / (self.n_dims * math.log(2.0))}
        return LossTerms(loss=loss, rate=rate, distortion=distortion, weight=1.0,
                         elbo=-vlb, extra=extra)

    # -- sampling -----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(
        self, n: int, *, generator: torch.Generator | None = None, device: Any = None,
        clip_x0: bool = False, callback: Any = None,
    ) -> torch.Tensor:
        r"""Ancestral sampling: x_T ~ N(0, I), then x_{t−1} ~ p(x_{t−1}|x_t) down to x_0.

        .. math:: x_{t-1} = \tilde\mu_t(\hat x_0, x_t) + \sigma_t z,\quad z\sim\mathcal N(0,I)

        Returns the mean of the last step, ``(n, *data_shape)``. ``clip_x0`` clamps x̂_0 to
        [−1, 1] at every step (for image data); ``callback(t, x_t)`` is called after each step.
        """
        n = check_int(n, "n", minimum=1)
        first = next(itertools.chain(self.parameters(), self.buffers()), None)
        dtype = first.dtype if first is not None else torch.get_default_dtype()
        if device is None:
            device = first.device if first is not None else torch.device("cpu")
        gen_device = generator.device if generator is not None else device
        x = torch.randn((n, *self.data_shape), generator=generator, device=gen_device,
                        dtype=dtype).to(device)
        for i in reversed(range(self.num_timesteps)):
            t = torch.full((n,), i, device=device, dtype=torch.long)
            p = self.p_mean_variance(x, t, clip_x0=clip_x0)
            if i > 0:
                z = torch.randn(x.shape, generator=generator, device=gen_device,
                                dtype=dtype).to(device)
                x = p["mean"] + torch.exp(0.5 * p["log_variance"]) * z
            else:
                x = p["mean"]
            if callback is not None:
                callback(i, x)
        return x
