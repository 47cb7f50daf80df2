"""Diffusion throughput: ibkit's bound evaluation and DDPM training against plain PyTorch and
diffusers, on the same denoiser.

Run from the repository root (diffusers is not an ibkit dependency: ``pip install diffusers``;
without it the training comparison keeps only ibkit and the plain loop)::

    PYTHONPATH=src python benchmarks/bench_diffusion.py            # both cases, 3 rounds
    PYTHONPATH=src python benchmarks/bench_diffusion.py --quick    # smoke run, ~1 min
    PYTHONPATH=src python benchmarks/bench_diffusion.py --case digits --threads 2 --rounds 5

Two cases, each one denoiser module object shared by every contestant:

* ``toy2d``: :class:`~ibkit.diffusion.MLPDenoiser` (2-128-128-128-2) on 2-D two moons, cosine
  schedule, T = 1000, continuous decoder;
* ``digits``: :class:`~ibkit.diffusion.UNet` (8×8, 32 base channels) on scikit-learn's digits in
  [−1, 1], cosine schedule, T = 1000, discretised decoder with 17 bins.

**Bound evaluation** (examples × timesteps per second, all T + 1 terms of every example):

* ``ibkit``: :func:`ibkit.diffusion.vlb_terms` (default ``batch_size=4096``: many timesteps
  of the same examples per denoiser call); ``ibkit-b1024``: the same with ``batch_size=1024``,
  the default of ``ibkit diffusion bound``;
* ``plain``: a hand-written loop over t, one denoiser call per timestep on all examples (as in
  Nichol & Dhariwal's ``calc_bpd_loop``), with the posterior, the Gaussian KL, the discretised
  decoder and the prior term written out in torch from the schedule's arrays. Its bound is
  printed next to ibkit's as an independent check (the two use different noise draws, so they
  agree within their standard errors, not exactly).

**Training** (steps per second; same data tensor, batch, Adam with lr 1e-3, number of steps):

* ``ibkit``: ``Trainer(DDPM(net, ...), x, TrainConfig(...)).fit()`` with no evaluation data,
  ``checkpoint_every=0`` (``last.pt`` once, at the end), ``log_every=steps``, no progress bar.
  Per step :class:`~ibkit.diffusion.DDPM` also checks the batch and computes the bound
  estimate it logs (rate/distortion/bits_per_dim), beyond the ε-MSE it optimises;
* ``ibkit-loop``: the same ``DDPM.forward`` in a hand-written loop (no Trainer);
* ``diffusers``: diffusers' ``DDPMScheduler(trained_betas=<the same betas>)``: ``add_noise``,
  ``net(x_t, t)``, ``F.mse_loss`` against ε — the usual diffusers training loop.

Rounds alternate the contestants (rotating order); each one gets an untimed warm-up first. The
script prints the median of the rounds and the ratios ibkit / peer (> 1: ibkit faster).
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import ibkit
from ibkit.datasets import digits_images, two_moons
from ibkit.diffusion import DDPM, MLPDenoiser, UNet, get_schedule, vlb_terms
from ibkit.nn import TrainConfig, Trainer

BATCH, LR = 64, 1e-3


def make_case(name: str, T: int) -> tuple[DDPM, torch.Tensor]:
    torch.manual_seed(0)
    sched = get_schedule("cosine", T)
    if name == "toy2d":
        x = torch.as_tensor(two_moons(2048, seed=0))  # (2048, 2)
        return DDPM(MLPDenoiser(2, hidden=128, depth=3), sched), x
    x = torch.as_tensor(2.0 * digits_images(flatten=False).x[:1792, None] - 1.0)  # (1792,1,8,8)
    return DDPM(UNet(8, base_channels=32), sched, decoder="discretized", bins=17), x


# -- bound evaluation -----------------------------------------------------------------------


def _discretized_nll(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor,
                     bins: int) -> torch.Tensor:
    """−log P(x) per element, Ho et al.'s discretised Gaussian (edges take the tails)."""
    half = 1.0 / (bins - 1)
    inv_std = torch.exp(-0.5 * logvar)
    up, lo = (x + half - mean) * inv_std, (x - half - mean) * inv_std
    cdf_up, cdf_lo = torch.special.ndtr(up), torch.special.ndtr(lo)
    mid = torch.log((cdf_up - cdf_lo).clamp_min(1e-12))
    logp = torch.where(x < -1 + half, torch.special.log_ndtr(up),
                       torch.where(x > 1 - half, torch.special.log_ndtr(-lo), mid))
    return -logp


