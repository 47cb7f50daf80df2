"""Compute the variational bound of a diffusion model, term by term (eq. 19).

L = L_0 + Σ_{t=2..T} L_{t−1} + L_T: a decoder term, one KL per timestep (a stack of
bottlenecks) and a prior term. Two models: (1) the exact optimum for Gaussian data, whose bound
is known in closed form — the Monte Carlo estimate of ``vlb_terms`` must agree with it; (2) a
small MLP denoiser trained briefly on two moons. Bits per dimension = nats / (d ln 2).
Run ``python examples/diffusion_bound.py`` (about a minute; ``--quick``: a few seconds).
"""

from __future__ import annotations

import argparse
import math
import tempfile

import torch

from ibkit.datasets import two_moons
from ibkit.diffusion import (
    DDPM,
    GaussianOracleDenoiser,
    MLPDenoiser,
    gaussian_oracle,
    get_schedule,
    vlb_terms,
)
from ibkit.nn import TrainConfig, Trainer


def oracle_check(T: int, n: int) -> None:
    """The bound of the optimal model for x_0 ~ N(0, s² I_2): Monte Carlo vs closed form."""
    schedule, s2, dim = get_schedule("cosine", T), 0.5, 2
    oracle = gaussian_oracle(schedule, s2, dim=dim)
    model = DDPM(GaussianOracleDenoiser(oracle, learned_variance=True), schedule,
                 variance="learned")
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(n, dim, generator=gen, dtype=torch.float64) * math.sqrt(s2)  # (n, 2)
    res = vlb_terms(model, x0, generator=torch.Generator().manual_seed(1))
    mean, se = res.total()                       # nats per example, its standard error
    print(f"Gaussian oracle, T = {T}: bound {mean:.4f} ± {se:.4f} nats "
          f"(closed form {oracle.terms.sum():.4f}); "
          f"{res.total(bits_per_dim=True)[0]:.4f} bits/dim")


def trained_model(T: int, steps: int, n_eval: int) -> None:
    """Train an MLP denoiser on two moons, then evaluate every term of its bound."""
    torch.manual_seed(0)
    x = two_moons(4000, seed=0).astype("float32")   # (4000, 2)
    model = DDPM(MLPDenoiser(2, hidden=128, depth=3), get_schedule("cosine", T))
    config = TrainConfig(steps=steps, batch_size=256, lr=1e-3, seed=0, device="cpu",
                         eval_every=0, checkpoint_every=steps)
    with tempfile.TemporaryDirectory(prefix="ddpm-") as run_dir:  # checkpoints not kept
        Trainer(model, x, config, run_dir).fit()
    model.eval()
    x_eval = torch.as_tensor(two_moons(n_eval, seed=1), dtype=torch.float32)  # held out
    res = vlb_terms(model, x_eval, generator=torch.Generator().manual_seed(2))
    terms = res.mean()                            # (T + 1,) nats: L_0, L_1 … L_{T−1}, L_T
    mean, se = res.total(bits_per_dim=True)
    print(f"MLP DDPM on two moons, T = {T}, {steps} steps: {mean:.3f} ± {se:.3f} bits/dim")
    print(f"  L_0 = {terms[0]:.3f}, Σ L_t-1 = {terms[1:-1].sum():.3f}, "
          f"L_T = {terms[-1]:.2e} nats; largest KL at t = {int(terms[1:-1].argmax()) + 2}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 50, few steps and samples")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    T = 50 if args.quick else 200
    oracle_check(T, 500 if args.quick else 5000)
    trained_model(T, 100 if args.quick else 3000, 200 if args.quick else 2000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
