"""The contract between every neural bottleneck model and the trainer: :class:`LossTerms`.

Every model in :mod:`ibkit.nn` is a ``torch.nn.Module`` whose ``forward(batch, step=0)`` returns a
:class:`LossTerms`; the trainer only ever reads this object. ``batch`` is a tensor ``x`` (VAE
family) or a tuple ``(x, y)`` (VIB, or labelled data given to a VAE, which ignores ``y``).
``step`` is the global optimisation step; models evaluate their β / capacity schedule
(:mod:`ibkit.schedules`, ``Callable[[int], float]``) at it.

Units: every tensor here is in **nats**, averaged over the batch; :meth:`LossTerms.scalars`
adds the ``*_bits`` versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

__all__ = ["MAX_LOGGED_DIMS", "LossTerms"]

MAX_LOGGED_DIMS = 64


@dataclass
class LossTerms:
    """Terms of one forward pass (batch means, nats).

    Attributes
    ----------
    loss : () tensor
        What the optimiser minimises, e.g. ``distortion + β·rate`` for β-VAE,
        ``distortion + γ·|rate − C(step)|`` for the capacity-controlled β-VAE.
    rate : () tensor
        ``E_x KL(q(z|x) ‖ p(z))`` (VIB: the variational upper bound on I(Z;X)).
    distortion : () tensor
        ``−E_x E_q log p(x|z)`` (VIB: the cross-entropy ``−E log q(y|z)``).
    weight : float
        The β (or γ) applied at this step.
    elbo : () tensor or None
        ``−(distortion + rate)``; None where it is not defined (VIB).
    rate_per_dim : (latent_dim,) tensor or None
        Per-latent-dimension KL where it factorises (diagonal Gaussian posterior and prior);
        None otherwise (mixture / VampPrior priors).
    extra : dict[str, () tensor]
        Model-specific scalars: ``capacity``, ``total_correlation``, ``index_code_mi``,
        ``dimension_wise_kl``, ``accuracy``, ``I_ZY_lower_bound``, ...
    """

    loss: torch.Tensor
    rate: torch.Tensor
    distortion: torch.Tensor
    weight: float
    elbo: torch.Tensor | None = None
    rate_per_dim: torch.Tensor | None = None
    extra: dict[str, torch.Tensor] = field(default_factory=dict)

    def scalars(self) -> dict[str, float]:
        """Flat ``{name: float}`` for logging: nats and ``*_bits`` for information terms.

        ``rate_per_dim`` appears as ``rate_dim0, rate_dim1, ...`` (nats) when the latent has
        at most :attr:`MAX_LOGGED_DIMS` dimensions (a 256-d VIB code would flood the log).
        """
        out: dict[str, float] = {
            "loss": float(self.loss.detach()),
            "beta": float(self.weight),
        }
        named = {"rate": self.rate, "distortion": self.distortion, "elbo": self.elbo}
        for name, value in named.items():
            if value is not None:
                nats = float(value.detach())
                out[name] = nats
                out[f"{name}_bits"] = nats / math.log(2.0)
        if self.rate_per_dim is not None and self.rate_per_dim.numel() <= MAX_LOGGED_DIMS:
            for i, v in enumerate(self.rate_per_dim.detach().cpu().tolist()):
                out[f"rate_dim{i}"] = float(v)
        for name, value in self.extra.items():
            out[name] = float(value.detach()) if torch.is_tensor(value) else float(value)
        return out
