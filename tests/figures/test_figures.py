"""``ibkit figures`` (the main job): the registry, Figure 2's files and numbers, the HTML report."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from ibkit.cli import main
from ibkit.exceptions import DataFormatError, InvalidParameterError
from ibkit.figures import FIGURE_MODULES, FigureRecord, available, get_figure
from ibkit.figures.report import render_index
from ibkit.rate_distortion import binary_hamming_rd, gaussian_mse_rd

FIG2_FILES = {"fig2.png", "fig2.svg", "fig2_binary.csv", "fig2_gaussian.csv"}
FIG3_FILES = {"fig3.png", "fig3.svg", "fig3_curves.csv"}
FIG4_FILES = {"fig4.png", "fig4.svg", "fig4_schedules.csv"}
FIG5_FILES = {"fig5.png", "fig5.svg", "fig5_kl_curves.csv"}
NEURAL_FILES = {f"{name}.{ext}" for name in ("bvae_rd_plane", "vib_infoplane")
                for ext in ("png", "svg", "csv")}


@pytest.fixture(scope="module")
def figures_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("main_job") / "figures"
    assert main(["figures", "--out", str(out), "--quiet"]) == 0
    return out


def _read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("beta", "distortion", "rate", "gap")}


def test_main_job_writes_report_and_figures(figures_dir):
    names = {p.name for p in figures_dir.iterdir()}
    report = {"index.html", "figures.json", "config.json"}
    assert names == FIG2_FILES | FIG3_FILES | FIG4_FILES | FIG5_FILES | NEURAL_FILES | report
    page = (figures_dir / "index.html").read_text()
    assert '<img src="fig2.png"' in page and "<figcaption>" in page and "<table>" in page
    assert '<img src="fig3.png"' in page
    assert (figures_dir / "fig2.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(figures_dir.parent.glob(".*staging"))


def test_figure2_data_match_the_closed_forms(figures_dir):
    binary = _read_csv(figures_dir / "fig2_binary.csv")
    # within the certified gap (tol = 1e-6 bits) of H_b(0.3) − H_b(D)
    np.testing.assert_allclose(
        binary["rate"], binary_hamming_rd(0.3, binary["distortion"]), atol=2e-6
    )
    assert np.all(binary["gap"] >= -1e-12) and binary["rate"].max() > 0.85
    gauss = _read_csv(figures_dir / "fig2_gaussian.csv")
    keep = gauss["distortion"] >= 0.02
    # the discretisation error is far below 1e-3 bits where D ≫ h² = 1e-4 (1001 points)
    np.testing.assert_allclose(
        gauss["rate"][keep], gaussian_mse_rd(1.0, gauss["distortion"][keep]), atol=1e-3
    )
    assert np.all(np.diff(gauss["rate"][np.argsort(gauss["distortion"])]) <= 1e-9)  # R(D) ↓


def test_figures_json_records_the_numbers(figures_dir):
    doc = json.loads((figures_dir / "figures.json").read_text())
    record, fig3, *_ = doc["figures"]
    assert fig3["id"] == "fig3" and set(fig3["files"]) == FIG3_FILES
    # the first annealed bifurcation sits at the theoretical critical β (within 0.5 %)
    beta_c = fig3["numbers"]["critical β (theory, 1/ρ_m²)"]
    firsts = fig3["numbers"]["first bifurcation β (annealing), per |T|"]
    assert firsts and all(abs(b / beta_c - 1) < 5e-3 for b in firsts)
    assert record["id"] == "fig2" and set(record["files"]) == FIG2_FILES
    numbers = record["numbers"]
    assert numbers["all points converged"] is True
    assert numbers["(a) max |R − R_closed| [bits]"] < 2e-6


def test_registry():
    assert [fig_id for fig_id, _ in available()] == list(FIGURE_MODULES)
    assert "fig2" in FIGURE_MODULES and callable(get_figure("fig2").make)
    with pytest.raises(InvalidParameterError, match="unknown figure 'fig9'"):
        get_figure("fig9")


def test_list(capsys):
    assert main(["figures", "--list"]) == 0
    assert capsys.readouterr().out.startswith("fig2\t")


def test_report_escapes_text():
    record = FigureRecord("x", "<b>title</b>", "a < b & c", ("x.png", "x.csv"), {"n": 3, "e": 1e-9})
    page = render_index([record])
    assert "&lt;b&gt;title&lt;/b&gt;" in page and "a &lt; b &amp; c" in page
    assert '<img src="x.png"' in page and "1e-09" in page


def test_failing_figure_leaves_no_output(tmp_path, monkeypatch, capsys):
    module = get_figure("fig2")

    def broken(out):
        (out / "fig2_binary.csv").write_text("half")
        raise DataFormatError("figure data went missing")

    monkeypatch.setattr(module, "make", broken)
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "ibkit: error: figure data went missing\n"
    assert list(tmp_path.iterdir()) == []
