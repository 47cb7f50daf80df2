"""scikit-learn style estimators wrapping the IB solvers (``fit``/``transform``/``predict``).

Requires scikit-learn (imported when this module is). Inputs are non-negative count or
co-occurrence matrices whose rows are the x's and columns the y's; they are normalised to a
joint p(x, y) by ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from .._array import logsumexp
from ..exceptions import InvalidDistributionError
from .bottleneck import information_bottleneck
from .sequential import sequential_ib

__all__ = ["InformationBottleneck", "SequentialIB"]


def _joint(counts: np.ndarray) -> np.ndarray:
    total = float(counts.sum())
    if not np.isfinite(total) or total <= 0:
        raise InvalidDistributionError("X must hold some positive counts; got an all-zero matrix")
    return counts / total


class InformationBottleneck(TransformerMixin, BaseEstimator):
    r"""Soft (α = 1) or deterministic (α = 0) IB clustering of the rows of a count matrix.

    ``fit`` runs :func:`~ibkit.ib.information_bottleneck` on p(x, y) ∝ X and keeps the best of
    ``n_init`` restarts. ``transform`` maps count rows (old or new x's) to p(t|x) by eq. 14,
    :math:`p(t|x) \propto p(t) \exp(-\beta D_{KL}[p(y|x) \| p(y|t)])`; ``predict`` takes the
    most probable cluster.

    Parameters
    ----------
    n_clusters : int
        Cardinality |T|.
    beta : float
        Trade-off β ≥ 0.
    alpha : float
        1 for IB, 0 for the deterministic IB.
    n_init : int
        Random restarts.
    tol, max_iter : float, int
        Convergence options of the solver.
    random_state : int, optional
        Seed of the restarts.

    Attributes
    ----------
    encoder_ : ndarray, shape ``(n_samples, n_clusters)``
        p(t|x) of the training rows.
    marginal_ : ndarray, shape ``(n_clusters,)``
    decoder_ : ndarray, shape ``(n_clusters, n_features)``
        p(y|t).
    labels_ : ndarray of int, shape ``(n_samples,)``
    I_XT_, I_TY_ : float
        Information of the fitted solution, bits.
    n_iter_ : int
    n_features_in_ : int
    """

    def __init__(
        self,
        n_clusters: int = 2,
        beta: float = 10.0,
        *,
        alpha: float = 1.0,
        n_init: int = 4,
        tol: float = 1e-10,
        max_iter: int = 10_000,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.beta = beta
        self.alpha = alpha
        self.n_init = n_init
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def fit(self, X: Any, y: Any = None) -> InformationBottleneck:
        r"""Fit the IB encoder to the count matrix ``X`` ``(n_samples, n_features)`` (rows x,
        columns y), read as the joint pmf :math:`p(x, y) = X_{xy} / \sum X`.

        .. math:: \min_{p(t|x)}\ H(T) - \alpha H(T|X) - \beta I(T;Y)

        β multiplies the relevant information I(T;Y); ``I_XT_``, ``I_TY_`` are in bits.
        """
        counts = validate_data(self, X, dtype=np.float64)
        check_non_negative(counts, "InformationBottleneck.fit")
        solution = information_bottleneck(
            _joint(counts),
            self.beta,
            self.n_clusters,
            alpha=self.alpha,
            n_init=self.n_init,
            tol=self.tol,
            max_iter=self.max_iter,
            seed=self.random_state,
        )
        self.encoder_ = np.asarray(solution.encoder)
        self.marginal_ = np.asarray(solution.marginal)
        self.decoder_ = np.asarray(solution.decoder)
        self.labels_ = np.argmax(self.encoder_, axis=1)
        self.I_XT_, self.I_TY_ = solution.I_XT, solution.I_TY
        self.n_iter_ = solution.iterations
        return self

    def transform(self, X: Any) -> np.ndarray:
        r"""p(t|x) ``(n_samples, n_clusters)`` for each count row of ``X`` (eq. 14 with the
        fitted p(t), p(y|t)).

        .. math:: p(t|x) \propto \exp\Big(\frac{\log p(t) - \beta\,
                  D_{KL}[p(y|x)\,\|\,p(y|t)]}{\alpha}\Big)

        (KL in nats; α = 0: one-hot argmax; an all-zero row uses p(y|x) = p(y)).
        """
        check_is_fitted(self)
        counts = validate_data(self, X, dtype=np.float64, reset=False)
        check_non_negative(counts, "InformationBottleneck.transform")
        totals = counts.sum(axis=1, keepdims=True)
        py = self.marginal_ @ self.decoder_
        rows = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), py)  # p(y|x)
        log_dec = np.log(np.maximum(self.decoder_, 1e-300))
        with np.errstate(divide="ignore"):
            neg_h = np.sum(np.where(rows > 0, rows * np.log(np.where(rows > 0, rows, 1.0)), 0.0), 1)
            log_marg = np.where(self.marginal_ > 0, np.log(self.marginal_), -np.inf)
        kl = np.maximum(neg_h[:, None] - rows @ log_dec.T, 0.0)
        score = log_marg[None, :] - self.beta * kl
        if self.alpha == 0:
            return np.eye(self.n_clusters)[np.argmax(score, axis=1)]
        scaled = score / self.alpha
        return np.exp(scaled - logsumexp(scaled, axis=1, xp=np)[:, None])

    def predict(self, X: Any) -> np.ndarray:
        r"""The most probable cluster of each count row, shape ``(n_samples,)``.

        .. math:: \hat t(x) = \arg\max_t p(t|x)
        """
        return np.argmax(self.transform(X), axis=1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit`` then the training rows' clusters."""
        return self.fit(X).labels_


class SequentialIB(TransformerMixin, BaseEstimator):
    r"""Sequential IB (Slonim, Friedman & Tishby 2002): hard clustering of count rows.

    ``fit`` runs :func:`~ibkit.ib.sequential_ib` (dense or ``scipy.sparse`` counts) and keeps
    the best of ``n_init`` restarts by I(T;Y). ``predict`` puts each row, old or new, into the
    cluster whose merge cost :math:`(p(x) + p(t))\, JS_\pi(p(y|x), p(y|t))` is smallest
    (p(x) relative to the training total); ``transform`` is its one-hot p(t|x).

    Parameters
    ----------
    n_clusters : int
    n_init : int
        Random restarts.
    max_iter : int
        Passes over the rows per restart.
    random_state : int, optional

    Attributes
    ----------
    labels_ : ndarray of int, shape ``(n_samples,)``
    marginal_ : ndarray, shape ``(n_clusters,)``
    decoder_ : ndarray, shape ``(n_clusters, n_features)``
    I_TY_, I_XT_ : float
        Bits.
    n_iter_ : int
    n_features_in_ : int
    """

    def __init__(
        self,
        n_clusters: int = 2,
        *,
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        return tags

    def fit(self, X: Any, y: Any = None) -> SequentialIB:
        r"""Cluster the rows of the count matrix ``X`` ``(n_samples, n_features)``.

        .. math:: \max_{T = f(X)} I(T;Y) \quad\text{over hard partitions with |T| =
                  ``n_clusters``}

        (the best of ``n_init`` restarts; ``I_TY_``, ``I_XT_`` in bits).
        """
        counts = validate_data(self, X, accept_sparse="csr", dtype=np.float64)
        check_non_negative(counts, "SequentialIB.fit")
        if counts.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={counts.shape[0]} should be >= n_clusters={self.n_clusters}"
            )
        result = sequential_ib(
            counts,
            self.n_clusters,
            n_init=self.n_init,
            max_iter=self.max_iter,
            seed=self.random_state,
        )
        self.labels_ = np.asarray(result.labels)
        self.marginal_ = np.asarray(result.marginal)
        self.decoder_ = np.asarray(result.decoder)
        self.I_TY_, self.I_XT_ = result.I_TY, result.I_XT
        self.n_iter_ = result.n_iter
        self.total_ = float(counts.sum())
        return self

    def predict(self, X: Any) -> np.ndarray:
        r"""The cluster of least merge cost for each count row, shape ``(n_samples,)``.

        .. math:: \hat t(x) = \arg\min_t\ (p(x) + p(t))\, JS_\pi\big(p(y|x), p(y|t)\big),
                  \quad \pi = \Big(\frac{p(x)}{p(x) + p(t)}, \frac{p(t)}{p(x) + p(t)}\Big)

        with p(x) the row total over the training total.
        """
        check_is_fitted(self)
        counts = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        check_non_negative(counts, "SequentialIB.predict")
        dense = counts.toarray() if sp.issparse(counts) else counts
        mass = dense.sum(axis=1) / self.total_  # (n,): p(x) on the training scale
        rows = dense / np.where(mass > 0, mass * self.total_, 1.0)[:, None]  # p(y|x)
        cost = np.stack(
            [
                _merge_cost(rows, mass, d, m)
                for d, m in zip(self.decoder_, self.marginal_, strict=True)
            ],
            1,
        )
        return np.argmin(cost, axis=1)

    def transform(self, X: Any) -> np.ndarray:
        r"""One-hot p(t|x) of :meth:`predict`, shape ``(n_samples, n_clusters)``.

        .. math:: p(t|x) = \mathbb 1[t = \hat t(x)]
        """
        return np.eye(self.n_clusters)[self.predict(X)]

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit`` then the training rows' clusters."""
        return self.fit(X).labels_


def _merge_cost(
    rows: np.ndarray, mass: np.ndarray, decoder: np.ndarray, weight: float
) -> np.ndarray:
    """(p(x) + p(t)) JS_π(p(y|x), p(y|t)) for every row, π ∝ (p(x), p(t)), in nats."""
    total = mass + weight
    pi_x = np.where(total > 0, mass / np.where(total > 0, total, 1.0), 0.0)[:, None]
    mix = pi_x * rows + (1 - pi_x) * decoder[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_x = np.sum(np.where(rows > 0, rows * np.log(rows / np.where(mix > 0, mix, 1.0)), 0.0), 1)
        ratio = decoder[None, :] / np.where(mix > 0, mix, 1.0)
        kl_t = np.sum(np.where(decoder[None, :] > 0, decoder[None, :] * np.log(ratio), 0.0), 1)
    return total * (pi_x[:, 0] * kl_x + (1 - pi_x[:, 0]) * kl_t)
