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
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, logsumexp, xlogy

__all__ = [
    "IBState",
    "ib_step",
    "information_terms",
    "marginal_and_decoder",
    "objective_nats",
    "random_encoder",
]

_LOG_FLOOR = math.log(1e-300)  # p(y|t) = 0 where p(y|x) > 0 costs a finite 690 nats per unit


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
        self.neg_h_y_x = xp.sum(xlogy(self.py_x, self.py_x, xp), axis=1)  # (n_x,) -H(Y|X=x)

    def kl(self, decoder: Array) -> Array:
        """d(x, t) = KL(p(y|x) ‖ p(y|t)) in nats, shape (n_x, n_t)."""
        xp = self.xp
        positive = decoder > 0
        log_dec = xp.where(
            positive,
            xp.log(xp.where(positive, decoder, xp.ones_like(decoder))),
            xp.full_like(decoder, _LOG_FLOOR),
        )
        return xp.clip(self.neg_h_y_x[:, None] - self.py_x @ log_dec.T, min=0.0)


def ib_step(
    state: IBState, encoder: Array, beta: float, alpha: float
) -> tuple[Array, Array, Array]:
    """One pass of eq. 16 from p(t|x): returns the new (encoder, marginal, decoder)."""
    xp = state.xp
    marginal, decoder = marginal_and_decoder(state, encoder)
    positive = marginal > 0
    log_marg = xp.where(
        positive,
        xp.log(xp.where(positive, marginal, xp.ones_like(marginal))),
        xp.full_like(marginal, -xp.inf),
    )
    score = log_marg[None, :] - beta * state.kl(decoder)  # (n_x, n_t)
    if alpha == 0.0:
        best = xp.argmax(score, axis=1)  # (n_x,)
        labels = xp.arange(score.shape[1], device=array_api_compat.device(score))  # (n_t,)
        new = xp.astype(best[:, None] == labels[None, :], encoder.dtype)
    else:
        scaled = score / alpha
        new = xp.exp(scaled - logsumexp(scaled, axis=1, xp=xp)[:, None])
    marginal, decoder = marginal_and_decoder(state, new)
    return new, marginal, decoder


def marginal_and_decoder(state: IBState, encoder: Array) -> tuple[Array, Array]:
    xp = state.xp
    marginal = state.px @ encoder  # (n_t,)
    joint_ty = encoder.T @ state.pxy  # (n_t, n_y)
    positive = marginal > 0
    safe = xp.where(positive, marginal, xp.ones_like(marginal))
    decoder = xp.where(positive[:, None], joint_ty / safe[:, None], state.py[None, :])
    return marginal, decoder


def information_terms(state: IBState, encoder: Array) -> tuple[float, float, float]:
    """(I(X;T), I(T;Y), H(T)) in nats for the encoder p(t|x)."""
    xp = state.xp
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
    """H(T) - α H(T|X) - β I(T;Y), with H(T|X) = H(T) - I(X;T)."""
    return h_t - alpha * (h_t - i_xt) - beta * i_ty


def random_encoder(n_x: int, n_t: int, rng: np.random.Generator) -> np.ndarray:
    """A random soft encoder p(t|x) (rows from a flat Dirichlet)."""
    return rng.dirichlet(np.ones(n_t), size=n_x)
