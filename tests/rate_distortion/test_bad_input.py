"""Every rate–distortion entry point refuses malformed input with a clear IBKitError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit.exceptions import (
    IBKitError,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)
from ibkit.rate_distortion import (
    absolute_error,
    binary_hamming_rd,
    blahut_arimoto,
    channel_capacity,
    gaussian_mse_rd,
    hamming,
    rd_curve,
    squared_error,
)

PX = [0.7, 0.3]
D = hamming(2)


@pytest.mark.parametrize(
    ("px", "match"),
    [
        ([0.7, 0.4], "px must sum to 1"),
        ([1.2, -0.2], "px must be non-negative"),
        ([math.nan, 1.0], "px must be finite"),
        ([[0.7, 0.3]], "px must have 1 dimension"),
        ([], "px must not be empty"),
    ],
)
@pytest.mark.parametrize("entry", [blahut_arimoto, rd_curve])
def test_bad_source_pmf(entry, px, match):
    args = (px, D, 1.0) if entry is blahut_arimoto else (px, D, [1.0])
    with pytest.raises(InvalidDistributionError, match=match):
        entry(*args)


@pytest.mark.parametrize(
    ("d", "error", "match"),
    [
        (np.ones((3, 2)), ShapeMismatchError, "distortion must have 2 rows"),
        (np.ones(2), ShapeMismatchError, "distortion must be a non-empty 2-D matrix"),
        ([[0.0, -1.0], [1.0, 0.0]], InvalidDistributionError, "distortion must be non-negative"),
        ([[0.0, math.inf], [1.0, 0.0]], InvalidDistributionError, "distortion must be finite"),
    ],
)
@pytest.mark.parametrize("entry", [blahut_arimoto, rd_curve])
def test_bad_distortion(entry, d, error, match):
    args = (PX, d, 1.0) if entry is blahut_arimoto else (PX, d, [1.0])
    with pytest.raises(error, match=match):
        entry(*args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": -1.0}, "beta must be >= 0"),
        ({"beta": math.nan}, "beta must be finite"),
        ({"beta": math.inf}, "beta must be finite"),
        ({"beta": "big"}, "beta must be a real number"),
        ({"tol": 0.0}, "tol must be > 0"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"max_iter": 2.5}, "max_iter must be an integer"),
        ({"base": 1.0}, "base must not be 1"),
        ({"method": "newton"}, "method must be one of"),
        ({"init": [0.5, 0.6]}, "init must sum to 1"),
        ({"init": [0.2, 0.3, 0.5]}, "init must have 2 entries"),
    ],
)
def test_bad_options_of_blahut_arimoto(kwargs, match):
    args = {"beta": 1.0, **kwargs}
    beta = args.pop("beta")
    with pytest.raises(IBKitError, match=match):
        blahut_arimoto(PX, D, beta, **args)


@pytest.mark.parametrize(
    ("betas", "match"),
    [
        ([1.0, -2.0], "betas must be >= 0"),
        ([], "betas must hold at least one"),
        ([math.nan], "finite"),
    ],
)
def test_bad_betas_of_rd_curve(betas, match):
    with pytest.raises(InvalidParameterError, match=match):
        rd_curve(PX, D, betas)


def test_bad_n_points_of_rd_curve():
    with pytest.raises(InvalidParameterError, match="n_points must be >= 1"):
        rd_curve(PX, D, n_points=0)


@pytest.mark.parametrize(
    ("channel", "error", "match"),
    [
        ([[0.5, 0.6], [0.5, 0.5]], InvalidDistributionError, "p_y_given_x must sum to 1"),
        ([0.5, 0.5], ShapeMismatchError, "p_y_given_x must be 2-D"),
        ([[1.5, -0.5], [0.5, 0.5]], InvalidDistributionError, "non-negative"),
        ([[math.nan, 1.0], [0.5, 0.5]], InvalidDistributionError, "finite"),
    ],
)
def test_bad_channel(channel, error, match):
    with pytest.raises(error, match=match):
        channel_capacity(channel)


def test_bad_closed_form_arguments():
    with pytest.raises(InvalidParameterError, match="p must lie in"):
        binary_hamming_rd(1.5, 0.1)
    with pytest.raises(InvalidParameterError, match="distortion must be finite and >= 0"):
        binary_hamming_rd(0.3, -0.1)
    with pytest.raises(InvalidParameterError, match="variance must be > 0"):
        gaussian_mse_rd(0.0, 0.1)
    with pytest.raises(InvalidParameterError, match="distortion must be finite and > 0"):
        gaussian_mse_rd(1.0, 0.0)


def test_bad_distortion_builders():
    with pytest.raises(InvalidParameterError, match="n must be >= 1"):
        hamming(0)
    with pytest.raises(ShapeMismatchError, match="x must be a non-empty 1-D"):
        squared_error(np.ones((2, 2)))
    with pytest.raises(ShapeMismatchError, match="xhat must hold finite"):
        absolute_error([0.0, 1.0], [math.nan])
