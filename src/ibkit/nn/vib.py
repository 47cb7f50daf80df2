r"""The Deep Variational Information Bottleneck classifier (Alemi et al. 2017).

.. math:: \text{loss} = \underbrace{-E_x E_{q(z|x)} \log q(y|z)}_{\text{distortion (CE)}}
          + \beta\, \underbrace{E_x \mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I))}_{\text{rate}}

The rate is a variational upper bound on :math:`I(Z;X)` and :math:`H(Y) - \text{CE}` a lower
bound on :math:`I(Z;Y)`; :meth:`LossTerms.scalars` gives both in nats and bits.

References
----------
Alemi, Fischer, Dillon & Murphy (2017), "Deep variational information bottleneck", ICLR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._validation import check_int
from ..exceptions import InvalidDistributionError
from ._checks import Schedule, check_features, check_labels, make_schedule, split_batch, weight_at
from .encoders import MLPEncoder
from .priors import StandardNormalPrior
from .terms import LossTerms

__all__ = ["VIBClassifier"]


class VIBClassifier(nn.Module):
    r"""Stochastic MLP encoder, linear softmax decoder, loss = CE + β·KL.

    Parameters
    ----------
    input_dim : int or tuple of int
        Features per example (or one example's shape; flattened).
    n_classes : int
        Number of classes, ≥ 2.
    latent_dim : int
        K = 256 in the paper.
    hidden : tuple of int
        Encoder widths (ReLU); the paper's 784-1024-1024-2K.
    beta : float or schedule
        β ≥ 0 (paper: 10⁻³ best on MNIST).
    n_samples : int
        S, posterior samples averaged by :meth:`predict_proba` (paper: 12).
    train_samples : int
        Samples of z per example in the training loss (the CE is averaged over them; 1 by
        default, the paper's single-sample estimator).
    class_prior : sequence of float, optional
        p(y) for :math:`H(Y)` in ``extra["I_ZY_lower_bound"]``. Default: the plug-in entropy of
        each batch's label frequencies (an under-estimate of H(Y) for small batches).

    Notes
    -----
    ``forward`` reports ``extra = {"I_ZY_lower_bound", "H_Y", "accuracy"}``; ``accuracy`` is
    that of the softmax averaged over the ``train_samples`` samples drawn in the pass.
    """

    def __init__(
        self,
        input_dim: int | Sequence[int],
        n_classes: int,
        latent_dim: int = 256,
        hidden: Sequence[int] = (1024, 1024),
        beta: float | Schedule = 1e-3,
        n_samples: int = 12,
        *,
        train_samples: int = 1,
        class_prior: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.encoder = MLPEncoder(input_dim, latent_dim, hidden)
        self.input_shape = self.encoder.input_shape
        self.latent_dim = self.encoder.latent_dim
        self.prior = StandardNormalPrior(self.latent_dim)
        self.classifier = nn.Linear(self.latent_dim, self.n_classes)
        self.beta = make_schedule(beta, "beta")
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        self.train_samples = check_int(train_samples, "train_samples", minimum=1)
        self.h_y: float | None = None if class_prior is None else _entropy(class_prior,
                                                                         self.n_classes)

    def _prepare_x(self, x: Any) -> torch.Tensor:
        x = check_features(x, self.input_shape, "x")
        ref = self.classifier.weight
        return x.to(device=ref.device, dtype=ref.dtype)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, log_var)`` of q(z|x), ``(B, latent_dim)`` each."""
        return self.encoder(self._prepare_x(x))

    def _logits(self, mean: torch.Tensor, log_var: torch.Tensor, n: int) -> torch.Tensor:
        eps = torch.randn(n, *mean.shape, device=mean.device, dtype=mean.dtype)  # (S, B, D)
        z = mean + torch.exp(0.5 * log_var) * eps  # (S, B, D)
        return self.classifier(z)  # (S, B, n_classes)

    def predict_proba(self, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        r""":math:`\frac1S\sum_s \operatorname{softmax}(W z_s + b)`, z_s ~ q(z|x), ``(B, C)``."""
        n = self.n_samples if n_samples is None else check_int(n_samples, "n_samples", minimum=1)
        mean, log_var = self.encode(x)
        return self._logits(mean, log_var, n).softmax(dim=-1).mean(dim=0)

    def predict(self, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        """Most probable class under :meth:`predict_proba`, ``(B,)`` long."""
        return self.predict_proba(x, n_samples).argmax(dim=1)

    def weight(self, step: int) -> float:
        """β at ``step``."""
        return weight_at(self.beta, step, "beta")

    def forward(self, batch: Any, step: int = 0) -> LossTerms:
        r"""Terms of one labelled batch ``(x, y)`` (x ``(B, *input_shape)``, y ``(B,)``), nats.

        .. math:: \mathcal L = \underbrace{-\mathbb E_{q(z|x)} \log q(y|z)}_{\text{distortion
                  (CE)}} + \beta\, \underbrace{\mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I))}_{
                  \text{rate} \,\ge\, I(Z;X)}, \qquad I(Z;Y) \ge H(Y) - \mathrm{CE};

        ``step`` drives the β schedule.
        """
        x, y = split_batch(batch, need_labels=True)
        x = self._prepare_x(x)
        y = check_labels(y, x.shape[0], self.n_classes).to(x.device)  # (B,)
        mean, log_var = self.encoder(x)  # (B, D) each
        logits = self._logits(mean, log_var, self.train_samples)  # (S, B, C)
        log_q = logits.log_softmax(dim=-1)  # (S, B, C)
        ce = -log_q.gather(-1, y.expand(log_q.shape[0], -1).unsqueeze(-1)).mean()
        per_dim = self.prior.kl(mean, log_var)  # (B, D)
        rate = per_dim.sum(dim=1).mean()
        beta = self.weight(step)
        with torch.no_grad():
            h_y = self.h_y if self.h_y is not None else _batch_entropy(y, self.n_classes)
            accuracy = (log_q.exp().mean(dim=0).argmax(dim=1) == y).to(x.dtype).mean()
        h_y_t = torch.as_tensor(h_y, dtype=x.dtype, device=x.device)
        return LossTerms(
            loss=ce + beta * rate,
            rate=rate,
            distortion=ce,
            weight=beta,
            elbo=None,
            rate_per_dim=per_dim.mean(dim=0),
            extra={"I_ZY_lower_bound": h_y_t - ce.detach(), "H_Y": h_y_t, "accuracy": accuracy},
        )


def _entropy(p: Sequence[float], n_classes: int) -> float:
    """Entropy in nats of a class prior of length ``n_classes``."""
    from .._validation import as_pmf

    arr, _ = as_pmf([float(v) for v in p], name="class_prior", batch=False)
    if arr.shape[0] != n_classes:
        raise InvalidDistributionError(
            f"class_prior must have {n_classes} entries (n_classes); got {arr.shape[0]}"
        )
    return float(-sum(v * math.log(v) for v in arr.tolist() if v > 0))


def _batch_entropy(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Plug-in entropy (nats, () tensor) of the label frequencies in one batch."""
    freq = torch.bincount(y, minlength=n_classes).double() / y.numel()  # (C,)
    return -torch.special.xlogy(freq, freq).sum()
