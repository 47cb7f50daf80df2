"""``ibkit evaluate``: metrics of trained runs, comparisons, and refusals that write nothing."""

from __future__ import annotations

import csv
import json

import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

pytest.importorskip("torch")
pytest.importorskip("sklearn")

TINY = ["--set", "model.hidden=[32]", "--set", "model.latent_dim=3", "--set",
        "data.n_samples=400", "--set", "train.steps=20", "--set", "train.eval_every=0",
        "--quiet", "--no-plot"]
FAST = ["--n-samples", "120", "--dci-estimators", "3"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    from ibkit.cli import main

    for beta in (1, 4):
        argv = ["train", "beta-vae", "--out", str(root / f"b{beta}"), "--set", "data.name=dsprites",
                "--set", f"model.beta={beta}", *TINY]
        assert main(argv) == 0
    return root


def test_evaluate_writes_metrics_and_plots(capsys, runs):
    code, stdout, err = run_cli(capsys, "evaluate", runs / "b1", *FAST)
    assert code == 0, err
    result = json.loads((runs / "b1" / "metrics.json").read_text())
    values = result["metrics"]
    for key in ("mig", "dci.disentanglement", "sap", "modularity", "beta_vae.eval_accuracy",
                "factor_vae.eval_accuracy", "explicitness.test"):
        assert 0.0 <= values[key] <= 1.0, key
    assert result["n_samples"] == 120 and result["dci_estimators"] == 3
    assert {"metrics.png", "metrics.svg", "eval_traversals.png"} <= {
        p.name for p in (runs / "b1").iterdir()}
    assert "mig=" in stdout


def test_evaluate_is_reproducible(capsys, runs):
    assert run_cli(capsys, "evaluate", runs / "b4", *FAST, "--no-plot")[0] == 0
    first = (runs / "b4" / "metrics.json").read_text()
    assert run_cli(capsys, "evaluate", runs / "b4", *FAST, "--no-plot", "--jobs", "2")[0] == 0
    assert (runs / "b4" / "metrics.json").read_text() == first  # threads change nothing
    code, _, err = run_cli(capsys, "evaluate", runs / "b4", *FAST, "--jobs", "-1")
    assert_one_line_error(code, err, "n_jobs")
    assert (runs / "b4" / "metrics.json").read_text() == first


def test_compare_tabulates_runs(capsys, runs, tmp_path):
    for name in ("b1", "b4"):
        if not (runs / name / "metrics.json").exists():
            assert run_cli(capsys, "evaluate", runs / name, *FAST, "--no-plot")[0] == 0
    out = tmp_path / "cmp"
    code, _, err = run_cli(capsys, "evaluate", "--compare", runs / "b1", runs / "b4",
                           "--out", out)
    assert code == 0, err
    rows = list(csv.DictReader((out / "compare.csv").open()))
    assert [float(r["beta"]) for r in rows] == [1.0, 4.0]
    assert "mig" in rows[0] and "rate_bits" in rows[0]
    assert (out / "compare.png").exists()


def test_refusals_write_nothing(capsys, tmp_path):
    digits = tmp_path / "digits"
    assert run_cli(capsys, "train", "beta-vae", "--out", digits, *TINY)[0] == 0
    before = {p.name for p in digits.iterdir()}
    code, _, err = run_cli(capsys, "evaluate", digits, *FAST)
    assert_one_line_error(code, err, "dsprites")
    assert {p.name for p in digits.iterdir()} == before
    code, _, err = run_cli(capsys, "evaluate", tmp_path / "nowhere", *FAST)
    assert_one_line_error(code, err, "config.json")
    code, _, err = run_cli(capsys, "evaluate", "--compare", digits, "--out", tmp_path / "c")
    assert_one_line_error(code, err, "metrics.json")
    assert not (tmp_path / "c").exists()
    code, _, err = run_cli(capsys, "evaluate", digits, digits)
    assert_one_line_error(code, err, "--compare")
