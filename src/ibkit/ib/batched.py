r"""The iterative Information Bottleneck for many β at once (a leading β axis).

For a sweep without annealing every β is an independent problem started from the same
encoder; stacking them makes each iteration two batched matrix products:

.. math::
    s_\beta(x, t) = \log p_\beta(t) + \beta \sum_y p(y|x) \log p_\beta(y|t), \qquad
    p_\beta(t|x) \propto \exp(s_\beta(x, t) / \alpha),

    p_\beta(t) = \sum_x p(x) p_\beta(t|x), \qquad
    p_\beta(y|t) = \frac{1}{p_\beta(t)} \sum_x p_\beta(t|x) p(x, y)

(α = 0: the argmax, the deterministic IB), with the one-at-a-time solver's Aitken Δ² jumps
decided per β. A β leaves the batch as soon as no encoder entry moves by more than ``tol`` in
one iteration (tested every 4 iterations, as in :func:`~ibkit.ib.information_bottleneck`);
the others go on. Arrays stay in the caller's namespace and on its device; the host reads one
integer per test (how many β stopped). The loop is in :mod:`ibkit.ib._batched_iter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_compat

from .._array import Array, get_namespace, log_base, to_numpy, xlogy
from .._validation import as_pmf, check_base, check_beta, check_int, check_positive
from ..exceptions import InvalidParameterError
from ._batched_iter import iterate_batch
from ._iterative import IBState
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
    ``max_iter``, with the same updates, stopping rule and per-β Aitken Δ² jumps, so each β
    takes the same iterations and reaches the same encoder (NumPy: the same arithmetic per
    β). A β whose encoder moves by at most ``tol`` in one iteration leaves the batch. One
    iteration costs two batched products, O(B·|X|·|Y|·|T|).

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
    state = IBState(pxy, xp)
    start = _initial_encoders(init, int(pxy.shape[0]), n_t, 1, seed, pxy, xp)[0]  # (n_x, n_t)
    enc0 = xp.broadcast_to(start[None, :, :], (len(beta_list), *start.shape))  # (B, n_x, n_t)
    enc, marg, dec, iters, converged = iterate_batch(state, enc0, beta_list, alpha, tol,
                                                     max_iter)
    b = xp.asarray(beta_list, dtype=pxy.dtype, device=array_api_compat.device(pxy))  # (B,)
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

