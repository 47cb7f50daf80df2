r"""Importance-weighted estimate of :math:`\log p(x)` for any trained VAE (Burda et al. 2016).

.. math:: \log p(x) \ge \mathcal L_K(x) = E\Big[\log \frac1K \sum_{k=1}^{K}
          \frac{p(x|z_k)\,p(z_k)}{q(z_k|x)}\Big], \qquad z_k \sim q(z|x)

:math:`\mathcal L_1` is the ELBO, :math:`\mathcal L_K` is non-decreasing in K and tends to
:math:`\log p(x)` as :math:`K\to\infty`.

References
----------
Burda, Grosse & Salakhutdinov (2016), "Importance weighted autoencoders", ICLR.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .._validation import check_int
from ..exceptions import InvalidParameterError
from .priors import log_normal
from .vae import VAE

__all__ = ["iwae_log_likelihood"]


@torch.no_grad()
def iwae_log_likelihood(
    model: VAE, x: Any, n_importance: int = 100, batch_size: int = 128
) -> torch.Tensor:
    r"""Per-example IWAE estimate of ``log p(x)`` in nats, ``(N,)``.

    .. math:: \log \hat p_K(x) = \log \frac1K \sum_{k=1}^K
              \frac{p(x|z_k)\,p(z_k)}{q(z_k|x)}, \qquad z_k \sim q(z|x),

    a lower bound on :math:`\log p(x)` in expectation that tightens as K grows (K = 1: the
    ELBO; Burda, Grosse & Salakhutdinov 2016).

    Parameters
    ----------
    model : VAE
        Any model of the VAE family, with any prior (the prior's exact ``log_prob`` is used).
    x : tensor ``(N, *input_shape)`` or tuple ``(x, y)`` (``y`` ignored)
    n_importance : int
        K, importance samples per example (K = 1 gives a single-sample ELBO estimate).
    batch_size : int
        Examples per chunk; each chunk decodes ``batch_size · K`` latents at once.

    The model is put in eval mode for the estimate and restored afterwards.
    """
    if not isinstance(model, VAE):
        raise InvalidParameterError(
            f"model must be a VAE-family model (VAE, BetaVAE, ...); got {type(model).__name__}"
        )
    k = check_int(n_importance, "n_importance", minimum=1)
    size = check_int(batch_size, "batch_size", minimum=1)
    data = model.prepare(x)  # (N, *out_shape), validated
    was_training = model.training
    model.eval()
    try:
        chunks = [_chunk(model, xc, k) for xc in data.split(size)]
    finally:
        model.train(was_training)
    return torch.cat(chunks)


def _chunk(model: VAE, x: torch.Tensor, k: int) -> torch.Tensor:
    b = x.shape[0]
    mean, log_var = model.encoder(x)  # (B, D) each
    z = model.reparameterize(mean, log_var, k)  # (K, B, D)
    log_q = log_normal(z, mean, log_var).sum(dim=-1)  # (K, B)
    log_pz = model.prior.log_prob(z)  # (K, B)
    out = model.decoder(z.reshape(k * b, -1))  # (K·B, *out_shape)
    xk = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])  # (K·B, *out_shape)
    log_px = model.decoder.log_prob(xk, out).reshape(k, b)  # (K, B)
    return torch.logsumexp(log_px + log_pz - log_q, dim=0) - math.log(k)  # (B,)
