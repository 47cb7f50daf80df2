"""Images that show what a VAE learned: reconstructions, prior samples, latent traversals.

All functions return NumPy arrays ``(n, H, W)`` with values in [0, 1] (the decoder mean
``E[x|z]``), ready for :func:`ibkit.plotting.training.plot_image_grid`; they run the model in
eval mode without gradients and leave the global RNG untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..exceptions import ShapeMismatchError

__all__ = ["reconstructions", "samples", "traversals"]


def _images(t: torch.Tensor) -> np.ndarray:
    arr = t.detach().cpu().double().clamp(0.0, 1.0).numpy()
    if arr.ndim == 4 and arr.shape[1] == 1:  # (n, 1, H, W)
        arr = arr[:, 0]
    if arr.ndim != 3:
        raise ShapeMismatchError(f"image plots need (n, H, W) outputs; got shape {arr.shape}")
    return arr


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def reconstructions(model: Any, x: np.ndarray) -> np.ndarray:
    """Inputs then reconstructions ``E[x | z = μ(x)]``: ``(2n, H, W)``."""
    was_training = model.training
    model.eval()
    try:
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32), device=_device(model))
        recon = model.reconstruct(xt)
        inputs = xt.reshape(recon.shape)
        return np.concatenate([_images(inputs), _images(recon)])
    finally:
        model.train(was_training)


@torch.no_grad()
def samples(model: Any, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` decoder means ``E[x|z]`` with ``z ~ p(z)`` (seeded): ``(n, H, W)``."""
    was_training = model.training
    model.eval()
    try:
        device = _device(model)
        generator = torch.Generator(device=device).manual_seed(seed)
        return _images(model.sample(n, generator=generator))
    finally:
        model.train(was_training)


@torch.no_grad()
def traversals(
    model: Any, x: np.ndarray, *, n_steps: int = 9, span: float = 2.5
) -> tuple[np.ndarray, list[str]]:
    r"""Vary one latent at a time around :math:`\mu(x)` of one example.

    Row ``j`` decodes ``z = μ(x) + t e_j`` for ``t`` in ``linspace(-span, span, n_steps)``
    (units of the prior's standard deviation). Returns the ``(latent_dim · n_steps, H, W)``
    images row by row and the row labels ``["z0", "z1", ...]``.
    """
    was_training = model.training
    model.eval()
    try:
        xt = torch.as_tensor(np.asarray(x[:1], dtype=np.float32), device=_device(model))
        mean, _ = model.encode(xt)  # (1, D)
        d = mean.shape[1]
        offsets = torch.linspace(-span, span, n_steps, device=mean.device, dtype=mean.dtype)
        z = mean.repeat(d * n_steps, 1)  # (D·n_steps, D)
        rows = torch.arange(d, device=mean.device).repeat_interleave(n_steps)
        z[torch.arange(d * n_steps), rows] += offsets.repeat(d)
        return _images(model.decode(z)), [f"z{j}" for j in range(d)]
    finally:
        model.train(was_training)
