"""Smoke tests of the β(step) schedule plot."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit.exceptions import InvalidParameterError
from ibkit.plotting import new_figure, plot_schedules
from ibkit.schedules import cyclical, linear


def test_one_schedule_is_drawn_at_every_step():
    fig, ax = plot_schedules(cyclical(100, 2, 0.5), 100)
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == list(range(100))
    np.testing.assert_allclose(line.get_ydata()[:3], [0.0, 1 / 25, 2 / 25])
    assert ax.get_xlabel() == "training step" and ax.get_legend() is None
    fig.clf()


def test_labelled_schedules_on_given_axes():
    fig, axes = new_figure(2)
    named = {"warm-up": linear(0, 2, 10), "constant": 1.5, "dict": {"kind": "constant", "value": 3}}
    out_fig, ax = plot_schedules(named, range(0, 20, 2), axes[1], ylabel="C [nats]", lw=2)
    assert out_fig is fig and ax is axes[1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(named)
    assert ax.get_lines()[0].get_ydata().tolist() == pytest.approx(
        [0, 0.4, 0.8, 1.2, 1.6, 2, 2, 2, 2, 2]
    )
    assert ax.get_lines()[2].get_ydata().tolist() == [3.0] * 10
    assert ax.get_ylabel() == "C [nats]"
    fig.clf()


@pytest.mark.parametrize(
    ("schedules", "steps", "match"),
    [
        ("cyclical", 10, "schedule must be a number, a dict or a Schedule"),
        ({}, 10, "schedules must not be empty"),
        (1.0, 0, "steps must be >= 1; got 0"),
        (1.0, [0, -1], "step must be >= 0; got -1"),
    ],
)
def test_bad_input_is_refused(schedules, steps, match):
    with pytest.raises(InvalidParameterError, match=match):
        plot_schedules(schedules, steps)
