r"""An autoregressive Bernoulli decoder: MADE conditioned on z (a *strong* decoder).

:class:`MADEDecoder` factorises :math:`p(x|z)` over the D pixels in raster order,

.. math:: \log p(x|z) = \sum_{i=1}^{D} \log \mathrm{Bern}\big(x_i;\,
          \sigma(\ell_i(x_{<i}, z))\big),

with the logits :math:`\ell` from a masked MLP (MADE, Germain et al. 2015) over x plus an affine
map of z added to every hidden layer and to the output logits. Unlike the factorised
:class:`~ibkit.nn.BernoulliDecoder`, it can model the pixels' dependencies without z, which is
the setting in which a VAE's posterior collapses at β = 1 (Bowman et al. 2016) and KL warm-up /
cyclical annealing (Fu et al. 2019) help.

Interface (that of :class:`~ibkit.nn.LikelihoodDecoder`, so :class:`~ibkit.nn.VAE` and
:func:`~ibkit.nn.iwae_log_likelihood` use it unchanged): ``forward(z)`` returns the *conditioning
context* — the z-terms of every layer, ``(B, sum(hidden) + D)`` — rather than logits, because the
logits also need x; ``log_prob(x, out)`` runs the masked network on x (teacher forcing);
``mean(out)`` samples pixel by pixel (D network passes) and returns the conditional
probabilities along that path, a one-sample unbiased estimate of :math:`E[x|z]`; ``sample(out)``
returns the binary sample itself.

References
----------
Germain, Gregor, Murray & Larochelle (2015), "MADE: masked autoencoder for distribution
estimation", ICML.
Bowman et al. (2016), "Generating sentences from a continuous space", CoNLL.
Fu et al. (2019), "Cyclical annealing schedule: a simple approach to mitigating KL vanishing",
NAACL.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_int
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ._checks import as_shape
from .decoders import LikelihoodDecoder

__all__ = ["MADEDecoder", "MaskedLinear", "made_masks"]


class MaskedLinear(nn.Linear):
    """``Linear`` whose weight is multiplied by a fixed 0/1 mask ``(out_features, in_features)``."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def made_masks(n_inputs: int, hidden: Sequence[int]) -> list[torch.Tensor]:
    r"""MADE masks for raster order, one per layer, ``(out, in)`` each.

    Inputs have degrees :math:`m(i) = i` (1-based), hidden unit k of every layer the
    deterministic degree :math:`m(k) = 1 + (k \bmod (D-1))`; a hidden unit sees units of degree
    :math:`\le` its own, the output i sees hidden units of degree :math:`< i`, so logit i depends
    on :math:`x_{<i}` only (logit 1 on none).
    """
    d = n_inputs
    degrees = [torch.arange(1, d + 1)]  # (D,)
    for width in hidden:
        degrees.append(1 + torch.arange(width) % max(d - 1, 1))  # (H,)
    masks = [(m_out[:, None] >= m_in[None, :]) for m_in, m_out in itertools.pairwise(degrees)]
    masks.append(degrees[0][:, None] > degrees[-1][None, :])  # (D, H_last), strict
    return [m.float() for m in masks]


class MADEDecoder(LikelihoodDecoder):
    r"""Autoregressive Bernoulli decoder :math:`p(x|z) = \prod_i p(x_i | x_{<i}, z)` (MADE).

    Hidden layer :math:`h_l = \mathrm{ReLU}(M_l \odot W_l\, h_{l-1} + V_l z + b_l)` with
    :math:`h_0 = x`, logits :math:`\ell = M_o \odot W_o\, h_L + V_o z + b_o`.

    Parameters
    ----------
    latent_dim : int
        Size of z.
    output_shape : int or tuple of int
        Shape of one example; pixels are ordered by ``flatten`` (raster order).
    hidden : sequence of int
        Widths of the masked hidden layers (≥ 1 layer, each width ≥ 1).

    Attributes
    ----------
    support : (0, 1)
        Binary or grey-level targets (continuous relaxation, as :class:`BernoulliDecoder`).
    """

    support = (0.0, 1.0)

    def __init__(
        self,
        latent_dim: int,
        output_shape: int | Sequence[int],
        hidden: Sequence[int] = (256,),
    ) -> None:
        nn.Module.__init__(self)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.output_shape = as_shape(output_shape, "output_shape")
        widths = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
        if not widths:
            raise InvalidParameterError("MADEDecoder needs at least one hidden layer; got ()")
        self.n_pixels = math.prod(self.output_shape)
        self.hidden = widths
        self.layers = nn.ModuleList(MaskedLinear(m) for m in made_masks(self.n_pixels, widths))
        self.context = nn.Linear(self.latent_dim, sum(widths) + self.n_pixels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Conditioning context ``(B, sum(hidden) + D)``: the z-terms of every layer."""
        return self.context(z)

    def logits(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, D)`` of :math:`p(x_i = 1 | x_{<i}, z)` for ``x`` ``(B, *output_shape)``."""
        width = sum(self.hidden) + self.n_pixels
        if out.ndim != 2 or out.shape[1] != width or x[0].numel() != self.n_pixels:
            raise ShapeMismatchError(
                f"MADEDecoder.logits needs out (B, {width}) from forward(z) and x with "
                f"{self.n_pixels} values per example; got out {tuple(out.shape)}, "
                f"x {tuple(x.shape)}")
        h = x.reshape(x.shape[0], self.n_pixels)  # (B, D)
        parts = torch.split(out, [*self.hidden, self.n_pixels], dim=-1)
        for i, (layer, c) in enumerate(zip(self.layers, parts, strict=True)):
            h = layer(h) + c  # (B, H_l) or (B, D) at the output
            if i < len(self.hidden):
                h = torch.relu(h)
        return h  # (B, D)

    def log_prob(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """``log p(x|z)`` per example, ``(B,)`` nats (teacher forcing on ``x``)."""
        logits = self.logits(x, out)  # (B, D)
        target = x.reshape(x.shape[0], self.n_pixels)  # (B, D)
        return -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=1)

    @torch.no_grad()
    def _ancestral(
        self, out: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One ancestral pass: binary sample and conditional probabilities, ``(B, D)`` each."""
        b = out.shape[0]
        x = torch.zeros(b, self.n_pixels, device=out.device, dtype=out.dtype)  # (B, D)
        probs = torch.zeros_like(x)  # (B, D)
        for i in range(self.n_pixels):
            p_i = torch.sigmoid(self.logits(x, out)[:, i])  # (B,)
            u = torch.rand(b, generator=generator, device=out.device, dtype=out.dtype)  # (B,)
            probs[:, i] = p_i
            x[:, i] = (u < p_i).to(out.dtype)
        return x, probs

    def sample(self, out: torch.Tensor, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Binary sample ``x ~ p(x|z)``, ``(B, *output_shape)``, pixel by pixel (D passes)."""
        x, _ = self._ancestral(out, generator)
        return x.reshape(out.shape[0], *self.output_shape)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        r"""One-sample unbiased estimate of :math:`E[x|z]`, ``(B, *output_shape)``.

        :math:`p(x_i = 1 | \tilde x_{<i}, z)` along one ancestral sample :math:`\tilde x`
        (its expectation over :math:`\tilde x` is :math:`E[x_i|z]`); D network passes.
        """
        _, probs = self._ancestral(out, None)
        return probs.reshape(out.shape[0], *self.output_shape)
