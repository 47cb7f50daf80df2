"""DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018), with
gradient-boosted-tree importances as in disentanglement_lib."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import xlogy

from .. import _jit
from .._validation import as_matrix, check_int
from ._boosting import fit_boosted_trees
from ._common import RepresentationFn, import_sklearn, make_rng, train_test
from ._sampling import GroundTruthSource

__all__ = ["DCIScores", "compute_dci", "dci", "dci_from_importance", "gbt_importance"]


@dataclass(frozen=True)
class DCIScores:
    r"""DCI scores; ``importance`` is the ``(d, K)`` matrix R they come from.

    .. math:: D = \sum_j \rho_j \bigl(1 - H_K(P_{j\cdot})\bigr), \quad
              C = \sum_k \tilde\rho_k \bigl(1 - H_d(\tilde P_{\cdot k})\bigr)

    (see :func:`dci_from_importance`); all four scores are dimensionless, in [0, 1].
    """

    disentanglement: float
    completeness: float
    informativeness_train: float  # mean accuracy of the K classifiers on the training rows
    informativeness_test: float  # the same on the test rows
    importance: np.ndarray  # (d, K), R[j, k] = importance of code j for factor k

    def as_dict(self) -> dict[str, float]:
        """The four scores (without the matrix), e.g. for ``metrics.json``."""
        out = asdict(self)
        out.pop("importance")
        return {key: float(val) for key, val in out.items()}


def _one_minus_entropy(p: np.ndarray, axis: int) -> np.ndarray:
    """1 − H(p)/log(n) along ``axis`` for rows that sum to > 0 (else 0); n = size of axis."""
    total = p.sum(axis=axis, keepdims=True)
    n = p.shape[axis]
    if n == 1:
        return (total.squeeze(axis) > 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.0)
    h = -xlogy(q, q).sum(axis=axis) / np.log(n)
    return np.where(total.squeeze(axis) > 0, 1.0 - h, 0.0)


def dci_from_importance(importance: Any) -> tuple[float, float]:
    r"""Disentanglement D and completeness C of an importance matrix R ``(d, K)``, R ≥ 0.

    .. math:: D = \sum_j \rho_j \bigl(1 - H_K(P_{j\cdot})\bigr), \quad
              C = \sum_k \tilde\rho_k \bigl(1 - H_d(\tilde P_{\cdot k})\bigr)

    with :math:`P_{jk} = R_{jk}/\sum_k R_{jk}`, :math:`\rho_j = \sum_k R_{jk}/\sum R`,
    :math:`\tilde P_{jk} = R_{jk}/\sum_j R_{jk}`, :math:`\tilde\rho_k = \sum_j R_{jk}/\sum R`,
    and :math:`H_n` the entropy in base n (0 log 0 = 0).

    Closed forms: R diagonal (square or with extra all-zero codes) → D = C = 1; every code
    duplicated (R = [I; I] for K factors, d = 2K) → D = 1, C = 1 − log 2 / log 2K; every
    factor duplicated (R = [I, I], d codes each important for 2 factors) → D = 1 − log 2 /
    log 2d, C = 1; uniform R → D = C = 0. All-zero R (no code matters) → D = C = 0 (as in
    disentanglement_lib). With K = 1 (d = 1) the entropy base is undefined; D (C) is then 1
    by convention when R ≠ 0. Codes (factors) with zero importance get zero weight.
    Invariant to permuting codes and factors and to scaling R.

    Returns
    -------
    (D, C), floats in [0, 1].

    References
    ----------
    Eastwood & Williams (2018), "A framework for the quantitative evaluation of
    disentangled representations".
    """
    r = np.asarray(as_matrix(importance, name="importance", nonnegative=True), dtype=np.float64)
    total = r.sum()
    if total == 0:
        return 0.0, 0.0
    d_code = _one_minus_entropy(r, axis=1)  # (d,)
    c_factor = _one_minus_entropy(r, axis=0)  # (K,)
    return (
        float(np.sum(d_code * r.sum(axis=1) / total)),
        float(np.sum(c_factor * r.sum(axis=0) / total)),
    )


def _gbt(sklearn_ensemble: Any, n_estimators: int, random_state: int) -> Any:
    r"""GradientBoostingClassifier with every argument pinned (sklearn 0.20's defaults, which
    disentanglement_lib used through ``GradientBoostingClassifier()``). Recent scikit-learn
    grows the trees with the squared-error criterion instead of 0.20's Friedman MSE; for
    unweighted single-output trees the two rank every split alike
    (:math:`S_L^2/n_L + S_R^2/n_R = S^2/n + \frac{n_L n_R}{n}(\bar g_L - \bar g_R)^2`)."""
    return sklearn_ensemble.GradientBoostingClassifier(
        loss="log_loss", learning_rate=0.1, n_estimators=n_estimators, subsample=1.0,
        min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_depth=3,
        min_impurity_decrease=0.0, init=None, random_state=random_state, max_features=None,
        verbose=0, max_leaf_nodes=None, warm_start=False, validation_fraction=0.1,
        n_iter_no_change=None, tol=1e-4, ccp_alpha=0.0,
    )  # fmt: skip


def gbt_importance(
    codes: np.ndarray,
    factors: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    n_estimators: int = 100,
    random_state: int = 0,
    n_jobs: int = 1,
) -> tuple[np.ndarray, float, float]:
    r"""Importance matrix ``(d, K)`` and mean train / test accuracy of one boosted-tree
    classifier per factor (disentanglement_lib's ``_compute_importance_gbt``).

    .. math:: R_{jk} = \lvert\text{impurity importance of code } j \text{ in the classifier
              of factor } k\rvert, \quad \text{acc} = \frac1K \sum_k \frac1n \sum_i
              \mathbb 1[\hat v_{ik} = v_{ik}]

    ``codes`` ``(n, d)``, ``factors`` ``(n, K)`` int (and the test pair likewise); each column
    of R sums to 1 (or is 0 for a factor no split uses).

    With numba installed (``ibkit[fast]``) the classifiers are :mod:`._boosting`'s compiled
    copy of scikit-learn's algorithm (the same trees, 10–20× faster per thread); without it,
    scikit-learn fits them. Either way ``n_jobs`` threads take the factors, and both give
    the same matrix and accuracies.
    """
    if _jit.HAVE_NUMBA:
        fits = _fit_compiled(codes, factors, codes_test, n_estimators, random_state, n_jobs)
    else:
        fits = _fit_sklearn(codes, factors, codes_test, n_estimators, random_state, n_jobs)
    importance = np.stack([imp for imp, _, _ in fits], axis=1)  # (d, K)
    acc_train = np.mean([np.mean(pred == factors[:, k]) for k, (_, pred, _) in enumerate(fits)])
    acc_test = np.mean([np.mean(pred == factors_test[:, k]) for k, (_, _, pred) in enumerate(fits)])
    return importance, float(acc_train), float(acc_test)


def _fit_compiled(
    codes: np.ndarray, factors: np.ndarray, codes_test: np.ndarray, n_estimators: int,
    random_state: int, n_jobs: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:  # fmt: skip
    """Every factor's classifier by :mod:`._boosting` (numba, no GIL; factors in ``n_jobs``
    threads)."""
    from concurrent.futures import ThreadPoolExecutor

    def fit(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        res = fit_boosted_trees(codes, factors[:, k], codes_test, n_estimators=n_estimators,
                                random_state=random_state)  # fmt: skip
        return np.abs(res.importance), res.predict_train, res.predict_test

    # the largest factors first, so the threads finish together
    order = np.argsort([-np.unique(factors[:, k]).size for k in range(factors.shape[1])])
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        done = dict(zip(order, pool.map(fit, order), strict=True))
    return [done[k] for k in range(factors.shape[1])]


def _fit_sklearn(
    codes: np.ndarray, factors: np.ndarray, codes_test: np.ndarray, n_estimators: int,
    random_state: int, n_jobs: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:  # fmt: skip
    """Every factor's scikit-learn classifier (factors in ``n_jobs`` threads)."""
    import_sklearn()
    from joblib import Parallel, delayed
    from sklearn import ensemble

    def fit(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        model = _gbt(ensemble, n_estimators, random_state).fit(codes, factors[:, k])
        return np.abs(model.feature_importances_), model.predict(codes), model.predict(codes_test)

    return Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(fit)(k) for k in range(factors.shape[1])
    )


