"""Throughput of Trainer.fit against a hand-written PyTorch loop on the same model and batches.

Not a test: ``python tests/nn/_train_script_bench.py [--device auto] [--rounds 3]`` prints
samples/s of both, alternating rounds, for a tiny MLP β-VAE on 8×8 inputs and the
4096-1200-1200-10 fully-connected β-VAE on 64×64 binary images.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from torch import nn

from ibkit.nn import LossTerms, TrainConfig, Trainer
from ibkit.nn.trainer import resolve_device


class MLPBetaVAE(nn.Module):
    """Bernoulli-decoder β-VAE with MLP encoder/decoder (Higgins et al. 2017, FC architecture)."""

    def __init__(self, dim: int, hidden: int, latent: int, beta: float = 4.0) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                                 nn.Tanh(), nn.Linear(hidden, dim))
        self.beta = beta

    def forward(self, batch, step: int = 0) -> LossTerms:
        x = batch.flatten(1)  # (B, dim)
        mu, log_var = self.enc(x).chunk(2, -1)  # (B, latent)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        logits = self.dec(z)  # (B, dim)
        nll = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
        distortion = nll.sum(-1).mean()
        rate = (0.5 * (mu**2 + log_var.exp() - 1 - log_var)).sum(-1).mean()
        return LossTerms(loss=distortion + self.beta * rate, rate=rate, distortion=distortion,
                         weight=self.beta, elbo=-(distortion + rate))


def plain_loop(model: nn.Module, x: torch.Tensor, steps: int, batch: int,
               device: torch.device) -> float:
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    done, epoch = 0, 0
    t0 = time.perf_counter()
    while done < steps:
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            xb = x[perm[i : i + batch]].to(device, non_blocking=True)
            loss = model(xb, step=done).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
        epoch += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def trainer_loop(model: nn.Module, x: torch.Tensor, steps: int, batch: int, device: str) -> float:
    cfg = TrainConfig(steps=steps, batch_size=batch, lr=1e-3, eval_every=0, log_every=100,
                      checkpoint_every=0, device=device)
    with tempfile.TemporaryDirectory() as run:
        t0 = time.perf_counter()
        Trainer(model, x.numpy(), cfg, run).fit()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return steps * batch / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the step counts")
    args = parser.parse_args()
    device = resolve_device(args.device)
    cases = {
        "tiny MLP, 8x8 (1797 samples, batch 64)": ((64, 128, 8), 1797, 64, 2000),
        "FC beta-VAE 4096-1200-1200-10, 64x64 (4096 samples, batch 64)":
            ((4096, 1200, 10), 4096, 64, 300),
    }
    for name, ((dim, hidden, latent), n, batch, steps) in cases.items():
        steps = max(10, int(steps * args.scale))
        x = (torch.rand(n, dim, generator=torch.Generator().manual_seed(1)) < 0.3).float()
        plain, ours = [], []
        for _ in range(args.rounds):
            torch.manual_seed(0)
            plain.append(plain_loop(MLPBetaVAE(dim, hidden, latent), x, steps, batch, device))
            torch.manual_seed(0)
            ours.append(trainer_loop(MLPBetaVAE(dim, hidden, latent), x, steps, batch,
                                     args.device))
        p, o = max(plain), max(ours)
        print(f"{name} on {device}: plain {p:,.0f} samples/s, Trainer {o:,.0f} samples/s, "
              f"ratio {o / p:.3f}  (rounds: plain {[round(v) for v in plain]}, "
              f"Trainer {[round(v) for v in ours]})")


if __name__ == "__main__":
    main()
