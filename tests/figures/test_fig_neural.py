"""The neural figures (β-VAE rate–distortion plane, VIB information plane): files, data, options.

They run here with few steps (``make(out, steps=..., betas=...)``): the shape of the result
(files, columns, the rate falling with β) is what is checked; the quick default is exercised
by ``tests/figures/test_figures.py`` and the full claims by ``tests/nn/test_acceptance.py``.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from ibkit.exceptions import InvalidParameterError
from ibkit.figures import FIGURE_MODULES, get_figure
from ibkit.figures.report import render_index

pytest.importorskip("torch")  # the figures themselves degrade gracefully; these tests need it

FIGS = ("bvae_rd_plane", "vib_infoplane")


def _columns(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


@pytest.fixture(scope="module")
def bvae(tmp_path_factory):
    out = tmp_path_factory.mktemp("bvae")
    # 300 steps: β = 0.25 keeps several bits, β = 4 is already collapsed (< 0.3 bits)
    return out, get_figure("bvae_rd_plane").make(out, steps=300, betas=(4.0, 0.25))


@pytest.fixture(scope="module")
def vib(tmp_path_factory):
    out = tmp_path_factory.mktemp("vib")
    return out, get_figure("vib_infoplane").make(out, steps=300, betas=(0.0, 1e-2, 1.0))


def test_registered_after_the_reference_figures():
    ids = list(FIGURE_MODULES)
    assert ids[4:6] == list(FIGS)
    assert [get_figure(i).ID for i in FIGS] == list(FIGS)


@pytest.mark.parametrize("which", ["bvae", "vib"])
def test_writes_png_svg_csv_and_a_caption(which, request):
    out, record = request.getfixturevalue(which)
    assert record.files == tuple(f"{record.id}.{ext}" for ext in ("png", "svg", "csv"))
    assert {p.name for p in out.iterdir()} == set(record.files)
    assert (out / f"{record.id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / f"{record.id}.svg").read_text()
    assert record.seconds < 60
    assert f'<img src="{record.id}.png"' in render_index([record])


def test_bvae_plane_rate_falls_and_distortion_rises_with_beta(bvae):
    out, record = bvae
    cols = _columns(out / "bvae_rd_plane.csv")
    assert cols["beta"].tolist() == [0.25, 4.0]  # sorted, whatever order was asked
    assert cols["rate_bits"][0] > 3.0 and cols["rate_bits"][1] < 0.3
    assert cols["distortion_bits"][0] < cols["distortion_bits"][1] - 3.0
    np.testing.assert_allclose(cols["neg_elbo_bits"], cols["rate_bits"] + cols["distortion_bits"],
                               rtol=1e-6)
    assert "eq. 18" in record.caption and record.numbers["rate non-increasing in β"] is True


def test_vib_plane_columns_and_bounds(vib):
    out, record = vib
    cols = _columns(out / "vib_infoplane.csv")
    assert cols["beta"].tolist() == [0.0, 1e-2, 1.0]
    izx, izy = cols["I_ZX_upper_bound_bits"], cols["I_ZY_lower_bound_bits"]
    assert izx[0] > izx[1] > izx[2] >= 0 and izx[2] < 0.5
    assert np.all(izy <= cols["H_Y_bits"] + 1e-9) and izy[1] > 2.5
    for key in ("test_error", "test_error_1sample", "fgsm_error"):
        assert np.all((cols[key] >= 0) & (cols[key] <= 1))
    assert cols["test_error"][1] < 0.1 and cols["test_error_1sample"][2] > 0.5  # β = 1 collapses
    assert "Alemi et al. 2017" in record.caption


@pytest.mark.parametrize("fig_id", FIGS)
def test_bad_options_are_refused(fig_id, tmp_path):
    make = get_figure(fig_id).make
    with pytest.raises(InvalidParameterError, match="steps"):
        make(tmp_path, steps=0)
    with pytest.raises(InvalidParameterError, match="betas"):
        make(tmp_path, betas=(1.0, 1.0))
    with pytest.raises(InvalidParameterError, match="betas"):
        make(tmp_path, betas=(-1.0, 1.0))
    assert list(tmp_path.iterdir()) == []


def test_without_torch_the_figures_import_and_report_instead_of_failing(tmp_path):
    code = (
        "import sys, importlib.util as u\n"
        "orig = u.find_spec\n"
        "u.find_spec = lambda name, *a: None if name == 'torch' else orig(name, *a)\n"
        "sys.modules['torch'] = None\n"
        "from ibkit.figures import get_figure\n"
        f"for i in {FIGS!r}:\n"
        f"    r = get_figure(i).make({str(tmp_path)!r})\n"
        "    assert r.files == () and r.numbers == {'computed': False}, r\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
