r"""Constrained Newton method (CNM) for the Blahut–Arimoto fixed point.

BA's fixed point maximises the concave dual :math:`\ell(q) = \sum_x p(x) \log Z_q(x)`,
:math:`Z_q(x) = \sum_{\hat x} q(\hat x) e^{-\beta d(x, \hat x)}`, over the simplex — the same
problem as a maximum-likelihood mixing distribution. Its optimum is often sparse (a discretised
continuous source is quantised onto a few mass points), and the BA iteration then converges
sublinearly: the certified gap of a 1001-point Gaussian falls like 1/t. Wang's CNM reaches
the same fixed point in tens of iterations: each iteration

1. computes the BA gradient :math:`c(\hat x) = \partial \ell / \partial q(\hat x)` for every
   x̂ (one product with the kernel operator of :mod:`._structure`: a dense matrix, or an FFT
   for a Toeplitz d) and Blahut's certified gap;
2. multiplies the weights of support points with c > e by c (a partial BA step, kept if
   ℓ grows: a tiny weight that some x depends on grows at once); adds the local maxima of
   c above 1 to the support;
3. takes a Newton step on the support (quadratic model of the Lagrangian ℓ(w) - Σw, whose
   maximiser over w ≥ 0 lies on the simplex):
   :math:`\min_{w \ge 0} \tfrac12 w^\top H w - (2c - 1)^\top w`,
   :math:`H = \sum_x p(x) S_x S_x^\top`, :math:`S_x = e^{-\beta d(x, \cdot)} / Z_q(x)`,
   solved by an active-set method warm-started from the current weights (:mod:`._nnls`;
   H by a banded Gram product where the kernel decays away from the diagonal);
4. backtracks along the step until the Lagrangian increases, normalises, drops zero
   weights; if no step helps, moves mass toward the largest gradient (a vertex step).

log Z of the accepted step is carried into the next iteration. On NumPy float64 input (with
numba) the Newton system's scaled rows with their Gram bands, and the candidate search, are
compiled kernels (:mod:`._cnm_jit`, one pass each instead of several NumPy passes); every
other input keeps the array-API path, with the same iterates to rounding.

References
----------
Wang (2007), "On fast computation of the non-parametric maximum likelihood estimate of a
mixing distribution", J. R. Stat. Soc. B 69(2). Blahut (1972).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, logsumexp, to_numpy
from .._jit import HAVE_NUMBA
from ._cnm_jit import candidates, scaled_block
from ._nnls import _BLOCK_ROWS, gram, nonnegative_quadratic
from ._structure import DenseOps, Prepared, ToeplitzOps, kernel_ops

__all__ = ["CNMResult", "cnm_solve"]

_MAX_EXPONENT = 600.0  # keeps S = e^{-β d}/Z finite (an overflowing Hessian skips Newton)
_TRUST_LOG = math.log(100.0)
_TINY_Z = 1e-250  # below this, Z(x) is recomputed in the log domain
_STALL_ITERATIONS = 50
_ROUNDING = 8 * np.finfo(np.float64).eps
_JIT = HAVE_NUMBA  # compiled kernels (._cnm_jit) for NumPy float64 input; tests switch it off


@dataclass(frozen=True)
class CNMResult:
    r"""The CNM fixed point: p(x̂) ``(n_xhat,)`` and Blahut's certified gap (nats).

    .. math:: \Delta = \log \max_{\hat x} c(\hat x) - \sum_{\hat x} q(\hat x)\, c(\hat x)
              \log c(\hat x) \ge 0
    """

    marginal: Array  # (n_xhat,) p(x̂), zeros off the support
    gap: float  # certified gap of the encoder built from ``marginal``, nats
    iterations: int
    converged: bool
    columns: Array | None = None  # (n_x, m) e^{-β(d - min_x̂ d)} on the support of ``marginal``
    flops: float = 0.0  # arithmetic the iterations spent (for the benchmark's per-FLOP rate)


class _Problem:
    """The kernel operator and the per-support evaluations of ℓ, Z and the gradient c."""

    def __init__(self, px: Array, prepared: Prepared, beta: float, xp: Any) -> None:
        self.xp, self.px, self.beta, self.prepared = xp, px, beta, prepared
        self.device = array_api_compat.device(px)
        # numba kernels only on NumPy float64 host arrays; everything else: array-API path
        self.jit = bool(_JIT and array_api_compat.is_numpy_namespace(xp) and px.dtype == np.float64)
        self.support_x = px > 0
        self._ones, self._zeros = xp.ones_like(px), xp.zeros_like(px)  # (n_x,)
        self.log_px = xp.log(xp.where(self.support_x, px, self._ones))
        self.ops: DenseOps | ToeplitzOps = kernel_ops(prepared, beta, xp)
        # a Toeplitz kernel is d to rounding δ: every log c moves by at most 2βδ, the gap by 4βδ
        self.slack = 0.0 if self.ops.exact else 4.0 * beta * prepared.deviation
        self._cached: tuple[np.ndarray, Array] = (np.empty(0, dtype=np.intp), None)
        self.n_x = float(px.shape[0])
        self.flops = 0.0  # arithmetic spent (multiply–adds, exp and log count one each)

    def put(self, host: np.ndarray) -> Array:
        """A host array in the namespace and on the device of p(x) (floats in p's dtype)."""
        dtype = self.px.dtype if host.dtype.kind == "f" else None
        return self.xp.asarray(host, dtype=dtype, device=self.device)

    def densify(self) -> None:
        """Switch to the dense kernel (FFT rounding would exceed the requested tolerance)."""
        self.ops, self.slack = DenseOps(self.prepared, self.beta, self.xp), 0.0
        self._cached = (np.empty(0, dtype=np.intp), None)

    def columns(self, idx: np.ndarray) -> Array:
        """K[:, idx] (n_x, m); the last gathered block is kept for the line search."""
        cols = self.ops.columns(self.put(idx))  # (n_x, m)
        self._cached = (idx, cols)
        return cols

    def support_columns(self, idx: np.ndarray) -> Array:
        """K[:, idx] (n_x, m), taken from the cached block when it holds idx."""
        pos = self._from_cache(idx)
        if pos is None:
            return self.columns(idx)
        cached = self._cached[1]
        if pos.size == cached.shape[1]:
            return cached
        return self.xp.take(cached, self.put(pos), axis=1)  # (n_x, m)

    def _from_cache(self, idx: np.ndarray) -> np.ndarray | None:
        cached, _ = self._cached
        if cached.size == 0 or idx.size > cached.size:
            return None
        pos = np.searchsorted(cached, idx)
        pos = np.minimum(pos, cached.size - 1)
        return pos if np.array_equal(cached[pos], idx) else None

    def _products(self, idx: np.ndarray, weights: np.ndarray) -> Array:
        """K[:, idx] @ weights (n_x,), from the cached block where idx is a subset of it."""
        pos = self._from_cache(idx)
        if pos is None:
            self.flops += 2.0 * self.n_x * idx.size
            return self.columns(idx) @ self.put(weights)
        self.flops += 2.0 * self.n_x * self._cached[0].size
        full = np.zeros(self._cached[0].size)
        full[pos] = weights
        return self._cached[1] @ self.put(full)

    def log_z(self, idx: np.ndarray, weights: np.ndarray) -> Array:
        """log Z(x) (of the row-shifted kernel) for weights on the support ``idx``: one
        matrix–vector product, or log-sum-exp where Z would underflow."""
        xp = self.xp
        z = self._products(idx, weights)  # (n_x,)
        safe = xp.where(self.support_x, z, self._ones)
        self.flops += 3.0 * self.n_x  # the check, the logarithm, the dual's product
        if float(xp.min(safe)) > _TINY_Z:
            return xp.log(safe)
        cols = self.ops.dist_columns(self.put(idx))  # (n_x, m)
        return logsumexp(xp.log(self.put(weights))[None, :] - self.beta * cols, axis=1, xp=xp)

    def dual(self, log_z: Array) -> float:
        xp = self.xp
        return float(xp.sum(xp.where(self.support_x, self.px * log_z, self._zeros)))

    def uncovers(self, log_z: Array, new_log_z: Array) -> bool:
        """Whether Z(x) falls below 1/100 of its value for some x with p(x) > 0: there the
        quadratic model (around Z_new/Z = 1) is void, however small p(x) is."""
        xp = self.xp
        drop = xp.where(self.support_x, log_z - new_log_z, self._zeros)
        return float(xp.max(drop)) > _TRUST_LOG

    def log_gradient(self, log_z: Array, idx: np.ndarray) -> tuple[np.ndarray, float]:
        """log c(x̂) for every x̂ (one scaled product with K, exact on the support ``idx``),
        and an upper bound on log max c that covers the operator's rounding."""
        xp = self.xp
        log_w = xp.where(self.support_x, self.log_px - log_z, -xp.inf * self._ones)
        peak = float(xp.max(log_w))
        v = xp.exp(log_w - peak)  # (n_x,)
        c, error = self.ops.gradient(v)  # (n_xhat,)
        c = to_numpy(c)
        self.flops += self.ops.gradient_flops + 3.0 * self.n_x + c.shape[0]
        if error > 0.0:  # FFT values: exact ones on the support, a bound on the maximum
            pos = self._from_cache(idx)
            exact = (v @ self._cached[1])[pos] if pos is not None else v @ self.columns(idx)
            self.flops += 2.0 * self.n_x * (self._cached[0].size if pos is not None else idx.size)
            c[idx] = to_numpy(exact)
        log_c = np.log(np.clip(c, 1e-300, None)) + peak
        upper = math.log(max(float(c.max()) + error, 1e-300)) + peak
        return log_c, upper + self.slack

    def newton_target(
        self, idx: np.ndarray, log_z: Array, log_c: np.ndarray, start: np.ndarray
    ) -> np.ndarray | None:
        """Maximiser over w ≥ 0 of the quadratic model of ℓ(w) - Σ w (whose maximiser lies on
        the simplex): min ½ wᵀHw - gᵀw with H = Σ_x p S_x S_xᵀ, g = 2c - 1 on the support
        ``idx``, from the current weights ``start`` (a warm start for the active set)."""
        xp = self.xp
        if self.jit and float(np.max(-log_z)) < _MAX_EXPONENT:  # one compiled pass for A
            a, finite, low, high = scaled_block(self.columns(idx), self.px, log_z, _BLOCK_ROWS)
            return self._newton_solve(a, log_c[idx], start, finite, (low, high))
        scale = xp.sqrt(self.px)  # (n_x,)
        if float(xp.max(-log_z)) < _MAX_EXPONENT:  # S = K / Z directly
            a = (scale * xp.exp(-log_z))[:, None] * self.columns(idx)
        else:
            cols = self.ops.dist_columns(self.put(idx))  # (n_x, m)
            exponent = xp.clip(-self.beta * cols - log_z[:, None], max=_MAX_EXPONENT)
            a = scale[:, None] * xp.exp(exponent)
        a = to_numpy(a)  # (n_x, m)
        return self._newton_solve(a, log_c[idx], start, bool(np.all(np.isfinite(a))))

    def _newton_solve(
        self,
        a: np.ndarray,
        log_c: np.ndarray,
        start: np.ndarray,
        finite: bool,
        bands: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray | None:
        """The Newton step from A = diag(√p / Z) K ``(n_x, m)`` (H = AᵀA), log c on the
        support ``(m,)`` and the warm start ``(m,)``; ``bands``: the per-block column bands
        of :func:`gram` when the caller has them."""
        with np.errstate(over="ignore", invalid="ignore"):
            hessian, work = gram(a, bands) if finite else (a.T @ a, 2.0 * a.size * a.shape[1])
        self.flops += work + 4.0 * a.size
        if not np.all(np.isfinite(hessian)):
            return None
        gradient = 2.0 * np.exp(np.minimum(log_c, _MAX_EXPONENT)) - 1.0
        ridge = 1e-12 * max(float(np.trace(hessian)) / hessian.shape[0], 1e-300)
        try:
            hessian[np.diag_indices_from(hessian)] += ridge
            w, work = nonnegative_quadratic(hessian, gradient, start)
            self.flops += work
        except (np.linalg.LinAlgError, RuntimeError, ValueError):
            return None
        return w if np.all(np.isfinite(w)) and w.sum() > 0 else None


def _gap(log_c: np.ndarray, idx: np.ndarray, weights: np.ndarray, peak: float) -> float:
    """Blahut's gap log max c - Σ q c log c, with ``peak`` an upper bound on log max c."""
    if peak > 700.0:  # c itself would overflow: the gap is at least log c_max - 1 > 699
        return peak
    c_s = log_c[idx]
    return max(peak - float(np.sum(weights * np.exp(c_s) * c_s)), 0.0)


def _candidates(log_c: np.ndarray, idx: np.ndarray, jit: bool = False) -> np.ndarray:
    """Support points plus every index-local maximum of c above 1 and the global maximum
    (sorted; ``jit``: by the compiled twin :func:`._cnm_jit.candidates`, the same set)."""
    if jit:
        return candidates(log_c, idx)
    padded = np.concatenate(([-np.inf], log_c, [-np.inf]))
    local = (log_c >= padded[:-2]) & (log_c >= padded[2:]) & (log_c > 0)
    new = np.flatnonzero(local)
    return np.union1d(idx, np.append(new, int(np.argmax(log_c))))


def cnm_solve(
    px: Array, prepared: Prepared, beta: float, q0: Array, *, tol: float, max_iter: int, xp: Any
) -> CNMResult:
    r"""Maximise ℓ(q) from ``q0`` ``(n_xhat,)`` until Blahut's certified gap is ≤ ``tol`` (nats).

    .. math:: \max_{q \in \Delta}\ \ell(q) = \sum_x p(x) \log \sum_{\hat x} q(\hat x)\,
              e^{-\beta d(x, \hat x)}
    """
    problem = _Problem(px, prepared, beta, xp)
    q0_host = to_numpy(q0)
    idx = np.flatnonzero(q0_host > 0)
    weights = q0_host[idx] / q0_host[idx].sum()
    gap, best, since_best, iterations = math.inf, math.inf, 0, 0
    log_z = problem.log_z(idx, weights)  # then carried over from the accepted step
    while iterations < max_iter:
        iterations += 1
        log_c, peak = problem.log_gradient(log_z, idx)
        gap = _gap(log_c, idx, weights, peak)
        rounding = peak - float(log_c.max())  # the FFT's error bound (0 for the dense kernel)
        if gap > tol and rounding > tol / 4 and gap < 10.0 * rounding + tol:
            problem.densify()  # the FFT's rounding is a fair part of what is left
            log_z = problem.log_z(idx, weights)
            log_c, peak = problem.log_gradient(log_z, idx)
            gap = _gap(log_c, idx, weights, peak)
        if gap <= tol:
            break
        best, since_best = (gap, 0) if gap < 0.999 * best else (best, since_best + 1)
        if since_best > _STALL_ITERATIONS:  # at the limit of float64 resolution of ℓ
            break
        if log_c[idx].max() > 1.0:
            log_z, log_c, weights = _boost(problem, idx, weights, log_z, log_c)
        previous = weights
        idx, weights, log_z = _improve(problem, idx, weights, log_z, log_c)
        if weights is previous:  # no step improved the dual even within rounding: stalled
            break
    marginal = np.zeros(prepared.shape[1])
    marginal[idx] = weights
    columns = problem.support_columns(idx) if np.all(marginal[idx] > 0) else None
    return CNMResult(problem.put(marginal), gap, iterations, gap <= tol, columns, problem.flops)


def _boost(
    problem: _Problem, idx: np.ndarray, weights: np.ndarray, log_z: Array, log_c: np.ndarray
) -> tuple[Array, np.ndarray, np.ndarray]:
    """Multiply the weights of support points with c > e by c (a partial BA step): a tiny
    weight that some x depends on grows at once, where Newton steps would only double it.
    Kept only if ℓ does not decrease."""
    factor = np.exp(np.clip(log_c[idx], 0.0, 700.0) * (log_c[idx] > 1.0))
    boosted = weights * factor / np.sum(weights * factor)
    new_log_z = problem.log_z(idx, boosted)
    if problem.dual(new_log_z) < problem.dual(log_z):
        return log_z, log_c, weights
    return new_log_z, problem.log_gradient(new_log_z, idx)[0], boosted


def _improve(
    problem: _Problem, idx: np.ndarray, weights: np.ndarray, log_z: Array, log_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Array]:
    """One CNM iteration: Newton step on the enlarged support, else a vertex step; the new
    support, its weights and their log Z (the values the next iteration starts from)."""
    grown = _candidates(log_c, idx, problem.jit)
    old = np.zeros(grown.size)
    old[np.searchsorted(grown, idx)] = weights
    base_value = problem.dual(log_z) - 1.0  # the Lagrangian ℓ(q) - Σq at the simplex point
    slack = _ROUNDING * (abs(base_value) + 1.0)
    target = problem.newton_target(grown, log_z, log_c, old)
    if target is not None:
        step = target - old
        for halvings in range(40):
            trial = old + step
            if halvings:  # fraction to the boundary: a damped step shrinks no weight below 1/100
                trial = np.maximum(trial, 1e-2 * old)
            keep = trial > 0
            mass = float(trial[keep].sum())
            new_idx, new_w = grown[keep], trial[keep] / mass
            new_log_z = problem.log_z(new_idx, new_w)
            if not halvings and problem.uncovers(log_z, new_log_z):
                continue  # the full step drops the only cover of some x: damp it instead
            # Lagrangian ℓ(w) - Σw; normalising w afterwards can only raise it further.
            value = problem.dual(new_log_z) + math.log(mass) - mass
            if value > base_value + slack:
                return new_idx, new_w, new_log_z
            if value >= base_value - slack and _gap_at(problem, new_idx, new_w, new_log_z) < _gap(
                log_c, idx, weights, float(log_c.max())
            ):  # a tie within rounding (ℓ moves by ~gap² near the optimum): judge by the gap
                return new_idx, new_w, new_log_z
            step = step / 2.0
    return _vertex_step(problem, idx, weights, log_z, base_value + 1.0, int(np.argmax(log_c)))


def _gap_at(problem: _Problem, idx: np.ndarray, weights: np.ndarray, log_z: Array) -> float:
    log_c, _ = problem.log_gradient(log_z, idx)
    return _gap(log_c, idx, weights, float(log_c.max()))


def _vertex_step(
    problem: _Problem,
    idx: np.ndarray,
    weights: np.ndarray,
    log_z: Array,
    base_value: float,
    best: int,
) -> tuple[np.ndarray, np.ndarray, Array]:
    """Fallback: move mass t toward the vertex with the largest gradient (its directional
    derivative c - 1 is positive whenever the gap is), backtracking on t; else one BA step."""
    grown = np.union1d(idx, [best])
    old = np.zeros(grown.size)
    old[np.searchsorted(grown, idx)] = weights
    vertex = (grown == best).astype(float)
    t = 1.0
    for _ in range(60):
        trial = (1.0 - t) * old + t * vertex
        keep = trial > 0
        new_log_z = problem.log_z(grown[keep], trial[keep])
        if problem.dual(new_log_z) > base_value:
            return grown[keep], trial[keep], new_log_z
        t /= 2.0
    return idx, weights, log_z
