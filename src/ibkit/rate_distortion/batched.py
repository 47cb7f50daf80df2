r"""Blahut–Arimoto for many β at once: one batched computation with a leading β axis.

A sweep without annealing solves independent problems, one per β; stacking them turns B
matrix–vector products per iteration into one batched product, which keeps a GPU (or a BLAS)
busy. Every β runs plain BA from the uniform p(x̂) and stops on Blahut's certified gap, exactly
like ``blahut_arimoto(px, d, beta, method="ba")``; a β whose gap is below ``tol`` is frozen
(its iterate no longer changes) while the others go on. Everything stays in the caller's array
namespace and on its device; the host only learns, every ``check_every`` iterations, whether
any β is still running.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import Array, get_namespace, log_base, logsumexp, to_numpy
from .._fixed_point import LOG_FLOOR
from .._validation import as_matrix, as_pmf, check_base, check_beta, check_int, check_positive
from ..exceptions import InvalidParameterError

__all__ = ["RDBatchSolution", "blahut_arimoto_batch"]

_TINY_Z = 1e-200  # as in _kernels.LinearKernel: below this Z(x) switches to the log domain


@dataclass(frozen=True)
class RDBatchSolution:
    r"""Solutions for B values of β (leading axis). Rates in units of ``base``.

    .. math:: p_b(\hat x|x) \propto q_b(\hat x)\, e^{-\beta_b d(x,\hat x)}, \quad
              \text{rate}_b = I_b(X;\hat X), \quad \text{distortion}_b = E_b[d(X,\hat X)]

    Attributes
    ----------
    beta : array, shape ``(B,)``
    rate, distortion, lower_bound : array, shape ``(B,)``
        As in :class:`~ibkit.rate_distortion.RDSolution`, one entry per β.
    encoder : array, shape ``(B, n_x, n_xhat)``
    output_marginal : array, shape ``(B, n_xhat)``
    iterations : array of int, shape ``(B,)``
    converged : array of bool, shape ``(B,)``
    base : float
    """

    beta: Array
    rate: Array
    distortion: Array
    lower_bound: Array
    encoder: Array
    output_marginal: Array
    iterations: Array
    converged: Array
    base: float = 2.0

    @property
    def gap(self) -> Array:
        """Certified distances ``rate - lower_bound`` ≥ 0, shape ``(B,)``."""
        return self.rate - self.lower_bound


def _normalize(theta: Array, xp: Any) -> Array:
    """Rows of log-weights shifted to sum to 1 and floored (``normalize_log`` per β)."""
    theta = theta - logsumexp(theta, axis=1, xp=xp)[:, None]
    return xp.clip(theta, min=LOG_FLOOR)


def _log_c_linear(theta: Array, kern: Array, px: Array, xp: Any) -> tuple[Array, Array]:
    """log c (B, n_xhat) with K = exp(-β(d - min d)) (B, n_x, n_xhat); and min Z (B,)."""
    q = xp.exp(theta)  # (B, n_xhat)
    z = xp.matmul(kern, q[:, :, None])[:, :, 0]  # (B, n_x)
    support = px > 0  # (n_x,)
    safe = xp.where(support[None, :], z, xp.ones_like(z))  # (B, n_x)
    w = px[None, :] / safe  # (B, n_x)
    c = xp.matmul(w[:, None, :], kern)[:, 0, :]  # (B, n_xhat)
    return xp.log(xp.clip(c, min=1e-300)), xp.min(safe, axis=1)


def _log_c_log(theta: Array, expo: Array, px: Array, xp: Any) -> Array:
    """log c (B, n_xhat) by log-sum-exp with exponent -β d of shape (B, n_x, n_xhat)."""
    support = px > 0
    log_px = xp.log(xp.where(support, px, xp.ones_like(px)))  # (n_x,)
    log_z = logsumexp(expo + theta[:, None, :], axis=2, xp=xp)  # (B, n_x)
    log_w = xp.where(support[None, :], log_px[None, :] - log_z, -xp.inf * xp.ones_like(log_z))
    return xp.clip(logsumexp(expo + log_w[:, :, None], axis=1, xp=xp), min=-690.0)


def _gap(theta: Array, log_c: Array, xp: Any) -> Array:
    r""":math:`\log\max c - \sum q c \log c` per β, shape (B,), clipped at 0."""
    gap = xp.max(log_c, axis=1) - xp.sum(xp.exp(theta + log_c) * log_c, axis=1)
    return xp.clip(gap, min=0.0)


def _iterate(
    px: Array, d: Array, betas: Array, tol: float, max_iter: int, log_domain: bool,
    check_every: int, xp: Any,
) -> tuple[Array, Array, Array, Array]:
    """Plain BA per β with freezing; returns (θ (B, n_xhat), gap, iterations, converged).

    At every check the β that have stopped leave the working set (their rows are kept), so
    the batched products shrink as the sweep converges.
    """
    n_b, n_xhat, dev = int(betas.shape[0]), int(d.shape[1]), _device(d)
    theta = xp.zeros((n_b, n_xhat), dtype=d.dtype, device=dev) - math.log(n_xhat)  # (B, n_xhat)
    expo = -betas[:, None, None] * d[None, :, :]  # (B, n_x, n_xhat)
    kern = None if log_domain else xp.exp(expo - xp.max(expo, axis=2, keepdims=True))
    iters = xp.zeros(n_b, dtype=xp.int64, device=dev)  # (B,)
    active = xp.ones(n_b, dtype=xp.bool, device=dev)  # (B,)
    gap = xp.zeros(n_b, dtype=d.dtype, device=dev)  # (B,)
    index = list(range(n_b))  # original positions of the working rows
    finished: dict[int, tuple[Array, Array, Array]] = {}
    snapshot = (theta, gap, iters, active)
    underflow = xp.zeros((), dtype=xp.bool, device=dev)  # any Z(x) < _TINY_Z since the check
    it = 0
    while True:  # each β stops by itself (gap or max_iter); the loop ends when none runs
        it += 1
        if kern is None:
            log_c = _log_c_log(theta, expo, px, xp)
        else:
            log_c, low = _log_c_linear(theta, kern, px, xp)
            underflow = underflow | xp.any(~(low >= _TINY_Z))  # NaN counts as underflow
        step_gap = _gap(theta, log_c, xp)  # (b,)
        iters = iters + xp.astype(active, xp.int64)
        gap = xp.where(active, step_gap, gap)
        moving = active & (step_gap > tol) & (iters < max_iter)
        theta = xp.where(moving[:, None], _normalize(theta + log_c, xp), theta)
        active = moving
        if it % check_every:
            continue
        if kern is not None and bool(underflow):  # redo since the last check, log domain
            kern = None
            theta, gap, iters, active = snapshot
            continue
        keep = [k for k, flag in enumerate(to_numpy(active).tolist()) if flag]
        if len(keep) < len(index):
            for k in sorted(set(range(len(index))) - set(keep)):
                finished[index[k]] = (theta[k, ...], gap[k, ...], iters[k, ...])
            if not keep:
                break
            rows = xp.asarray(keep, device=dev)
            theta, gap, iters, active, expo = (
                xp.take(a, rows, axis=0) for a in (theta, gap, iters, active, expo)
            )
            kern = None if kern is None else xp.take(kern, rows, axis=0)
            index = [index[k] for k in keep]
        snapshot = (theta, gap, iters, active)
    theta, gap, iters = (xp.stack([finished[i][j] for i in range(n_b)]) for j in range(3))
    return theta, gap, iters, gap <= tol


def _device(x: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def _solutions(px: Array, d: Array, betas: Array, theta: Array, xp: Any) -> tuple[Array, ...]:
    r"""Encoder, p(x̂), rate (nats) and D of the BA encoder built from q = exp(θ), per β.

    .. math:: I = \sum_{\hat x} p(\hat x) \log\frac{q(\hat x)}{p(\hat x)} - \beta D
              - \sum_x p(x) \log Z(x)
    """
    exponent = theta[:, None, :] - betas[:, None, None] * d[None, :, :]  # (B, n_x, n_xhat)
    shift = xp.max(exponent, axis=2)  # (B, n_x)
    enc = xp.exp(exponent - shift[:, :, None])  # (B, n_x, n_xhat)
    z = xp.sum(enc, axis=2)  # (B, n_x)
    enc = enc / z[:, :, None]
    marg = xp.matmul(px[None, None, :], enc)[:, 0, :]  # (B, n_xhat)
    dist = xp.sum(px[None, :] * xp.sum(enc * d[None, :, :], axis=2), axis=1)  # (B,)
    log_z = xp.log(z) + shift  # (B, n_x)
    positive = marg > 0
    safe = xp.where(positive, marg, xp.ones_like(marg))
    cross = xp.sum(xp.where(positive, marg * (theta - xp.log(safe)), xp.zeros_like(marg)), axis=1)
    rate = cross - betas * dist - xp.sum(px[None, :] * log_z, axis=1)  # (B,)
    return enc, marg, xp.clip(rate, min=0.0), dist


def blahut_arimoto_batch(
    px: Any,
    distortion: Any,
    betas: Any,
    *,
    tol: float = 1e-6,
    max_iter: int = 100_000,
    base: float = 2.0,
    log_domain: bool = False,
    check_every: int = 8,
) -> RDBatchSolution:
    r"""Plain Blahut–Arimoto for every β of ``betas`` at once (eqs. 9–12, a leading β axis).

    .. math:: q_{k+1}(\hat x) = q_k(\hat x) \sum_x \frac{p(x)\, e^{-\beta d(x,\hat x)}}
              {\sum_{\hat x'} q_k(\hat x') e^{-\beta d(x,\hat x')}}

    Each β starts from the uniform q and stops when Blahut's certified gap is ≤ ``tol``
    (then it is frozen) or after ``max_iter`` map evaluations: the results equal those of
    ``blahut_arimoto(px, distortion, beta, method="ba")`` for every β, to rounding. One
    iteration costs two batched products with the (B, n_x, n_xhat) kernel
    :math:`e^{-\beta (d - \min_{\hat x} d)}`; if some Z(x) underflows, the iteration goes
    back to its last check and continues in the log domain (log-sum-exp), as the one-at-a-time
    solver does. Arrays stay in the namespace and on the device of ``px`` and ``distortion``
    (torch tensors on CUDA run there end to end); the host reads one boolean every
    ``check_every`` iterations.

    Parameters
    ----------
    px : array_like, shape ``(n_x,)``
        Source pmf.
    distortion : array_like, shape ``(n_x, n_xhat)``
        Non-negative distortion matrix.
    betas : array_like, shape ``(B,)``
        β ≥ 0 values, nats per unit of distortion (any order, repeats allowed).
    tol : float
        Certified gap at which a β stops, in units of ``base``.
    max_iter : int
        Map evaluations per β (no warning: see ``converged``).
    base : float
        2 for bits (default), ``numpy.e`` for nats.
    log_domain : bool
        Use the log-sum-exp kernel from the start (slower; exact for any β).
    check_every : int
        Iterations between two host-side tests of "is any β still running" (results do not
        depend on it).

    Returns
    -------
    RDBatchSolution
        Arrays in the caller's namespace; ``iterations`` and ``converged`` per β.

    References
    ----------
    Blahut (1972), "Computation of channel capacity and rate-distortion functions", IEEE
    Trans. IT 18(4).
    """
    xp = get_namespace(px, distortion, betas)
    px, _ = as_pmf(px, name="px", batch=False, xp=xp)
    d = as_matrix(distortion, name="distortion", rows=int(px.shape[0]), nonnegative=True, xp=xp)
    d = xp.astype(d, px.dtype)
    beta_list = _beta_list(betas)
    b = xp.asarray(beta_list, dtype=px.dtype, device=_device(px))  # (B,)
    base = check_base(base)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_every = check_int(check_every, "check_every", minimum=1)
    unit = log_base(base)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # underflow → redo
        theta, gap, iters, converged = _iterate(
            px, d, b, tol * unit, max_iter, bool(log_domain), check_every, xp
        )
    enc, marg, rate, dist = _solutions(px, d, b, theta, xp)
    return RDBatchSolution(
        beta=b, rate=rate / unit, distortion=dist, lower_bound=(rate - gap) / unit,
        encoder=enc, output_marginal=marg, iterations=iters, converged=converged, base=base,
    )


def _beta_list(betas: Any) -> list[float]:
    """Validated β values as Python floats (any array type or sequence, 0-d or 1-d)."""
    try:
        values = to_numpy(betas).reshape(-1).tolist() if hasattr(betas, "shape") else list(betas)
    except TypeError:
        raise InvalidParameterError(f"betas must be a list of numbers; got {betas!r}") from None
    if not values:
        raise InvalidParameterError("betas must not be empty")
    return [check_beta(v, "betas") for v in values]
