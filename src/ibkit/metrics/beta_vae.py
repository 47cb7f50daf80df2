"""β-VAE score (Higgins et al. 2017), as in disentanglement_lib (``beta_vae.py``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validation import check_int
from ._common import RepresentationFn, as_codes_factors, import_sklearn, make_rng
from ._sampling import GroundTruthSource, PoolSource

__all__ = ["BetaVAEScores", "beta_vae_score", "compute_beta_vae_score"]


@dataclass(frozen=True)
class BetaVAEScores:
    r"""Accuracy (dimensionless, in [0, 1]) of the linear classifier that names the fixed factor.

    .. math:: \text{accuracy} = \frac1n \sum_i \mathbb 1[\hat k(x_i) = k_i], \quad
              x_i = \frac1L \sum_l \lvert z^{(1)}_{il} - z^{(2)}_{il}\rvert
    """

    train_accuracy: float
    eval_accuracy: float

    def as_dict(self) -> dict[str, float]:
        return {key: float(val) for key, val in asdict(self).items()}


def _features(source: Any, n_points: int, batch: int, rng: np.random.Generator) -> Any:
    ks, z1, z2 = source.fixed_pairs(n_points, batch, rng)  # z: (n_points, batch, d)
    return np.mean(np.abs(z1 - z2), axis=1), ks  # (n_points, d), (n_points,)


def _score(source: Any, n_train: int, n_eval: int, batch: int, seed: Any) -> BetaVAEScores:
    import_sklearn()
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    rng = make_rng(seed)
    x_train, y_train = _features(source, n_train, batch, rng)
    x_eval, y_eval = _features(source, n_eval, batch, rng)
    if np.unique(y_train).size < 2:
        acc = float(np.mean(y_train[0] == y_train)), float(np.mean(y_train[0] == y_eval))
        return BetaVAEScores(*acc)
    # disentanglement_lib's LogisticRegression(random_state=...) under sklearn 0.20:
    # liblinear, one-vs-rest, C = 1, 100 iterations; every argument pinned.
    model = OneVsRestClassifier(
        LogisticRegression(
            C=1.0, dual=False, tol=1e-4, fit_intercept=True, intercept_scaling=1.0,
            class_weight=None, random_state=0, solver="liblinear", max_iter=100, verbose=0,
            warm_start=False,
        ),
        n_jobs=None,
    ).fit(x_train, y_train)  # fmt: skip
    return BetaVAEScores(
        float(np.mean(model.predict(x_train) == y_train)),
        float(np.mean(model.predict(x_eval) == y_eval)),
    )


def beta_vae_score(
    codes: Any,
    factors: Any,
    *,
    n_train: int = 10_000,
    n_eval: int = 5_000,
    batch_size: int = 64,
    seed: Any = 0,
) -> BetaVAEScores:
    r"""β-VAE score from a pool of rows ``codes`` ``(n, d)``, ``factors`` ``(n, K)``.

    Each training point picks a factor k uniformly, draws ``batch_size`` pairs of pool rows
    that share the value of factor k (other factors free), and forms

    .. math:: x = \frac{1}{L} \sum_{l=1}^{L} \lvert z^{(1)}_l - z^{(2)}_l \rvert \in
              \mathbb{R}^d, \qquad \text{label } k.

    A linear logistic regression (liblinear one-vs-rest, C = 1) is trained on ``n_train``
    points; the score is its accuracy on ``n_eval`` fresh points. The pool should be an
    i.i.d. sample of the factor grid (then resampling it matches drawing fresh factors;
    :func:`compute_beta_vae_score` draws fresh ones as the lib does).

    Returns
    -------
    BetaVAEScores; accuracies in [0, 1].

    Notes
    -----
    * Perfect → 1 (the fixed factor's code has |Δz| = 0).
    * Random codes → chance, 1/K (0.2 for dSprites' five factors).
    * Known blind spots: it stays high for rotated (mixed) codes — a linear classifier on
      |Δz| still separates the factors when the mixing is not degenerate (a random
      rotation of dSprites' standardised factors scores 0.86–0.94 against 0.2 for chance;
      below 1 only because C = 1 regularises unscaled features) — and it stays at 1 for
      duplicated codes; it can also reach 100 % when only K − 1 factors are disentangled
      (Kim & Mnih 2018). It depends on the classifier's hyperparameters (pinned here).
    * Constant codes: all features 0 → the classifier outputs one class (≈ 1/K).

    References
    ----------
    Higgins et al. (2017), "β-VAE: learning basic visual concepts with a constrained
    variational framework". Locatello et al. (2019), ``beta_vae.py`` (batch 64, 10 000 train
    and 5 000 eval points).
    """
    z, v = as_codes_factors(codes, factors)
    return _score(
        PoolSource(z, v),
        check_int(n_train, "n_train", minimum=1),
        check_int(n_eval, "n_eval", minimum=1),
        check_int(batch_size, "batch_size", minimum=1),
        seed,
    )


def compute_beta_vae_score(
    representation_fn: RepresentationFn,
    dataset: Any,
    n_samples: int = 10_000,
    *,
    n_eval: int | None = None,
    batch_size: int = 64,
    seed: Any = 0,
) -> BetaVAEScores:
    r"""β-VAE score with ``n_samples`` training points (default ``n_eval = n_samples // 2``),
    each from ``batch_size`` fresh pairs of ``dataset`` sharing one factor; see
    :func:`beta_vae_score`. Renders ``2 · batch_size · (n_samples + n_eval)`` observations.

    .. math:: x = \frac{1}{L} \sum_{l=1}^{L} \lvert z^{(1)}_l - z^{(2)}_l \rvert \in
              \mathbb{R}^d\ (L = \text{batch\_size}), \qquad \text{label } k

    ``representation_fn`` maps observations ``(m, ...)`` to codes ``(m, d)``.
    """
    n = check_int(n_samples, "n_samples", minimum=1)
    n_eval = max(n // 2, 1) if n_eval is None else check_int(n_eval, "n_eval", minimum=1)
    return _score(
        GroundTruthSource(representation_fn, dataset),
        n, n_eval, check_int(batch_size, "batch_size", minimum=1), seed,
    )  # fmt: skip