@torch.no_grad()
def plain_bound(model: DDPM, x0: torch.Tensor, gen: torch.Generator) -> np.ndarray:
    """(n, T + 1) nats: one denoiser call per t on all n examples, formulas written out."""
    c = model.schedule.to_torch(x0.device, x0.dtype)
    n, big_t = x0.shape[0], model.num_timesteps
    dims = tuple(range(1, x0.ndim))
    out = torch.empty(n, big_t + 1, dtype=torch.float64)
    for t in range(big_t):
        eps = torch.randn(x0.shape, generator=gen)
        a, s = c["sqrt_alphas_cumprod"][t], c["sqrt_one_minus_alphas_cumprod"][t]
        x_t = a * x0 + s * eps
        eps_hat = model.denoiser(x_t, torch.full((n,), t, dtype=torch.long))
        x0_hat = (x_t - s * eps_hat) / a
        c1, c2 = c["posterior_mean_coef1"][t], c["posterior_mean_coef2"][t]
        logvar = c["posterior_log_variance_clipped"][t]
        mu_hat = c1 * x0_hat + c2 * x_t
        if t == 0:
            if model.decoder == "discretized":
                term = _discretized_nll(x0, mu_hat, logvar, model.bins).sum(dims)
            else:
                term = (0.5 * (math.log(2 * math.pi) + logvar
                               + (x0 - mu_hat) ** 2 * torch.exp(-logvar))).sum(dims)
        else:  # equal variances: KL = |μ̃ − μ̂|² / (2σ²)
            mu = c1 * x0 + c2 * x_t
            term = (0.5 * (mu - mu_hat) ** 2 * torch.exp(-logvar)).sum(dims)
        out[:, t] = term.double()
    a_t, s_t = c["sqrt_alphas_cumprod"][-1], c["sqrt_one_minus_alphas_cumprod"][-1]
    var = s_t**2
    out[:, big_t] = (0.5 * (var + (a_t * x0) ** 2 - 1.0 - torch.log(var))).sum(dims).double()
    return out.numpy()