def dci(
    codes: Any,
    factors: Any,
    *,
    test: tuple[Any, Any] | None = None,
    n_estimators: int = 100,
    random_state: int = 0,
    n_jobs: int = 1,
) -> DCIScores:
    r"""DCI scores of ``codes`` ``(n, d)`` about ``factors`` ``(n, K)``.

    .. math:: D = \sum_j \rho_j \bigl(1 - H_K(P_{j\cdot})\bigr), \quad
              C = \sum_k \tilde\rho_k \bigl(1 - H_d(\tilde P_{\cdot k})\bigr), \quad
              P_{jk} = \frac{R_{jk}}{\sum_{k'} R_{jk'}},\ \rho_j = \frac{\sum_k R_{jk}}{\sum R}

    (:math:`\tilde P, \tilde\rho` the same with the roles of j and k swapped; :math:`H_n` the
    entropy in base n, so each term is dimensionless).

    One gradient-boosted-tree classifier per factor predicts the factor class from all
    codes; its impurity-based ``feature_importances_`` give column k of R ``(d, K)``, and
    D, C follow from R (:func:`dci_from_importance`). Informativeness is the classifiers'
    mean accuracy (train and test), as in disentanglement_lib (the paper uses a
    prediction error).

    Parameters
    ----------
    codes, factors : training rows (10 000 in the lib).
    test : ``(codes_test, factors_test)`` (5 000 in the lib); default: the last third of
        the given rows are the test set, the first two thirds train.
    n_estimators : boosting stages (100, the lib's; the cost is n_estimators × Σ_k |v_k|
        depth-3 trees, i.e. 11 300 trees for dSprites: about 20 s on one core at 10 000 rows
        with numba, several minutes with scikit-learn alone).
    random_state : seed of the trees' feature permutation (only breaks ties between
        equally good splits, e.g. duplicated codes).
    n_jobs : threads (the result does not depend on it); see :func:`gbt_importance`.

    Returns
    -------
    DCIScores; D, C, informativeness in [0, 1].

    Notes
    -----
    * Perfect (each factor a function of one code, others noise) → D = C = 1 up to the
      small importance trees give to noise codes; informativeness → 1.
    * Random codes → the importances are noise: D and C are low (not 0: finite-sample
      importance concentrates by chance); informativeness → chance accuracy.
    * Duplicated codes: D stays high, C drops (importance splits over the copies; how it
      splits depends on tie-breaking, so C lies between 1 − log 2/log 2K and 1).
    * Mixed (rotated) codes: D and C drop, informativeness stays high — it measures
      predictability, not disentanglement. Axis-aligned trees make D/C depend on the
      basis, as they should, but also on the number of trees and depth.
    * Constant codes get zero importance; all-constant codes → D = C = 0.
    * D and C depend on the estimator, not only on the representation: on one 10-code
      representation of dSprites (``benchmarks/bench_metrics.py``) D / C are 0.48 / 0.52
      with 10 stages and 0.27 / 0.28 with 100. Compare scores only at equal settings.

    References
    ----------
    Eastwood & Williams (2018), ICLR. Locatello et al. (2019), disentanglement_lib ``dci.py``.
    """
    z, v, z_test, v_test = train_test(codes, factors, test)
    importance, acc_train, acc_test = gbt_importance(
        z, v, z_test, v_test,
        n_estimators=check_int(n_estimators, "n_estimators", minimum=1),
        random_state=check_int(random_state, "random_state"),
        n_jobs=check_int(n_jobs, "n_jobs", minimum=1),
    )  # fmt: skip
    d_score, c_score = dci_from_importance(importance)
    return DCIScores(d_score, c_score, acc_train, acc_test, importance)


def compute_dci(
    representation_fn: RepresentationFn,
    dataset: Any,
    n_samples: int = 10_000,
    *,
    n_test: int | None = None,
    seed: Any = 0,
    n_estimators: int = 100,
    n_jobs: int = 1,
) -> DCIScores:
    r"""DCI of ``representation_fn`` on ``n_samples`` training and ``n_test`` (default
    ``n_samples // 2``) test draws of ``dataset``; see :func:`dci`.

    .. math:: D = \sum_j \rho_j \bigl(1 - H_K(P_{j\cdot})\bigr), \quad
              C = \sum_k \tilde\rho_k \bigl(1 - H_d(\tilde P_{\cdot k})\bigr)

    ``representation_fn`` maps observations ``(m, ...)`` to codes ``(m, d)``.
    """
    n = check_int(n_samples, "n_samples", minimum=2)
    n_test = n // 2 if n_test is None else check_int(n_test, "n_test", minimum=1)
    source, rng = GroundTruthSource(representation_fn, dataset), make_rng(seed)
    z, v = source.sample(n, rng)
    test = source.sample(n_test, rng)
    return dci(z, v, test=test, n_estimators=n_estimators, n_jobs=n_jobs)
