"""scikit-learn style estimators wrapping the IB solvers (``fit``/``transform``/``predict``).

Requires scikit-learn (imported when this module is). Inputs are non-negative count or
co-occurrence matrices whose rows are the x's and columns the y's; they are normalised to a
joint p(x, y) by ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from .._array import logsumexp
from ..exceptions import InvalidDistributionError
from .bottleneck import information_bottleneck

__all__ = ["InformationBottleneck"]


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
        """Fit the IB encoder to the count matrix ``X`` (rows x, columns y)."""
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
        """p(t|x) for each count row of ``X`` (eq. 14 with the fitted p(t), p(y|t))."""
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
        """The most probable cluster of each count row."""
        return np.argmax(self.transform(X), axis=1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit`` then the training rows' clusters."""
        return self.fit(X).labels_
