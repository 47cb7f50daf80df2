"""Configs round-trip through JSON and refuse unknown keys and bad values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit.exceptions import InvalidParameterError
from ibkit.experiment.config import FiguresConfig, MeasureConfig, RDConfig

CONFIGS = [
    RDConfig(),
    RDConfig(source="gaussian", variance=2.5, grid=401, beta_min=0.0, beta_max=10.0, n_points=7),
    RDConfig(source="file", px="px.csv", distortion="d.npy", betas=(0.5, 1, 2.25), base=math.e),
    MeasureConfig(file="joint.csv", base=10.0, normalize=True),
    FiguresConfig(),
    FiguresConfig(out="/tmp/x", only=("fig2",)),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: type(c).__name__)
def test_json_round_trip(cfg):
    again = type(cfg).from_json(cfg.to_json())
    assert again == cfg
    assert type(cfg).from_dict(cfg.to_dict()) == cfg


def test_unknown_key_is_refused():
    with pytest.raises(InvalidParameterError, match=r"unknown RDConfig key.*'betta'"):
        RDConfig.from_dict({"source": "binary", "betta": 2})
    with pytest.raises(InvalidParameterError, match="invalid"):
        RDConfig.from_json("{not json")
    with pytest.raises(InvalidParameterError, match="mapping"):
        RDConfig.from_dict([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "poisson"}, "source must be one of"),
        ({"p": 1.5}, "p must lie in"),
        ({"variance": 0}, "variance must be > 0"),
        ({"grid": 1}, "grid must be >= 2"),
        ({"source": "file", "px": "p.csv"}, "needs --distortion"),
        ({"px": "p.csv"}, "conflict"),
        ({"beta_min": 1.0}, "together"),
        ({"beta_min": 2.0, "beta_max": 1.0}, "beta_min must be < beta_max"),
        ({"beta_min": -1.0, "beta_max": 1.0}, "beta_min must be >= 0"),
        ({"betas": (1.0, -2.0)}, "betas must be >= 0"),
        ({"betas": ()}, "must not be empty"),
        ({"betas": (1.0,), "beta_min": 0.1, "beta_max": 1.0}, "not both"),
        ({"tol": 0}, "tol must be > 0"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"base": 1}, "base must not be 1"),
        ({"n_points": 2.5}, "n_points must be an integer"),
    ],
)
def test_rd_config_refuses_bad_values(kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        RDConfig(**kwargs)


def test_beta_grid():
    assert RDConfig().beta_grid() is None
    np.testing.assert_allclose(
        RDConfig(beta_min=1, beta_max=100, n_points=3).beta_grid(), [1, 10, 100]
    )
    np.testing.assert_allclose(RDConfig(beta_min=0, beta_max=2, n_points=3).beta_grid(), [0, 1, 2])
    np.testing.assert_allclose(RDConfig(betas=[3, 1]).beta_grid(), [3, 1])


def test_other_configs_refuse_bad_values():
    with pytest.raises(InvalidParameterError):
        MeasureConfig(file="")
    with pytest.raises(InvalidParameterError):
        MeasureConfig(file="a.csv", normalize="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        FiguresConfig(only="fig2")  # type: ignore[arg-type]
