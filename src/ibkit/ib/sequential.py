r"""Sequential Information Bottleneck (sIB; Slonim, Friedman & Tishby, 2002): hard clustering.

From a partition of X into k clusters, one pass visits every x (in random order), draws it out
of its cluster and puts it into the cluster t whose merge with the singleton {x} loses the
least relevant information,

.. math::
    \delta I_Y(x, t) = (p(x) + p(t))\, JS_\pi\big(p(y|x), p(y|t)\big)
    = h(p(x), p(t)) - \sum_y h\big(p(x, y), p(t, y)\big),
    \qquad h(a, b) = \psi(a + b) - \psi(a) - \psi(b),\ \psi(a) = a \log a,

moving it only when that strictly raises I(T;Y) (by :math:`\delta I_Y(x, t_{old}) -
\delta I_Y(x, t_{new})`), so I(T;Y) never decreases. Passes repeat until none moves an x.
Only the columns where p(x, ·) > 0 enter the sum (h(0, b) = 0), so one visit costs
O(k · nnz(x)) and a pass O(k · nnz): sparse counts (documents × words) stay sparse; the cluster
joints p(t, y) are dense ``(k, n_y)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from .._array import log_base, to_numpy
from .._validation import as_matrix, check_base, check_int
from ..exceptions import (
    ConvergenceWarning,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)

__all__ = ["SequentialIBResult", "sequential_ib"]

_MOVE_TOL = 1e-13  # a move must gain more than this times p(x) nats: no cycling on rounding
_BLOCK = 1 << 18  # entries of the (k, entries) scratch arrays of one block of visits


@dataclass(frozen=True)
class SequentialIBResult:
    r"""The best hard partition found by sIB. Information in units of ``base``.

    .. math:: I(T;Y) = \sum_{t,y} p(t)\,p(y|t) \log\frac{p(y|t)}{p(y)}, \qquad
              I(X;T) = H(T) = -\sum_t p(t)\log p(t)

    Attributes
    ----------
    labels : ndarray of int, shape ``(n_x,)``
        Cluster of each x, values ``0..k-1`` (rows with p(x) = 0 keep their initial cluster).
    marginal : ndarray, shape ``(k,)``
        p(t) = Σ_{x in t} p(x).
    decoder : ndarray, shape ``(k, n_y)``
        p(y|t), rows sum to 1.
    I_TY : float
        Relevant information I(T;Y).
    I_XT : float
        I(X;T) = H(T) (hard clusters).
    n_iter : int
        Passes of the best restart (the last one moved no x when ``converged``).
    converged : bool
    base : float
    """

    labels: np.ndarray
    marginal: np.ndarray
    decoder: np.ndarray
    I_TY: float
    I_XT: float
    n_iter: int
    converged: bool
    base: float = 2.0


def _as_joint(counts: Any) -> sp.csr_matrix:
    """Validate non-negative counts (dense or SciPy sparse) and return the joint as CSR."""
    if sp.issparse(counts):
        if counts.ndim != 2 or 0 in counts.shape:
            raise ShapeMismatchError(
                f"counts must be a non-empty 2-D matrix; got shape {tuple(counts.shape)}"
            )
        mat = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        mat.sum_duplicates()
        if not np.all(np.isfinite(mat.data)):
            bad = mat.data[~np.isfinite(mat.data)][0]
            raise InvalidDistributionError(f"counts must be finite; got {float(bad)!r}")
        if np.any(mat.data < 0):
            raise InvalidDistributionError(
                f"counts must be non-negative; got {float(mat.data.min())!r}"
            )
    else:
        dense = as_matrix(counts, name="counts", nonnegative=True)
        mat = sp.csr_matrix(np.asarray(to_numpy(dense), dtype=np.float64))
    mat.eliminate_zeros()
    if mat.nnz == 0:
        raise InvalidDistributionError("counts must not be all zero; cannot normalise")
    mat.data /= mat.data.max()  # rescale first: huge counts cannot overflow the sum
    mat.data /= mat.data.sum()
    mat.eliminate_zeros()  # entries that underflowed: every stored p(x, y) is > 0
    return mat


def _check_init(init: Any, n_x: int, k: int) -> np.ndarray:
    labels = np.asarray(to_numpy(init))
    if labels.shape != (n_x,):
        raise ShapeMismatchError(f"init must be labels of shape ({n_x},); got {labels.shape}")
    if labels.dtype.kind not in "iu" and not (
        labels.dtype.kind == "f" and np.all(np.isfinite(labels) & (labels == np.round(labels)))
    ):
        raise InvalidParameterError(f"init must hold integer cluster labels; got {labels.dtype}")
    labels = labels.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise InvalidParameterError(
            f"init labels must lie in [0, {k - 1}]; got range [{labels.min()}, {labels.max()}]"
        )
    return labels


class _Partition:
    """Mutable sIB state: labels, cluster joints p(t, y), their ψ, masses and sizes."""

    def __init__(self, joint: sp.csr_matrix, px: np.ndarray, labels: np.ndarray, k: int):
        self.joint, self.px, self.labels = joint, px, labels.copy()
        member = sp.csr_matrix(
            (np.ones(labels.size), (labels, np.arange(labels.size))), shape=(k, labels.size)
        )
        self.c = np.asarray((member @ joint).todense())  # (k, n_y) p(t, y)
        self.psi = xlogy(self.c, self.c)  # (k, n_y) ψ(p(t, y))
        self.pt = self.c.sum(axis=1)  # (k,) p(t)
        self.size = np.bincount(labels[px > 0], minlength=k)  # non-empty members

    def costs(self, rows: np.ndarray) -> np.ndarray:
        """δI_Y(x, t) in nats, less a term of x alone, for each x in ``rows`` (all with
        p(x) > 0) and every t, with x drawn out of its own cluster: shape ``(k, len(rows))``."""
        indptr, lens = self.joint.indptr, np.diff(self.joint.indptr)[rows]  # (B,)
        starts = np.cumsum(lens) - lens  # (B,) first entry of each x in the gathered arrays
        pos = np.arange(lens.sum()) + np.repeat(indptr[rows] - starts, lens)  # (E,)
        cols, b = self.joint.indices[pos], self.joint.data[pos]  # (E,)
        own, entry = np.repeat(self.labels[rows], lens), np.arange(pos.size)  # (E,)
        merged = self.c[:, cols] + b  # (k, E)
        gain = merged * np.log(merged) - self.psi[:, cols]  # (k, E) h + ψ(b); merged > 0
        rest = np.maximum(self.c[own, cols] - b, 0.0)  # own cluster without x
        gain[own, entry] = self.psi[own, cols] - xlogy(rest, rest)
        s, ar = self.px[rows], np.arange(rows.size)
        pm = self.pt[:, None] + s  # (k, B)
        h_x = pm * np.log(pm) - xlogy(self.pt, self.pt)[:, None]  # (k, B); pm > 0
        old, kept = self.labels[rows], np.maximum(self.pt[self.labels[rows]] - s, 0.0)
        h_x[old, ar] = xlogy(self.pt[old], self.pt[old]) - xlogy(kept, kept)
        return h_x - np.add.reduceat(gain, starts, axis=1)

    def move(self, x: int, new: int) -> None:
        lo, hi = self.joint.indptr[x], self.joint.indptr[x + 1]
        idx, b, s = self.joint.indices[lo:hi], self.joint.data[lo:hi], self.px[x]
        for t, sign in ((self.labels[x], -1.0), (new, 1.0)):
            row = np.maximum(self.c[t, idx] + sign * b, 0.0)  # clip rounding below 0
            self.c[t, idx], self.psi[t, idx] = row, xlogy(row, row)
            self.pt[t] = max(self.pt[t] + sign * s, 0.0)
            self.size[t] += int(sign)
        self.labels[x] = new

    def information(self, py: np.ndarray) -> tuple[float, float]:
        """(I(T;Y), H(T)) in nats, recomputed from fresh cluster joints."""
        fresh = _Partition(self.joint, self.px, self.labels, self.c.shape[0])
        c, pt = fresh.c, fresh.pt
        h_t = -float(np.sum(xlogy(pt, pt)))
        i_ty = float(np.sum(xlogy(c, c))) + h_t - float(np.sum(xlogy(py, py)))
        return max(i_ty, 0.0), max(h_t, 0.0)


def _first_move(part: _Partition, rows: np.ndarray) -> tuple[int, int]:
    """(position in ``rows``, new cluster) of the first x whose move gains, or (-1, -1).
    A cluster is never emptied (it could only lose information); gains must beat rounding."""
    cost = part.costs(rows)  # (k, B)
    ar, old = np.arange(rows.size), part.labels[rows]
    new = np.argmin(cost, axis=0)
    gain = cost[old, ar] - cost[new, ar]
    movable = np.flatnonzero((gain > _MOVE_TOL * part.px[rows]) & (part.size[old] > 1))
    return (int(movable[0]), int(new[movable[0]])) if movable.size else (-1, -1)


def _pass(part: _Partition, order: np.ndarray) -> int:
    """One sIB pass over ``order``; returns the number of x moved. Costs are computed for a
    block of x at once; after a move the rest of the block is recomputed from the new state,
    so every decision sees the current clusters (exactly sequential), and the block grows
    while nothing moves."""
    lens = np.diff(part.joint.indptr)[order]
    budget = max(1, _BLOCK // part.c.shape[0])  # gathered entries per block
    i, width, moved = 0, 4, 0
    while i < order.size:
        end = min(order.size, i + width)
        cum = np.cumsum(lens[i:end])
        end = i + max(1, int(np.searchsorted(cum, budget, side="right")))
        at, new = _first_move(part, order[i:end])
        if at < 0:
            i, width = end, min(2 * width, 1024)
        else:
            part.move(int(order[i + at]), new)
            i, width, moved = i + at + 1, max(4, 2 * (at + 1)), moved + 1
    return moved


def _run(part: _Partition, active: np.ndarray, max_iter: int, rng) -> tuple[int, bool]:
    """sIB passes over the x with p(x) > 0 in random order until one moves nothing."""
    for n_iter in range(1, max_iter + 1):
        if _pass(part, rng.permutation(active)) == 0:
            return n_iter, True
    return max_iter, False


def _random_labels(active: np.ndarray, n_x: int, k: int, rng) -> np.ndarray:
    """A random partition with sizes within one of each other (every cluster non-empty)."""
    labels = rng.integers(k, size=n_x)  # rows with p(x) = 0: anywhere, they never move
    labels[active] = rng.permutation(np.arange(active.size) % k)
    return labels


def sequential_ib(
    counts: Any,
    n_clusters: int,
    *,
    init: Any = None,
    n_init: int = 10,
    max_iter: int = 100,
    seed: Any = None,
    base: float = 2.0,
) -> SequentialIBResult:
    r"""Sequential IB: hard clustering of X into ``n_clusters`` clusters maximising I(T;Y).

    .. math:: t_{new}(x) = \arg\min_t\ (p(x) + p(t))\, JS_\pi\big(p(y|x), p(y|t)\big),
              \quad \pi = (p(x), p(t)) / (p(x) + p(t))

    Each restart starts from a random balanced partition of the rows with p(x) > 0 and makes
    passes (x in random order) until a pass moves no x; the restart with the largest I(T;Y)
    is kept. A cluster is never emptied (its last x stays), so all ``n_clusters`` clusters
    are used. Rows with p(x) = 0 carry no information and keep their initial cluster.

    Parameters
    ----------
    counts : array_like or scipy.sparse matrix, shape ``(n_x, n_y)``
        Non-negative co-occurrence counts (or a joint pmf), normalised to p(x, y) = n(x, y) / N.
        Sparse input (any SciPy format) is converted to CSR and never densified.
    n_clusters : int
        k, between 1 and the number of non-zero rows.
    init : array_like of int, shape ``(n_x,)``, optional
        Starting labels in ``0..k-1`` (e.g. ``agglomerative_ib(p).labels(k)``); one run from
        there (``n_init`` ignored), whose I(T;Y) is at least the starting partition's.
    n_init : int
        Random restarts (default 10).
    max_iter : int
        Passes per restart (a ConvergenceWarning if the best restart runs out).
    seed : int or numpy Generator, optional
        Seeds the initial partitions and the visiting order.
    base : float
        Units of the reported information (2: bits).

    Returns
    -------
    SequentialIBResult

    Notes
    -----
    One pass costs O(k · nnz(counts)) arithmetic plus a few NumPy calls per x.

    References
    ----------
    Slonim, Friedman & Tishby (2002), "Unsupervised document classification using sequential
    information maximization", SIGIR 2002.
    """
    joint = _as_joint(counts)
    n_x = joint.shape[0]
    k = check_int(n_clusters, "n_clusters", minimum=1)
    n_init = check_int(n_init, "n_init", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    base = check_base(base)
    px = np.asarray(joint.sum(axis=1)).ravel()  # (n_x,)
    py = np.asarray(joint.sum(axis=0)).ravel()  # (n_y,)
    active = np.flatnonzero(px > 0)
    if k > active.size:
        raise InvalidParameterError(
            f"n_clusters must be <= the number of non-zero rows of counts ({active.size}); got {k}"
        )
    rng = np.random.default_rng(seed)
    starts = [_check_init(init, n_x, k)] if init is not None else None
    best: tuple[float, float, _Partition, int, bool] | None = None
    for start in starts or (_random_labels(active, n_x, k, rng) for _ in range(n_init)):
        part = _Partition(joint, px, start, k)
        n_iter, converged = _run(part, active, max_iter, rng)
        i_ty, h_t = part.information(py)
        if best is None or i_ty > best[0]:
            best = (i_ty, h_t, part, n_iter, converged)
    assert best is not None  # n_init >= 1 always yields a start
    i_ty, h_t, part, n_iter, converged = best
    if not converged:
        warnings.warn(
            f"sequential_ib stopped at max_iter={max_iter} passes (n_clusters={k}) while x "
            "still moved",
            ConvergenceWarning,
            stacklevel=2,
        )
    fresh = _Partition(joint, px, part.labels, k)
    safe = np.where(fresh.pt > 0, fresh.pt, 1.0)
    decoder = np.where(fresh.pt[:, None] > 0, fresh.c / safe[:, None], py[None, :])
    unit = log_base(base)
    return SequentialIBResult(
        labels=part.labels,
        marginal=fresh.pt,
        decoder=decoder,
        I_TY=i_ty / unit,
        I_XT=h_t / unit,
        n_iter=n_iter,
        converged=converged,
        base=base,
    )
