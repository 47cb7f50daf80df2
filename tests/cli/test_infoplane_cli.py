"""``ibkit infoplane``: estimates per kept checkpoint beside the model's bounds."""

from __future__ import annotations

import csv
import math

import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def vib_run(tmp_path_factory):
    from ibkit.cli import main

    out = tmp_path_factory.mktemp("infoplane") / "vib"
    argv = ["train", "vib", "--out", str(out), "--set", "model.hidden=[32]", "--set",
            "model.latent_dim=3", "--set", "data.n_samples=400", "--set", "train.steps=40",
            "--set", "train.checkpoint_every=20", "--set", "train.keep_checkpoints=true",
            "--set", "train.eval_every=0", "--quiet", "--no-plot"]
    assert main(argv) == 0
    return out


def test_rows_per_checkpoint_and_method(capsys, vib_run):
    code, stdout, err = run_cli(capsys, "infoplane", vib_run, "--n-examples", "80")
    assert code == 0, err
    assert {"step-00000020.pt", "step-00000040.pt"} <= {
        p.name for p in (vib_run / "checkpoints").iterdir()}
    rows = list(csv.DictReader((vib_run / "infoplane.csv").open()))
    assert [(int(r["step"]), r["method"]) for r in rows] == [
        (20, "binned"), (20, "ksg"), (40, "binned"), (40, "ksg")]
    for r in rows:
        # binned I(X;Z) = H(bin(mu)) <= log2(n); I(Z;Y) <= H(Y) <= log2(10)
        assert 0.0 <= float(r["I_XZ_bits"]) <= math.log2(80) + 1e-9
        assert float(r["I_ZY_bits"]) <= math.log2(10) + 0.5
        assert float(r["bound_I_ZY_bits"]) <= math.log2(10) + 1e-6
        assert float(r["bound_I_XZ_bits"]) >= 0.0
    assert (vib_run / "infoplane.png").exists() and "2 checkpoints" in stdout


def test_bad_input(capsys, vib_run, tmp_path):
    code, _, err = run_cli(capsys, "infoplane", vib_run, "--methods", "binned,oracle")
    assert_one_line_error(code, err, "oracle")
    code, _, err = run_cli(capsys, "infoplane", tmp_path / "missing")
    assert_one_line_error(code, err, "config.json")
