"""Blahut–Arimoto for one point of the rate–distortion curve, with a certified bound."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, get_namespace, log_base
from .._fixed_point import certified_iteration, normalize_log
from .._jit import HAVE_NUMBA
from .._validation import (
    as_matrix,
    as_pmf,
    check_base,
    check_beta,
    check_choice,
    check_int,
    check_positive,
)
from ..exceptions import ConvergenceWarning, ShapeMismatchError
from ._cnm import cnm_solve
from ._cnm_jit import expected_distortion
from ._kernels import AutoKernel, LogKernel
from ._small import is_small, solve_small
from ._structure import Prepared, prepare, spaced_start

__all__ = ["METHODS", "RDSolution", "blahut_arimoto", "on_host", "resolve_method"]

METHODS = ("cnm", "squarem", "ba")

WARM_START_MIX = 1e-3  # uniform mass mixed into a warm start so pruned points can return
_TINY_Z = 1e-250  # below this the encoder is recomputed in the log domain
_JIT = HAVE_NUMBA  # compiled E[d] on NumPy float64 input; tests switch it off


def on_host(array: Any) -> bool:
    """Whether ``array`` lives in host memory (NumPy, ``array_api_strict``, torch on CPU, JAX
    on CPU); False for CUDA/ROCm/MPS tensors, CuPy arrays and other accelerators."""
    if isinstance(array, np.ndarray):
        return True
    device = array_api_compat.device(array)
    kind = getattr(device, "type", None)  # torch.device
    if isinstance(kind, str):
        return kind == "cpu"
    return "cpu" in str(device).lower()


def resolve_method(method: str | None, *arrays: Any) -> str:
    """The solver for ``method=None``: ``"cnm"`` when every array is in host memory, else
    ``"squarem"`` (matrix–vector products and elementwise maps only, so the iteration stays
    on the arrays' device). An explicit name is validated and kept."""
    if method is None:
        return "cnm" if all(on_host(a) for a in arrays) else "squarem"
    return check_choice(method, "method", METHODS)


@dataclass(frozen=True)
class RDSolution:
    r"""One point of the rate–distortion curve. Rates in units of ``base`` (bits by default).

    .. math:: p(\hat x|x) = \frac{q(\hat x)\, e^{-\beta d(x,\hat x)}}{Z(x,\beta)},\quad
              R(D) \ge R_L = -\beta D - \sum_x p(x) \log Z(x) - \log \max_{\hat x} c(\hat x),
              \quad c(\hat x) = \sum_x \frac{p(x)\, e^{-\beta d(x,\hat x)}}{Z(x,\beta)}

    (nats before division by ln ``base``; β in nats per unit of distortion multiplies d).

    Attributes
    ----------
    rate : float
        I(X; X̂) of the returned encoder (an upper bound on R at ``distortion``).
    distortion : float
        E[d(X, X̂)] of the returned encoder.
    lower_bound : float
        Blahut's lower bound on R(``distortion``); ``rate - lower_bound`` certifies optimality.
    encoder : array, shape ``(n_x, n_xhat)``
        p(x̂|x), rows sum to 1. Built on first access (a property): a sweep that only needs
        the curve never fills the dense matrix.
    output_marginal : array, shape ``(n_xhat,)``
        p(x̂) = Σ_x p(x) p(x̂|x).
    beta : float
        Slope parameter in nats per unit of distortion: R'(D) = -β / ln(base).
    iterations : int
        Blahut–Arimoto map evaluations used (each costs one plain BA iteration).
    converged : bool
        Whether ``gap <= tol`` was reached before ``max_iter``.
    base : float
        Logarithm base of ``rate``, ``lower_bound`` and ``gap``.
    """

    rate: float
    distortion: float
    lower_bound: float
    _encoder: Any = field(repr=False, compare=False)  # the array, or a builder of it
    output_marginal: Array
    beta: float
    iterations: int
    converged: bool
    base: float = 2.0

    @property
    def encoder(self) -> Array:
        """p(x̂|x) ``(n_x, n_xhat)``, built (once) on first access when the solver deferred it."""
        if callable(self._encoder):
            object.__setattr__(self, "_encoder", self._encoder())
        return self._encoder

    @property
    def gap(self) -> float:
        """Certified distance ``rate - lower_bound`` ≥ 0 from the true R(D)."""
        return self.rate - self.lower_bound


def _initial_marginal(init: Any, px: Array, d: Array, xp: Any, *, sparse_ok: bool) -> Array:
    """The start p(x̂): for CNM the zero-rate optimum (all mass on argmin_x̂ E d(X, x̂)), from
    which it adds points; uniform for BA; or a user pmf, or a previous solution's p(x̂) (mixed
    with uniform mass when the method cannot revive pruned points)."""
    n_xhat, dtype, device = int(d.shape[1]), px.dtype, array_api_compat.device(px)
    if init is None and sparse_ok:
        best = int(xp.argmin(px @ d))
        return xp.astype(xp.arange(n_xhat, device=device) == best, dtype)
    if init is None:
        return xp.ones(n_xhat, dtype=dtype, device=device) / n_xhat
    mix = 0.0
    if isinstance(init, RDSolution):
        init, mix = init.output_marginal, (0.0 if sparse_ok else WARM_START_MIX)
    q, _ = as_pmf(init, name="init", batch=False, xp=xp)
    if q.shape[0] != n_xhat:
        raise ShapeMismatchError(f"init must have {n_xhat} entries (one per x̂); got {q.shape[0]}")
    q = (1.0 - mix) * xp.astype(q, dtype) + mix / n_xhat
    return q / xp.sum(q)


def solution_from_marginal(
    px: Array,
    d: Array,
    beta: float,
    q: Array,
    xp: Any,
    kernel: tuple[Array, Array] | None = None,
) -> tuple[Array | Callable[[], Array], Array, float, float]:
    r"""Encoder, output marginal, rate (nats) and distortion of the BA encoder built from q.

    .. math:: p(\hat x|x) = \frac{q(\hat x)\, e^{-\beta d(x, \hat x)}}{Z(x, \beta)}, \qquad
              I = \sum_{\hat x} p(\hat x) \log\frac{q(\hat x)}{p(\hat x)} - \beta D
                  - \sum_x p(x) \log Z(x)

    (the second form of :math:`\sum p(x) p(\hat x|x) \log \frac{p(\hat x|x)}{p(\hat x)}`
    needs no logarithm of the encoder). Only the columns where q > 0 are computed (the
    encoder is zero elsewhere). ``kernel``, when given, is CNM's
    :math:`(e^{-\beta (d - \min_{\hat x} d)}_{:, \text{support}},\ \min_{\hat x} d)`
    (shapes ``(n_x, m)``, ``(n_x,)``): the encoder is then that block scaled, with no
    exponentials, unless some Z(x) would underflow. When q has zeros, the dense encoder is
    returned as a zero-argument builder (the scatter of the support's columns), which
    :attr:`RDSolution.encoder` calls on first access.
    """
    support = xp.nonzero(q > 0)[0]  # (m,)
    q_s = xp.take(q, support)  # (m,)
    log_q = xp.log(q_s)  # (m,)
    scaled = _scaled_kernel(kernel, q_s, beta, xp) if kernel is not None else None
    d_s = None
    if scaled is not None:
        enc_s, log_z = scaled
    else:
        d_s = xp.take(d, support, axis=1)  # (n_x, m)
        exponent = log_q[None, :] - beta * d_s  # (n_x, m)
        shift = xp.max(exponent, axis=1)  # (n_x,)
        enc_s = xp.exp(exponent - shift[:, None])  # (n_x, m)
        z = xp.sum(enc_s, axis=1)  # (n_x,), ≥ 1
        enc_s = enc_s / z[:, None]
        log_z = xp.log(z) + shift  # (n_x,)
    marg_s = px @ enc_s  # (m,)
    distortion = _expected_distortion(px, enc_s, d, d_s, support, xp)
    positive = marg_s > 0
    safe = xp.where(positive, marg_s, xp.ones_like(marg_s))
    cross = xp.sum(xp.where(positive, marg_s * (log_q - xp.log(safe)), xp.zeros_like(marg_s)))
    rate = float(cross) - beta * distortion - float(xp.sum(px * log_z))
    rate = max(rate, 0.0)
    n_x, n_xhat = int(d.shape[0]), int(d.shape[1])
    if int(support.shape[0]) == n_xhat:
        return enc_s, marg_s, rate, distortion
    if isinstance(enc_s, np.ndarray):  # NumPy: scatter the columns in place

        def build() -> Array:
            encoder = np.zeros((n_x, n_xhat), dtype=enc_s.dtype)
            encoder[:, support] = enc_s
            return encoder

        marginal = np.zeros(n_xhat, dtype=enc_s.dtype)
        marginal[support] = marg_s
        return build, marginal, rate, distortion
    positions = xp.arange(n_xhat, device=array_api_compat.device(d))  # (n_xhat,)
    scatter = xp.astype(positions[:, None] == support[None, :], d.dtype)  # (n_xhat, m)
    return (lambda: enc_s @ scatter.T), scatter @ marg_s, rate, distortion


def _expected_distortion(
    px: Array, enc_s: Array, d: Array, d_s: Array | None, support: Array, xp: Any
) -> float:
    r""":math:`D = \sum_x p(x) \sum_{\hat x} p(\hat x|x)\, d(x, \hat x)` from the encoder's
    columns ``(n_x, m)`` on ``support`` ``(m,)``; on NumPy float64 with numba a compiled
    loop reads d only where the encoder is non-zero (the same sum to rounding)."""
    if _JIT and d_s is None and _is_float64_numpy(px, enc_s, d):
        return float(expected_distortion(px, enc_s, d, np.asarray(support, np.int64)))
    if d_s is None:
        d_s = xp.take(d, support, axis=1)  # (n_x, m)
    return float(xp.sum(px @ (enc_s * d_s)))


def _is_float64_numpy(*arrays: Any) -> bool:
    return all(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in arrays)


def _scaled_kernel(
    kernel: tuple[Array, Array], q_s: Array, beta: float, xp: Any
) -> tuple[Array, Array] | None:
    """Encoder columns q K / Z ``(n_x, m)`` and log Z ``(n_x,)`` from the row-shifted kernel
    block K; None when some Z(x) = (K q)(x) is too small for the linear form."""
    columns, row_min = kernel
    z = columns @ q_s  # (n_x,)
    if float(xp.min(z)) <= _TINY_Z:
        return None
    return columns * (q_s[None, :] / z[:, None]), xp.log(z) - beta * row_min


def _solve(
    px: Array,
    d: Array,
    beta: float,
    q0: Array,
    *,
    method: str,
    tol: float,
    max_iter: int,
    log_domain: bool,
    xp: Any,
    prepared: Prepared | None = None,
    cold: bool = False,
) -> tuple[Array, float, int, bool, tuple[Array, Array] | None]:
    """Run ``method`` from q0; returns (q, certified gap in nats, iterations, converged,
    CNM's kernel block for :func:`solution_from_marginal` or None).
    A ``cold`` CNM start on a Toeplitz d uses points one kernel width apart instead."""
    if method == "cnm":
        prepared = prepare(d, xp) if prepared is None else prepared
        spaced = spaced_start(prepared, beta) if cold else None
        if spaced is not None:
            q0 = xp.asarray(spaced, dtype=px.dtype, device=array_api_compat.device(px))
        res = cnm_solve(px, prepared, beta, q0, tol=tol, max_iter=max_iter, xp=xp)
        kernel = None if res.columns is None else (res.columns, prepared.minima)
        return res.marginal, res.gap, res.iterations, res.converged, kernel
    kernel = (LogKernel if log_domain else AutoKernel)(px, d, beta, xp)
    theta = normalize_log(xp.log(xp.clip(q0, min=1e-300)), xp)
    res = certified_iteration(
        theta, kernel, tol=tol, max_iter=max_iter, xp=xp, accelerate=method == "squarem"
    )
    return xp.exp(res.theta), res.step.gap, res.evaluations, res.converged, None


def blahut_arimoto(
    px: Any,
    distortion: Any,
    beta: float,
    *,
    tol: float = 1e-6,
    max_iter: int = 100_000,
    init: Any = None,
    base: float = 2.0,
    method: str | None = None,
    log_domain: bool = False,
) -> RDSolution:
    r"""Minimise :math:`I(X;\hat X) + \beta\, E[d(X,\hat X)]` over p(x̂|x) (eqs. 9–12).

    .. math:: p(\hat x|x) = \frac{p(\hat x)}{Z(x,\beta)} e^{-\beta d(x,\hat x)}, \qquad
              p(\hat x) = \sum_x p(x)\, p(\hat x|x)

    **Units.** β multiplies the distortion inside ``exp(-β d)``, so it is measured in nats per
    unit of distortion whatever ``base`` is: the curve's slope at the solution is
    ``dR/dD = -β`` in nats, ``-β / ln 2`` in bits.

    **Certificate.** Each iterate q(x̂) gives Blahut's lower bound on R(D) at the encoder's
    distortion D, :math:`R(D) \ge -\beta D - \sum_x p(x) \log Z(x) - \log \max_{\hat x} c(\hat x)`.
    Iteration stops when ``rate - lower_bound <= tol``, so with the default ``tol = 1e-6`` the
    returned rate is within 1e-6 bits of the true R(D) at the returned D.

    **Speed.** Plain BA (``method="ba"``) costs two matrix–vector products per iteration
    with the precomputed kernel :math:`e^{-\beta (d - \min_{\hat x} d)}` but converges
    sublinearly when the optimal p(x̂) is sparse (a discretised continuous source: the
    certified gap of a 1001-point Gaussian is still 1e-4 bits after thousands of iterations).
    On host arrays the default, ``"cnm"``, reaches the same fixed point with Wang's
    constrained Newton method (one gradient matrix–vector product, a small non-negative
    least-squares Newton step on the support, a line search): typically 5–40 iterations to
    a 1e-9 gap.
    ``"squarem"`` is BA with SQUAREM extrapolation. All methods work in the log domain
    where needed: finite for every β ≥ 0 and for p(x) with zeros. When d is Toeplitz to
    rounding (a distortion of x − x̂ on a uniform grid, such as a discretised continuous
    source), CNM computes its gradient by FFT in O(n log n) with a rigorous bound on the
    FFT's rounding added to the certificate, and switches to the dense kernel when that
    bound matters for ``tol`` (see :mod:`ibkit.rate_distortion._structure`); a cold start
    there puts uniform mass on points one kernel width apart. For tiny
    alphabets (|X|·|X̂| ≤ 256, NumPy input, no ``init``) CNM is first tried as full-support
    Newton steps (:mod:`ibkit.rate_distortion._small`), on the same certificate.

    **Devices.** With arrays on an accelerator (torch tensors on CUDA, CuPy, ...) the default
    ``method=None`` resolves to ``"squarem"``, whose iteration is matrix–vector products and
    elementwise maps in the caller's namespace: it runs on that device end to end, with no
    copy to the host inside the iteration; only a few scalars (objective, certified gap, step
    length) are read back per map evaluation for the stopping test. In host memory (NumPy,
    ``array_api_strict``, torch on CPU) it resolves to ``"cnm"``. Asking for ``"cnm"``
    explicitly on a device works, but its Newton step (a non-negative least-squares problem
    on the support) runs on the host: each iteration copies the gradient ``(n_xhat,)`` and
    the support's kernel columns ``(n_x, m)`` to the host and the new weights back.

    Parameters
    ----------
    px : array_like, shape ``(n_x,)``
        Source pmf; zeros allowed.
    distortion : array_like, shape ``(n_x, n_xhat)``
        Non-negative, finite distortion matrix; ``n_xhat`` may differ from ``n_x``.
    beta : float
        Lagrange multiplier β ≥ 0 (nats per unit distortion).
    tol : float
        Certified gap at which to stop, in units of ``base``.
    max_iter : int
        Budget of BA iterations; a :class:`~ibkit.exceptions.ConvergenceWarning` is issued
        when it runs out.
    init : array_like of shape ``(n_xhat,)`` or RDSolution, optional
        Initial p(x̂), or a previous solution to warm-start from. By default CNM starts from
        the zero-rate optimum (all mass on argmin_x̂ E d(X, x̂)) and BA from uniform.
    base : float
        2 for bits (default), ``numpy.e`` for nats.
    method : {"cnm", "squarem", "ba"} or None
        Solver for the fixed point (see *Speed*); all stop on the same certificate. None
        (default): ``"cnm"`` in host memory, ``"squarem"`` on an accelerator (see *Devices*).
    log_domain : bool
        For "ba"/"squarem": force the log-domain kernel (slower; by default it is used
        only when the matrix–vector form would underflow).

    Returns
    -------
    RDSolution

    References
    ----------
    Blahut (1972), "Computation of channel capacity and rate-distortion functions", IEEE
    Trans. IT 18(4). Varadhan & Roland (2008), "Simple and globally convergent methods for
    accelerating the convergence of any EM algorithm", Scand. J. Stat. 35(2). Wang (2007),
    "On fast computation of the non-parametric maximum likelihood estimate of a mixing
    distribution", J. R. Stat. Soc. B 69(2).
    """
    xp = get_namespace(px, distortion)
    px, _ = as_pmf(px, name="px", batch=False, xp=xp)
    d = as_matrix(distortion, name="distortion", rows=int(px.shape[0]), nonnegative=True, xp=xp)
    d = xp.astype(d, px.dtype)
    beta = check_beta(beta)
    base = check_base(base)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    method = resolve_method(method, px, d)
    return solve_validated(
        px,
        d,
        beta,
        tol=tol,
        max_iter=max_iter,
        init=init,
        base=base,
        method=method,
        log_domain=log_domain,
        xp=xp,
    )


def _is_numpy(xp: Any) -> bool:
    return bool(array_api_compat.is_numpy_namespace(xp))


def solve_validated(
    px: Array,
    d: Array,
    beta: float,
    *,
    tol: float,
    max_iter: int,
    init: Any,
    base: float,
    method: str,
    log_domain: bool,
    xp: Any,
    prepared: Prepared | None = None,
) -> RDSolution:
    r""":func:`blahut_arimoto` on arguments already validated (a curve validates them once,
    and passes the β-independent ``prepared`` form of d).

    .. math:: p(\hat x|x) = \frac{q(\hat x)\, e^{-\beta d(x,\hat x)}}{Z(x,\beta)},\quad
              R(D) \ge R_L = -\beta D - \sum_x p(x) \log Z(x) - \log \max_{\hat x} c(\hat x),
              \quad c(\hat x) = \sum_x \frac{p(x)\, e^{-\beta d(x,\hat x)}}{Z(x,\beta)}

    (nats before division by ln ``base``; β in nats per unit of distortion multiplies d).

    ``px``: ``(n_x,)``; ``d``: ``(n_x, n_xhat)`` in distortion units.
    """
    unit = log_base(base)
    if method == "cnm" and init is None and is_small(tuple(d.shape)) and _is_numpy(xp):
        small = solve_small(px, d, np.array([beta]), tol=tol * unit, max_iter=max_iter)
        if small.solved[0]:  # tiny alphabet, interior optimum: the batched Newton solver
            return RDSolution(
                rate=float(small.rate[0]) / unit,
                distortion=float(small.distortion[0]),
                lower_bound=float(small.rate[0] - small.gap[0]) / unit,
                _encoder=small.encoder[0],
                output_marginal=small.output_marginal[0],
                beta=beta,
                iterations=int(small.iterations[0]),
                converged=True,
                base=base,
            )
    q0 = _initial_marginal(init, px, d, xp, sparse_ok=method == "cnm")
    q, gap, iterations, converged, kernel = _solve(
        px,
        d,
        beta,
        q0,
        method=method,
        tol=tol * unit,
        max_iter=max_iter,
        log_domain=log_domain,
        xp=xp,
        prepared=prepared,
        cold=init is None,
    )
    if not converged:
        reason = "max_iter" if iterations >= max_iter else "a stall at float64 resolution"
        warnings.warn(
            f"blahut_arimoto stopped after {iterations} iterations ({reason}) with certified "
            f"gap {gap / unit:.3g} > tol={tol:g} (beta={beta:g}, method={method!r})",
            ConvergenceWarning,
            stacklevel=3,
        )
    encoder, marginal, rate, dist = solution_from_marginal(px, d, beta, q, xp, kernel)
    return RDSolution(
        rate=rate / unit,
        distortion=dist,
        lower_bound=(rate - gap) / unit,
        _encoder=encoder,
        output_marginal=marginal,
        beta=beta,
        iterations=iterations,
        converged=converged,
        base=base,
    )
