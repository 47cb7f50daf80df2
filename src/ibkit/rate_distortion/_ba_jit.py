r"""Compiled elementwise passes of one Blahut–Arimoto map (numba; NumPy float64 host arrays).

One evaluation of the map of :class:`._kernels.LinearKernel` is two matrix–vector products
with the precomputed kernel K ``(n_x, n_xhat)`` (left to BLAS) and the elementwise work
around them, which NumPy spreads over about twenty passes and temporaries. Here it is two
loops, one after each product:

* :func:`source_weights` — after :math:`z = K q`:
  :math:`w(x) = p(x) / z(x)` on the support of p (0 elsewhere), :math:`\min_{x: p(x)>0} z(x)`
  (for the underflow test) and :math:`\sum_x p(x) \log z(x)`;
* :func:`log_update` — after :math:`c = w K`:

  .. math:: t = \theta + \log c,\quad
            \theta' = \max\big(t - \log\textstyle\sum_{\hat x} e^{t},\ \text{LOG\_FLOOR}\big),
            \quad \Delta = \max_{\hat x} \log c - \sum_{\hat x} e^{t} \log c

  (log c floored at log 1e-300, Blahut's gap Δ before its clip at 0).

Both give the NumPy path's numbers to rounding (sums in another order; :math:`e^{t}` as
:math:`e^{t - \max t} e^{\max t}`). :class:`._kernels.LinearKernel` takes them only when
:data:`ibkit._jit.HAVE_NUMBA` is true and its arrays are NumPy float64; every other input
keeps the array-API path.

References
----------
Blahut (1972), "Computation of channel capacity and rate-distortion functions", IEEE
Trans. IT 18(4).
"""

from __future__ import annotations

import math

import numpy as np

from .._fixed_point import LOG_FLOOR
from .._jit import njit

__all__ = ["kernel_matrix", "log_update", "source_weights"]

_LOG_C_MIN = 1e-300  # c is floored here before its logarithm (as on the NumPy path)


def kernel_matrix(d: np.ndarray, shift: np.ndarray, beta: float) -> np.ndarray:
    r"""K = exp(-β (d - shift)) ``(n_x, n_xhat)`` in one buffer, bit for bit NumPy's
    ``np.exp(-beta * (d - shift))`` (same operations, no temporaries).

    .. math:: K_{x \hat x} = e^{-\beta (d(x, \hat x) - \text{shift}(x))}
    """
    out = np.subtract(d, shift)  # (n_x, n_xhat)
    np.multiply(out, -beta, out=out)
    return np.exp(out, out=out)


@njit(error_model="numpy")
def source_weights(
    z: np.ndarray, px: np.ndarray, w: np.ndarray
) -> tuple[float, float]:  # pragma: no cover - compiled
    r"""Fill ``w`` ``(n_x,)`` with :math:`p(x)/z(x)` where p(x) > 0 (0 elsewhere); return
    :math:`\min_{p(x) > 0} z(x)` and :math:`\sum_x p(x) \log z(x)` (nats).

    .. math:: w(x) = \frac{p(x)}{z(x)}, \qquad z = K q
    """
    z_min = np.inf
    total = 0.0
    for i in range(z.shape[0]):
        p = px[i]
        if p > 0.0:
            zi = z[i]
            z_min = min(z_min, zi)
            w[i] = p / zi
            total += p * math.log(zi)
        else:
            w[i] = 0.0
    return z_min, total


@njit(error_model="numpy")
def log_update(
    theta: np.ndarray, c: np.ndarray, out: np.ndarray
) -> float:  # pragma: no cover - compiled
    r"""Write the normalised, floored :math:`\theta + \log c` into ``out`` ``(n_xhat,)`` and
    return Blahut's gap at θ (nats, before its clip at 0).

    .. math:: \Delta = \max_{\hat x} \log c(\hat x)
              - \sum_{\hat x} e^{\theta(\hat x)} c(\hat x) \log c(\hat x)
    """
    m = theta.shape[0]
    log_c = np.empty(m)
    t_max = -np.inf
    log_c_max = -np.inf
    for j in range(m):
        lc = math.log(max(c[j], _LOG_C_MIN))
        log_c[j] = lc
        t = theta[j] + lc
        out[j] = t
        log_c_max = max(log_c_max, lc)
        t_max = max(t_max, t)
    peak = t_max if math.isfinite(t_max) else 0.0
    total = 0.0
    weighted = 0.0
    for j in range(m):
        e = math.exp(out[j] - peak)
        total += e
        weighted += e * log_c[j]
    lse = math.log(total) + peak
    for j in range(m):
        out[j] = max(out[j] - lse, LOG_FLOOR)
    return log_c_max - weighted * math.exp(peak)
