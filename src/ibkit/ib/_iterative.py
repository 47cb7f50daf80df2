r"""The iterative Information Bottleneck (eq. 16) and its generalisation to DIB.

For a joint p(x, y), a trade-off β ≥ 0 and α ≥ 0 (Strouse & Schwab's generalised IB), each
iteration applies

.. math::
    d(x, t) = D_{KL}[p(y|x) \| p(y|t)], \qquad
    \ell(x, t) = \log p(t) - \beta\, d(x, t),

    p(t|x) \propto \exp(\ell(x, t) / \alpha) \ (\alpha > 0), \qquad
    p(t|x) = [t = \arg\max_t \ell(x, t)] \ (\alpha = 0),

    p(t) = \sum_x p(x) p(t|x), \qquad p(y|t) = \frac{1}{p(t)} \sum_x p(t|x) p(x, y),

all in the log domain (finite for β up to 1e4 and for joints with zero rows or columns).
α = 1 is Tishby, Pereira & Bialek's IB; α = 0 the deterministic IB (DIB).

Since :math:`d(x, t) = -H(Y|X=x) - \sum_y p(y|x) \log p(y|t)` and the first term does not
depend on t, the update only needs the score

.. math:: s(x, t) = \log p(t) + \beta \sum_y p(y|x) \log p(y|t),

one matrix product :math:`(n_x \times n_y)(n_y \times n_t)`, followed by a max-shifted softmax
(or argmax) over t; p(t) and p(y|t) of the new encoder are a second product
:math:`(n_t \times n_x)(n_x \times n_y)` and are reused by the next iteration. For NumPy the
loop runs in place on preallocated ``(n_t, n_x)`` buffers (reductions over t then run across
contiguous rows), with :math:`\log p(t)` folded into the product as an extra column. Near a
bifurcation the iteration converges linearly and slowly; once its rate has settled, Aitken's
:math:`\Delta^2` extrapolation of p(t) and p(y|t) jumps ahead to (near) the same fixed point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, xlogy

__all__ = [
    "CHECK_EVERY",
    "IBState",
    "information_terms",
    "marginal_and_decoder",
    "objective_nats",
    "random_encoder",
    "run_iterations",
]

_FLOOR = 1e-300  # p(y|t) = 0 where p(y|x) > 0 costs a finite 690 nats per unit (float64)
_DEAD = -1e300  # the score of a cluster with p(t) = 0: exp gives exactly 0, sums stay finite
CHECK_EVERY = 4  # iterations between two tests of the stopping rule
_SETTLE, _SPREAD = 4, 0.05  # extrapolate after 4 ratios of changes within 5 % of 1 - μ

Monitor = Callable[[int, Array, Array], bool]  # (iteration, p(t), p(y|t)) -> stop now?


class IBState:
    """The fixed data of one problem: p(x), p(y|x), its entropy, and the namespace."""

    def __init__(self, pxy: Array, xp: Any) -> None:
        self.xp = xp
        self.pxy = pxy  # (n_x, n_y)
        self.px = xp.sum(pxy, axis=1)  # (n_x,)
        self.py = xp.sum(pxy, axis=0)  # (n_y,)
        alive = self.px > 0
        safe = xp.where(alive, self.px, xp.ones_like(self.px))
        # Rows with p(x) = 0 get p(y|x) = p(y): they never matter, and stay finite.
        self.py_x = xp.where(alive[:, None], pxy / safe[:, None], self.py[None, :])
        info = xp.finfo(pxy.dtype)
        self.floor = max(_FLOOR, float(info.smallest_normal))  # float32: log gives -87
        self.dead = max(_DEAD, -float(info.max) / 4)
        self.numpy = array_api_compat.is_numpy_namespace(xp)
        if self.numpy:  # the in-place kernel's operands, C-contiguous
            n_x, n_y = pxy.shape
            self.pxy_c = np.ascontiguousarray(pxy)  # (n_x, n_y)
            self.px_c = np.ascontiguousarray(self.px)  # (n_x,)
            self.py_c = np.ascontiguousarray(self.py)  # (n_y,)
            aug = np.ones((n_y + 1, n_x), dtype=pxy.dtype)  # (n_y + 1, n_x): p(y|x)ᵀ; ones
            aug[:n_y] = np.asarray(self.py_x).T
            self.py_x_aug = aug


def marginal_and_decoder(state: IBState, encoder: Array) -> tuple[Array, Array]:
    r"""p(t) of shape (n_t,) and p(y|t) of shape (n_t, n_y) (p(y) for unused clusters).

    .. math:: p(t) = \sum_x p(x)\,p(t|x), \qquad
              p(y|t) = \frac{1}{p(t)} \sum_x p(x, y)\,p(t|x)
    """
    xp = state.xp
    marginal = state.px @ encoder  # (n_t,)
    joint_ty = encoder.T @ state.pxy  # (n_t, n_y)
    positive = marginal > 0
    safe = xp.where(positive, marginal, xp.ones_like(marginal))
    decoder = xp.where(positive[:, None], joint_ty / safe[:, None], state.py[None, :])
    return marginal, decoder


def _update(state: IBState, marginal: Array, decoder: Array, beta: float, alpha: float) -> Array:
    """The new encoder p(t|x), shape (n_x, n_t), from p(t) and p(y|t) (any namespace)."""
    xp = state.xp
    floor = state.floor
    log_dec = xp.log(xp.where(decoder > floor, decoder, xp.full_like(decoder, floor)))
    positive = marginal > 0
    log_marg = xp.where(
        positive,
        xp.log(xp.where(positive, marginal, xp.ones_like(marginal))),
        xp.full_like(marginal, state.dead),
    )
    score = beta * (state.py_x @ log_dec.T) + log_marg[None, :]  # (n_x, n_t)
    if alpha == 0.0:
        best = xp.argmax(score, axis=1)  # (n_x,)
        labels = xp.arange(score.shape[1], device=array_api_compat.device(score))  # (n_t,)
        return xp.astype(best[:, None] == labels[None, :], score.dtype)
    if alpha != 1.0:
        score = score / alpha
    weights = xp.exp(score - xp.max(score, axis=1, keepdims=True))  # (n_x, n_t)
    return weights / xp.sum(weights, axis=1, keepdims=True)


class _Extrapolator:
    r"""Aitken's :math:`\Delta^2` jump for the slow linear tail of the iteration.

    Once the encoder's change per check has shrunk at a settled rate μ < 1 for four checks
    (ratios within 5 % of 1 - μ), p(t) and p(y|t) approach their fixed point as
    :math:`q_j \approx q^* + a \mu^j`, so :math:`q^* \approx q_j + \frac{\mu}{1-\mu}(q_j -
    q_{j-1})`. The jump lands near the same fixed point (no entry drops below half its value;
    renormalised), and the plain iteration, whose stopping rule is unchanged, goes on from it.

    References
    ----------
    Aitken (1926), "On Bernoulli's numerical solution of algebraic equations", Proc. R. Soc.
    Edinburgh 46; Brezinski & Redivo-Zaglia (1991), "Extrapolation Methods", North-Holland.
    """

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.changes: list[float] = []
        self.last: tuple[Array, Array] | None = None

    def __call__(self, change: float, marg: Array, dec: Array) -> tuple[Array, Array] | None:
        xp = self.xp
        previous, self.last = self.last, (marg * 1.0, dec * 1.0)  # copies, in any namespace
        self.changes.append(change)
        if previous is None or len(self.changes) < _SETTLE + 1:
            return None
        c = self.changes[-_SETTLE - 1 :]
        ratios = [c[k + 1] / c[k] for k in range(_SETTLE)]
        mu = ratios[-1]
        if not 0.5 < mu < 0.9999 or max(ratios) - min(ratios) > _SPREAD * (1.0 - mu):
            return None
        factor = mu / (1.0 - mu)
        jumped = []
        for now, before, axis in ((marg, previous[0], 0), (dec, previous[1], 1)):
            q = xp.maximum(now + factor * (now - before), 0.5 * now)
            jumped.append(q / xp.sum(q, axis=axis, keepdims=True))
        self.changes, self.last = [], None
        return jumped[0], jumped[1]


def _run_generic(
    state: IBState, encoder: Array, beta: float, alpha: float, tol: float, max_iter: int,
    monitor: Monitor | None,
) -> tuple[Array, Array, Array, int, bool]:
    xp = state.xp
    marginal, decoder = marginal_and_decoder(state, encoder)
    jump = _Extrapolator(xp) if alpha > 0 and monitor is None else None
    for it in range(1, max_iter + 1):
        new = _update(state, marginal, decoder, beta, alpha)  # (n_x, n_t)
        marginal, decoder = marginal_and_decoder(state, new)
        check = it % CHECK_EVERY == 0 or it == max_iter
        change = float(xp.max(xp.abs(new - encoder))) if check else math.inf
        encoder = new
        if change <= tol:
            return encoder, marginal, decoder, it, True
        if check and monitor is not None and monitor(it, marginal, decoder):
            break
        if check and jump is not None and it < max_iter:
            marginal, decoder = jump(change, marginal, decoder) or (marginal, decoder)
    return encoder, marginal, decoder, it, False


def _numpy_marginal_decoder(
    state: IBState, enc_t: np.ndarray, marg: np.ndarray, dec: np.ndarray
) -> None:
    """In place: p(t) into ``marg`` (n_t,), p(y|t) into ``dec`` (n_t, n_y), from p(t|x)ᵀ."""
    np.matmul(enc_t, state.px_c, out=marg)  # (n_t,)
    np.matmul(enc_t, state.pxy_c, out=dec)  # (n_t, n_y) joint p(t, y)
    positive = marg > 0
    np.divide(dec, marg[:, None], out=dec, where=positive[:, None])
    if not positive.all():
        dec[~positive] = state.py_c


def _numpy_update(
    state: IBState, marg: np.ndarray, dec: np.ndarray, beta: float, alpha: float,
    coef: np.ndarray, out: np.ndarray,
) -> None:
    """In place: the new p(t|x)ᵀ into ``out`` (n_t, n_x); ``coef`` (n_t, n_y + 1) is scratch."""
    n_y = dec.shape[1]
    scale = beta / alpha if alpha > 0 else beta
    np.maximum(dec, state.floor, out=coef[:, :n_y])
    np.log(coef[:, :n_y], out=coef[:, :n_y])
    coef[:, :n_y] *= scale  # β/α · log p(y|t)
    positive = marg > 0
    np.log(marg, out=coef[:, n_y], where=positive)
    if alpha > 0 and alpha != 1.0:
        coef[:, n_y] /= alpha
    coef[~positive, n_y] = state.dead
    np.matmul(coef, state.py_x_aug, out=out)  # (n_t, n_x) score / α
    if alpha == 0.0:
        best = np.argmax(out, axis=0)  # (n_x,)
        out.fill(0.0)
        out[best, np.arange(out.shape[1])] = 1.0
        return
    out -= np.max(out, axis=0)  # max-shifted softmax over t, in place
    np.exp(out, out=out)
    out *= 1.0 / np.sum(out, axis=0)


def _run_numpy(
    state: IBState, encoder: Array, beta: float, alpha: float, tol: float, max_iter: int,
    monitor: Monitor | None,
) -> tuple[Array, Array, Array, int, bool]:
    dtype = state.pxy_c.dtype
    enc = np.array(np.asarray(encoder, dtype=dtype).T, order="C")  # (n_t, n_x)
    new = np.empty_like(enc)  # (n_t, n_x)
    n_t, n_y = enc.shape[0], state.pxy_c.shape[1]
    marg, dec = np.empty(n_t, dtype), np.empty((n_t, n_y), dtype)  # (n_t,), (n_t, n_y)
    coef = np.empty((n_t, n_y + 1), dtype)  # (n_t, n_y + 1)
    _numpy_marginal_decoder(state, enc, marg, dec)
    jump = _Extrapolator(np) if alpha > 0 and monitor is None else None
    converged = False
    for it in range(1, max_iter + 1):
        _numpy_update(state, marg, dec, beta, alpha, coef, new)
        _numpy_marginal_decoder(state, new, marg, dec)
        if it % CHECK_EVERY == 0 or it == max_iter:
            np.subtract(enc, new, out=enc)  # the old encoder is not needed any more
            change = float(np.max(np.abs(enc, out=enc)))
            enc, new = new, enc
            if change <= tol:
                converged = True
                break
            if monitor is not None and monitor(it, marg, dec):
                break
            jumped = jump(change, marg, dec) if jump is not None and it < max_iter else None
            if jumped is not None:
                marg[...], dec[...] = jumped
        else:
            enc, new = new, enc
    return np.ascontiguousarray(enc.T), marg.copy(), dec.copy(), it, converged


def run_iterations(
    state: IBState,
    encoder: Array,
    beta: float,
    alpha: float,
    tol: float,
    max_iter: int,
    monitor: Monitor | None = None,
) -> tuple[Array, Array, Array, int, bool]:
    r"""Iterate eq. 16 from ``encoder`` (n_x, n_t) until no entry moves by more than ``tol``
    in one iteration (tested every ``CHECK_EVERY`` iterations and at ``max_iter``), or until
    ``monitor`` (called at those tests) returns True.

    Returns the encoder (n_x, n_t), p(t) (n_t,), p(y|t) (n_t, n_y), the iterations and
    whether the stopping rule was met.

    .. math:: p(t|x) \propto \exp\big((\log p(t) - \beta D_{KL}[p(y|x)\,\|\,p(y|t)])
              / \alpha\big)

    (α = 0: the argmax; KL in nats, β multiplies it).
    """
    run = _run_numpy if state.numpy else _run_generic
    return run(state, encoder, beta, alpha, tol, max_iter, monitor)


def information_terms(
    state: IBState, encoder: Array, marginal: Array | None = None, decoder: Array | None = None
) -> tuple[float, float, float]:
    r"""(I(X;T), I(T;Y), H(T)) in nats for the encoder p(t|x) ``(n_x, n_t)`` (p(t), p(y|t) if
    known).

    .. math:: I(X;T) = \sum_{x,t} p(x)\,p(t|x) \log\frac{p(t|x)}{p(t)},\quad
              I(T;Y) = \sum_{t,y} p(t)\,p(y|t) \log\frac{p(y|t)}{p(y)},\quad
              H(T) = -\sum_t p(t) \log p(t)
    """
    xp = state.xp
    if marginal is None or decoder is None:
        marginal, decoder = marginal_and_decoder(state, encoder)
    safe_m = xp.where(marginal > 0, marginal, xp.ones_like(marginal))
    ratio_xt = encoder / safe_m[None, :]
    i_xt = float(xp.sum(state.px * xp.sum(xlogy(encoder, ratio_xt, xp), axis=1)))
    safe_y = xp.where(state.py > 0, state.py, xp.ones_like(state.py))
    joint_ty = marginal[:, None] * decoder
    i_ty = float(xp.sum(xlogy(joint_ty, decoder / safe_y[None, :], xp)))
    h_t = -float(xp.sum(xlogy(marginal, marginal, xp)))
    return max(i_xt, 0.0), max(i_ty, 0.0), max(h_t, 0.0)


def objective_nats(i_xt: float, i_ty: float, h_t: float, beta: float, alpha: float) -> float:
    r"""H(T) - α H(T|X) - β I(T;Y), with H(T|X) = H(T) - I(X;T), in nats.

    .. math:: \mathcal L = H(T) - \alpha\,(H(T) - I(X;T)) - \beta\, I(T;Y)
    """
    return h_t - alpha * (h_t - i_xt) - beta * i_ty


def random_encoder(n_x: int, n_t: int, rng: np.random.Generator) -> np.ndarray:
    r"""A random soft encoder p(t|x) ``(n_x, n_t)`` (rows from a flat Dirichlet).

    .. math:: p(\cdot|x) \sim \mathrm{Dir}(\mathbf 1_{n_t})\ \text{independently for each } x
    """
    return rng.dirichlet(np.ones(n_t), size=n_x)
