r"""Named DDPM noise schedules: pure functions ``T → β_1, …, β_T`` and a registry.

Every ``*_betas`` function returns a float64 array of shape ``(T,)`` whose index ``i`` holds
β at paper time ``t = i + 1``; :func:`get_schedule` wraps one into a
:class:`~ibkit.diffusion.NoiseSchedule`. Schedules defined through a continuous
:math:`\bar\alpha(u)`, ``u = t/T ∈ [0, 1]``, are discretised as in Nichol & Dhariwal's code:

.. math:: \beta_t = \min\!\left(1 - \frac{\bar\alpha(t/T)}{\bar\alpha((t-1)/T)},\;
          \beta_{\max}\right), \qquad \beta_{\max} = 0.999,

so the discrete :math:`\bar\alpha_t = \prod_{s\le t}(1-\beta_s)` equals
:math:`\bar\alpha(t/T)/\bar\alpha(0)` until the clip acts (only ever near ``t = T``).

NumPy only (no torch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit

from .._validation import check_int, check_positive
from ..exceptions import InvalidParameterError
from .noise_schedule import NoiseSchedule

__all__ = [
    "SCHEDULES",
    "available_schedules",
    "betas_from_alpha_bar",
    "cosine_alpha_bar",
    "cosine_betas",
    "get_schedule",
    "linear_betas",
    "log_snr_betas",
    "scaled_linear_betas",
    "schedule_from_dict",
    "sigmoid_alpha_bar",
    "sigmoid_alpha_bar_betas",
    "sigmoid_betas",
    "sqrt_alpha_bar",
    "sqrt_betas",
]

MAX_BETA = 0.999


def _unit(value: Any, name: str) -> float:
    out = check_positive(value, name)
    if out >= 1:
        raise InvalidParameterError(f"{name} must lie in the open interval (0, 1); got {out!r}")
    return out


def _grid(T: int) -> np.ndarray:
    return np.arange(check_int(T, "T", minimum=1) + 1, dtype=np.float64) / T  # u = t/T, (T+1,)


def betas_from_alpha_bar(
    alpha_bar: Callable[[np.ndarray], np.ndarray], T: int, *, max_beta: float = MAX_BETA
) -> np.ndarray:
    r"""Discretise a continuous ᾱ(u), u ∈ [0, 1], into T betas (Nichol & Dhariwal 2021).

    .. math:: \beta_t = \min(1 - \bar\alpha(t/T)/\bar\alpha((t-1)/T),\ \beta_{\max})
    """
    max_beta = _unit(max_beta, "max_beta")
    abar = np.asarray(alpha_bar(_grid(T)), dtype=np.float64)  # (T+1,)
    with np.errstate(divide="ignore", invalid="ignore"):
        betas = 1.0 - abar[1:] / abar[:-1]
    return np.minimum(betas, max_beta)


def linear_betas(
    T: int, *, beta_start: float = 1e-4, beta_end: float = 0.02
) -> np.ndarray:
    r"""DDPM's linear schedule, rescaled to T steps as in Nichol & Dhariwal's code.

    .. math:: \beta_t = \tfrac{1000}{T}\left[\beta_{\rm start} + (\beta_{\rm end} -
              \beta_{\rm start})\tfrac{t-1}{T-1}\right]

    With the defaults (1e-4, 0.02) and T = 1000 this is Ho et al.'s schedule; β_T ≥ 1 (refused)
    for 1 < T ≤ 20; T = 1 gives β_1 = 1000 β_start.

    References
    ----------
    Ho, Jain & Abbeel (2020), "Denoising diffusion probabilistic models", §4.
    Nichol & Dhariwal (2021), "Improved DDPMs", code ``get_named_beta_schedule("linear")``.
    """
    T = check_int(T, "T", minimum=1)
    scale = 1000.0 / T
    lo = scale * check_positive(beta_start, "beta_start")
    hi = scale * check_positive(beta_end, "beta_end")
    return np.linspace(lo, hi, T, dtype=np.float64)


def scaled_linear_betas(
    T: int, *, beta_start: float = 0.00085, beta_end: float = 0.012
) -> np.ndarray:
    r"""Latent diffusion's "scaled linear" schedule: linear in √β (no rescaling with T).

    .. math:: \beta_t = \left[\sqrt{\beta_{\rm start}} + (\sqrt{\beta_{\rm end}} -
              \sqrt{\beta_{\rm start}})\tfrac{t-1}{T-1}\right]^2

    References
    ----------
    Rombach et al. (2022), "High-resolution image synthesis with latent diffusion models"
    (Stable Diffusion config: 0.00085 → 0.012); diffusers ``beta_schedule="scaled_linear"``.
    """
    T = check_int(T, "T", minimum=1)
    lo = np.sqrt(check_positive(beta_start, "beta_start"))
    hi = np.sqrt(check_positive(beta_end, "beta_end"))
    return np.linspace(lo, hi, T, dtype=np.float64) ** 2


def cosine_alpha_bar(u: np.ndarray, s: float = 0.008) -> np.ndarray:
    r"""Nichol & Dhariwal's :math:`f(u) = \cos^2\!\big(\tfrac{u + s}{1 + s}\tfrac\pi2\big)`."""
    return np.cos((np.asarray(u, dtype=np.float64) + s) / (1 + s) * np.pi / 2) ** 2


