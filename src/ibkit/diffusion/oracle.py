r"""The exact oracle: Gaussian data, where the optimal reverse model is linear and every
term of the variational bound (eq. 19) has a closed form.

For :math:`x_0 \sim \mathcal N(0, s^2 I_d)` the marginals are
:math:`x_t \sim \mathcal N(0, v_t I)`, :math:`v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t`
(:math:`v_0 = s^2`), and the true reverse kernel is Gaussian and linear:

.. math:: q(x_{t-1} \mid x_t) = \mathcal N\!\left(a_t x_t,\ \sigma_t^{*2} I\right), \quad
          a_t = \frac{\sqrt{\alpha_t}\, v_{t-1}}{v_t}, \quad
          \sigma_t^{*2} = \frac{v_{t-1}\beta_t}{v_t}.

With this reverse model (and the same Gaussian as the decoder :math:`p(x_0|x_1)` at t = 1)

.. math:: L_{t-1} = I(x_0; x_{t-1}) - I(x_0; x_t)\ (t \ge 2), \quad
          L_0 = h(x_0 \mid x_1) = h(x_0) - I(x_0; x_1), \quad
          L_T = I(x_0; x_T) + \mathrm{KL}(q(x_T) \,\|\, \mathcal N(0, I)),

where :math:`I(x_0; x_t) = \tfrac d2 \log(1 + s^2\,\mathrm{SNR}_t)`; the sum telescopes to
:math:`h(x_0) + \mathrm{KL}(q(x_T) \| \mathcal N(0, I))`, the smallest value the bound can take.

**L_0 convention.** ``L_0 = E_q[-log p_θ(x_0|x_1)]`` in nats with a *continuous* Gaussian decoder
density (so it can be negative); eq. (19) writes the ELBO with the opposite sign, here every term
is a loss. Only with this continuous L_0 does the bound equal ``h(x_0) + KL(q(x_T) ‖ N(0, I))``.

NumPy only (no torch); :class:`~ibkit.diffusion.GaussianOracleDenoiser` plugs the oracle into a
:class:`~ibkit.diffusion.DDPM`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_positive
from ..exceptions import InvalidParameterError, ShapeMismatchError
from .noise_schedule import NoiseSchedule

__all__ = ["GaussianOracle", "gaussian_oracle", "linear_reverse_terms"]

_LOG_2PI = math.log(2.0 * math.pi)


def _marginal_variances(schedule: NoiseSchedule, s2: float) -> np.ndarray:
    """v_t = ᾱ_t s² + 1 − ᾱ_t for t = 0, …, T (``v_0 = s²``), shape ``(T+1,)``."""
    abar = np.concatenate([[1.0], schedule.alphas_cumprod])
    one_minus = np.concatenate([[0.0], schedule.one_minus_alphas_cumprod])
    return abar * s2 + one_minus


def linear_reverse_terms(
    schedule: NoiseSchedule, s2: float, mean_coef: Any, variance: Any, *, dim: int = 1
) -> np.ndarray:
    r"""Every bound term, in nats, of the linear reverse model :math:`p(x_{t-1}|x_t) =
    \mathcal N(m_t x_t, \sigma_t^2 I)` on data :math:`\mathcal N(0, s^2 I_d)`.

    .. math:: L_{t-1} = \tfrac d2\left[\log\frac{\sigma_t^2}{\tilde\beta_t} +
              \frac{\tilde\beta_t + E(\tilde\mu_t - m_t x_t)^2}{\sigma_t^2} - 1\right],
              \quad L_0 = \tfrac d2\left[\log 2\pi\sigma_1^2 + \frac{E(x_0 - m_1 x_1)^2}
              {\sigma_1^2}\right]

    with :math:`E(\tilde\mu_t - m x_t)^2 = c_1^2 s^2 + 2c_1(c_2 - m)\sqrt{\bar\alpha_t}s^2 +
    (c_2 - m)^2 v_t` (c_1, c_2: posterior mean coefficients) and the analytic
    :math:`L_T = \tfrac d2[\bar\alpha_T(s^2 - 1) - \log(1 - \bar\alpha_T)]`.

    Parameters
    ----------
    schedule : NoiseSchedule
    s2 : float
        Data variance s² > 0 (per dimension).
    mean_coef, variance : array_like, shape ``(T,)``
        m_t and σ_t² at index ``t − 1``; index 0 is the decoder p(x_0|x_1).
    dim : int
        Data dimension d (terms scale by d).

    Returns
    -------
    ndarray, shape ``(T+1,)``
        ``[L_0, L_1, …, L_{T−1}, L_T]`` in nats (summed over the d dimensions).
    """
    s2 = check_positive(s2, "s2")
    dim = check_int(dim, "dim", minimum=1)
    T = schedule.T
    m = np.asarray(mean_coef, dtype=np.float64)
    var = np.asarray(variance, dtype=np.float64)
    if m.shape != (T,) or var.shape != (T,):
        raise ShapeMismatchError(
            f"mean_coef and variance must have shape ({T},); got {m.shape} and {var.shape}"
        )
    bad = ~(np.isfinite(var) & (var > 0)) | ~np.isfinite(m)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidParameterError(
            f"variance must be finite and > 0 and mean_coef finite; got variance[{i}] = "
            f"{float(var[i])!r}, mean_coef[{i}] = {float(m[i])!r}"
        )
    v = _marginal_variances(schedule, s2)  # (T+1,)
    c1, c2 = schedule.posterior_mean_coef1, schedule.posterior_mean_coef2
    d = c2 - m
    sq = c1**2 * s2 + 2 * c1 * d * schedule.sqrt_alphas_cumprod * s2 + d**2 * v[1:]  # (T,)
    post = schedule.posterior_variance
    kl = np.zeros(T)
    kl[1:] = 0.5 * (np.log(var[1:] / post[1:]) + (post[1:] + sq[1:]) / var[1:] - 1.0)
    recon = s2 - 2 * m[0] * schedule.sqrt_alphas_cumprod[0] * s2 + m[0] ** 2 * v[1]
    l0 = 0.5 * (_LOG_2PI + math.log(var[0]) + recon / var[0])
    lt = schedule.prior_kl(s2)
    return dim * np.concatenate([[l0], kl[1:], [lt]])


@dataclass(frozen=True, eq=False)
class GaussianOracle:
    r"""Closed forms for x_0 ~ N(0, s² I_d) (nats; arrays indexed by ``t − 1`` unless noted).

    .. math:: v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t,\quad
              I(x_0; x_t) = \tfrac d2 \log(1 + s^2\,\mathrm{SNR}_t),\quad
              h(x_0) + \mathrm{KL}(q(x_T)\,\|\,\mathcal N(0, I)) = \min L

    Attributes
    ----------
    schedule : NoiseSchedule
    s2 : float
        Data variance per dimension.
    dim : int
        Data dimension d.
    marginal_variance : (T+1,) v_t for t = 0, …, T.
    mean_coef : (T,) a_t, the optimal reverse mean E[x_{t−1}|x_t] = a_t x_t.
    variance : (T,) σ*²_t, the optimal reverse variance.
    eps_coef, x0_coef, v_coef : (T,) the optimal ε-, x_0- and v-predictions, each ``coef · x_t``.
    mutual_information : (T,) I(x_0; x_t) = d/2 log(1 + s² SNR_t) for t = 1, …, T.
    terms : (T+1,) ``[L_0, …, L_T]`` of the optimal model (:func:`linear_reverse_terms`).
    entropy : h(x_0) = d/2 log(2πe s²).
    prior_kl : KL(q(x_T) ‖ N(0, I)) = d/2 (v_T − 1 − log v_T).
    total : h(x_0) + KL(q(x_T) ‖ N(0, I)), the closed-form minimum of the bound.
    """

    schedule: NoiseSchedule
    s2: float
    dim: int
    marginal_variance: np.ndarray
    mean_coef: np.ndarray
    variance: np.ndarray
    eps_coef: np.ndarray
    x0_coef: np.ndarray
    v_coef: np.ndarray
    mutual_information: np.ndarray
    terms: np.ndarray
    entropy: float
    prior_kl: float
    total: float

    def information_terms(self) -> np.ndarray:
        r"""``[L_0, …, L_T]`` ``(T+1,)`` nats, built from mutual informations alone (the other
        route to ``terms``).

        .. math:: L_0 = h(x_0) - I(x_0;x_1),\quad L_{t-1} = I(x_0;x_{t-1}) - I(x_0;x_t),\quad
                  L_T = I(x_0;x_T) + \mathrm{KL}(q(x_T)\,\|\,\mathcal N(0, I))
        """
        info = self.mutual_information
        return np.concatenate(
            [[self.entropy - info[0]], info[:-1] - info[1:], [info[-1] + self.prior_kl]]
        )

    def fixed_variance_terms(self, variance: str = "fixed_small") -> np.ndarray:
        r"""Terms ``(T+1,)`` (nats) with the optimal mean but DDPM's fixed β̃_t or β_t variance.

        .. math:: L_{t-1} = \tfrac d2\Big[\log\frac{\sigma_t^2}{\tilde\beta_t}
                  + \frac{\tilde\beta_t + \mathbb E(\tilde\mu_t - a_t x_t)^2}{\sigma_t^2}
                  - 1\Big],\qquad \sigma_t^2 \in \{\tilde\beta_t, \beta_t\}

        ``fixed_small`` uses β̃_t with β̃_1 clipped to β̃_2 (as :class:`~ibkit.diffusion.DDPM`).
        """
        check_choice(variance, "variance", ("fixed_small", "fixed_large"))
        sched = self.schedule
        var = (np.exp(sched.posterior_log_variance_clipped) if variance == "fixed_small"
               else sched.betas)
        return linear_reverse_terms(sched, self.s2, self.mean_coef, var, dim=self.dim)


def gaussian_oracle(schedule: NoiseSchedule, s2: float = 1.0, *, dim: int = 1) -> GaussianOracle:
    r"""The optimal (linear) reverse model and every bound term for x_0 ~ N(0, s² I_d).

    .. math:: a_t = \sqrt{\alpha_t} v_{t-1}/v_t, \quad \sigma_t^{*2} = v_{t-1}\beta_t/v_t, \quad
              \hat\varepsilon = \frac{\sqrt{1-\bar\alpha_t}}{v_t} x_t, \quad
              \hat x_0 = \frac{\sqrt{\bar\alpha_t}\,s^2}{v_t} x_t, \quad
              \hat v = \frac{\sqrt{\bar\alpha_t(1-\bar\alpha_t)}\,(1 - s^2)}{v_t} x_t

    Parameters
    ----------
    schedule : NoiseSchedule
    s2 : float
        Data variance s² > 0.
    dim : int
        Dimension d of the isotropic Gaussian (1 for scalar data).

    Returns
    -------
    GaussianOracle

    References
    ----------
    Ho, Jain & Abbeel (2020), §3.2 (β_t and β̃_t are optimal for N(0, I) and for a point mass).
    Kingma, Salimans, Poole & Ho (2021), "Variational diffusion models" (the bound as
    h(x_0) + prior KL at the optimum).
    """
    if not isinstance(schedule, NoiseSchedule):
        raise InvalidParameterError(
            f"schedule must be a NoiseSchedule; got {type(schedule).__name__}"
        )
    s2 = check_positive(s2, "s2")
    dim = check_int(dim, "dim", minimum=1)
    v = _marginal_variances(schedule, s2)  # (T+1,)
    mean_coef = np.sqrt(schedule.alphas) * v[:-1] / v[1:]
    variance = v[:-1] * schedule.betas / v[1:]
    terms = linear_reverse_terms(schedule, s2, mean_coef, variance, dim=dim)
    abar, one_minus = schedule.alphas_cumprod, schedule.one_minus_alphas_cumprod
    info = 0.5 * dim * np.log1p(s2 * schedule.snr)  # I(x_0; x_t), (T,)
    entropy = 0.5 * dim * (_LOG_2PI + 1.0 + math.log(s2))
    v_t = float(v[-1])
    prior_kl = 0.5 * dim * (v_t - 1.0 - math.log(v_t))
    return GaussianOracle(
        schedule=schedule,
        s2=s2,
        dim=dim,
        marginal_variance=v,
        mean_coef=mean_coef,
        variance=variance,
        eps_coef=np.sqrt(one_minus) / v[1:],
        x0_coef=np.sqrt(abar) * s2 / v[1:],
        v_coef=np.sqrt(abar * one_minus) * (1.0 - s2) / v[1:],
        mutual_information=info,
        terms=terms,
        entropy=entropy,
        prior_kl=prior_kl,
        total=entropy + prior_kl,
    )
