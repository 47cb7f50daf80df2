"""``ibkit train`` and ``sweep-beta``: run folders, resume, bad input that writes nothing."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

pytest.importorskip("torch")

TINY = ["--set", "model.hidden=[32, 16]", "--set", "model.latent_dim=3", "--set",
        "data.n_samples=300", "--quiet"]


def _train(capsys, out, *extra):
    return run_cli(capsys, "train", "beta-vae", "--out", out, *TINY, *extra)


def test_train_writes_run_folder(capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = _train(capsys, out, "--set", "train.steps=30", "--set",
                               "train.eval_every=10")
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "metrics.csv", "summary.json", "checkpoints",
            "training_curves.png", "reconstructions.png", "samples.svg",
            "traversals.png"} <= names
    assert {"last.pt", "best.pt"} <= {p.name for p in (out / "checkpoints").iterdir()}
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "beta-vae" and config["train"]["steps"] == 30
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step"] == 30 and np.isfinite(summary["eval"]["elbo_bits"])
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert {r["split"] for r in rows} == {"train", "eval"}
    assert "rate_bits" in rows[0] and "beta" in rows[0]
    assert str(out) in stdout


def test_resume_continues_to_more_steps(capsys, tmp_path):
    out = tmp_path / "run"
    assert _train(capsys, out, "--set", "train.steps=10", "--no-plot")[0] == 0
    code, _, err = _train(capsys, out, "--set", "train.steps=20", "--resume", "--no-plot")
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["step"] == 20


def test_toml_config_file(capsys, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        'kind = "vib"\n[model]\nhidden = [32]\nlatent_dim = 4\nbeta = 1e-3\n'
        "[data]\nn_samples = 300\n[train]\nsteps = 20\neval_every = 10\n"
    )
    out = tmp_path / "vib"
    code, _, err = run_cli(capsys, "train", "vib", "--config", cfg, "--out", out, "--quiet")
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["eval"]["test_error"] <= 1.0
    assert summary["eval"]["I_ZY_lower_bound"] <= summary["eval"]["H_Y"] + 1e-9


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--set", "train.stpes=3"], "[train] unknown TrainConfig key(s) 'stpes'"),
        (["--set", "model.latent_dim=1.5"], "model.latent_dim"),
        (["--set", "train.lr=-1"], "lr"),
        (["--set", "data.name=nowhere.npy"], "nowhere.npy"),
        (["--set", "data.name=mnist"], "data.name"),
        (["--set", "data.val_fraction=1.5"], "val_fraction"),
        (["--set", "model.architecture=transformer"], "architecture"),
        (["--set", "oops"], "key=value"),
        (["--resume"], "last.pt"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path, extra, fragment):
    out = tmp_path / "run"
    code, _, err = _train(capsys, out, *extra)
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("nan", "finite"), ("empty", "empty"), ("labels", "vib needs labels")],
)
def test_bad_user_data_refused(capsys, tmp_path, content, fragment):
    path = tmp_path / "data.npy"
    x = np.random.default_rng(0).random((20, 4), dtype=np.float64)
    if content == "nan":
        x[3, 1] = np.nan
    elif content == "empty":
        x = x[:0]
    np.save(path, x)
    out = tmp_path / "run"
    kind = "vib" if content == "labels" else "beta-vae"
    code, _, err = run_cli(capsys, "train", kind, "--out", out, "--set",
                           f"data.name={str(path)!r}".replace("'", '"'), "--quiet")
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


def test_existing_run_is_not_overwritten(capsys, tmp_path):
    out = tmp_path / "run"
    assert _train(capsys, out, "--set", "train.steps=5", "--no-plot")[0] == 0
    before = (out / "checkpoints" / "last.pt").read_bytes()
    code, _, err = _train(capsys, out, "--set", "train.steps=5", "--no-plot")
    assert_one_line_error(code, err, "not empty")
    code, _, err = _train(capsys, out, "--set", "train.steps=9", "--set", "model.latent_dim=5",
                          "--resume", "--no-plot")
    assert_one_line_error(code, err, "model")
    assert (out / "checkpoints" / "last.pt").read_bytes() == before


def test_config_kind_must_match_command(capsys, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('kind = "vib"\n')
    code, _, err = run_cli(capsys, "train", "beta-vae", "--config", cfg, "--quiet")
    assert_one_line_error(code, err, "vib")


def test_sweep_beta_rate_falls_with_beta(capsys, tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep-beta", "beta-vae", "--betas", "0.25,1,8", "--out", out, *TINY,
            "--set", "train.steps=150", "--set", "train.lr=3e-3", "--no-plot"]
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    rates = [float(r["rate_bits"]) for r in rows]
    assert [float(r["beta"]) for r in rows] == [0.25, 1.0, 8.0]
    assert rates[0] > rates[1] > rates[2] >= 0.0
    # re-running reuses the finished runs
    mtime = (out / "beta-1" / "summary.json").stat().st_mtime_ns
    assert run_cli(capsys, *args)[0] == 0
    assert (out / "beta-1" / "summary.json").stat().st_mtime_ns == mtime


def test_sweep_refuses_capacity_vae(capsys, tmp_path):
    code, _, err = run_cli(capsys, "sweep-beta", "capacity-vae", "--betas", "1,2",
                           "--out", tmp_path / "s", "--quiet")
    assert_one_line_error(code, err, "capacity-vae")
