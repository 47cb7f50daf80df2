"""The compiled gradient-boosted trees of DCI against scikit-learn's
GradientBoostingClassifier on the same inputs (same trees, same importances)."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit import _jit
from ibkit.exceptions import InvalidParameterError
from ibkit.metrics import dci

pytest.importorskip("numba")
ensemble = pytest.importorskip("sklearn.ensemble")

from ibkit.metrics._boosting import fit_boosted_trees  # noqa: E402
from ibkit.metrics.dci import _gbt  # noqa: E402


def _sklearn(x, y, x_test, n_estimators, random_state):
    model = _gbt(ensemble, n_estimators, random_state).fit(x, y)
    return model.feature_importances_, model.predict(x), model.predict(x_test)


def _continuous(seed: int, n: int = 600, d: int = 5, n_classes: int = 4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    score = x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return x, y, rng.normal(size=(200, d))


def _assert_same(x, y, x_test, n_estimators=8, random_state=0, atol=0.0):
    imp, pred, pred_test = _sklearn(x, y, x_test, n_estimators, random_state)
    fit = fit_boosted_trees(x, y, x_test, n_estimators=n_estimators, random_state=random_state)
    np.testing.assert_allclose(fit.importance, imp, rtol=0, atol=atol)
    np.testing.assert_array_equal(fit.predict_train, pred)
    np.testing.assert_array_equal(fit.predict_test, pred_test)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_continuous_codes_give_identical_trees(seed, n_classes):
    """No ties: the same trees, so importances equal to the last bit."""
    _assert_same(*_continuous(seed, n_classes=n_classes), random_state=seed)


def test_duplicated_and_constant_codes_follow_sklearns_random_tie_breaking():
    """Duplicated columns tie exactly; sklearn's per-tree xorshift feature order decides,
    and constant columns change how many draws each node makes."""
    x, y, x_test = _continuous(3, n=500, d=3, n_classes=4)
    x = np.concatenate([x, x, np.ones((500, 1))], axis=1)
    x_test = np.concatenate([x_test, x_test, np.ones((200, 1))], axis=1)
    for random_state in (0, 3, 11):
        _assert_same(x, y, x_test, n_estimators=15, random_state=random_state)


def test_discrete_codes_with_ties():
    """Tied values: same splits; only the order of some sums differs (≤ 1e-13)."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, size=(800, 4)).astype(np.float64)
    y = (x[:, 0] + x[:, 1] + rng.integers(0, 3, size=800)) % 4
    _assert_same(x, y, x[:300], n_estimators=10, atol=1e-13)


def test_pure_nodes_and_tiny_samples():
    """Separable classes: nodes become pure (impurity ≤ eps) and trees stop early."""
    x = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [11.0], [12.0], [13.0]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    _assert_same(x, y, x + 0.5, n_estimators=30)
    x3 = np.arange(12.0)[:, None]
    _assert_same(x3, np.repeat([0, 1, 2], 4), x3, n_estimators=20)


def test_string_labels_and_one_class():
    x, y, x_test = _continuous(5, n_classes=3)
    labels = np.array(["a", "b", "c"])[y]
    fit = fit_boosted_trees(x, labels, x_test, n_estimators=3)
    assert set(fit.predict_train) <= {"a", "b", "c"}
    with pytest.raises(InvalidParameterError, match="at least 2 values"):
        fit_boosted_trees(x, np.zeros(len(x), dtype=int), x_test)


def test_dci_is_the_same_with_and_without_numba(monkeypatch):
    """dci() picks the compiled trees when numba is there, scikit-learn otherwise."""
    rng = np.random.default_rng(6)
    factors = rng.integers(0, [3, 6, 4], size=(900, 3))
    codes = np.concatenate([factors + 0.3 * rng.normal(size=(900, 3)),
                            rng.normal(size=(900, 2))], axis=1)  # fmt: skip
    fast = dci(codes, factors, n_estimators=12)
    two_threads = dci(codes, factors, n_estimators=12, n_jobs=2)
    np.testing.assert_array_equal(two_threads.importance, fast.importance)
    monkeypatch.setattr(_jit, "HAVE_NUMBA", False)
    slow = dci(codes, factors, n_estimators=12)
    np.testing.assert_array_equal(fast.importance, slow.importance)
    assert (fast.disentanglement, fast.completeness) == (slow.disentanglement, slow.completeness)
    assert fast.informativeness_test == slow.informativeness_test
