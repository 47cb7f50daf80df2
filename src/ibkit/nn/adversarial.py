r"""Adversarial robustness of stochastic classifiers: the fast gradient sign method (FGSM).

For a classifier with predictive distribution :math:`\bar q(y|x)` (for the VIB, the average of
the softmax over S posterior samples, :meth:`~ibkit.nn.VIBClassifier.predict_proba`), FGSM
moves every input one step of size ε along the sign of the gradient of the loss,

.. math:: x_{\text{adv}} = \operatorname{clip}_{[a, b]}\!\bigl(x + \varepsilon\,
          \operatorname{sign} \nabla_x [-\log \bar q(y|x)]\bigr),

and the robustness measure is the error rate on :math:`x_{\text{adv}}`. Using the *averaged*
predictive log-probability (not a single sample's) is the attack Alemi et al. (2017, §4.2) run
against the VIB: it attacks the classifier that is actually used for prediction.

References
----------
Goodfellow, Shlens & Szegedy (2015), "Explaining and harnessing adversarial examples", ICLR.
Alemi, Fischer, Dillon & Murphy (2017), "Deep variational information bottleneck", ICLR, §4.2.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .._validation import check_int
from ..exceptions import DataFormatError, InvalidParameterError
from ._checks import check_labels

__all__ = ["fgsm_error", "fgsm_perturb"]


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) \
            or eps < 0:
        raise InvalidParameterError(f"eps must be a finite number >= 0; got {eps!r}")
    return float(eps)


def _check_inputs(model: Any, x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(model, nn.Module) or not callable(getattr(model, "predict_proba", None)):
        raise InvalidParameterError(
            "model must be an nn.Module with predict_proba(x, n_samples) (e.g. VIBClassifier); "
            f"got {type(model).__name__}"
        )
    if not torch.is_tensor(x) or not torch.is_floating_point(x) or x.ndim < 2 or x.shape[0] == 0:
        raise DataFormatError(
            "x must be a non-empty floating-point torch.Tensor of shape (batch, ...); got "
            f"{type(x).__name__} {tuple(getattr(x, 'shape', ()))}"
        )
    n_classes = int(getattr(model, "n_classes", 0)) or None
    if n_classes is None:
        raise InvalidParameterError("model must have an n_classes attribute")
    return x, check_labels(y, x.shape[0], n_classes)


def fgsm_perturb(
    model: nn.Module, x: torch.Tensor, y: Any, eps: float, *,
    n_samples: int | None = None, clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | None = 0,
) -> torch.Tensor:
    r"""FGSM adversarial examples against the averaged predictive distribution.

    .. math:: x_{\text{adv}} = \operatorname{clip}\bigl(x + \varepsilon\,\operatorname{sign}
              \nabla_x [-\log \tfrac1S \textstyle\sum_s q(y|z_s)]\bigr), \quad z_s \sim q(z|x)

    Parameters
    ----------
    model : nn.Module with ``predict_proba(x, n_samples) -> (B, C)`` probabilities and
        ``n_classes`` (e.g. :class:`~ibkit.nn.VIBClassifier`).
    x : (B, ...) float tensor, the clean inputs (digits: pixel values in [0, 1]).
    y : (B,) integer labels in ``[0, n_classes)``.
    eps : ε ≥ 0, the L∞ size of the perturbation, in the units of ``x``.
    n_samples : S for the averaged prediction (default the model's own, 12 for the VIB).
    clip : ``(lo, hi)`` range of valid inputs, or None for no clipping.
    seed : seeds the posterior samples of the gradient pass (None: the global RNG).

    Returns
    -------
    (B, ...) tensor, detached, the same shape, dtype and device as ``x``.
    """
    eps = _check_eps(eps)
    x, y = _check_inputs(model, x, y)
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", minimum=1)
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            if seed is not None:
                torch.manual_seed(seed)
            x_in = x.detach().clone().requires_grad_(True)  # (B, ...)
            probs = model.predict_proba(x_in, n_samples)  # (B, C)
            log_p = probs.clamp_min(torch.finfo(probs.dtype).tiny).log()  # (B, C)
            loss = -log_p.gather(1, y.to(probs.device).unsqueeze(1)).sum()
            (grad,) = torch.autograd.grad(loss, x_in)  # (B, ...)
    finally:
        model.train(was_training)
    x_adv = x.detach() + eps * grad.sign()  # (B, ...)
    if clip is not None:
        x_adv = x_adv.clamp(float(clip[0]), float(clip[1]))
    return x_adv


def fgsm_error(
    model: nn.Module, x: torch.Tensor, y: Any, eps: float, *,
    n_samples: int | None = None, clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | None = 0,
) -> float:
    r"""Error rate of ``model`` on FGSM examples of size ``eps`` (:func:`fgsm_perturb`).

    .. math:: \text{error} = \frac1B \sum_i \mathbb 1\bigl[\arg\max_c \bar q(c|x_{\text{adv},i})
              \ne y_i\bigr]

    ``eps = 0`` gives the clean error. The prediction averages S = ``n_samples`` posterior
    samples (seeded with ``seed + 1``), like the gradient. Parameters as :func:`fgsm_perturb`;
    returns a float in [0, 1].
    """
    x_adv = fgsm_perturb(model, x, y, eps, n_samples=n_samples, clip=clip, seed=seed)
    y = check_labels(y, x.shape[0], int(model.n_classes)).to(x_adv.device)  # type: ignore[arg-type]
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            if seed is not None:
                torch.manual_seed(seed + 1)
            pred = model.predict_proba(x_adv, n_samples).argmax(dim=1)  # (B,)
    finally:
        model.train(was_training)
    return float((pred != y).to(torch.float64).mean())
