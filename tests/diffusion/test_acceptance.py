"""Acceptance (§4 of the diffusion issue): a DDPM trained on digits on the CPU reports a finite
bits/dim bound that improves with training.

The bound is evaluated by ``run_bound`` on the same 64 held-out digits with the same noise draws
(seed 0) after a short and after a longer run of the same training (resumed, so the second model
is the first one trained further); the paired estimates differ by far more than their standard
errors. The data are 17-level images in [−1, 1], so the discretised decoder's bound is at most
log2(17) ≈ 4.09 bits/dim for a perfect-entropy model and far above it for an untrained one.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from ibkit.experiment.diffusion_config import load_diffusion_config  # noqa: E402
from ibkit.experiment.diffusion_run import run_bound, run_diffusion_training  # noqa: E402

SETTINGS = ["model.T=100", "model.base_channels=16", "train.batch_size=64", "train.lr=2e-3",
            "train.eval_every=0", "train.checkpoint_every=0", "train.log_every=50"]


@pytest.mark.slow
def test_digits_bound_is_finite_and_improves_with_training(tmp_path):
    torch.set_num_threads(1)
    run = tmp_path / "digits"
    short = load_diffusion_config(None, [*SETTINGS, "train.steps=30"])
    run_diffusion_training(short, run, plots=False, progress=False)
    before = run_bound(run, n_examples=64, checkpoint="last", plots=False)
    longer = load_diffusion_config(None, [*SETTINGS, "train.steps=300"])
    run_diffusion_training(longer, run, resume=True, plots=False, progress=False)
    after = run_bound(run, n_examples=64, checkpoint="last", plots=False)
    assert before["step"] == 30 and after["step"] == 300
    for res in (before, after):
        assert math.isfinite(res["bits_per_dim"]) and res["bits_per_dim"] > 0
        assert res["decoder"] == "discretized" and res["n_dims"] == 64
    se = math.hypot(before["bits_per_dim_stderr"], after["bits_per_dim_stderr"])
    assert after["bits_per_dim"] < before["bits_per_dim"] - 5 * se
    assert after["bits_per_dim"] < 0.7 * before["bits_per_dim"]
