"""A tiny training run for the resume and DDP tests (run as a script or under torchrun).

The model is a linear-Gaussian VAE (probabilistic PCA with an amortised encoder) whose forward
draws reparameterisation noise from the global torch RNG and anneals β with the step, so a
resumed run only matches an uninterrupted one if data order, RNG states, optimiser state and
step are all restored exactly.

Usage::

    python _train_script.py RUN_DIR [--steps N] [--checkpoint-every K] [--resume]
        [--block-at S --marker FILE] [--params FILE] [--batch-size B] [--deterministic]

``--block-at S`` makes forward write ``FILE`` and sleep when called with ``step == S`` (the test
then kills the process); ``--params FILE`` saves the final ``state_dict`` (``{rank}`` in FILE is
replaced by the process rank under torchrun).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ibkit.nn import LossTerms, TrainConfig, Trainer

DIM, LATENT, N_TRAIN, N_EVAL = 6, 2, 96, 32


class TinyVAE(nn.Module):
    r"""Linear-Gaussian VAE: :math:`q(z|x)=N(Ax+a, \mathrm{diag}\,e^{s})`, :math:`p(x|z)=N(Wz+b,I)`.

    ``loss = distortion + β(step)·rate`` with β warming up linearly over 10 steps.
    """

    def __init__(self, dim: int = DIM, latent: int = LATENT, *, deterministic: bool = False,
                 block_at: int | None = None, marker: str | None = None) -> None:
        super().__init__()
        self.enc = nn.Linear(dim, 2 * latent)
        self.dec = nn.Linear(latent, dim)
        self.deterministic, self.block_at, self.marker = deterministic, block_at, marker

    def forward(self, batch, step: int = 0) -> LossTerms:
        if self.block_at is not None and step == self.block_at:
            Path(self.marker).write_text(str(step))
            time.sleep(600)  # the test kills us here
        x = batch[0] if isinstance(batch, (tuple, list)) else batch  # (B, dim)
        mu, log_var = self.enc(x).chunk(2, dim=-1)  # (B, latent) each
        eps = torch.zeros_like(mu) if self.deterministic else torch.randn_like(mu)
        z = mu + torch.exp(0.5 * log_var) * eps  # (B, latent)
        x_hat = self.dec(z)  # (B, dim)
        distortion = 0.5 * ((x - x_hat) ** 2).sum(-1) + 0.5 * x.shape[-1] * math.log(2 * math.pi)
        kl_dims = 0.5 * (mu**2 + log_var.exp() - 1.0 - log_var)  # (B, latent)
        rate = kl_dims.sum(-1).mean()
        distortion = distortion.mean()
        beta = min(1.0, (step + 1) / 10)
        return LossTerms(loss=distortion + beta * rate, rate=rate, distortion=distortion,
                         weight=beta, elbo=-(distortion + rate), rate_per_dim=kl_dims.mean(0))


def make_data(n: int, seed: int) -> np.ndarray:
    """Gaussian data with a 2-D latent structure, float32 (n, DIM)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(LATENT, DIM))
    return (rng.normal(size=(n, LATENT)) @ w + 0.3 * rng.normal(size=(n, DIM))).astype(np.float32)


def build(deterministic: bool = False, block_at: int | None = None,
          marker: str | None = None) -> TinyVAE:
    """The model, initialised from seed 0 (so every process starts from the same weights)."""
    torch.manual_seed(0)
    return TinyVAE(deterministic=deterministic, block_at=block_at, marker=marker)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--checkpoint-every", type=int, default=4)
    parser.add_argument("--eval-every", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--block-at", type=int, default=None)
    parser.add_argument("--marker", default=None)
    parser.add_argument("--params", default=None)
    parser.add_argument("--deterministic", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = build(args.deterministic, args.block_at, args.marker)
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=1e-2, seed=3,
                         eval_every=args.eval_every, log_every=1,
                         checkpoint_every=args.checkpoint_every, device="cpu")
    Trainer(model, make_data(N_TRAIN, 1), config, args.run_dir,
            eval_data=make_data(N_EVAL, 2)).fit(resume=args.resume)
    if args.params:
        rank = os.environ.get("RANK", "0")
        torch.save(model.state_dict(), args.params.replace("{rank}", rank))


if __name__ == "__main__":
    main()
