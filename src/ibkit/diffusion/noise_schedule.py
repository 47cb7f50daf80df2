r"""The discrete forward process of a DDPM, fixed by its variances β_1, …, β_T.

.. math:: q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}\, x_{t-1}, \beta_t I), \quad
          \alpha_t = 1 - \beta_t, \quad \bar\alpha_t = \prod_{s \le t} \alpha_s,
          \quad q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I)

Indexing: every array has length T and index ``i`` holds paper time ``t = i + 1`` (the
convention of Ho et al.'s and Nichol & Dhariwal's code, and of the ``t`` tensors the models in
this package take). ``ᾱ_0 = 1`` (clean data) is implicit and appears as ``alphas_cumprod_prev[0]``.

NumPy only; :meth:`NoiseSchedule.to_torch` imports torch lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import InvalidParameterError

__all__ = ["ARRAY_NAMES", "NoiseSchedule"]

#: The arrays a :class:`NoiseSchedule` exposes (each float64, shape ``(T,)``).
ARRAY_NAMES = (
    "betas",
    "alphas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod",
    "snr",
    "log_snr",
    "posterior_variance",
    "posterior_log_variance_clipped",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
)


def _check_betas(betas: Any) -> np.ndarray:
    try:
        arr = np.array(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"betas must be an array of numbers; got {betas!r}") from None
    if arr.ndim != 1 or arr.size < 1:
        raise InvalidParameterError(
            f"betas must be a non-empty 1-D array (T >= 1); got shape {arr.shape}"
        )
    bad = ~(np.isfinite(arr) & (arr > 0) & (arr < 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidParameterError(
            "every beta must lie in the open interval (0, 1); got "
            f"beta_{i + 1} = {float(arr[i])!r} (index {i})"
        )
    return arr


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    r"""A DDPM noise schedule and every quantity derived from it (float64, shape ``(T,)``).

    .. math:: \tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\beta_t, \quad
              \tilde\mu_t(x_t, x_0) = \underbrace{\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}
              {1 - \bar\alpha_t}}_{\text{coef1}} x_0 + \underbrace{\frac{\sqrt{\alpha_t}
              (1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}}_{\text{coef2}} x_t, \quad
              \mathrm{SNR}_t = \frac{\bar\alpha_t}{1 - \bar\alpha_t}

    so that :math:`q(x_{t-1} \mid x_t, x_0) = \mathcal N(\tilde\mu_t, \tilde\beta_t I)`.

    Parameters
    ----------
    betas : array_like, shape ``(T,)``
        β_1, …, β_T, each in the open interval (0, 1).
    name : str
        Label (the registry name for schedules from :func:`~ibkit.diffusion.get_schedule`).
    params : dict
        The options that produced the schedule (for reports and configs).

    Attributes
    ----------
    betas, alphas : β_t and α_t = 1 − β_t.
    alphas_cumprod, alphas_cumprod_prev : ᾱ_t and ᾱ_{t−1} (``alphas_cumprod_prev[0] = 1``).
    sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod : √ᾱ_t and √(1 − ᾱ_t).
    snr, log_snr : SNR_t = ᾱ_t / (1 − ᾱ_t), strictly decreasing in t, and its natural log.
    posterior_variance : β̃_t (``β̃_1 = 0``: x_0 is known given x_1 and x_0).
    posterior_log_variance_clipped : log β̃_t with β̃_1 replaced by β̃_2 (finite; Nichol &
        Dhariwal's "clipped" log variance; log β_1 when T = 1).
    posterior_mean_coef1, posterior_mean_coef2 : the coefficients of x_0 and x_t in μ̃_t.

    References
    ----------
    Ho, Jain & Abbeel (2020), "Denoising diffusion probabilistic models", eqs. (4), (6), (7).
    Nichol & Dhariwal (2021), "Improved denoising diffusion probabilistic models", §3.1.
    Kingma, Salimans, Poole & Ho (2021), "Variational diffusion models" (SNR, log-SNR).
    """

    betas: np.ndarray
    name: str = "custom"
    params: dict[str, Any] = field(default_factory=dict)
    alphas: np.ndarray = field(init=False, repr=False)
    alphas_cumprod: np.ndarray = field(init=False, repr=False)
    alphas_cumprod_prev: np.ndarray = field(init=False, repr=False)
    sqrt_alphas_cumprod: np.ndarray = field(init=False, repr=False)
    sqrt_one_minus_alphas_cumprod: np.ndarray = field(init=False, repr=False)
    snr: np.ndarray = field(init=False, repr=False)
    log_snr: np.ndarray = field(init=False, repr=False)
    posterior_variance: np.ndarray = field(init=False, repr=False)
    posterior_log_variance_clipped: np.ndarray = field(init=False, repr=False)
    posterior_mean_coef1: np.ndarray = field(init=False, repr=False)
    posterior_mean_coef2: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        betas = _check_betas(self.betas)
        alphas = 1.0 - betas  # (T,)
        log_abar = np.cumsum(np.log1p(-betas))  # log ᾱ_t, accurate for tiny β
        abar = np.exp(log_abar)
        one_minus = -np.expm1(log_abar)  # 1 − ᾱ_t without cancellation
        abar_prev = np.concatenate([[1.0], abar[:-1]])
        one_minus_prev = np.concatenate([[0.0], one_minus[:-1]])
        post_var = betas * one_minus_prev / one_minus
        clipped = np.concatenate([post_var[1:2] if betas.size > 1 else betas[:1], post_var[1:]])
        values = {
            "betas": betas,
            "alphas": alphas,
            "alphas_cumprod": abar,
            "alphas_cumprod_prev": abar_prev,
            "sqrt_alphas_cumprod": np.sqrt(abar),
            "sqrt_one_minus_alphas_cumprod": np.sqrt(one_minus),
            "snr": abar / one_minus,
            "log_snr": log_abar - np.log(one_minus),
            "posterior_variance": post_var,
            "posterior_log_variance_clipped": np.log(clipped),
            "posterior_mean_coef1": np.sqrt(abar_prev) * betas / one_minus,
            "posterior_mean_coef2": np.sqrt(alphas) * one_minus_prev / one_minus,
        }
        for key, value in values.items():
            value = np.ascontiguousarray(value, dtype=np.float64)
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        object.__setattr__(self, "params", dict(self.params))

    @property
    def num_timesteps(self) -> int:
        """T, the number of diffusion steps."""
        return int(self.betas.size)

    @property
    def T(self) -> int:
        """T, the number of diffusion steps (alias of :attr:`num_timesteps`)."""
        return self.num_timesteps

    @property
    def one_minus_alphas_cumprod(self) -> np.ndarray:
        """1 − ᾱ_t, shape ``(T,)`` (computed as ``sqrt_one_minus_alphas_cumprod ** 2``)."""
        return self.sqrt_one_minus_alphas_cumprod**2

    def arrays(self) -> dict[str, np.ndarray]:
        """``{name: array}`` for every name in :data:`ARRAY_NAMES` (read-only float64 views)."""
        return {name: getattr(self, name) for name in ARRAY_NAMES}

    def to_torch(self, device: Any = None, dtype: Any = None) -> dict[str, Any]:
        """Every array of :meth:`arrays` as a torch tensor on ``device`` (default float32).

        The float64 values are cast once, so a float64 model sees the exact NumPy numbers.
        """
        import torch

        dtype = torch.float32 if dtype is None else dtype
        return {
            name: torch.as_tensor(np.array(value), dtype=dtype, device=device)
            for name, value in self.arrays().items()
        }

    def prior_kl(self, m2: float = 1.0) -> float:
        r"""Per-dimension E KL(q(x_T|x_0) ‖ N(0, 1)) in nats for data with E x_0² = ``m2``.

        .. math:: L_T = \tfrac12\left[\bar\alpha_T (E x_0^2 - 1) - \log(1 - \bar\alpha_T)\right]
        """
        abar = float(self.alphas_cumprod[-1])
        return 0.5 * (abar * (float(m2) - 1.0) - math.log1p(-abar))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description: ``{"name", "params"}``, plus ``"betas"`` for a custom schedule.

        :func:`~ibkit.diffusion.schedule_from_dict` rebuilds the schedule from it.
        """
        out: dict[str, Any] = {"name": self.name, "params": dict(self.params)}
        if not self.params:
            out["betas"] = self.betas.tolist()
        return out

    def __repr__(self) -> str:
        abar = float(self.alphas_cumprod[-1])
        return f"NoiseSchedule(name={self.name!r}, T={self.T}, alpha_bar_T={abar:.3e})"