def cosine_betas(T: int, *, s: float = 0.008, max_beta: float = MAX_BETA) -> np.ndarray:
    r"""The cosine schedule: :math:`\bar\alpha_t = f(t/T)/f(0)`, β clipped at 0.999.

    .. math:: f(u) = \cos^2\!\left(\frac{u + s}{1 + s}\cdot\frac{\pi}{2}\right), \quad s = 0.008

    References
    ----------
    Nichol & Dhariwal (2021), "Improved denoising diffusion probabilistic models", eq. (17).
    """
    s = check_positive(s, "s")
    return betas_from_alpha_bar(lambda u: cosine_alpha_bar(u, s), T, max_beta=max_beta)


def sqrt_alpha_bar(u: np.ndarray, s: float = 1e-4) -> np.ndarray:
    r"""Diffusion-LM's :math:`\bar\alpha(u) = 1 - \sqrt{u + s}`."""
    return 1.0 - np.sqrt(np.asarray(u, dtype=np.float64) + s)


def sqrt_betas(T: int, *, s: float = 1e-4, max_beta: float = MAX_BETA) -> np.ndarray:
    r"""The sqrt schedule of Diffusion-LM: :math:`\bar\alpha(u) = 1 - \sqrt{u + s}`.

    Discretised by :func:`betas_from_alpha_bar` as in the authors' code, so
    :math:`\bar\alpha_t = (1 - \sqrt{t/T + s})/(1 - \sqrt s)`; ᾱ(1) < 0, so β_T is the clip 0.999.

    References
    ----------
    Li, Thickstun, Gulrajani, Liang & Hashimoto (2022), "Diffusion-LM improves controllable text
    generation", §4.2 and code ``get_named_beta_schedule("sqrt")``.
    """
    s = check_positive(s, "s")
    return betas_from_alpha_bar(lambda u: np.maximum(sqrt_alpha_bar(u, s), 0.0), T,
                                max_beta=max_beta)


def sigmoid_betas(
    T: int, *, beta_start: float = 1e-4, beta_end: float = 0.02
) -> np.ndarray:
    r"""Sigmoid schedule **on β** (GeoDiff; diffusers ``beta_schedule="sigmoid"``).

    .. math:: \beta_t = \beta_{\rm start} + (\beta_{\rm end} - \beta_{\rm start})\,
              \sigma\!\left(-6 + 12\tfrac{t-1}{T-1}\right), \quad \sigma(z) = 1/(1 + e^{-z})

    This is the default meaning of the name ``"sigmoid"`` here; the sigmoid schedule **on ᾱ**
    of Jabri et al. / Chen is :func:`sigmoid_alpha_bar_betas` (``"sigmoid_alpha_bar"``).

    References
    ----------
    Xu et al. (2022), "GeoDiff: a geometric diffusion model for molecular conformation
    generation", code ``get_beta_schedule("sigmoid")``; diffusers ``DDPMScheduler``.
    """
    T = check_int(T, "T", minimum=1)
    lo = check_positive(beta_start, "beta_start")
    hi = check_positive(beta_end, "beta_end")
    return lo + (hi - lo) * expit(np.linspace(-6.0, 6.0, T, dtype=np.float64))


def sigmoid_alpha_bar(
    u: np.ndarray, start: float = -3.0, end: float = 3.0, tau: float = 1.0
) -> np.ndarray:
    r"""Chen's :math:`\bar\alpha(u) = \frac{\sigma(e/\tau) - \sigma((u(e - s) + s)/\tau)}
    {\sigma(e/\tau) - \sigma(s/\tau)}` with ``s = start``, ``e = end``."""
    v_start, v_end = expit(start / tau), expit(end / tau)
    z = (np.asarray(u, dtype=np.float64) * (end - start) + start) / tau
    return (v_end - expit(z)) / (v_end - v_start)


