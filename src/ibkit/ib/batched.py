r"""The iterative Information Bottleneck for many β at once (a leading β axis).

For a sweep without annealing every β is an independent problem started from the same
encoder; stacking them makes each iteration two batched matrix products:

.. math::
    s_\beta(x, t) = \log p_\beta(t) + \beta \sum_y p(y|x) \log p_\beta(y|t), \qquad
    p_\beta(t|x) \propto \exp(s_\beta(x, t) / \alpha),

    p_\beta(t) = \sum_x p(x) p_\beta(t|x), \qquad
    p_\beta(y|t) = \frac{1}{p_\beta(t)} \sum_x p_\beta(t|x) p(x, y)

(α = 0: the argmax, the deterministic IB). A β is frozen as soon as no encoder entry moves by
more than ``tol`` in one iteration (tested every 4 iterations, as in
:func:`~ibkit.ib.information_bottleneck`); the others go on. Arrays stay in the caller's
namespace and on its device; the host reads one boolean per β at each test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_compat

from .._array import Array, get_namespace, log_base, to_numpy, xlogy
from .._validation import as_pmf, check_base, check_beta, check_int, check_positive
from ..exceptions import InvalidParameterError
from ._iterative import CHECK_EVERY, IBState
from .bottleneck import _initial_encoders

__all__ = ["IBBatchSolution", "information_bottleneck_batch"]


@dataclass(frozen=True)
class IBBatchSolution:
    r"""Stationary points of the (generalised) IB functional for B values of β.

    .. math:: \mathcal L_b = H(T) - \alpha H(T|X) - \beta_b I(T;Y), \qquad
              p(t|x) \propto \exp\big((\log p(t) - \beta_b D_{KL}[p(y|x)\|p(y|t)])/\alpha\big)

    Attributes
    ----------
    beta : array, shape ``(B,)``
    encoder : array, shape ``(B, n_x, n_t)``
        p(t|x) per β.
    marginal : array, shape ``(B, n_t)``
    decoder : array, shape ``(B, n_t, n_y)``
    I_XT, I_TY, H_T, objective : array, shape ``(B,)``
        In units of ``base``; objective = H(T) - α H(T|X) - β I(T;Y).
    iterations : array of int, shape ``(B,)``
    converged : array of bool, shape ``(B,)``
    alpha, base : float
    """

    beta: Array
    encoder: Array
    marginal: Array
    decoder: Array
    I_XT: Array
    I_TY: Array
    H_T: Array
    objective: Array
    iterations: Array
    converged: Array
    alpha: float = 1.0
    base: float = 2.0


def _marginal_decoder(state: IBState, enc_t: Array) -> tuple[Array, Array]:
    """p(t) (B, n_t) and p(y|t) (B, n_t, n_y) from p(t|x)ᵀ (B, n_t, n_x) (p(y) if p(t) = 0)."""
    xp = state.xp
    marg = xp.matmul(enc_t, state.px[None, :, None])[:, :, 0]  # (B, n_t)
    joint = xp.matmul(enc_t, state.pxy[None, :, :])  # (B, n_t, n_y)
    positive = marg > 0
    safe = xp.where(positive, marg, xp.ones_like(marg))
    dec = xp.where(positive[:, :, None], joint / safe[:, :, None], state.py[None, None, :])
    return marg, dec


def _update(
    state: IBState, py_x_t: Array, marg: Array, dec: Array, betas: Array, alpha: float
) -> Array:
    """The new encoders p(t|x)ᵀ, shape (B, n_t, n_x), from p(t) and p(y|t).

    The transposed layout puts the normalisation over t across contiguous rows.
    """
    xp = state.xp
    log_dec = xp.log(xp.where(dec > state.floor, dec, xp.full_like(dec, state.floor)))
    positive = marg > 0
    safe = xp.where(positive, marg, xp.ones_like(marg))
    log_marg = xp.where(positive, xp.log(safe), xp.full_like(marg, state.dead))  # (B, n_t)
    cross = xp.matmul(log_dec, py_x_t[None, :, :])  # (B, n_t, n_x)
    score = betas[:, None, None] * cross + log_marg[:, :, None]  # (B, n_t, n_x)
    if alpha == 0.0:
        best = xp.argmax(score, axis=1)  # (B, n_x)
        labels = xp.arange(score.shape[1], device=array_api_compat.device(score))  # (n_t,)
        return xp.astype(best[:, None, :] == labels[None, :, None], score.dtype)
    if alpha != 1.0:
        score = score / alpha
    weights = xp.exp(score - xp.max(score, axis=1, keepdims=True))  # (B, n_t, n_x)
    return weights / xp.sum(weights, axis=1, keepdims=True)


def _iterate(
    state: IBState, enc: Array, betas: Array, alpha: float, tol: float, max_iter: int
) -> tuple[Array, Array, Array]:
    """Iterate every β with freezing from p(t|x)ᵀ (B, n_t, n_x); returns (encoders p(t|x)ᵀ,
    iterations, converged) per β.

    At every test the β that have stopped leave the working set (their rows are kept), so
    the batched products shrink as the sweep converges.
    """
    xp, dev = state.xp, array_api_compat.device(enc)
    n_b = int(betas.shape[0])
    iters = xp.zeros(n_b, dtype=xp.int64, device=dev)  # (b,) for the working rows
    active = xp.ones(n_b, dtype=xp.bool, device=dev)  # (b,)
    index = list(range(n_b))  # original positions of the working rows
    finished: dict[int, tuple[Array, Array, Array]] = {}
    py_x_t = xp.permute_dims(state.py_x, (1, 0))  # (n_y, n_x)
    marg, dec = _marginal_decoder(state, enc)
    for it in range(1, max_iter + 1):
        new = _update(state, py_x_t, marg, dec, betas, alpha)  # (b, n_t, n_x)
        marg, dec = _marginal_decoder(state, new)
        iters = iters + 1
        if it % CHECK_EVERY and it != max_iter:
            enc = new
            continue
        change = xp.max(xp.abs(new - enc), axis=(1, 2))  # (b,)
        enc, active = new, change > tol
        keep = [k for k, flag in enumerate(to_numpy(active).tolist()) if flag]
        if len(keep) == len(index):
            continue
        for k in sorted(set(range(len(index))) - set(keep)):
            finished[index[k]] = (enc[k, ...], iters[k, ...], ~active[k, ...])
        if not keep:
            break
        rows = xp.asarray(keep, device=dev)
        enc, marg, dec, iters, betas = (
            xp.take(a, rows, axis=0) for a in (enc, marg, dec, iters, betas)
        )
        index = [index[k] for k in keep]
    for k, pos in enumerate(index):  # rows still moving at max_iter
        finished.setdefault(pos, (enc[k, ...], iters[k, ...], xp.asarray(False, device=dev)))
    enc, iters, converged = (xp.stack([finished[i][j] for i in range(n_b)]) for j in range(3))
    return enc, iters, converged


def _terms(state: IBState, enc: Array, marg: Array, dec: Array) -> tuple[Array, Array, Array]:
    """(I(X;T), I(T;Y), H(T)) in nats per β, each of shape (B,)."""
    xp = state.xp
    safe_m = xp.where(marg > 0, marg, xp.ones_like(marg))  # (B, n_t)
    per_x = xp.sum(xlogy(enc, enc / safe_m[:, None, :], xp), axis=2)  # (B, n_x)
    i_xt = xp.sum(state.px[None, :] * per_x, axis=1)
    safe_y = xp.where(state.py > 0, state.py, xp.ones_like(state.py))  # (n_y,)
    joint = marg[:, :, None] * dec  # (B, n_t, n_y)
    i_ty = xp.sum(xlogy(joint, dec / safe_y[None, None, :], xp), axis=(1, 2))
    h_t = -xp.sum(xlogy(marg, marg, xp), axis=1)
    zero = xp.zeros_like(i_xt)
    return xp.maximum(i_xt, zero), xp.maximum(i_ty, zero), xp.maximum(h_t, zero)


def information_bottleneck_batch(
    pxy: Any,
    betas: Any,
    n_clusters: int,
    *,
    alpha: float = 1.0,
    init: Any = None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    seed: Any = None,
    base: float = 2.0,
) -> IBBatchSolution:
    r"""Iterate eq. 16 for every β of ``betas`` at once, all from the same start.

    .. math:: \min_{p(t|x)}\ H(T) - \alpha H(T|X) - \beta I(T; Y)

    Each β is the problem :func:`~ibkit.ib.information_bottleneck` solves with the same
    ``init`` (or the same ``seed``: the random start of ``n_init=1``), ``alpha``, ``tol`` and
    ``max_iter``, run by plain iteration (no Δ² extrapolation), so each β reaches the same
    fixed point as the one-at-a-time solver (to within ``tol``). A β whose encoder moves by
    at most ``tol`` in one iteration is frozen. One iteration costs two batched products,
    O(B·|X|·|Y|·|T|).

    Parameters
    ----------
    pxy : array_like, shape ``(n_x, n_y)``
        Joint pmf p(x, y); a torch tensor on CUDA keeps the whole iteration on the GPU.
    betas : array_like, shape ``(B,)``
        Trade-offs β ≥ 0 (dimensionless).
    n_clusters : int
        |T| ≥ 1.
    alpha : float
        1: Tishby's IB; 0: deterministic IB.
    init : array_like, shape ``(n_x, n_clusters)``, optional
        Common initial encoder; default random (Dirichlet rows) from ``seed``.
    tol, max_iter, seed, base
        As in :func:`~ibkit.ib.information_bottleneck` (no warning at ``max_iter``: see
        ``converged``).

    Returns
    -------
    IBBatchSolution

    References
    ----------
    Tishby, Pereira & Bialek (2000), "The information bottleneck method".
    Strouse & Schwab (2017), "The deterministic information bottleneck", Neural Comput. 29(6).
    """
    xp = get_namespace(pxy)
    pxy, _ = as_pmf(pxy, name="pxy", event_ndim=2, batch=False, xp=xp)
    beta_list = _beta_list(betas)
    alpha = check_beta(alpha, "alpha")
    n_t = check_int(n_clusters, "n_clusters", minimum=1)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    base = check_base(base)
    dev = array_api_compat.device(pxy)
    state = IBState(pxy, xp)
    start = _initial_encoders(init, int(pxy.shape[0]), n_t, 1, seed, pxy, xp)[0]  # (n_x, n_t)
    b = xp.asarray(beta_list, dtype=pxy.dtype, device=dev)  # (B,)
    start_t = xp.permute_dims(start, (1, 0))  # (n_t, n_x)
    enc0 = xp.broadcast_to(start_t[None, :, :], (len(beta_list), *start_t.shape))  # (B,n_t,n_x)
    enc_t, iters, converged = _iterate(state, enc0, b, alpha, tol, max_iter)
    marg, dec = _marginal_decoder(state, enc_t)
    enc = xp.permute_dims(enc_t, (0, 2, 1))  # (B, n_x, n_t)
    i_xt, i_ty, h_t = _terms(state, enc, marg, dec)
    objective = h_t - alpha * (h_t - i_xt) - b * i_ty
    unit = log_base(base)
    return IBBatchSolution(
        beta=b, encoder=enc, marginal=marg, decoder=dec, I_XT=i_xt / unit, I_TY=i_ty / unit,
        H_T=h_t / unit, objective=objective / unit, iterations=iters, converged=converged,
        alpha=alpha, base=base,
    )


def _beta_list(betas: Any) -> list[float]:
    """Validated β values as Python floats (any array type or a sequence)."""
    try:
        values = to_numpy(betas).reshape(-1).tolist() if hasattr(betas, "shape") else list(betas)
    except TypeError:
        raise InvalidParameterError(f"betas must be a list of numbers; got {betas!r}") from None
    if not values:
        raise InvalidParameterError("betas must not be empty")
    return [check_beta(v, "betas") for v in values]

