"""``ibkit figures`` (the main job): the registry, Figure 2's files and numbers, the HTML report,
resuming an interrupted run, ``--quick``/``--full``.

The module fixture runs the whole quick job once (~45 s on 2 slow cores, hence ``slow``)."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import sys

import numpy as np
import pytest

from ibkit import __version__
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
MI_FILES = {"mi_staircase.png", "mi_staircase.svg", "mi_staircase.csv", "mi_staircase_infonce.csv"}
RECORDS = {f"{fig_id}.record.json" for fig_id in FIGURE_MODULES}


@pytest.fixture(scope="module")
def figures_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("main_job") / "figures"
    assert main(["figures", "--out", str(out), "--quiet"]) == 0
    return out


def _read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("beta", "distortion", "rate", "gap")}


@pytest.mark.slow
def test_main_job_writes_report_and_figures(figures_dir):
    names = {p.name for p in figures_dir.iterdir()}
    report = {"index.html", "figures.json", "config.json"}
    pytest.importorskip("torch")  # without torch the neural figures write no files
    figures = FIG2_FILES | FIG3_FILES | FIG4_FILES | FIG5_FILES | NEURAL_FILES | MI_FILES
    assert names == figures | report | RECORDS
    page = (figures_dir / "index.html").read_text()
    assert '<img src="fig2.png"' in page and "<figcaption>" in page and "<table>" in page
    for fig_id in FIGURE_MODULES:  # every figure is shown, and its record lists its files
        assert f'<img src="{fig_id}.png"' in page
        record = json.loads((figures_dir / f"{fig_id}.record.json").read_text())
        assert all((figures_dir / f).is_file() for f in record["files"])
        assert {f.rsplit(".", 1)[-1] for f in record["files"]} >= {"png", "svg", "csv"}
    assert (figures_dir / "fig2.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_report_is_self_contained_and_names_command_and_version(figures_dir):
    page = (figures_dir / "index.html").read_text()
    # no network requests: no absolute URLs in src/href, no external style sheets or scripts
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.I)
    assert "<link" not in page and "<script src" not in page and "@import" not in page
    assert "Reproduce with <code>ibkit figures --out " in page and "--quick</code>" in page
    assert f"ibkit {__version__}" in page and 'class="equation"' in page
    doc = json.loads((figures_dir / "figures.json").read_text())
    assert doc["quality"] == "quick" and doc["command"].endswith("--quick")
    assert all(f["config"]["ibkit_version"] == __version__ for f in doc["figures"])
    assert all(f["equation"] for f in doc["figures"])


@pytest.mark.slow
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


@pytest.mark.slow
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


def _fast_only(monkeypatch, calls):
    """Count the calls of fig2's and fig4's ``make``, to see which figures are recomputed."""
    for fig_id in ("fig2", "fig4"):
        module = get_figure(fig_id)
        original = module.make

        @functools.wraps(original)  # the registry reads the signature through __wrapped__
        def counted(out, *args, _original=original, _id=fig_id, **kwargs):
            calls.append((_id, kwargs.get("quality")))
            return _original(out, *args, **kwargs)

        monkeypatch.setattr(module, "make", counted)


def test_an_interrupted_run_resumes_and_recomputes_only_what_is_missing(
    tmp_path, monkeypatch, capsys
):
    calls: list = []
    _fast_only(monkeypatch, calls)
    module = get_figure("fig4")
    good = module.make

    def broken(out, *args, **kwargs):
        (out / "fig4_schedules.csv").write_text("half")  # a partial file, then a crash
        raise DataFormatError("figure data went missing")

    out = tmp_path / "figs"
    monkeypatch.setattr(module, "make", broken)
    assert main(["figures", "--out", str(out), "--only", "fig2", "fig4", "--quiet"]) == 2
    assert capsys.readouterr().err == "ibkit: error: figure data went missing\n"
    assert (out / "fig2.record.json").is_file() and not (out / "fig4.record.json").exists()
    assert not (out / "index.html").exists()  # the report is written last
    monkeypatch.setattr(module, "make", good)
    calls.clear()
    assert main(["figures", "--out", str(out), "--only", "fig2", "fig4", "--quiet"]) == 0
    assert calls == [("fig4", None)]  # fig2 was reused; fig4 takes no quality argument
    assert (out / "fig4_schedules.csv").read_text().startswith("step,")
    calls.clear()
    assert main(["figures", "--out", str(out), "--only", "fig2", "fig4", "--quiet"]) == 0
    assert calls == []  # complete: nothing to do
    assert main(["figures", "--out", str(out), "--only", "fig2", "--force", "--quiet"]) == 0
    assert calls == [("fig2", "quick")]
    (out / "fig2.svg").unlink()  # a missing file makes the figure incomplete
    calls.clear()
    assert main(["figures", "--out", str(out), "--only", "fig2", "fig4", "--quiet"]) == 0
    assert calls == [("fig2", "quick")]
    page = (out / "index.html").read_text()
    assert page.count("<figure") == 2 and "--quick --only fig2 fig4</code>" in page


def test_full_quality_is_passed_to_each_figure_and_not_mixed_with_quick(tmp_path, monkeypatch):
    calls: list = []
    _fast_only(monkeypatch, calls)
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out), "--only", "fig2", "--quiet"]) == 0
    calls.clear()
    module = get_figure("fig2")
    monkeypatch.setattr(module, "FULL_BINARY_POINTS", 12)  # keep the test fast
    monkeypatch.setattr(module, "FULL_GAUSS_BETAS", np.geomspace(0.3, 50.0, 9))
    assert main(["figures", "--out", str(out), "--only", "fig2", "--full", "--quiet"]) == 0
    assert calls == [("fig2", "full")]  # quick results are not reused for --full
    doc = json.loads((out / "fig2.record.json").read_text())
    assert doc["config"]["quality"] == "full" and doc["numbers"]["(a) β points"] == 12
    assert "--full" in doc["config"]["command"]


def test_quick_and_full_exclude_each_other(capsys):
    assert main(["figures", "--quick", "--full"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_make_figures_reports_progress(tmp_path):
    from ibkit.figures import make_figures

    events: list = []
    make_figures(tmp_path, ["fig4"], callback=lambda *e: events.append(e[:4]))
    make_figures(tmp_path, ["fig4"], callback=lambda *e: events.append(e[:4]))
    assert events == [("start", 0, 1, "fig4"), ("done", 0, 1, "fig4"), ("skipped", 0, 1, "fig4")]
    with pytest.raises(InvalidParameterError, match="quality"):
        make_figures(tmp_path, ["fig4"], quality="draft")


def test_record_round_trips(tmp_path):
    from ibkit.figures.record import load_record, save_record

    record = FigureRecord("x", "t", "c", ("x.csv",), {"n": 3, "l": [1, 2]}, 1.5, "E = mc²",
                          {"quality": "quick"})
    save_record(tmp_path, record)
    assert load_record(tmp_path, "x") is None  # x.csv is missing
    (tmp_path / "x.csv").write_text("a\n1\n")
    assert load_record(tmp_path, "x") == record
    (tmp_path / "x.record.json").write_text("{half")
    assert load_record(tmp_path, "x") is None


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_on_a_terminal_unless_quiet(tmp_path, monkeypatch, quiet):
    pytest.importorskip("tqdm")
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    args = ["figures", "--only", "fig4", "--out", str(tmp_path / "f")] + (["--quiet"] * quiet)
    assert main(args) == 0
    shown = err.getvalue()
    assert ("1/1" in shown and "fig4" in shown) is not quiet, shown


def test_two_runs_write_identical_data(tmp_path):
    from ibkit.figures import make_figures

    for name in ("a", "b"):
        make_figures(tmp_path / name, ["fig3", "fig4"])
    for csv_file in ("fig3_curves.csv", "fig4_schedules.csv"):
        assert (tmp_path / "a" / csv_file).read_bytes() == (tmp_path / "b" / csv_file).read_bytes()