def sigmoid_alpha_bar_betas(
    T: int, *, start: float = -3.0, end: float = 3.0, tau: float = 1.0,
    max_beta: float = MAX_BETA,
) -> np.ndarray:
    r"""Sigmoid schedule **on ᾱ** (Jabri et al. 2022; Chen 2023), β clipped at 0.999.

    .. math:: \bar\alpha(u) = \frac{\sigma(e/\tau) - \sigma\big((u(e-s)+s)/\tau\big)}
              {\sigma(e/\tau) - \sigma(s/\tau)}, \quad s = -3,\ e = 3,\ \tau = 1

    ᾱ(0) = 1 and ᾱ(1) = 0, so β_T is the clip 0.999.

    References
    ----------
    Jabri, Fleet & Chen (2022), "Scalable adaptive computation for iterative generation".
    Chen (2023), "On the importance of noise scheduling for diffusion models", Algorithm 1.
    """
    tau = check_positive(tau, "tau")
    if not (np.isfinite(start) and np.isfinite(end) and start < end):
        raise InvalidParameterError(f"start < end must hold; got start={start!r}, end={end!r}")
    return betas_from_alpha_bar(lambda u: sigmoid_alpha_bar(u, start, end, tau), T,
                                max_beta=max_beta)


def log_snr_betas(
    T: int, *, log_snr_max: float = 10.0, log_snr_min: float = -10.0
) -> np.ndarray:
    r"""A continuous linear log-SNR schedule discretised at T steps (VDM-style).

    .. math:: \lambda(u) = \lambda_{\max} + (\lambda_{\min} - \lambda_{\max})\,u, \quad
              \bar\alpha_t = \sigma(\lambda(t/T))\ (t \ge 1), \quad \bar\alpha_0 = 1, \quad
              \beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}

    so the log-SNR of step t is exactly λ(t/T) (no renormalisation by ᾱ(0)).

    References
    ----------
    Kingma, Salimans, Poole & Ho (2021), "Variational diffusion models", §3 and eq. (3)
    (α² = σ(λ), σ² = σ(−λ)); the fixed linear λ(u) is their "noise schedule" baseline.
    """
    T = check_int(T, "T", minimum=1)
    hi = float(log_snr_max)
    lo = float(log_snr_min)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidParameterError(
            f"log_snr_min < log_snr_max must hold; got {log_snr_min!r}, {log_snr_max!r}"
        )
    lam = hi + (lo - hi) * _grid(T)[1:]  # λ(t/T), (T,)
    log_abar = -np.logaddexp(0.0, -lam)  # log σ(λ)
    log_prev = np.concatenate([[0.0], log_abar[:-1]])
    return -np.expm1(log_abar - log_prev)


#: name → β function; the β-sigmoid is ``"sigmoid"``, the ᾱ-sigmoid ``"sigmoid_alpha_bar"``.
SCHEDULES: dict[str, Callable[..., np.ndarray]] = {
    "linear": linear_betas,
    "scaled_linear": scaled_linear_betas,
    "cosine": cosine_betas,
    "sqrt": sqrt_betas,
    "sigmoid": sigmoid_betas,
    "sigmoid_alpha_bar": sigmoid_alpha_bar_betas,
    "log_snr": log_snr_betas,
}


def available_schedules() -> list[str]:
    """Registered schedule names, in :data:`SCHEDULES` order."""
    return list(SCHEDULES)


def get_schedule(name: str, T: int = 1000, **kwargs: Any) -> NoiseSchedule:
    r"""The :class:`NoiseSchedule` of the named schedule with ``T`` steps (β_t: shape ``(T,)``).

    .. math:: \alpha_t = 1 - \beta_t, \qquad \bar\alpha_t = \prod_{s=1}^{t} \alpha_s

    Parameters
    ----------
    name : str
        One of :func:`available_schedules` (``linear``, ``scaled_linear``, ``cosine``, ``sqrt``,
        ``sigmoid`` (on β), ``sigmoid_alpha_bar`` (on ᾱ), ``log_snr``).
    T : int
        Number of diffusion steps, ≥ 1.
    **kwargs
        The schedule function's keyword options (``beta_start``, ``s``, ``max_beta``, ...).

    Raises
    ------
    InvalidParameterError
        Unknown name or option, T < 1, or a resulting β outside (0, 1) (the message names it).
    """
    if name not in SCHEDULES:
        raise InvalidParameterError(
            f"unknown noise schedule {name!r}; available: {', '.join(SCHEDULES)}"
        )
    fn = SCHEDULES[name]
    T = check_int(T, "T", minimum=1)
    allowed = fn.__kwdefaults__ or {}
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise InvalidParameterError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for schedule {name!r}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )
    betas = fn(T, **kwargs)
    return NoiseSchedule(betas, name=name, params={"T": T, **allowed, **kwargs})


def schedule_from_dict(data: Any) -> NoiseSchedule:
    """Rebuild a :class:`NoiseSchedule` from :meth:`NoiseSchedule.to_dict` output."""
    if not isinstance(data, dict) or "name" not in data:
        raise InvalidParameterError(f"schedule dict must have a 'name'; got {data!r}")
    if "betas" in data:
        return NoiseSchedule(data["betas"], name=str(data["name"]))
    params = dict(data.get("params") or {})
    return get_schedule(data["name"], params.pop("T", 1000), **params)
