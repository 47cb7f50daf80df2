"""The scikit-learn wrapper: estimator checks, consistency with the functional core."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from ibkit import information_bottleneck
from ibkit.ib.estimators import InformationBottleneck, SequentialIB


@parametrize_with_checks(
    [
        InformationBottleneck(n_init=1, max_iter=500, random_state=0),
        SequentialIB(n_init=2, random_state=0),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    if getattr(check, "func", check).__name__ == "check_array_api_input":
        # The estimators take NumPy count matrices (the functional core is the array-API
        # entry point); scikit-learn itself only runs this check under SCIPY_ARRAY_API=1.
        return
    check(estimator)


def _blocks(seed=0):
    # 3 groups of 10 rows, each group concentrated on its own 4 of 12 columns.
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 2, size=(30, 12)).astype(float)
    for g in range(3):
        counts[g * 10 : (g + 1) * 10, g * 4 : (g + 1) * 4] += rng.integers(5, 20, size=(10, 4))
    return counts, np.repeat(np.arange(3), 10)


def test_fit_matches_the_functional_solver():
    counts, _ = _blocks()
    model = InformationBottleneck(3, beta=20.0, n_init=3, random_state=1).fit(counts)
    direct = information_bottleneck(counts / counts.sum(), 20.0, 3, n_init=3, seed=1)
    np.testing.assert_allclose(model.encoder_, direct.encoder, atol=1e-12)
    assert model.I_TY_ == pytest.approx(direct.I_TY)


def test_transform_of_training_rows_is_the_fitted_encoder():
    counts, _ = _blocks(1)
    model = InformationBottleneck(3, beta=15.0, n_init=2, random_state=0).fit(counts)
    np.testing.assert_allclose(model.transform(counts), model.encoder_, atol=1e-7)


def test_recovers_block_structure_and_predicts_new_rows():
    counts, groups = _blocks(2)
    model = InformationBottleneck(3, beta=50.0, n_init=5, random_state=0)
    labels = model.fit_predict(counts)
    # the partition equals the groups up to relabelling
    pairs = {(int(a), int(b)) for a, b in zip(labels, groups, strict=True)}
    assert len(pairs) == 3 and len({a for a, _ in pairs}) == 3
    new_row = np.zeros((1, 12))
    new_row[0, 4:8] = 7.0  # looks like group 1
    assert model.predict(new_row)[0] == labels[groups == 1][0]


def test_deterministic_ib_gives_hard_assignments():
    counts, _ = _blocks(3)
    model = InformationBottleneck(3, beta=10.0, alpha=0.0, n_init=3, random_state=0).fit(counts)
    assert set(np.unique(model.encoder_)) <= {0.0, 1.0}
    assert set(np.unique(model.transform(counts))) <= {0.0, 1.0}


def test_refuses_negative_and_empty_counts():
    with pytest.raises(ValueError, match="Negative values"):
        InformationBottleneck().fit(-np.ones((3, 2)))
    with pytest.raises(ValueError, match="all-zero"):
        InformationBottleneck().fit(np.zeros((3, 2)))


def test_sequential_ib_recovers_blocks_from_dense_and_sparse_counts():
    counts, groups = _blocks(4)
    dense = SequentialIB(3, n_init=5, random_state=0).fit(counts)
    sparse = SequentialIB(3, n_init=5, random_state=0).fit(sp.csr_matrix(counts))
    np.testing.assert_array_equal(dense.labels_, sparse.labels_)
    pairs = {(int(a), int(b)) for a, b in zip(dense.labels_, groups, strict=True)}
    assert len(pairs) == 3 and len({a for a, _ in pairs}) == 3
    np.testing.assert_array_equal(dense.predict(counts), dense.labels_)
    assert dense.I_TY_ > InformationBottleneck(3, beta=0.1, random_state=0).fit(counts).I_TY_
    one_hot = dense.transform(counts[:4])
    assert one_hot.shape == (4, 3) and np.all(one_hot.sum(axis=1) == 1)