def bench_bound(model: DDPM, x: torch.Tensor, n: int, rounds: int) -> None:
    model.eval()
    x0 = x[:n]
    big_t = model.num_timesteps
    pairs = n * big_t
    runs: dict[str, Callable[[], np.ndarray]] = {
        "ibkit": lambda: vlb_terms(model, x0, generator=torch.Generator().manual_seed(0)).nats,
        "ibkit-b1024": lambda: vlb_terms(model, x0, batch_size=1024,
                                        generator=torch.Generator().manual_seed(0)).nats,
        "plain": lambda: plain_bound(model, x0, torch.Generator().manual_seed(1)),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    totals: dict[str, np.ndarray] = {}
    for fn in runs.values():  # warm-up
        fn()
    for r in range(rounds):
        names = list(runs)[r % len(runs):] + list(runs)[: r % len(runs)]
        for name in names:
            t0 = time.perf_counter()
            totals[name] = runs[name]().sum(axis=1)
            times[name].append(time.perf_counter() - t0)
    scale = model.n_dims * math.log(2.0)
    print(f"  bound evaluation, {n} examples × {big_t} timesteps:")
    for name in runs:
        med = statistics.median(times[name])
        tot = totals[name] / scale
        print(f"    {name:<12} {med:8.3f} s  {pairs / med:12.0f} (example·t)/s   bound "
              f"{tot.mean():.4f} ± {tot.std(ddof=1) / math.sqrt(n):.4f} bits/dim")
    for name in ("ibkit", "ibkit-b1024"):
        ratio = statistics.median(times["plain"]) / statistics.median(times[name])
        print(f"    ratio {name} / plain throughput: {ratio:.2f}×")


# -- training -------------------------------------------------------------------------------


def _ibkit_trainer(model: DDPM, x: torch.Tensor, steps: int) -> None:
    cfg = TrainConfig(steps=steps, batch_size=BATCH, lr=LR, eval_every=0, checkpoint_every=0,
                      log_every=steps, progress=False, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(model, x, cfg, tmp).fit()


def _ibkit_loop(model: DDPM, x: torch.Tensor, steps: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, x.shape[0], (BATCH,))
        loss = model(x[idx], step=step).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def _diffusers_loop(model: DDPM, x: torch.Tensor, steps: int) -> None:
    from diffusers import DDPMScheduler

    net = model.denoiser  # the very same module object
    sched = DDPMScheduler(num_train_timesteps=model.num_timesteps,
                          trained_betas=model.schedule.betas.tolist())
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    net.train()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (BATCH,))
        clean = x[idx]
        noise = torch.randn_like(clean)
        t = torch.randint(0, sched.config.num_train_timesteps, (BATCH,))
        loss = F.mse_loss(net(sched.add_noise(clean, noise, t), t), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def bench_train(model: DDPM, x: torch.Tensor, steps: int, rounds: int) -> None:
    runs: dict[str, Any] = {"ibkit": _ibkit_trainer, "ibkit-loop": _ibkit_loop}
    try:
        import diffusers

        runs["diffusers"] = _diffusers_loop
        peer = f"diffusers {diffusers.__version__}"
    except ImportError:
        peer = "diffusers not installed"
    start = copy.deepcopy(model.state_dict())
    times: dict[str, list[float]] = {k: [] for k in runs}
    for fn in runs.values():  # warm-up
        fn(model, x, max(2, steps // 10))
    for r in range(rounds):
        names = list(runs)[r % len(runs):] + list(runs)[: r % len(runs)]
        for name in names:
            model.load_state_dict(start)
            t0 = time.perf_counter()
            runs[name](model, x, steps)
            times[name].append(time.perf_counter() - t0)
    print(f"  training, {steps} steps of batch {BATCH} (Adam, lr {LR}; {peer}):")
    rate = {k: steps / statistics.median(v) for k, v in times.items()}
    for name, value in rate.items():
        print(f"    {name:<12} {value:8.1f} steps/s")
    for name in runs:
        if name != "ibkit":
            print(f"    ratio ibkit / {name}: {rate['ibkit'] / rate[name]:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 100, fewer steps and examples")
    parser.add_argument("--case", choices=("toy2d", "digits", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    T = 100 if args.quick else 1000
    print(f"ibkit {ibkit.__version__} from {ibkit.__file__}; torch {torch.__version__}, "
          f"{args.threads} thread(s)")
    cases = ("toy2d", "digits") if args.case == "all" else (args.case,)
    for name in cases:
        model, x = make_case(name, T)
        n = {"toy2d": 256, "digits": 8}[name] if args.quick else {"toy2d": 1000,
                                                                    "digits": 16}[name]
        steps = {"toy2d": 30, "digits": 10}[name] if args.quick else {"toy2d": 300,
                                                                        "digits": 60}[name]
        print(f"\n[{name}] T = {T}, data {tuple(x.shape)}, "
              f"{sum(p.numel() for p in model.parameters())} parameters")
        bench_bound(model, x, n, args.rounds)
        bench_train(model, x, steps, args.rounds)


if __name__ == "__main__":
    main()
