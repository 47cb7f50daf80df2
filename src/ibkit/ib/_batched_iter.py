r"""The IB iteration (eq. 16) for B values of β at once: kernels, Δ² jumps and the loop.

Every β is the problem :func:`~ibkit.ib._iterative.run_iterations` solves, with the same
update, the same stopping rule and the same Aitken :math:`\Delta^2` jumps, decided per β from
that β's own history; stacking them turns one iteration into batched products over a leading
β axis,

.. math::
    s_b(x, t) = \log p_b(t) + \beta_b \sum_y p(y|x) \log p_b(y|t), \qquad
    p_b(t|x) \propto \exp(s_b(x, t) / \alpha),

    p_b(t) = \sum_x p(x) p_b(t|x), \qquad
    p_b(y|t) = \frac{1}{p_b(t)} \sum_x p_b(t|x) p(x, y).

The per-β arithmetic is the one-at-a-time solver's, operation for operation (NumPy's stacked
``matmul`` runs one BLAS call per β), so each β takes the same iterations and jumps and lands
on the same encoder. A β leaves the working batch at the first test it passes, so the products
shrink as the sweep converges. The host reads one integer per test (how many β stopped); the
rest stays in the caller's namespace and on its device.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from .._array import Array
from ._iterative import _SETTLE, _SPREAD, CHECK_EVERY, IBState

__all__ = ["iterate_batch"]


def _numpy_marginal_decoder(
    state: IBState, enc: np.ndarray, marg: np.ndarray, dec: np.ndarray
) -> None:
    """In place: p(t) into ``marg`` (b, n_t), p(y|t) into ``dec`` (b, n_t, n_y), from the
    encoders p(t|x)ᵀ ``enc`` (b, n_t, n_x) (p(y) for clusters with p(t) = 0)."""
    n_b, n_t, n_x = enc.shape
    np.matmul(enc, state.px_c, out=marg)  # (b, n_t)
    np.matmul(enc.reshape(n_b * n_t, n_x), state.pxy_c, out=dec.reshape(n_b * n_t, -1))
    positive = marg > 0  # (b, n_t)
    np.divide(dec, marg[:, :, None], out=dec, where=positive[:, :, None])
    if not positive.all():
        dec[~positive] = state.py_c


def _numpy_update(
    state: IBState,
    marg: np.ndarray,
    dec: np.ndarray,
    scale: np.ndarray,
    alpha: float,
    coef: np.ndarray,
    out: np.ndarray,
) -> None:
    """In place: new p(t|x)ᵀ into ``out`` (b, n_t, n_x); ``coef`` (b, n_t, n_y + 1) scratch;
    ``scale`` (b,) is β/α (β for α = 0)."""
    n_y = dec.shape[2]
    np.maximum(dec, state.floor, out=coef[:, :, :n_y])
    np.log(coef[:, :, :n_y], out=coef[:, :, :n_y])
    coef[:, :, :n_y] *= scale[:, None, None]  # β/α · log p(y|t)
    positive = marg > 0  # (b, n_t)
    np.log(marg, out=coef[:, :, n_y], where=positive)
    if alpha > 0 and alpha != 1.0:
        coef[:, :, n_y] /= alpha
    coef[~positive, n_y] = state.dead
    n_b, n_t, n_x = out.shape
    np.matmul(coef.reshape(n_b * n_t, n_y + 1), state.py_x_aug, out=out.reshape(n_b * n_t, n_x))
    if alpha == 0.0:
        best = np.argmax(out, axis=1)  # (b, n_x)
        out.fill(0.0)
        np.put_along_axis(out, best[:, None, :], 1.0, axis=1)
        return
    out -= np.max(out, axis=1, keepdims=True)  # max-shifted softmax over t, in place
    np.exp(out, out=out)
    out *= 1.0 / np.sum(out, axis=1, keepdims=True)


def _generic_marginal_decoder(state: IBState, enc: Array) -> tuple[Array, Array]:
    """p(t) (b, n_t) and p(y|t) (b, n_t, n_y) from p(t|x) (b, n_x, n_t), any namespace
    (the layout and products of :func:`~ibkit.ib._iterative.marginal_and_decoder`)."""
    xp = state.xp
    marg = xp.matmul(state.px[None, None, :], enc)[:, 0, :]  # (b, n_t)
    joint = xp.matmul(xp.matrix_transpose(enc), state.pxy[None, :, :])  # (b, n_t, n_y)
    positive = marg > 0
    safe = xp.where(positive, marg, xp.ones_like(marg))
    dec = xp.where(positive[:, :, None], joint / safe[:, :, None], state.py[None, None, :])
    return marg, dec


def _generic_update(state: IBState, marg: Array, dec: Array, betas: Array, alpha: float) -> Array:
    """New encoders p(t|x) (b, n_x, n_t) from p(t) (b, n_t) and p(y|t) (b, n_t, n_y)."""
    xp = state.xp
    log_dec = xp.log(xp.where(dec > state.floor, dec, xp.full_like(dec, state.floor)))
    positive = marg > 0
    safe = xp.where(positive, marg, xp.ones_like(marg))
    log_marg = xp.where(positive, xp.log(safe), xp.full_like(marg, state.dead))  # (b, n_t)
    cross = xp.matmul(state.py_x[None, :, :], xp.matrix_transpose(log_dec))  # (b, n_x, n_t)
    score = betas[:, None, None] * cross + log_marg[:, None, :]  # (b, n_x, n_t)
    if alpha == 0.0:
        best = xp.argmax(score, axis=2)  # (b, n_x)
        labels = xp.arange(score.shape[2], device=array_api_compat.device(score))  # (n_t,)
        return xp.astype(best[:, :, None] == labels[None, None, :], score.dtype)
    if alpha != 1.0:
        score = score / alpha
    weights = xp.exp(score - xp.max(score, axis=2, keepdims=True))  # (b, n_x, n_t)
    return weights / xp.sum(weights, axis=2, keepdims=True)


class _BatchJump:
    r"""Aitken's :math:`\Delta^2` jump of :class:`~ibkit.ib._iterative._Extrapolator`, per β.

    Each β keeps its last five changes and its previous p(t), p(y|t); where the ratios of
    changes have settled at μ (the one-at-a-time rule, in the same floating-point operations)

    .. math:: q \leftarrow \max\big(q + \tfrac{\mu}{1-\mu}(q - q_{\text{prev}}),\ q/2\big)
              \big/ \textstyle\sum q

    and that β's history restarts. Decisions are arrays, so nothing is read by the host.
    """

    def __init__(self, xp: Any, marg: Array, dec: Array) -> None:
        self.xp = xp
        dev = array_api_compat.device(marg)
        n_b = int(marg.shape[0])
        # changes and μ in float64, as the one-at-a-time rule's Python floats (also for float32)
        self.changes = xp.ones((n_b, _SETTLE + 1), dtype=xp.float64, device=dev)  # (b, 5)
        self.count = xp.zeros(n_b, dtype=xp.int64, device=dev)  # (b,) changes since a jump
        self.last = (marg * 0.0, dec * 0.0)  # (b, n_t), (b, n_t, n_y)

    def keep(self, rows: Array) -> None:
        """Restrict the history to the β at ``rows`` (a boolean mask (b,))."""
        self.changes, self.count = self.changes[rows], self.count[rows]
        self.last = (self.last[0][rows], self.last[1][rows])

    def __call__(
        self, change: Array, marg: Array, dec: Array, moving: Array
    ) -> tuple[Array, Array]:
        """p(t) (b, n_t) and p(y|t) (b, n_t, n_y) after the jumps of the ``moving`` β."""
        xp = self.xp
        (prev_m, prev_d), self.last = self.last, (marg * 1.0, dec * 1.0)
        change = xp.astype(change, xp.float64)[:, None]  # (b, 1)
        self.changes = xp.concat([self.changes[:, 1:], change], axis=1)  # (b, 5)
        self.count = self.count + 1
        c = self.changes
        safe = xp.where(c[:, :-1] > 0, c[:, :-1], xp.ones_like(c[:, :-1]))
        ratios = c[:, 1:] / safe  # (b, 4)
        mu = ratios[:, -1]  # (b,)
        spread = xp.max(ratios, axis=1) - xp.min(ratios, axis=1)
        go = moving & (self.count >= _SETTLE + 1) & (mu > 0.5) & (mu < 0.9999)
        go = go & ~(spread > _SPREAD * (1.0 - mu))  # (b,)
        if array_api_compat.is_numpy_namespace(xp) and not bool(np.any(go)):
            return marg, dec  # NumPy only: skip the arithmetic when no β jumps
        factor = xp.where(go, mu, xp.full_like(mu, 0.5))
        factor = xp.astype(factor / (1.0 - factor), marg.dtype)  # (b,) μ/(1-μ)
        q_m = xp.maximum(marg + factor[:, None] * (marg - prev_m), 0.5 * marg)  # (b, n_t)
        q_d = xp.maximum(dec + factor[:, None, None] * (dec - prev_d), 0.5 * dec)
        q_m = q_m / xp.sum(q_m, axis=1, keepdims=True)
        q_d = q_d / xp.sum(q_d, axis=2, keepdims=True)  # (b, n_t, n_y)
        self.count = xp.where(go, xp.zeros_like(self.count), self.count)
        return (xp.where(go[:, None], q_m, marg), xp.where(go[:, None, None], q_d, dec))


class _Loop:
    """The working batch: encoders, p(t), p(y|t), β and original positions of unfinished β.

    NumPy keeps p(t|x)ᵀ (b, n_t, n_x) in preallocated buffers (as ``_run_numpy``); other
    namespaces keep p(t|x) (b, n_x, n_t) (as ``_run_generic``).
    """

    def __init__(self, state: IBState, enc: Array, betas: list[float], alpha: float) -> None:
        xp = state.xp
        self.state, self.alpha, self.numpy = state, alpha, state.numpy
        dtype, dev = state.pxy.dtype, array_api_compat.device(state.pxy)
        self.pos = xp.arange(len(betas), dtype=xp.int64, device=dev)  # (b,)
        if self.numpy:  # β/α in Python floats, then rounded: the one-at-a-time arithmetic
            self.betas = np.array([b / alpha if alpha > 0 else b for b in betas], dtype)
            self.enc = np.array(np.swapaxes(enc, 1, 2), dtype=dtype, order="C")  # (b, n_t, n_x)
            self.marg = np.empty(self.enc.shape[:2], dtype)  # (b, n_t)
            self.dec = np.empty((*self.enc.shape[:2], state.pxy_c.shape[1]), dtype)
            self._buffers()
            _numpy_marginal_decoder(state, self.enc, self.marg, self.dec)
        else:
            self.betas = xp.asarray(betas, dtype=dtype, device=dev)  # (b,)
            self.enc = enc  # (b, n_x, n_t)
            self.marg, self.dec = _generic_marginal_decoder(state, enc)

    def _buffers(self) -> None:
        n_b, n_t, _ = self.enc.shape
        self.new = np.empty_like(self.enc)  # (b, n_t, n_x)
        self.coef = np.empty((n_b, n_t, self.dec.shape[2] + 1), self.enc.dtype)  # scratch

    def step(self) -> None:
        """One iteration: ``new`` from (marg, dec), then (marg, dec) of ``new``."""
        state = self.state
        if self.numpy:
            _numpy_update(state, self.marg, self.dec, self.betas, self.alpha, self.coef, self.new)
            _numpy_marginal_decoder(state, self.new, self.marg, self.dec)
        else:
            self.new = _generic_update(state, self.marg, self.dec, self.betas, self.alpha)
            self.marg, self.dec = _generic_marginal_decoder(state, self.new)

    def change(self) -> Array:
        """max |new - enc| per β (b,); then ``enc`` is the new encoder."""
        xp = self.state.xp
        if self.numpy:
            np.subtract(self.enc, self.new, out=self.enc)  # the old encoder is not needed
            change = np.max(np.abs(self.enc, out=self.enc), axis=(1, 2))  # (b,)
        else:
            change = xp.max(xp.abs(self.new - self.enc), axis=(1, 2))  # (b,)
        self.swap()
        return change

    def swap(self) -> None:
        self.enc, self.new = self.new, self.enc

    def encoders(self, rows: Array | None = None) -> Array:
        """p(t|x) (k, n_x, n_t) of the working β (at the boolean mask ``rows``)."""
        enc = self.enc if rows is None else self.enc[rows]
        return np.swapaxes(enc, 1, 2) if self.numpy else enc

    def keep(self, rows: Array) -> None:
        """Restrict the working batch to the β at the boolean mask ``rows`` (b,)."""
        self.enc, self.marg, self.dec, self.betas, self.pos = (
            a[rows] for a in (self.enc, self.marg, self.dec, self.betas, self.pos)
        )  # fresh C-contiguous copies for NumPy
        if self.numpy:
            self._buffers()


def iterate_batch(
    state: IBState, enc: Array, betas: list[float], alpha: float, tol: float, max_iter: int
) -> tuple[Array, Array, Array, Array, Array]:
    r"""Iterate eq. 16 for every β of ``betas`` from the encoders p(t|x) ``enc`` (B, n_x, n_t).

    Returns p(t|x) (B, n_x, n_t), p(t) (B, n_t), p(y|t) (B, n_t, n_y), the iterations (B,)
    and whether each β met the stopping rule (B,), in ``state``'s namespace and on its device:
    for each β what :func:`~ibkit.ib._iterative.run_iterations` returns without a monitor.
    The host reads one integer per test; setup and the final reordering are outside the loop.
    """
    xp = state.xp
    loop = _Loop(state, enc, betas, alpha)
    jump = _BatchJump(xp, loop.marg, loop.dec) if alpha > 0 else None
    done: list[tuple[Array, ...]] = []  # (pos, enc, marg, dec, converged, iterations)
    for it in range(1, max_iter + 1):
        loop.step()
        if it % CHECK_EVERY and it != max_iter:
            loop.swap()
            continue
        change = loop.change()  # (b,)
        stop = change <= tol  # (b,)
        if it == max_iter:
            done.append(
                (loop.pos, loop.encoders(), loop.marg, loop.dec, stop, xp.full_like(loop.pos, it))
            )
            break
        n_stop = int(xp.sum(xp.astype(stop, xp.int64)))  # the one host read per test
        if jump is not None:
            loop.marg, loop.dec = jump(change, loop.marg, loop.dec, ~stop)
        if n_stop == 0:
            continue
        pos = loop.pos[stop]
        done.append(
            (
                pos,
                loop.encoders(stop),
                loop.marg[stop],
                loop.dec[stop],
                stop[stop],
                xp.full_like(pos, it),
            )
        )
        if n_stop == int(loop.pos.shape[0]):
            break
        loop.keep(~stop)
        if jump is not None:
            jump.keep(~stop)
    return _collect(xp, done)


def _collect(xp: Any, done: list[tuple[Array, ...]]) -> tuple[Array, Array, Array, Array, Array]:
    """Concatenate the finished β's pieces and put them back in the order of ``betas``."""
    order = xp.argsort(xp.concat([d[0] for d in done]))  # finished order -> original order
    enc, marg, dec, stop, iters = (
        xp.take(xp.concat([d[j] for d in done], axis=0), order, axis=0) for j in (1, 2, 3, 4, 5)
    )
    return enc, marg, dec, iters, stop
