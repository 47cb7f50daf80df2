"""Figure 4 (monotonic and cyclical β annealing): files, CSV data against the closed forms."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from ibkit.figures import FIGURE_MODULES, get_figure
from ibkit.figures.report import render_index


@pytest.fixture(scope="module")
def fig4(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig4")
    return out, get_figure("fig4").make(out)


def _columns(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def test_fig4_is_registered_after_fig3():
    ids = list(FIGURE_MODULES)
    assert ids.index("fig4") == ids.index("fig3") + 1
    assert get_figure("fig4").ID == "fig4"


def test_fig4_writes_png_svg_and_csv(fig4):
    out, record = fig4
    assert record.files == ("fig4.png", "fig4.svg", "fig4_schedules.csv")
    assert {p.name for p in out.iterdir()} == set(record.files)
    assert (out / "fig4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "fig4.svg").read_text()
    assert record.image == "fig4.png" and "eq. (18)" in record.caption
    page = render_index([record])
    assert '<img src="fig4.png"' in page


def test_fig4_data_follow_the_closed_forms(fig4):
    out, record = fig4
    cols = _columns(out / "fig4_schedules.csv")
    t = cols["step"]
    assert t.tolist() == list(range(1000))
    # (a) β_t = min(1, t / 500); (b) τ = (t mod 250) / 250, β_t = 2τ for τ < ½, else 1.
    np.testing.assert_allclose(cols["monotonic"], np.minimum(1.0, t / 500), atol=1e-12)
    tau = (t % 250) / 250
    ramp = tau < 0.5
    np.testing.assert_allclose(cols["cyclical_linear"], np.where(ramp, 2 * tau, 1.0), atol=1e-12)
    u = 2 * tau[ramp]
    np.testing.assert_allclose(cols["cyclical_sigmoid"][ramp], 1 / (1 + np.exp(6 - 12 * u)))
    np.testing.assert_allclose(cols["cyclical_cosine"][ramp], (1 - np.cos(math.pi * u)) / 2)
    for name in ("cyclical_sigmoid", "cyclical_cosine"):
        assert np.all(cols[name][~ramp] == 1.0)
    numbers = record.numbers
    assert numbers["steps where β first reaches 1 (cyclical)"] == [125, 375, 625, 875]
    assert numbers["fraction of steps at β = 1 (monotonic, cyclical)"] == [0.5, 0.5]
    assert numbers["max |cyclical(M = 1) − monotonic|"] == 0.0
