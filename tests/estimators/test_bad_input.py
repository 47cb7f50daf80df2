"""Every entry point refuses malformed input with an IBKitError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import ibkit as ib

X = np.random.default_rng(0).standard_normal((50, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": X[:40]}, ib.ShapeMismatchError, "same number of samples; got 50 and 40"),
        ({"y": np.where(X > 2, np.nan, X)}, ib.DataFormatError, "finite; got nan"),
        ({"y": np.full(50, np.inf)}, ib.DataFormatError, "finite; got inf"),
        ({"y": np.array(["a"] * 50)}, ib.DataFormatError, "numeric"),
        ({"y": [object()] * 50}, ib.DataFormatError, "numeric"),
        ({"y": X + 1j}, ib.DataFormatError, "real"),
        ({"y": np.zeros((50, 0))}, ib.ShapeMismatchError, "n_features"),
        ({"method": "kraskov"}, ib.InvalidParameterError, "method must be one of"),
        ({"k": 0}, ib.InvalidParameterError, "k must be >= 1"),
        ({"k": 2.5}, ib.InvalidParameterError, "k must be an integer"),
        ({"k": 50}, ib.InvalidParameterError, "at least k \\+ 1 = 51 samples; got 50"),
        ({"bandwidth": 3}, ib.InvalidParameterError, "unknown option"),
        ({"jitter": -1.0}, ib.InvalidParameterError, "jitter"),
        ({"base": 1}, ib.InvalidParameterError, "base"),
        ({"method": "binned", "bins": "magic"}, ib.InvalidParameterError, "bins"),
        ({"method": "binned", "bins": 0}, ib.InvalidParameterError, "bins"),
        ({"method": "binned", "strategy": "kmeans"}, ib.InvalidParameterError, "strategy"),
        ({"method": "binned", "estimator": "nsb"}, ib.InvalidParameterError, "estimator"),
        ({"method": "plugin", "k": 3}, ib.InvalidParameterError, "unknown option"),
    ],
)
def test_estimate_mi_refuses(kwargs, error, match):
    kwargs = dict(kwargs)
    y = kwargs.pop("y", X[:, :1])
    with pytest.raises(error, match=match):
        ib.estimate_mi(X, y, **kwargs)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        ib.estimate_mi(X, X[:3])


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (X, {"method": "ksg"}, "method must be one of"),
        (X[:3], {"k": 3}, "at least k \\+ 1"),
        (X, {"metric": "cosine"}, "metric"),
        ([[np.nan]], {}, "finite"),
        (np.array([], dtype=float), {}, "n_samples"),
    ],
)
def test_estimate_entropy_refuses(x, kwargs, match):
    with pytest.raises(ib.IBKitError, match=match):
        ib.estimate_entropy(x, **kwargs)


def test_results_are_frozen():
    est = ib.estimate_mi(X, X[:, :1], method="ksg")
    with pytest.raises(AttributeError):
        est.value = 0.0  # type: ignore[misc]
    assert est.unit == "bits" and float(est) == est.value
