"""Closed-form cases: importance matrices for DCI, MI matrices for modularity and MIG,
score matrices for SAP, and the exact MIG of the identity on the full dSprites grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import mutual_info_score, roc_auc_score

from ibkit.exceptions import IBKitError
from ibkit.metrics import (
    dci_from_importance,
    mig,
    mig_from_mutual_information,
    modularity,
    modularity_from_mutual_information,
    sap_from_scores,
)
from ibkit.metrics._common import discrete_mutual_info, histogram_discretize

# D and C are computed with 0·log 0 = 0 exactly, so the closed forms hold to rounding.
TOL = 1e-12


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_dci_diagonal_is_perfect(k):
    assert dci_from_importance(np.eye(k)) == pytest.approx((1.0, 1.0), abs=TOL)
    # extra codes that matter for nothing get zero weight
    padded = np.vstack([np.diag(np.arange(1.0, k + 1)), np.zeros((3, k))])
    assert dci_from_importance(padded) == pytest.approx((1.0, 1.0), abs=TOL)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_dci_duplicated_codes_lower_completeness_only(k):
    # R = [I; I]: 2k codes, each factor split evenly over two codes.
    d_score, c_score = dci_from_importance(np.vstack([np.eye(k), np.eye(k)]))
    assert d_score == pytest.approx(1.0, abs=TOL)
    assert c_score == pytest.approx(1.0 - math.log(2) / math.log(2 * k), abs=TOL)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_dci_duplicated_factors_lower_disentanglement_only(d):
    # R = [I, I]: each of d codes equally important for two of 2d factors.
    d_score, c_score = dci_from_importance(np.hstack([np.eye(d), np.eye(d)]))
    assert d_score == pytest.approx(1.0 - math.log(2) / math.log(2 * d), abs=TOL)
    assert c_score == pytest.approx(1.0, abs=TOL)


def test_dci_uniform_and_all_zero():
    assert dci_from_importance(np.ones((4, 3))) == pytest.approx((0.0, 0.0), abs=TOL)
    assert dci_from_importance(np.zeros((4, 3))) == (0.0, 0.0)  # documented value


def test_dci_single_factor_or_code_convention():
    assert dci_from_importance([[0.3], [0.7]]) == pytest.approx(
        (1.0, 1.0 - (-(0.3 * math.log(0.3)) - 0.7 * math.log(0.7)) / math.log(2))
    )
    assert dci_from_importance([[0.0], [0.0]]) == (0.0, 0.0)


@settings(max_examples=40, deadline=None)
@given(
    r=arrays(np.float64, (4, 3), elements=st.floats(0, 10, allow_subnormal=False)),
    seed=st.integers(0, 1000),
)
def test_dci_invariant_to_permutation_and_scale(r, seed):
    rng = np.random.default_rng(seed)
    perm = r[rng.permutation(4)][:, rng.permutation(3)] * 3.5
    d1, c1 = dci_from_importance(r)
    d2, c2 = dci_from_importance(perm)
    assert d2 == pytest.approx(d1, abs=1e-9) and c2 == pytest.approx(c1, abs=1e-9)
    assert -1e-12 <= d1 <= 1 + 1e-12 and -1e-12 <= c1 <= 1 + 1e-12


@pytest.mark.parametrize("bad", [[[1.0, -0.1]], [[np.nan, 1.0]], [1.0, 2.0], np.zeros((0, 2))])
def test_dci_refuses_bad_importance(bad):
    with pytest.raises(IBKitError, match="importance"):
        dci_from_importance(bad)


def test_modularity_closed_forms():
    k = 5
    assert modularity_from_mutual_information(np.eye(k)) == pytest.approx(1.0, abs=TOL)
    assert modularity_from_mutual_information(np.vstack([np.eye(k)] * 2)) == pytest.approx(1.0)
    two = np.zeros((1, k))
    two[0, :2] = 0.7  # one code equally informative about two factors
    assert modularity_from_mutual_information(two) == pytest.approx(1 - 1 / (k - 1), abs=TOL)
    assert modularity_from_mutual_information(np.ones((3, k))) == pytest.approx(0.0, abs=TOL)
    assert modularity_from_mutual_information(np.zeros((3, k))) == 0.0  # documented value
    mixed = np.vstack([np.eye(k), np.zeros((1, k))])  # a dead code scores 0
    assert modularity_from_mutual_information(mixed) == pytest.approx(k / (k + 1), abs=TOL)


def test_mig_and_sap_from_matrices():
    m = np.array([[1.0, 0.2], [0.5, 0.6], [0.0, 0.0]])
    assert mig_from_mutual_information(m, [2.0, 1.0]) == pytest.approx((0.5 / 2 + 0.4) / 2)
    assert sap_from_scores(m) == pytest.approx((0.5 + 0.4) / 2)
    assert sap_from_scores([[0.9, 0.4]]) == pytest.approx(0.65)  # one code: gap to 0


def test_discrete_mutual_info_matches_sklearn():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 3))
    v = np.stack([rng.integers(0, 7, 400), rng.integers(-2, 2, 400)], axis=1)
    dz = histogram_discretize(z, 20)
    got = discrete_mutual_info(dz, v)
    want = [[mutual_info_score(v[:, k], dz[:, j]) for k in range(2)] for j in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # bins as disentanglement_lib: np.digitize against np.histogram's edges[:-1]
    for j in range(3):
        edges = np.histogram(z[:, j], 20)[1]
        np.testing.assert_array_equal(dz[:, j], np.digitize(z[:, j], edges[:-1]))


def _binned_entropy_ratio(size: int, n_bins: int) -> float:
    counts = np.histogram(np.arange(size), bins=n_bins)[0]
    p = counts[counts > 0] / size
    return float(-(p * np.log(p)).sum() / math.log(size))


def test_mig_of_identity_on_full_grid_is_the_binning_limit(dsprites):
    # On the full product grid every other code is exactly independent of factor k, so
    # MIG(identity) = mean_k H(bin(v_k)) / H(v_k): 1 for shape and scale (≤ 20 values),
    # ln 20/ln 40 for orientation, 0.85 for posX/posY. Equal-width bins can't reach 1.
    grid = np.indices(dsprites.factor_sizes).reshape(len(dsprites.factor_sizes), -1).T
    want = np.mean([_binned_entropy_ratio(s, 20) for s in dsprites.factor_sizes])
    assert _binned_entropy_ratio(40, 20) == pytest.approx(math.log(20) / math.log(40))
    assert mig(grid.astype(np.float64), grid) == pytest.approx(want, abs=1e-12)
    assert want == pytest.approx(0.902420, abs=1e-6)
    # with enough bins (≥ 40) the identity reaches 1
    assert mig(grid.astype(np.float64), grid, n_bins=40) == pytest.approx(1.0, abs=1e-12)


def test_explicitness_auc_matches_sklearn():
    from ibkit.metrics.modularity import _mean_auc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, 500)
    proba = rng.random((500, 7))
    proba[:, 2] = np.round(proba[:, 2], 1)  # ties get mid-ranks, as in sklearn
    classes = np.arange(7)  # class 6 is absent from y: left out of the average
    want = np.mean([roc_auc_score(y == c, proba[:, c]) for c in range(6)])
    assert _mean_auc(y, proba, classes) == pytest.approx(want, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.integers(1, 4),
    k=st.integers(1, 3),
    n_bins=st.integers(1, 25),
)
def test_mig_and_modularity_bounded_and_permutation_invariant(seed, d, k, n_bins):
    rng = np.random.default_rng(seed)
    f = rng.integers(0, 4, size=(60, k))
    f[:2] = [[0] * k, [1] * k]  # every factor takes at least two values
    z = np.round(rng.normal(size=(60, d)) + f[:, :1], 1)
    perm = rng.permutation(d)
    for metric in (mig, modularity):
        value = metric(z, f, n_bins=n_bins)
        assert -1e-12 <= value <= 1 + 1e-12
        assert metric(z[:, perm], f, n_bins=n_bins) == pytest.approx(value, abs=1e-12)
