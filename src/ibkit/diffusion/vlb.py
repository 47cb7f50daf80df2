r"""Every term of the DDPM bound, per example: L_0, L_1, …, L_T (eq. 19) [torch].

.. math:: L = \underbrace{-\log p_\theta(x_0|x_1)}_{L_0} + \sum_{t=2}^T
          \underbrace{E_{x_t}\mathrm{KL}(q(x_{t-1}|x_t,x_0)\,\|\,p_\theta(x_{t-1}|x_t))}_{L_{t-1}}
          + \underbrace{\mathrm{KL}(q(x_T|x_0)\,\|\,\mathcal N(0,I))}_{L_T}

L_0, …, L_{T−1} are single-sample Monte Carlo estimates (one x_t ~ q(x_t|x_0) per example and
step, independent across steps); L_T is analytic. Bits per dimension divide nats by D·ln 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._validation import check_choice, check_int
from .ddpm import DDPM, DECODERS

__all__ = ["VLBTerms", "vlb_terms"]


@dataclass(frozen=True, eq=False)
class VLBTerms:
    r"""Per-example bound terms (nats), their sum the bound on −log p(x_0).

    .. math:: L = L_0 + \sum_{t=2}^{T} L_{t-1} + L_T,\qquad
              \text{bits/dim} = L / (D \ln 2)

    Attributes
    ----------
    nats : ndarray of float64, shape ``(n, T + 1)``
        Column k holds L_k: column 0 the decoder NLL L_0, columns 1 … T − 1 the posterior KLs
        L_{t−1} (t = 2 … T), column T the prior term L_T.
    n_dims : int
        D, the number of scalar dimensions of one example.
    decoder : str
        ``"continuous"`` or ``"discretized"`` (the decoder used for L_0).
    """

    nats: np.ndarray
    n_dims: int
    decoder: str

    @property
    def bits_per_dim(self) -> np.ndarray:
        """``nats / (D ln 2)``, shape ``(n, T + 1)``."""
        return self.nats / (self.n_dims * math.log(2.0))

    @property
    def total_nats(self) -> np.ndarray:
        """The bound per example (sum of all terms), shape ``(n,)``, nats."""
        return self.nats.sum(axis=1)

    @property
    def total_bits_per_dim(self) -> np.ndarray:
        """The bound per example in bits per dimension, shape ``(n,)``."""
        return self.bits_per_dim.sum(axis=1)

    def mean(self, *, bits_per_dim: bool = False) -> np.ndarray:
        r"""Mean of each term over examples, ``(T + 1,)`` (nats or bits/dim).

        .. math:: \bar L_k = \tfrac1n \sum_i L_{k,i}
        """
        return (self.bits_per_dim if bits_per_dim else self.nats).mean(axis=0)

    def stderr(self, *, bits_per_dim: bool = False) -> np.ndarray:
        r"""Standard error of each term's mean over examples, ``(T + 1,)`` (0 for n = 1).

        .. math:: \mathrm{SE}_k = s_k / \sqrt n, \quad s_k^2 = \tfrac1{n-1}\sum_i
                  (L_{k,i} - \bar L_k)^2
        """
        values = self.bits_per_dim if bits_per_dim else self.nats
        n = values.shape[0]
        return values.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros(values.shape[1])

    def total(self, *, bits_per_dim: bool = False) -> tuple[float, float]:
        r"""``(mean, standard error)`` of the whole bound over examples (nats or bits/dim).

        .. math:: \bar L = \tfrac1n \sum_i \sum_k L_{k,i}, \qquad \mathrm{SE} = s/\sqrt n
        """
        values = self.total_bits_per_dim if bits_per_dim else self.total_nats
        n = values.size
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        return float(values.mean()), se

    def table(self) -> dict[str, list[Any]]:
        """Columns for a per-t CSV: ``t`` (0 … T), ``term`` (``L_0`` …), means and SEs."""
        count = self.nats.shape[1]
        return {
            "t": list(range(count)),
            "term": [f"L_{k}" for k in range(count)],
            "mean_nats": self.mean().tolist(),
            "stderr_nats": self.stderr().tolist(),
            "mean_bits_per_dim": self.mean(bits_per_dim=True).tolist(),
            "stderr_bits_per_dim": self.stderr(bits_per_dim=True).tolist(),
        }


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="bound terms", unit="chunk")


@torch.no_grad()
def vlb_terms(
    model: DDPM,
    x0: Any,
    *,
    batch_size: int | None = None,
    decoder: str | None = None,
    generator: torch.Generator | None = None,
    progress: bool = False,
    callback: Callable[[int, int], None] | None = None,
) -> VLBTerms:
    r"""Every bound term L_0 … L_T for every example of ``x0``, batched over examples and t.

    .. math:: L_{t-1,i} = \mathrm{KL}\big(q(x_{t-1}|x_t,x_{0,i})\,\|\,p_\theta(x_{t-1}|x_t)\big),
              \quad x_t = \sqrt{\bar\alpha_t}\,x_{0,i} + \sqrt{1-\bar\alpha_t}\,\varepsilon

    (one noise draw ε per example and t; L_0 the decoder NLL, L_T the analytic prior KL).

    Parameters
    ----------
    model : DDPM
    x0 : tensor, shape ``(n, *data_shape)`` (or flat ``(n, D)``)
        Data on the model's device; in [−1, 1] for the discretised decoder.
    batch_size : int, optional
        Default 1024 on CPU (measured fastest there; larger chunks only add memory traffic)
        and 8192 on accelerators.
        Largest number of (example, t) pairs per denoiser call: ``b = min(n, batch_size)``
        examples at a time, each with ``max(1, batch_size // b)`` timesteps; memory is
        O(batch_size · D), independent of n and T.
    decoder : {"continuous", "discretized"}, optional
        Decoder for L_0; default the model's.
    generator : torch.Generator, optional
        Source of the noise ε for reproducible estimates (drawn on the generator's device and
        moved to the data's, so a CPU generator gives the same numbers on any device).
    progress : bool
        Show a tqdm bar (one tick per chunk).
    callback : callable, optional
        ``callback(done, total)`` after each chunk.

    Returns
    -------
    VLBTerms
        ``nats`` of shape ``(n, T + 1)``, float64.

    References
    ----------
    Ho, Jain & Abbeel (2020), eq. (5); Nichol & Dhariwal (2021), ``calc_bpd_loop``.
    """
    if not isinstance(model, DDPM):
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(f"model must be a DDPM; got {type(model).__name__}")
    decoder = check_choice(decoder or model.decoder, "decoder", DECODERS)
    x0 = model.check_input(x0, decoder=decoder)  # (n, *data_shape)
    if batch_size is None:
        batch_size = 1024 if x0.device.type == "cpu" else 8192
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    was_training = model.training
    model.eval()  # evaluation mode for the duration (dropout / norm layers in custom nets)
    try:
        return _run(model, x0, decoder, batch_size, generator, progress, callback)
    finally:
        model.train(was_training)


def _run(model: DDPM, x0: torch.Tensor, decoder: str, batch_size: int, generator: Any,
         progress: bool, callback: Any) -> VLBTerms:
    n, big_t = x0.shape[0], model.num_timesteps
    b = min(n, batch_size)
    k = max(1, batch_size // b)
    starts_n, starts_t = range(0, n, b), range(0, big_t, k)
    total = len(starts_n) * len(starts_t)
    out = np.empty((n, big_t + 1), dtype=np.float64)
    bar, done = _progress_bar(total, progress), 0
    gen_device = generator.device if generator is not None else x0.device
    try:
        for i0 in starts_n:
            xb = x0[i0 : i0 + b]  # (b', *shape)
            nb = xb.shape[0]
            for t0 in starts_t:
                ts = torch.arange(t0, min(big_t, t0 + k), device=x0.device)  # (k',)
                x_rep = xb.repeat(ts.numel(), *([1] * (xb.ndim - 1)))  # (k'·b', *shape)
                t_rep = ts.repeat_interleave(nb)  # (k'·b',) t-major
                noise = torch.randn(x_rep.shape, generator=generator, device=gen_device,
                                    dtype=x0.dtype).to(x0.device)
                vals = model.bound_term(x_rep, t_rep, noise, decoder=decoder)  # (k'·b',)
                out[i0 : i0 + nb, t0 : t0 + ts.numel()] = (
                    vals.reshape(ts.numel(), nb).T.double().cpu().numpy()
                )
                done += 1
                if bar is not None:
                    bar.update(1)
                if callback is not None:
                    callback(done, total)
            out[i0 : i0 + nb, big_t] = model.prior_kl(xb).double().cpu().numpy()
    finally:
        if bar is not None:
            bar.close()
    return VLBTerms(nats=out, n_dims=model.n_dims, decoder=decoder)
