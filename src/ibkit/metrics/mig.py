"""Mutual Information Gap (Chen et al. 2018), as computed by disentanglement_lib."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int
from ._common import (
    RepresentationFn,
    as_codes_factors,
    discrete_mutual_info,
    factor_entropy,
    histogram_discretize,
    make_rng,
)
from ._sampling import GroundTruthSource

__all__ = ["compute_mig", "mig", "mig_from_mutual_information"]


def mig_from_mutual_information(mi: Any, entropies: Any) -> float:
    r"""MIG from a mutual-information matrix ``mi`` ``(d, K)`` and factor entropies ``(K,)``.

    .. math:: \mathrm{MIG} = \frac1K \sum_k \frac{m_{(1)k} - m_{(2)k}}{H(v_k)}

    with :math:`m_{(1)k} \ge m_{(2)k}` the two largest entries of column k (the second is 0
    when there is a single code). Units cancel; every entropy must be > 0.
    """
    m = np.asarray(mi, dtype=np.float64)
    h = np.asarray(entropies, dtype=np.float64)
    top = np.sort(m, axis=0)[::-1]  # (d, K), descending
    second = top[1] if m.shape[0] > 1 else np.zeros(m.shape[1])
    return float(np.mean((top[0] - second) / h))


def mig(codes: Any, factors: Any, *, n_bins: int = 20) -> float:
    r"""Mutual Information Gap of ``codes`` ``(n, d)`` about ``factors`` ``(n, K)``.

    Each code column is cut into ``n_bins`` equal-width bins between its min and max
    (disentanglement_lib's histogram discretiser); :math:`m_{jk} = \hat I(z_j; v_k)` is the
    plug-in mutual information of the binned code and the factor, and

    .. math:: \mathrm{MIG} = \frac1K \sum_k \frac{m_{(1)k} - m_{(2)k}}{\hat H(v_k)}.

    Parameters
    ----------
    codes : (n, d) float, finite. One row per observation (the lib's ``mus_train.T``).
    factors : (n, K) int classes; every column must take ≥ 2 values.
    n_bins : bins per code dimension (20 in the lib).

    Returns
    -------
    float in [0, 1].

    Notes
    -----
    * Perfect: each factor is a bijective function of one code and independent of the rest
      → 1, but *only if* the bins resolve every factor value. With equal-width bins a factor
      with more than ``n_bins`` values can never reach 1: the identity code of dSprites'
      orientation (40 values) scores :math:`\ln 20/\ln 40 = 0.812`, posX/posY (32 values,
      uneven bin occupancy) about 0.85, so the identity representation of dSprites scores
      about 0.90, not 1.
    * Random (codes independent of factors) → 0 plus the plug-in bias of both MIs, about
      :math:`(b-1)(|v_k|-1)/(2n)` nats each (small, and partly cancelled by the gap).
    * Duplicated codes (two copies of the same code) → exactly 0: MIG punishes redundancy,
      i.e. it measures compactness as much as disentanglement.
    * Constant code columns get one bin and zero information; an all-constant
      representation scores 0.
    * Rotating the codes lowers MIG (information spreads over several codes). MIG is
      invariant to permutations and to strictly monotone maps of single codes that keep the
      bin structure (e.g. positive affine maps).

    References
    ----------
    Chen, Li, Grosse & Duvenaud (2018), "Isolating sources of disentanglement in VAEs".
    Locatello et al. (2019), "Challenging common assumptions in the unsupervised learning
    of disentangled representations" (disentanglement_lib, ``mig.py``).
    """
    z, v = as_codes_factors(codes, factors)
    m = discrete_mutual_info(histogram_discretize(z, n_bins), v)  # (d, K) nats
    return mig_from_mutual_information(m, factor_entropy(v))


def compute_mig(
    representation_fn: RepresentationFn,
    dataset: Any,
    n_samples: int = 10_000,
    *,
    seed: Any = 0,
    n_bins: int = 20,
) -> float:
    r"""MIG of ``representation_fn`` on ``n_samples`` i.i.d. draws of ``dataset``.

    .. math:: \mathrm{MIG} = \frac1K \sum_{k=1}^{K}
              \frac{I(z_{j^{(k)}}; v_k) - I(z_{j'^{(k)}}; v_k)}{H(v_k)} \in [0, 1]

    with :math:`j^{(k)}, j'^{(k)}` the codes of largest and second-largest plug-in mutual
    information (``n_bins`` equal-width bins per code) with factor k; dimensionless (nats
    cancel).

    ``representation_fn`` maps observations ``(m, ...)`` (for dSprites ``(m, 64, 64)``
    float32) to codes ``(m, d)``; ``dataset`` provides ``factor_sizes``,
    ``sample_factors(n, rng)`` and ``observations_from_factors(factors)``. Sample size as in
    disentanglement_lib (10 000). See :func:`mig` for the definition and properties.
    """
    n = check_int(n_samples, "n_samples", minimum=2)
    codes, factors = GroundTruthSource(representation_fn, dataset).sample(n, make_rng(seed))
    return mig(codes, factors, n_bins=n_bins)
