"""``ibkit ib``: the run folder, its numbers, and one-line errors that leave nothing behind."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from ibkit.datasets import clustered_joint
from ibkit.experiment.config import IBConfig
from ibkit.ib import critical_beta
from tests.cli.test_cli import assert_one_line_error, run_cli

FILES = {
    "config.json",
    "curve.csv",
    "bifurcations.json",
    "summary.json",
    "infoplane.png",
    "infoplane.svg",
}


def test_builtin_joint_writes_the_run_folder(capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(
        capsys, "ib", "--n-points", "10", "--n-clusters", "3", "--out", out, "--quiet"
    )
    assert code == 0 and "wrote" in stdout
    assert {p.name for p in out.iterdir()} == FILES
    summary = json.loads((out / "summary.json").read_text())
    beta_c = critical_beta(clustered_joint())
    assert summary["critical_beta"] == pytest.approx(beta_c)
    assert summary["bifurcations"][0]["beta"] == pytest.approx(beta_c, rel=5e-3)
    assert summary["I_TY_max"] <= summary["I_XY"] + 1e-9
    rows = list(csv.DictReader((out / "curve.csv").open()))
    assert len(rows) == 15 and float(rows[0]["I_XT"]) == pytest.approx(
        0.0, abs=1e-8
    )  # 10 + 5 refined
    assert IBConfig.from_json((out / "config.json").read_text()).n_clusters == 3


def test_count_file_input(capsys, tmp_path):
    counts = np.random.default_rng(0).integers(0, 9, size=(8, 5))
    path = tmp_path / "counts.npy"
    np.save(path, counts)
    code, _, _ = run_cli(
        capsys,
        "ib",
        "--file",
        path,
        "--betas",
        "1,10,100",
        "--n-clusters",
        "2",
        "--out",
        tmp_path / "run",
        "--quiet",
        "--no-plot",
    )
    assert code == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["shape"] == [8, 5]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--n-clusters", "0"], "n_clusters must be >= 1"),
        (["--betas", "2,1"], "betas must be strictly increasing"),
        (["--betas=-1,2"], "betas must be >= 0"),
        (["--alpha", "-0.5"], "alpha must be >= 0"),
        (["--anneal", "up"], "invalid choice"),
        (["--file", "missing.npy"], "missing.npy"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path, argv, fragment):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "ib", *argv, "--out", out, "--quiet")
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


def test_negative_counts_in_a_file(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2\n-1,3\n")
    code, _, err = run_cli(capsys, "ib", "--file", path, "--out", tmp_path / "run")
    assert_one_line_error(code, err, "must be non-negative")


def test_ib_command_never_imports_torch(tmp_path):
    script = (
        "import sys; sys.modules['torch'] = None; from ibkit.cli import main; "
        f"code = main(['ib', '--n-points', '4', '--out', r'{tmp_path / 'run'}', '--quiet', "
        "'--no-plot']); assert code == 0; assert sys.modules.get('torch') is None"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
