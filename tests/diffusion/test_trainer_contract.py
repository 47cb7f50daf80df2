"""A DDPM is trained by ibkit.nn.Trainer through the LossTerms contract, and resumes exactly."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ibkit.diffusion import DDPM, MLPDenoiser, get_schedule  # noqa: E402
from ibkit.nn import TrainConfig, Trainer  # noqa: E402

torch.set_num_threads(1)


def _model():
    torch.manual_seed(0)
    return DDPM(MLPDenoiser(2, hidden=16, depth=1), get_schedule("linear", 30))


def _config(steps):
    return TrainConfig(steps=steps, batch_size=32, eval_every=10, checkpoint_every=10,
                       log_every=5)


def test_trainer_trains_and_resumes_a_ddpm_bit_for_bit(tmp_path):
    x = (np.random.default_rng(0).normal(size=(256, 2)) * 0.5).astype(np.float32)
    straight = Trainer(_model(), x, _config(20), tmp_path / "a", eval_data=x[:64]).fit()
    assert straight.step == 20
    for key in ("loss", "rate", "distortion", "elbo", "mse", "bits_per_dim"):
        assert np.isfinite(straight.metrics[key])
    assert np.isfinite(straight.eval_metrics["bits_per_dim"])
    Trainer(_model(), x, _config(10), tmp_path / "b").fit()
    resumed = Trainer(_model(), x, _config(20), tmp_path / "b").fit(resume=True)
    assert resumed.resumed_from == 10
    assert resumed.metrics["loss"] == straight.metrics["loss"]
