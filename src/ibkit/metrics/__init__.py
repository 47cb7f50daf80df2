"""Disentanglement metrics on ground-truth data (NumPy + scikit-learn; no torch).

Every metric exists in two forms: from arrays, ``codes`` ``(n, d)`` and integer
``factors`` ``(n, K)`` (``mig(codes, factors)``), and from a representation function and a
ground-truth dataset (``compute_mig(representation_fn, dataset, n_samples, seed=...)``).
``representation_fn`` maps observations (for :class:`~ibkit.datasets.ProceduralDSprites`
``(m, 64, 64)`` float32) to codes ``(m, d)``; ``dataset`` provides ``factor_sizes``,
``sample_factors(n, rng)`` and ``observations_from_factors(factors)``.

Algorithms and sample sizes follow disentanglement_lib (Locatello et al. 2019), with
every scikit-learn estimator argument pinned (sklearn's defaults changed across versions):

==================  ====================================================  ===============
metric              estimator                                             samples (lib)
==================  ====================================================  ===============
β-VAE score         LogisticRegression liblinear OvR, C=1, max_iter=100  10 000 / 5 000 ×64 pairs
FactorVAE score     majority vote, global-variance scaling, prune < 0.05  10 000 / 5 000 ×64
MIG                 20 equal-width bins, plug-in MI / H(v)               10 000
DCI                 GradientBoostingClassifier (100 depth-3 stages)       10 000 / 5 000
SAP                 LinearSVC C=0.01 balanced, on single codes            10 000 / 5 000
modularity          20 equal-width bins, plug-in MI                      10 000
explicitness        LogisticRegression liblinear OvR, ROC AUC             10 000 / 5 000
==================  ====================================================  ===============

References
----------
Locatello et al. (2019), "Challenging common assumptions in the unsupervised learning of
disentangled representations", ICML (github.com/google-research/disentanglement_lib).
"""

from .beta_vae import BetaVAEScores, beta_vae_score, compute_beta_vae_score
from .dci import DCIScores, compute_dci, dci, dci_from_importance, gbt_importance
from .evaluate import METRICS, evaluate_all
from .factor_vae import FactorVAEScores, compute_factor_vae_score, factor_vae_score
from .mig import compute_mig, mig, mig_from_mutual_information
from .modularity import (
    ExplicitnessScores,
    compute_explicitness,
    compute_modularity,
    explicitness,
    modularity,
    modularity_from_mutual_information,
)
from .sap import compute_sap, sap, sap_from_scores, sap_score_matrix

__all__ = [
    "METRICS",
    "BetaVAEScores",
    "DCIScores",
    "ExplicitnessScores",
    "FactorVAEScores",
    "beta_vae_score",
    "compute_beta_vae_score",
    "compute_dci",
    "compute_explicitness",
    "compute_factor_vae_score",
    "compute_mig",
    "compute_modularity",
    "compute_sap",
    "dci",
    "dci_from_importance",
    "evaluate_all",
    "explicitness",
    "factor_vae_score",
    "gbt_importance",
    "mig",
    "mig_from_mutual_information",
    "modularity",
    "modularity_from_mutual_information",
    "sap",
    "sap_from_scores",
    "sap_score_matrix",
]
