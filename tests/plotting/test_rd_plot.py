"""Smoke tests of the R(D) plot and of atomic PNG + SVG saving."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from ibkit.exceptions import ShapeMismatchError
from ibkit.plotting import plot_rd_curve, save_figure
from ibkit.rate_distortion import binary_hamming_rd


def _curve(base=2.0):
    d = np.linspace(0.01, 0.3, 12)
    return SimpleNamespace(distortion=d, rate=binary_hamming_rd(0.3, d), base=base)


def test_plot_returns_fig_and_ax_with_labelled_axes():
    fig, ax = plot_rd_curve(_curve(), closed_form=lambda d: binary_hamming_rd(0.3, d), label="BA")
    assert ax.figure is fig
    assert ax.get_xlabel() == "distortion D"
    assert ax.get_ylabel() == "rate R(D) [bits]"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["closed form", "BA"]
    fig.clf()


def test_plot_on_given_axes_with_array_closed_form_in_nats():
    from ibkit.plotting import new_figure

    fig, axes = new_figure(2)
    d = np.linspace(0.05, 1, 5)
    out_fig, ax = plot_rd_curve(_curve(math.e), axes[1], closed_form=(d, 0.5 * np.log(1 / d)))
    assert out_fig is fig and ax is axes[1]
    assert ax.get_ylabel() == "rate R(D) [nats]"
    with pytest.raises(ShapeMismatchError):
        plot_rd_curve(_curve(), axes[0], closed_form=(d, d[:-1]))
    fig.clf()


def test_save_figure_writes_png_and_svg_atomically(tmp_path):
    fig, _ = plot_rd_curve(_curve())
    paths = save_figure(fig, tmp_path / "sub" / "rd")
    assert [p.name for p in paths] == ["rd.png", "rd.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["rd.png", "rd.svg"]
