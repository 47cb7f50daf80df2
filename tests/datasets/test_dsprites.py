"""The procedural dSprites: dSprites' factor grid and image order, and what each factor draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibkit.datasets import ProceduralDSprites
from ibkit.datasets.dsprites import MARGIN, UNIT
from ibkit.exceptions import InvalidParameterError, ShapeMismatchError
from tests.strategies import FAST

DS = ProceduralDSprites()
N_IMAGES = 737_280


def _row(shape=0, scale=5, orientation=0, pos_x=15, pos_y=15):
    return np.array([[shape, scale, orientation, pos_x, pos_y]])


def _centroid(image):
    rows, cols = np.nonzero(image)
    return cols.mean(), rows.mean()  # (x to the right, y downwards), pixels


def test_grid_and_metadata_match_dsprites():
    assert len(DS) == N_IMAGES == 1 * 3 * 6 * 40 * 32 * 32
    assert DS.factor_names == ("shape", "scale", "orientation", "posX", "posY")
    assert DS.factor_sizes == (3, 6, 40, 32, 32) and DS.num_factors == 5
    assert DS.latents_names[0] == "color" and DS.latents_sizes[0] == 1
    # dSprites' metadata: latents_bases = [737280, 245760, 40960, 1024, 32, 1]
    assert DS.latents_bases.tolist() == [737280, 245760, 40960, 1024, 32, 1]
    values = DS.latents_values(np.array([[0, 0, 0, 0, 0], [2, 5, 39, 31, 31], [1, 2, 13, 7, 9]]))
    np.testing.assert_allclose(values[0], [1, 1, 0.5, 0, 0, 0])
    np.testing.assert_allclose(values[1], [1, 3, 1.0, 2 * math.pi, 1, 1])
    np.testing.assert_allclose(values[2], [1, 2, 0.7, 13 * 2 * math.pi / 39, 7 / 31, 9 / 31])


def test_order_is_row_major_with_the_last_factor_fastest():
    assert DS.factors_from_index(1).tolist() == [[0, 0, 0, 0, 1]]
    assert DS.factors_from_index(32).tolist() == [[0, 0, 0, 1, 0]]
    assert DS.factors_from_index(1024).tolist() == [[0, 0, 1, 0, 0]]
    assert DS.factors_from_index(N_IMAGES - 1).tolist() == [[2, 5, 39, 31, 31]]
    factors = DS.sample_factors(500, np.random.default_rng(1))
    # the dSprites notebook's formula: index = latents_classes @ latents_bases
    expect = DS.latents_classes(factors) @ np.array([737280, 245760, 40960, 1024, 32, 1])
    np.testing.assert_array_equal(DS.index_from_factors(factors), expect)
    np.testing.assert_array_equal(DS.factors_from_index(expect), factors)


@FAST
@given(index=st.integers(0, N_IMAGES - 1))
def test_index_factor_round_trip(index):
    factors = DS.factors_from_index(index)
    assert DS.index_from_factors(factors).tolist() == [index]
    assert np.all((factors >= 0) & (factors < np.array(DS.factor_sizes)))


def test_images_are_binary_float32_deterministic_and_indexable():
    factors = DS.sample_factors(40, 7)
    np.testing.assert_array_equal(factors, ProceduralDSprites().sample_factors(40, 7))
    images = DS.observations_from_factors(factors)
    assert images.shape == (40, 64, 64) and images.dtype == np.float32
    assert set(np.unique(images)) <= {0.0, 1.0} and np.all(images.sum(axis=(1, 2)) > 20)
    np.testing.assert_array_equal(images, ProceduralDSprites().observations_from_factors(factors))
    index = DS.index_from_factors(factors)
    np.testing.assert_array_equal(DS[index], images)
    np.testing.assert_array_equal(DS[int(index[3])], images[3])
    assert DS[-1].shape == (64, 64)
    np.testing.assert_array_equal(DS[-1], DS[N_IMAGES - 1])
    np.testing.assert_array_equal(DS[100:104], DS[[100, 101, 102, 103]])
    assert DS[5:5].shape == (0, 64, 64)
    sampled_factors, sampled = DS.sample(3, 8)
    np.testing.assert_array_equal(sampled_factors, DS.sample_factors(3, 8))
    np.testing.assert_array_equal(sampled, DS.observations_from_factors(sampled_factors))


def test_pos_x_moves_right_and_pos_y_moves_down():
    xs = np.array([_row(s, 3, 7, p, 10)[0] for s in range(3) for p in range(32)])
    ys = np.array([_row(s, 3, 7, 10, p)[0] for s in range(3) for p in range(32)])
    for images, axis in (
        (DS.observations_from_factors(xs), 0),
        (DS.observations_from_factors(ys), 1),
    ):
        cents = np.array([_centroid(im) for im in images]).reshape(3, 32, 2)
        moving, fixed = cents[..., axis], cents[..., 1 - axis]
        assert np.all(np.diff(moving, axis=1) > 0)  # strictly, one step ≈ 32/31 pixel
        # end to end the sprite travels 64 − 2·margin = 32 pixels; the other axis stays put
        np.testing.assert_allclose(moving[:, -1] - moving[:, 0], 64 - 2 * MARGIN, atol=0.6)
        assert np.ptp(fixed, axis=1).max() < 0.6


def test_scale_grows_the_area_quadratically():
    for shape in range(3):
        for orientation in (0, 11, 25):
            rows = np.array([_row(shape, k, orientation)[0] for k in range(6)])
            area = DS.observations_from_factors(rows).sum(axis=(1, 2))
            assert np.all(np.diff(area) > 0)
            assert area[-1] / area[0] == pytest.approx(4.0, rel=0.12)  # (1 / 0.5)²


@pytest.mark.parametrize(
    ("shape", "area"),
    [
        (0, (2 * 0.75 * UNIT) ** 2),  # square, half side 0.75 units
        (1, math.pi * 1.0 * 0.5 * UNIT**2),  # ellipse, semi-axes 1 and 0.5 units
        (2, 3.6620 * (0.8 * UNIT) ** 2),  # heart: area of (x²+y²−1)³ ≤ x²y³ is 3.662
    ],
)
def test_areas_at_scale_one_match_the_shapes(shape, area):
    rows = np.array([_row(shape, 5, o, 9, 20)[0] for o in range(0, 40, 3)])
    pixels = DS.observations_from_factors(rows).sum(axis=(1, 2))
    np.testing.assert_allclose(pixels, area, rtol=0.04)  # pixel-centre sampling error


def test_shapes_differ_and_orientation_turns_the_ellipse():
    images = DS.observations_from_factors(np.array([_row(s, 5, 3)[0] for s in range(3)]))
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.abs(images[a] - images[b]).sum() > 30
    for k in (0, 4, 9, 17, 30):
        image = DS.observations_from_factors(_row(1, 5, k))[0]
        rows, cols = np.nonzero(image)
        x, y = cols - cols.mean(), -(rows - rows.mean())  # y up: angles counter-clockwise
        angle = 0.5 * math.atan2(2 * np.mean(x * y), np.mean(x * x) - np.mean(y * y))
        theta = k * 2 * math.pi / 39
        diff = (angle - theta + math.pi / 2) % math.pi - math.pi / 2  # ellipse axis is mod π
        assert abs(diff) < math.radians(3)
    np.testing.assert_array_equal(  # orientation 0 and 2π coincide, as in dSprites
        DS.observations_from_factors(_row(2, 5, 0)), DS.observations_from_factors(_row(2, 5, 39))
    )


def test_no_sprite_touches_the_border():
    grid = np.meshgrid(range(3), range(6), range(40), [0, 31], [0, 31], indexing="ij")
    images = DS.observations_from_factors(np.stack([g.ravel() for g in grid], axis=1))
    border = images[:, 0].sum() + images[:, -1].sum() + images[:, :, 0].sum()
    assert border + images[:, :, -1].sum() == 0


def test_sample_factors_covers_every_value():
    factors = DS.sample_factors(5000, np.random.default_rng(0))
    assert factors.shape == (5000, 5) and np.issubdtype(factors.dtype, np.integer)
    for k, size in enumerate(DS.factor_sizes):
        assert set(np.unique(factors[:, k])) == set(range(size))
    assert DS.sample_factors(0, 0).shape == (0, 5)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: DS.observations_from_factors(np.zeros((2, 4), int)),
            ShapeMismatchError,
            r"factors must have shape \(n, 5\).*got shape \(2, 4\)",
        ),
        (lambda: DS.observations_from_factors([0, 0, 0, 0, 0]), ShapeMismatchError, "shape"),
        (
            lambda: DS.observations_from_factors(_row(scale=6)),
            InvalidParameterError,
            r"factor 'scale' \(column 1\) must lie in \[0, 5\]; got 6 at row 0",
        ),
        (
            lambda: DS.observations_from_factors(_row(pos_y=-1)),
            InvalidParameterError,
            "factor 'posY'",
        ),
        (
            lambda: DS.index_from_factors(_row() + 0.5),
            InvalidParameterError,
            "factors must be integers; got dtype float64",
        ),
        (
            lambda: DS.index_from_factors(np.array([["a"] * 5])),
            InvalidParameterError,
            "factors must be integers",
        ),
        (
            lambda: DS.factors_from_index(N_IMAGES),
            InvalidParameterError,
            "index must lie in \\[0, 737279\\]; got 737280",
        ),
        (lambda: DS.factors_from_index(1.5), InvalidParameterError, "index must be an int"),
        (lambda: DS.sample_factors(-1), InvalidParameterError, "n must be >= 0; got -1"),
        (lambda: DS[N_IMAGES], IndexError, "index must lie in"),
        (lambda: DS[[0, -N_IMAGES - 1]], IndexError, "got -737281"),
        (lambda: DS["0"], InvalidParameterError, "index must be an int, a slice"),
        (lambda: DS[np.array([True, False])], InvalidParameterError, "index must be"),
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_integral_float_factors_are_accepted():
    np.testing.assert_array_equal(
        DS.index_from_factors(_row().astype(float)), DS.index_from_factors(_row())
    )
