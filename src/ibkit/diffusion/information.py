r"""The information view of a diffusion schedule: per-timestep KL curves, with no training.

Two different curves, both functions of the schedule and the data only:

1. **Marginal KL** (the rate x_t still carries about x_0, against the standard-normal prior):

   .. math:: R_t = E_{x_0}\,\mathrm{KL}\big(q(x_t|x_0)\,\|\,\mathcal N(0, I)\big)
             = \tfrac12\big[\bar\alpha_t (E\|x_0\|^2 - D) - D\log(1 - \bar\alpha_t)\big]
             = I(x_0; x_t) + \mathrm{KL}(q(x_t)\,\|\,\mathcal N(0, I)) \ \ge I(x_0; x_t).

   It decreases in t: the bottleneck x_t tightens as noise is added (the reference text's
   "increasing KL" reads it in the generative direction t = T → 0).

2. **Posterior KL** (the per-step terms L_{t−1} of eq. 19, t = 2 … T) under the best linear
   Gaussian reverse model, which depends on the data only through its covariance spectrum
   λ_1, …, λ_D:

   .. math:: L^{\rm lin}_{t-1} = I_G(x_0; x_{t-1}) - I_G(x_0; x_t), \qquad
             I_G(x_0; x_t) = \tfrac12 \sum_k \log(1 + \lambda_k\,\mathrm{SNR}_t).

   For Gaussian data this is the exact optimum (:func:`~ibkit.diffusion.gaussian_oracle`); for
   any other data it upper-bounds the optimal (non-linear) model's
   :math:`L^*_{t-1} = I(x_0; x_{t-1} | x_t)`, since the linear model is one candidate.

NumPy only (no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_base
from ..exceptions import DataFormatError, InvalidParameterError
from .noise_schedule import NoiseSchedule

__all__ = [
    "MARGINAL_LABEL",
    "POSTERIOR_LABEL",
    "KLCurves",
    "covariance_spectrum",
    "gaussian_information",
    "kl_curves",
    "marginal_kl_curve",
    "posterior_kl_curve",
]

MARGINAL_LABEL = "E KL(q(x_t|x_0) ‖ N(0, I))  [rate x_t still carries about x_0]"
POSTERIOR_LABEL = "L_{t−1} = E KL(q(x_{t−1}|x_t, x_0) ‖ p_lin(x_{t−1}|x_t))  [posterior KL]"


def _as_data(x0: Any) -> np.ndarray:
    try:
        arr = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(f"x0 must be an array of numbers; got {type(x0).__name__}") from None
    if arr.ndim < 1 or arr.shape[0] < 1 or arr.size == 0:
        raise DataFormatError(f"x0 must be a non-empty batch (n, ...); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataFormatError("x0 must be finite; got a NaN or infinite value")
    return arr.reshape(arr.shape[0], -1)  # (n, D)


def _check_schedule(schedule: Any) -> NoiseSchedule:
    if not isinstance(schedule, NoiseSchedule):
        raise InvalidParameterError(
            f"schedule must be a NoiseSchedule (see get_schedule); got {type(schedule).__name__}"
        )
    return schedule


def _scale(base: float, per_dim: bool, dims: int) -> float:
    return 1.0 / (math.log(check_base(base)) * (dims if per_dim else 1))


def covariance_spectrum(x0: Any) -> np.ndarray:
    r"""Eigenvalues ``(D,)`` of the data covariance (ddof = 0), clipped at 0; via the Gram
    matrix when n < D. Zero-variance directions (constant pixels) add nothing.

    .. math:: \lambda_k = \operatorname{eig}_k\Big(\tfrac1n\sum_i (x_i-\bar x)(x_i-\bar x)^\top
              \Big) \ge 0

    ``x0``: ``(n, ...)``, flattened to ``(n, D)``; eigenvalues in squared data units.
    """
    x = _as_data(x0)
    xc = x - x.mean(axis=0)  # (n, D)
    n, dims = xc.shape
    gram = xc @ xc.T if n < dims else xc.T @ xc  # (min(n, D),)²
    eig = np.clip(np.linalg.eigvalsh(gram) / n, 0.0, None)
    return np.concatenate([eig, np.zeros(dims - eig.size)])


def gaussian_information(schedule: NoiseSchedule, spectrum: Any) -> np.ndarray:
    r"""I_G(x_0; x_t) for t = 1 … T, nats, shape ``(T,)``; ``spectrum``: eigenvalues ``(D,)``.

    .. math:: I_G(x_0; x_t) = \tfrac12 \sum_k \log\big(1 + \lambda_k\,\mathrm{SNR}_t\big),
              \qquad \mathrm{SNR}_t = \bar\alpha_t / (1 - \bar\alpha_t)
    """
    schedule = _check_schedule(schedule)
    lam = np.asarray(spectrum, dtype=np.float64).reshape(-1)
    if lam.size == 0 or np.any(~np.isfinite(lam)) or np.any(lam < 0):
        raise InvalidParameterError(f"spectrum must be finite eigenvalues >= 0; got {lam!r}")
    return 0.5 * np.log1p(np.outer(schedule.snr, lam)).sum(axis=1)


def marginal_kl_curve(
    schedule: NoiseSchedule, x0: Any, *, base: float = math.e, per_dim: bool = False
) -> np.ndarray:
    r"""E_{x_0} KL(q(x_t|x_0) ‖ N(0, I)) for t = 1 … T, shape ``(T,)``.

    .. math:: \tfrac12\left[\bar\alpha_t (E\|x_0\|^2 - D) - D\log(1 - \bar\alpha_t)\right]

    Parameters
    ----------
    schedule : NoiseSchedule
    x0 : array_like, shape ``(n, ...)``
        Data (any scale; images scaled to [−1, 1] as the DDPM sees them).
    base : float
        Logarithm base of the result (e: nats, 2: bits).
    per_dim : bool
        Divide by D (e.g. bits per dimension).
    """
    schedule = _check_schedule(schedule)
    x = _as_data(x0)
    dims = x.shape[1]
    m2 = float(np.mean(np.sum(x**2, axis=1)))
    abar = schedule.alphas_cumprod
    nats = 0.5 * (abar * (m2 - dims) - dims * np.log(schedule.one_minus_alphas_cumprod))
    return nats * _scale(base, per_dim, dims)


def posterior_kl_curve(
    schedule: NoiseSchedule, x0: Any, *, base: float = math.e, per_dim: bool = False
) -> np.ndarray:
    r"""L^lin_{t−1} = I_G(x_0; x_{t−1}) − I_G(x_0; x_t) for t = 2 … T, shape ``(T − 1,)``.

    .. math:: L^\mathrm{lin}_{t-1} = I_G(x_0; x_{t-1}) - I_G(x_0; x_t)

    The posterior KL terms of eq. (19) under the best linear Gaussian reverse model
    (module notes); same ``base`` / ``per_dim`` as :func:`marginal_kl_curve`.
    """
    schedule = _check_schedule(schedule)
    x = _as_data(x0)
    info = gaussian_information(schedule, covariance_spectrum(x))  # (T,)
    return (info[:-1] - info[1:]) * _scale(base, per_dim, x.shape[1])


@dataclass(frozen=True, eq=False)
class KLCurves:
    r"""Both curves for one schedule and data set (see the module notes for the definitions).

    .. math:: \text{marginal}_t = \tfrac12\left[\bar\alpha_t (E\|x_0\|^2 - D)
              - D\log(1 - \bar\alpha_t)\right],\quad
              \text{information}_t = \tfrac12 \sum_k \log(1 + \lambda_k \mathrm{SNR}_t),\quad
              \text{posterior}_t = \text{information}_{t-1} - \text{information}_t

    (in ``units``).

    Attributes
    ----------
    schedule : str
        Schedule name.
    t : (T,) int, 1 … T — the axis of ``marginal`` and ``information``.
    marginal : (T,) E KL(q(x_t|x_0) ‖ N(0, I)) (:data:`MARGINAL_LABEL`).
    information : (T,) I_G(x_0; x_t), the Gaussian-surrogate mutual information (≤ marginal).
    posterior_t : (T − 1,) int, 2 … T — the axis of ``posterior``.
    posterior : (T − 1,) L^lin_{t−1} (:data:`POSTERIOR_LABEL`).
    units : str
        ``"nats"``, ``"bits"``, ``"nats/dim"``, ``"bits/dim"`` or ``"log-base-b"``.
    """

    schedule: str
    t: np.ndarray
    marginal: np.ndarray
    information: np.ndarray
    posterior_t: np.ndarray
    posterior: np.ndarray
    units: str


def kl_curves(
    schedule: NoiseSchedule, x0: Any, *, base: float = 2.0, per_dim: bool = True,
    spectrum: Any = None,
) -> KLCurves:
    r""":class:`KLCurves` of ``schedule`` on data ``x0`` ``(n, ...)`` (default bits per dimension).

    .. math:: \text{marginal}_t = \mathbb E\,\mathrm{KL}(q(x_t|x_0)\,\|\,\mathcal N(0,I)),\quad
              \text{information}_t = I_G(x_0;x_t),\quad
              \text{posterior}_t = I_G(x_0;x_{t-1}) - I_G(x_0;x_t)

    each divided by :math:`\ln b` (``base``) and by D when ``per_dim``.

    ``spectrum`` (the :func:`covariance_spectrum` of ``x0``) may be passed to reuse it across
    schedules; it is computed from ``x0`` otherwise.
    """
    schedule = _check_schedule(schedule)
    x = _as_data(x0)
    scale = _scale(base, per_dim, x.shape[1])
    lam = covariance_spectrum(x) if spectrum is None else spectrum
    info = gaussian_information(schedule, lam) * scale
    unit = {2.0: "bits", math.e: "nats"}.get(float(base), f"log-base-{base:g}")
    big_t = schedule.T
    return KLCurves(
        schedule=schedule.name,
        t=np.arange(1, big_t + 1),
        marginal=marginal_kl_curve(schedule, x, base=base, per_dim=per_dim),
        information=info,
        posterior_t=np.arange(2, big_t + 1),
        posterior=info[:-1] - info[1:],
        units=unit + ("/dim" if per_dim else ""),
    )
