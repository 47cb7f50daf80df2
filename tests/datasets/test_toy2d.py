"""Procedural 2-D toy data: shapes, seeding, geometry, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit.datasets import gaussian_mixture_2d, toy2d, two_moons
from ibkit.exceptions import InvalidParameterError


def test_two_moons_lie_on_two_half_circles():
    x = two_moons(2001, noise=1e-6, seed=1).astype(np.float64)
    assert x.shape == (2001, 2) and two_moons(3).dtype == np.float32
    # undo the centring and scaling: each point is on the unit circle around (0, 0) or (1, 0.5)
    u = x / 2.0 + np.array([0.5, 0.25])
    r_upper = np.hypot(u[:, 0], u[:, 1])
    r_lower = np.hypot(u[:, 0] - 1.0, u[:, 1] - 0.5)
    on_upper = np.abs(r_upper - 1) < 1e-4
    on_lower = np.abs(r_lower - 1) < 1e-4
    assert np.all(on_upper | on_lower)
    assert abs(int(on_upper.sum()) - int(on_lower.sum())) <= 1 + int((on_upper & on_lower).sum())


def test_mixture_means_and_seeding():
    x = gaussian_mixture_2d(4000, n_components=4, radius=3.0, std=0.01, seed=2)
    angles = np.degrees(np.arctan2(x[:, 1], x[:, 0])) % 360  # (n,) in [0, 360)
    nearest = np.round(angles / 90.0)
    assert set((nearest % 4).astype(int)) == {0, 1, 2, 3}
    assert np.max(np.abs(angles - 90.0 * nearest)) < 1.0  # 5σ of 0.01/3 rad ≈ 1°
    assert np.allclose(np.hypot(x[:, 0], x[:, 1]), 3.0, atol=0.06)
    np.testing.assert_array_equal(toy2d("gaussian-mixture", 10, seed=5),
                                  gaussian_mixture_2d(10, seed=5))
    assert not np.array_equal(two_moons(10, seed=0), two_moons(10, seed=1))


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: two_moons(0), "n must be >= 1"),
        (lambda: two_moons(5, noise=-1.0), "noise"),
        (lambda: gaussian_mixture_2d(5, n_components=0), "n_components"),
        (lambda: toy2d("spiral", 5), "name must be one of"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(InvalidParameterError, match=fragment):
        call()
