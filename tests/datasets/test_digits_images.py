"""scikit-learn's digits as [0, 1] images with labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from ibkit.datasets import digits_cooccurrence, digits_images
from ibkit.exceptions import InvalidParameterError


def test_digits_images_are_sklearn_grey_levels_over_16():
    bunch = load_digits()
    flat = digits_images()
    assert flat.x.shape == (1797, 64) and flat.x.dtype == np.float32
    assert flat.x.min() == 0.0 and flat.x.max() == 1.0
    np.testing.assert_array_equal(flat.x, (bunch.data / 16).astype(np.float32))
    np.testing.assert_array_equal(flat.y, bunch.target) and flat.n_classes == 10
    square = digits_images(flatten=False)
    assert square.x.shape == (1797, 8, 8)
    np.testing.assert_array_equal(square.x, (bunch.images / 16).astype(np.float32))


def test_subset_matches_the_cooccurrence_subset():
    images = digits_images(n_samples=100, seed=3)
    counts = digits_cooccurrence(n_samples=100, seed=3)
    assert len(images) == 100 and images.name == counts.name
    np.testing.assert_array_equal(images.y, counts.labels)
    np.testing.assert_allclose(images.x * 16, counts.counts)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples must be >= 1; got 0"),
        ({"n_samples": 5000}, r"n_samples must be <= the number of digit images \(1797\)"),
        ({"flatten": "yes"}, "flatten must be True or False; got 'yes'"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        digits_images(**kwargs)
