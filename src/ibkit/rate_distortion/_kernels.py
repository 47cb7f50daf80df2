"""The Blahut–Arimoto map on log p(x̂), in matrix–vector form and in the log domain.

Both kernels evaluate, for the current output marginal q = exp(θ),

.. math::
    Z(x) = \\sum_{\\hat x} q(\\hat x) e^{-\\beta d(x, \\hat x)}, \\qquad
    c(\\hat x) = \\sum_x \\frac{p(x)}{Z(x)} e^{-\\beta d(x, \\hat x)}, \\qquad
    q'(\\hat x) = q(\\hat x)\\, c(\\hat x),

the dual objective :math:`L(q) = -\\sum_x p(x) \\log Z(x)` (which every BA step decreases, and
whose minimum is :math:`\\min_D R(D) + \\beta D`), and Blahut's certified gap

.. math:: \\Delta(q) = \\log \\max_{\\hat x} c(\\hat x)
          - \\sum_{\\hat x} q(\\hat x) c(\\hat x) \\log c(\\hat x) \\ \\ge 0,

which bounds the distance of the encoder built from q to the R(D) curve (all in nats).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import Array, logsumexp
from .._fixed_point import StepResult, normalize_log
from .._jit import HAVE_NUMBA
from ._ba_jit import kernel_matrix, log_update, source_weights

__all__ = ["KernelUnderflow", "LinearKernel", "LogKernel"]

_TINY_Z = 1e-200  # below this the matrix–vector form would lose p(x)/Z(x) to overflow
_JIT = HAVE_NUMBA  # compiled elementwise passes on NumPy float64 input; tests switch it off


class KernelUnderflow(ArithmeticError):
    """Z(x) underflowed in the matrix–vector form: switch to the log-domain kernel."""


def _gap_nats(theta: Array, log_c: Array, xp: Any) -> float:
    weights = xp.exp(theta + log_c)  # q'(x̂) = q c
    gap = float(xp.max(log_c)) - float(xp.sum(weights * log_c))
    return max(gap, 0.0)


class LinearKernel:
    r"""Matrix–vector BA map with the precomputed kernel K = exp(-β (d - min_x̂ d)).

    .. math:: \theta'(\hat x) = \theta(\hat x) + \log c(\hat x) - \log\sum_{\hat x'}
              e^{\theta(\hat x') + \log c(\hat x')}, \quad
              c(\hat x) = \sum_x \frac{p(x)}{Z(x)} e^{-\beta d(x, \hat x)}

    (θ = log q ``(n_xhat,)``; objective and gap in nats; β in nats per unit distortion).

    Each row of K has maximum 1, so Z(x) only underflows when q puts (almost) no mass near
    x's nearest reproduction point; that case raises :class:`KernelUnderflow`.
    One call costs two matrix–vector products with the (n_x, n_xhat) matrix K. On NumPy
    float64 input with numba the work around them is two compiled loops into reused buffers
    (:mod:`._ba_jit`; the same numbers to rounding), otherwise array-API operations.
    """

    def __init__(self, px: Array, distortion: Array, beta: float, xp: Any) -> None:
        shift = xp.min(distortion, axis=1, keepdims=True)  # (n_x, 1)
        self.xp = xp
        self.px = px
        self.support = px > 0
        self.offset = beta * float(xp.sum(px * shift[:, 0]))
        self._jit = _JIT and all(
            isinstance(a, np.ndarray) and a.dtype == np.float64 for a in (px, distortion)
        )
        if self._jit:  # K in one buffer; z, w, c reused across calls
            self.kernel = kernel_matrix(distortion, shift, beta)  # (n_x, n_xhat)
            n_x, n_xhat = distortion.shape
            self._q, self._c = np.empty(n_xhat), np.empty(n_xhat)  # (n_xhat,)
            self._z, self._w = np.empty(n_x), np.empty(n_x)  # (n_x,)
        else:
            self.kernel = xp.exp(-beta * (distortion - shift))  # (n_x, n_xhat)

    def __call__(self, theta: Array) -> StepResult:
        if self._jit and isinstance(theta, np.ndarray) and theta.dtype == np.float64:
            return self._compiled(theta)
        xp = self.xp
        q = xp.exp(theta)  # (n_xhat,)
        z = self.kernel @ q  # (n_x,)
        if float(xp.min(xp.where(self.support, z, xp.ones_like(z)))) < _TINY_Z:
            raise KernelUnderflow
        safe_z = xp.where(self.support, z, xp.ones_like(z))
        w = self.px / safe_z  # (n_x,)
        c = w @ self.kernel  # (n_xhat,)
        log_c = xp.log(xp.clip(c, min=1e-300))
        objective = -float(xp.sum(self.px * xp.log(safe_z))) + self.offset
        return StepResult(normalize_log(theta + log_c, xp), objective, _gap_nats(theta, log_c, xp))

    def _compiled(self, theta: np.ndarray) -> StepResult:
        """The same map with the two compiled passes of :mod:`._ba_jit` around BLAS."""
        np.exp(theta, out=self._q)  # (n_xhat,)
        np.matmul(self.kernel, self._q, out=self._z)  # (n_x,)
        z_min, sum_p_log_z = source_weights(self._z, self.px, self._w)
        if z_min < _TINY_Z:
            raise KernelUnderflow
        np.matmul(self._w, self.kernel, out=self._c)  # (n_xhat,)
        next_theta = np.empty_like(theta)  # (n_xhat,)
        gap = log_update(theta, self._c, next_theta)
        return StepResult(next_theta, self.offset - sum_p_log_z, max(gap, 0.0))


class LogKernel:
    r"""The same map computed with log-sum-exp: finite for any β and any underflow of q.

    .. math:: \theta'(\hat x) = \theta(\hat x) + \log c(\hat x) - \log\sum_{\hat x'}
              e^{\theta(\hat x') + \log c(\hat x')}, \quad
              c(\hat x) = \sum_x \frac{p(x)}{Z(x)} e^{-\beta d(x, \hat x)}

    (θ = log q ``(n_xhat,)``; objective and gap in nats; β in nats per unit distortion).
    """

    def __init__(self, px: Array, distortion: Array, beta: float, xp: Any) -> None:
        self.xp = xp
        self.px = px
        self.support = px > 0
        self.log_px = xp.log(xp.where(self.support, px, xp.ones_like(px)))
        self.exponent = -beta * distortion  # (n_x, n_xhat)

    def __call__(self, theta: Array) -> StepResult:
        xp = self.xp
        log_z = logsumexp(self.exponent + theta[None, :], axis=1, xp=xp)  # (n_x,)
        log_w = xp.where(self.support, self.log_px - log_z, -xp.inf * xp.ones_like(log_z))
        log_c = logsumexp(self.exponent + log_w[:, None], axis=0, xp=xp)  # (n_xhat,)
        log_c = xp.clip(log_c, min=-690.0)
        objective = -float(xp.sum(xp.where(self.support, self.px * log_z, xp.zeros_like(log_z))))
        return StepResult(normalize_log(theta + log_c, xp), objective, _gap_nats(theta, log_c, xp))


class AutoKernel:
    r"""Use the fast matrix–vector kernel; fall back to the log domain for good on underflow.

    .. math:: \theta'(\hat x) = \theta(\hat x) + \log c(\hat x) - \log\sum_{\hat x'}
              e^{\theta(\hat x') + \log c(\hat x')}, \quad
              c(\hat x) = \sum_x \frac{p(x)}{Z(x)} e^{-\beta d(x, \hat x)}

    (θ = log q ``(n_xhat,)``; objective and gap in nats; β in nats per unit distortion).
    """

    def __init__(self, px: Array, distortion: Array, beta: float, xp: Any) -> None:
        self._args = (px, distortion, beta, xp)
        self._kernel: LinearKernel | LogKernel = LinearKernel(*self._args)

    @property
    def log_domain(self) -> bool:
        return isinstance(self._kernel, LogKernel)

    def __call__(self, theta: Array) -> StepResult:
        try:
            return self._kernel(theta)
        except KernelUnderflow:
            self._kernel = LogKernel(*self._args)
            return self._kernel(theta)
