r"""[torch] Critics :math:`T(x, y)` and the variational MI bounds built on their score matrix.

A critic maps a batch of ``B`` pairs to the score matrix ``S`` of shape ``(B, B)`` with
``S[i, j] = T(x_i, y_j)``: the diagonal holds samples of :math:`p(x,y)`, the off-diagonal ones
samples of :math:`p(x)p(y)`.

References
----------
Poole, Ozair, van den Oord, Alemi & Tucker (2019), "On variational bounds of mutual information".
Belghazi et al. (2018), "MINE: Mutual information neural estimation".
Nguyen, Wainwright & Jordan (2010), "Estimating divergence functionals and the likelihood ratio".
van den Oord, Li & Vinyals (2018), "Representation learning with contrastive predictive coding".
Song & Ermon (2020), "Understanding the limitations of variational mutual information estimators".
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ConcatCritic", "SeparableCritic", "bound_value", "training_loss"]


def _mlp(d_in: int, hidden: int, layers: int, d_out: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(d_in if i == 0 else hidden, hidden), nn.ReLU()]
    mods.append(nn.Linear(hidden if layers else d_in, d_out))
    return nn.Sequential(*mods)


class SeparableCritic(nn.Module):
    r"""Separable critic :math:`T(x, y) = g(x)^\top h(y)`: one pass per batch, ``O(B)`` networks."""

    def __init__(self, dx: int, dy: int, *, hidden: int = 128, layers: int = 2, embed: int = 32):
        super().__init__()
        self.g = _mlp(dx, hidden, layers, embed)
        self.h = _mlp(dy, hidden, layers, embed)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Scores ``(B, B)``, :math:`S_{ij} = g(x_i)^\top h(y_j)`; ``x (B, dx)``, ``y (B, dy)``."""
        return self.g(x) @ self.h(y).T  # (B, embed) @ (embed, B) -> (B, B)


class ConcatCritic(nn.Module):
    r"""Concatenated critic :math:`T(x, y) = f([x, y])` evaluated on all ``B²`` pairs."""

    def __init__(self, dx: int, dy: int, *, hidden: int = 128, layers: int = 2, embed: int = 32):
        super().__init__()
        del embed  # accepted for a common signature
        self.f = _mlp(dx + dy, hidden, layers, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Scores ``(B, B)``, :math:`S_{ij} = f([x_i, y_j])`; ``x (B, dx)``, ``y (B, dy)``."""
        b = x.shape[0]
        xx = x.unsqueeze(1).expand(b, b, x.shape[1])  # (B, B, dx): x_i in row i
        yy = y.unsqueeze(0).expand(b, b, y.shape[1])  # (B, B, dy): y_j in column j
        return self.f(torch.cat([xx, yy], dim=-1)).squeeze(-1)  # (B, B)


def _off_diagonal(scores: torch.Tensor) -> torch.Tensor:
    b = scores.shape[0]
    mask = ~torch.eye(b, dtype=torch.bool, device=scores.device)
    return scores[mask]  # (B·(B-1),): samples of p(x)p(y)


def _log_mean_exp(values: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(values, dim=0) - math.log(values.numel())


def bound_value(scores: torch.Tensor, method: str, *, clip: float = 5.0) -> torch.Tensor:
    r"""The MI estimate (nats) of one score matrix ``(B, B)``.

    .. math::
        I_{\rm DV} = \mathbb E_p[T] - \log \mathbb E_q[e^T],\quad
        I_{\rm NWJ} = \mathbb E_p[T] - e^{-1}\mathbb E_q[e^T],\quad
        I_{\rm NCE} = \mathbb E_i\Big[T_{ii} - \log \tfrac1B \sum_j e^{T_{ij}}\Big] \le \log B,

    SMILE: DV with :math:`T` clipped to :math:`[-\tau, \tau]` inside :math:`\log\mathbb E_q`;
    the JS-trained critic is read out with NWJ applied to :math:`T + 1` (Poole et al. 2019).
    """
    pos = scores.diagonal().mean()
    if method == "infonce":
        nce = scores.diagonal() - torch.logsumexp(scores, dim=1)  # (B,)
        return nce.mean() + math.log(scores.shape[0])
    neg = _off_diagonal(scores)
    if method == "nwj":
        return pos - torch.exp(neg - 1.0).mean()
    if method == "js":  # NWJ read-out of T + 1: the JS-optimal critic is log p/q, not 1 + log p/q
        return pos + 1.0 - torch.exp(neg).mean()
    if method == "smile":
        neg = torch.clamp(neg, -clip, clip)
    return pos - _log_mean_exp(neg)  # dv, mine


def training_loss(
    scores: torch.Tensor, method: str, *, clip: float, ema: dict[str, torch.Tensor], rate: float
) -> torch.Tensor:
    r"""The loss (scalar, nats) whose gradient trains the critic (the negative bound, with two
    exceptions); ``scores``: ``(B, B)``.

    .. math::
        \mathcal L_{\rm MINE} = -\Big(\mathbb E_p[T] - \frac{\mathbb E_q[e^T]}{m}\Big),\quad
        \mathcal L_{\rm JS} = \mathbb E_p[\mathrm{softplus}(-T)]
        + \mathbb E_q[\mathrm{softplus}(T)],\quad \mathcal L = -I_{\rm bound}\ \text{otherwise}

    MINE replaces the biased gradient of ``log E_q[e^T]`` by ``∇E_q[e^T] / m`` with ``m`` a moving
    average of ``E_q[e^T]`` (Belghazi et al. 2018, §3.2); the JS critic maximises the
    Jensen–Shannon bound ``E_p[-softplus(-T)] - E_q[softplus(T)]``, and so does SMILE, whose
    clipped DV value is only read out (Song & Ermon 2020, their reference code).
    """
    if method == "mine":
        neg = _off_diagonal(scores)
        mean_exp = torch.exp(neg - neg.detach().max()).mean()  # (,) scaled for stability
        shift = neg.detach().max()
        current = mean_exp.detach()
        if "m" not in ema:
            ema["m"], ema["shift"] = current, shift
        # keep the moving average on the current scale: m·e^{old shift - new shift}
        ema["m"] = (1 - rate) * ema["m"] * torch.exp(ema["shift"] - shift) + rate * current
        ema["shift"] = shift
        return -(scores.diagonal().mean() - mean_exp / ema["m"])
    if method in ("js", "smile"):  # SMILE trains like JS and reads out the clipped DV
        neg = _off_diagonal(scores)
        return -(-F.softplus(-scores.diagonal()).mean() - F.softplus(neg).mean())
    return -bound_value(scores, method, clip=clip)
