"""Bad input: a clear IBKitError naming the argument, or a documented value; never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import ibkit.metrics as metrics
from ibkit.exceptions import IBKitError, InvalidParameterError, ShapeMismatchError

FAST = {
    "mig": lambda z, f: metrics.mig(z, f),
    "modularity": lambda z, f: metrics.modularity(z, f),
    "sap": lambda z, f: metrics.sap(z, f),
    "explicitness": lambda z, f: metrics.explicitness(z, f),
    "dci": lambda z, f: metrics.dci(z, f, n_estimators=2),
    "beta_vae": lambda z, f: metrics.beta_vae_score(z, f, n_train=40, n_eval=40, batch_size=8),
    "factor_vae": lambda z, f: metrics.factor_vae_score(
        z, f, n_train=40, n_eval=40, n_variance=100, batch_size=8
    ),
}


@pytest.fixture(scope="module")
def small(grid_sample):
    f = grid_sample[:150]
    return f.astype(np.float64), f


@pytest.mark.parametrize("name", sorted(FAST))
def test_mismatched_rows(name, small):
    z, f = small
    with pytest.raises(ShapeMismatchError, match="same number of rows"):
        FAST[name](z[:-1], f)


@pytest.mark.parametrize("name", sorted(FAST))
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_codes(name, bad, small):
    z, f = small
    z = z.copy()
    z[7, 2] = bad
    with pytest.raises(InvalidParameterError, match=r"codes must be finite.*row 7, column 2"):
        FAST[name](z, f)


@pytest.mark.parametrize("name", sorted(FAST))
def test_factor_with_one_value_is_refused(name, small):
    z, f = small
    f = f.copy()
    f[:, 3] = 4
    with pytest.raises(InvalidParameterError, match="factors column 3 takes a single value"):
        FAST[name](z, f)


@pytest.mark.parametrize(
    ("factors", "match"),
    [
        (np.full((150, 2), 0.5), "integer classes"),
        (np.array([[np.nan, 1]] * 150), "integer classes"),
        (np.zeros((150, 2), dtype=bool), "integer classes"),
        (np.arange(150), r"shape \(n_samples, n_factors\)"),
    ],
)
def test_bad_factors(factors, match, small):
    with pytest.raises(IBKitError, match=match):
        metrics.mig(small[0][:, :2], factors)


@pytest.mark.parametrize("codes", [np.zeros(150), np.zeros((1, 5)), np.zeros((150, 0))])
def test_bad_code_shapes(codes, small):
    with pytest.raises(ShapeMismatchError, match="codes"):
        metrics.mig(codes, small[1])


def test_constant_codes_give_documented_values(small):
    z, f = np.zeros_like(small[0]), small[1]
    assert metrics.mig(z, f) == 0.0
    assert metrics.modularity(z, f) == 0.0
    assert metrics.factor_vae_score(z, f).as_dict() == {
        "train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0.0,
    }  # fmt: skip
    res = metrics.dci(z, f, n_estimators=2)
    assert (res.disentanglement, res.completeness) == (0.0, 0.0)
    assert metrics.sap(z, f) == 0.0
    assert metrics.explicitness(z, f).test == pytest.approx(0.5)
    bv = metrics.beta_vae_score(z, f, n_train=100, n_eval=100, batch_size=8)
    assert bv.eval_accuracy < 0.4  # one class predicted: about 1/K


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_bins": 0}, "n_bins"),
        ({"n_bins": 2.5}, "n_bins"),
    ],
)
def test_bad_options(kwargs, match, small):
    with pytest.raises(InvalidParameterError, match=match):
        metrics.mig(*small, **kwargs)


def test_bad_test_split_and_options(small):
    z, f = small
    with pytest.raises(ShapeMismatchError, match="test arrays"):
        metrics.sap(z, f, test=(z[:, :2], f))
    with pytest.raises(InvalidParameterError, match="test"):
        metrics.sap(z, f, test=z)
    with pytest.raises(InvalidParameterError, match="prune_threshold"):
        metrics.factor_vae_score(z, f, prune_threshold=-1.0)
    with pytest.raises(InvalidParameterError, match="seed"):
        metrics.beta_vae_score(z, f, seed=-3)
    with pytest.raises(InvalidParameterError, match="n_estimators"):
        metrics.dci(z, f, n_estimators=0)
    with pytest.raises(InvalidParameterError, match="metrics"):
        metrics.evaluate_all(z, f, metrics=["mig", "nope"])


def test_bad_representation_fn_and_dataset(factor_dataset):
    with pytest.raises(InvalidParameterError, match="representation_fn must be callable"):
        metrics.compute_mig(None, factor_dataset, 50)
    with pytest.raises(InvalidParameterError, match="lacks 'factor_sizes'"):
        metrics.compute_mig(lambda x: x, object(), 50)
    with pytest.raises(ShapeMismatchError, match="representation_fn must map"):
        metrics.compute_mig(lambda x: x[:-1], factor_dataset, 50)
    with pytest.raises(ShapeMismatchError, match="representation_fn must map"):
        metrics.compute_mig(lambda x: x[:, 0], factor_dataset, 50)
    with pytest.raises(IBKitError, match="non-finite"):
        metrics.compute_mig(lambda x: x * np.nan, factor_dataset, 50)
    with pytest.raises(InvalidParameterError, match="n_samples"):
        metrics.compute_mig(lambda x: x, factor_dataset, 1)
