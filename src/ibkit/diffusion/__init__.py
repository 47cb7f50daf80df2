"""Diffusion models as a time-varying information bottleneck (§5.2 of the reference text).

NumPy only, importable without torch:

- noise schedules (:func:`get_schedule`, :class:`NoiseSchedule`, the ``*_betas`` functions),
- the information view (:func:`kl_curves`, :func:`marginal_kl_curve`, :func:`posterior_kl_curve`),
- the exact Gaussian oracle (:func:`gaussian_oracle`, :func:`linear_reverse_terms`).

[torch], imported on first use: :class:`DDPM`, :func:`vlb_terms` / :class:`VLBTerms`, the
denoisers (:class:`MLPDenoiser`, :class:`UNet`, :class:`GaussianOracleDenoiser`) and the Gaussian
KL / decoder likelihoods (:func:`normal_kl`, :func:`discretized_gaussian_log_likelihood`,
:func:`gaussian_log_likelihood`).
"""

from __future__ import annotations

import importlib
from typing import Any

from .information import (
    MARGINAL_LABEL,
    POSTERIOR_LABEL,
    KLCurves,
    covariance_spectrum,
    gaussian_information,
    kl_curves,
    marginal_kl_curve,
    posterior_kl_curve,
)
from .noise_schedule import ARRAY_NAMES, NoiseSchedule
from .oracle import GaussianOracle, gaussian_oracle, linear_reverse_terms
from .schedules import (
    SCHEDULES,
    available_schedules,
    betas_from_alpha_bar,
    cosine_alpha_bar,
    cosine_betas,
    get_schedule,
    linear_betas,
    log_snr_betas,
    scaled_linear_betas,
    schedule_from_dict,
    sigmoid_alpha_bar,
    sigmoid_alpha_bar_betas,
    sigmoid_betas,
    sqrt_alpha_bar,
    sqrt_betas,
)

_LAZY = {
    "DDPM": "ddpm",
    "DECODERS": "ddpm",
    "LOSSES": "ddpm",
    "PREDICTIONS": "ddpm",
    "VARIANCES": "ddpm",
    "GaussianOracleDenoiser": "denoisers",
    "MLPDenoiser": "denoisers",
    "UNet": "denoisers",
    "timestep_embedding": "denoisers",
    "VLBTerms": "vlb",
    "vlb_terms": "vlb",
    "discretized_gaussian_log_likelihood": "likelihoods",
    "gaussian_log_likelihood": "likelihoods",
    "normal_kl": "likelihoods",
}

__all__ = [
    "ARRAY_NAMES",
    "MARGINAL_LABEL",
    "POSTERIOR_LABEL",
    "SCHEDULES",
    "GaussianOracle",
    "KLCurves",
    "NoiseSchedule",
    "available_schedules",
    "betas_from_alpha_bar",
    "cosine_alpha_bar",
    "cosine_betas",
    "covariance_spectrum",
    "gaussian_information",
    "gaussian_oracle",
    "get_schedule",
    "kl_curves",
    "linear_betas",
    "linear_reverse_terms",
    "log_snr_betas",
    "marginal_kl_curve",
    "posterior_kl_curve",
    "scaled_linear_betas",
    "schedule_from_dict",
    "sigmoid_alpha_bar",
    "sigmoid_alpha_bar_betas",
    "sigmoid_betas",
    "sqrt_alpha_bar",
    "sqrt_betas",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    """Import the torch parts on first use, so the NumPy parts never import torch."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
