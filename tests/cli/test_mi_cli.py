"""``ibkit mi-benchmark``: the run folder, its table, and one-line errors that write nothing."""

from __future__ import annotations

import csv
import json

import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

FILES = {"config.json", "estimates.csv", "table.csv", "training.csv", "summary.json",
         "staircase.png", "staircase.svg"}
TINY = ("--dim", "2", "--levels", "0.5,1", "--n-samples", "400", "--repeats", "2",
        "--steps", "20", "--batch-size", "16", "--quiet")


def test_tiny_staircase_writes_the_run_folder(capsys, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    code, stdout, err = run_cli(capsys, "mi-benchmark", "--methods", "ksg,infonce", *TINY,
                                "--out", out)
    assert code == 0, err
    assert "wrote" in stdout
    assert {p.name for p in out.iterdir()} == FILES
    table = list(csv.DictReader((out / "table.csv").open()))
    # 2 transforms x 2 methods x 2 levels, each over 2 repeats
    assert len(table) == 8 and {r["repeats"] for r in table} == {"2"}
    for row in table:
        bias, var, mse = float(row["bias"]), float(row["variance"]), float(row["mse"])
        assert mse == pytest.approx(bias**2 + var, rel=1e-9, abs=1e-12)  # MSE = bias² + variance
    ksg = [r for r in table if r["method"] == "ksg" and r["transform"] == "gaussian"]
    assert all(abs(float(r["bias"])) < 0.2 for r in ksg)
    training = list(csv.DictReader((out / "training.csv").open()))
    assert training and {r["method"] for r in training} == {"infonce"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["methods"] == ["ksg", "infonce"] and summary["unit"] == "nats"


def test_knn_only_without_cubic_or_plot(capsys, tmp_path):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "mi-benchmark", "--methods", "ksg2,binned", *TINY,
                           "--no-cubic", "--no-plot", "--out", out)
    assert code == 0, err
    rows = list(csv.DictReader((out / "estimates.csv").open()))
    assert len(rows) == 2 * 2 * 2 and {r["transform"] for r in rows} == {"gaussian"}
    assert not (out / "staircase.png").exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--methods", "ksg,kraskov"), "--methods"),
        (("--levels", "1,-2"), "--levels"),
        (("--dim", "0"), "--dim"),
        (("--n-samples", "abc"), "invalid int"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, tmp_path, argv, fragment):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "mi-benchmark", *argv, "--out", out)
    assert_one_line_error(code, err, fragment)
    assert not out.exists()
