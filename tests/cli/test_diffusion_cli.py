"""``ibkit diffusion train|bound|kl-curves``: run folders, resume, bad input that writes nothing."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

TINY_2D = ["--set", "data.name=moons", "--set", "data.n_samples=300", "--set", "model.T=20",
           "--set", "model.hidden=16", "--set", "model.depth=1", "--set", "n_samples_plot=50",
           "--set", "train.batch_size=32", "--quiet"]
TINY_DIGITS = ["--set", "data.n_samples=100", "--set", "model.T=8", "--set",
               "model.base_channels=8", "--set", "n_samples_plot=16", "--set",
               "train.batch_size=16", "--quiet"]


def _train(capsys, out, *extra, base=TINY_2D):
    return run_cli(capsys, "diffusion", "train", "--out", out, *base, *extra)


def test_train_toy2d_then_bound(capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = _train(capsys, out, "--set", "train.steps=20", "--set",
                               "train.eval_every=10")
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "metrics.csv", "summary.json", "checkpoints", "samples.npy",
            "samples.png", "samples.svg", "training_curves.png"} <= names
    assert {"last.pt", "best.pt"} <= {p.name for p in (out / "checkpoints").iterdir()}
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["T"] == 20 and config["train"]["steps"] == 20
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step"] == 20 and summary["data_shape"] == [2]
    assert summary["decoder"] == "continuous" and math.isfinite(summary["eval"]["bits_per_dim"])
    assert np.load(out / "samples.npy").shape == (50, 2)
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert {r["split"] for r in rows} == {"train", "eval"}
    assert str(out) in stdout

    code, stdout, err = run_cli(capsys, "diffusion", "bound", out, "--n-examples", "12",
                                "--checkpoint", "last", "--quiet")
    assert code == 0, err
    res = json.loads((out / "bound.json").read_text())
    assert res["n_examples"] == 12 and res["split"] == "validation" and res["step"] == 20
    assert math.isfinite(res["bits_per_dim"]) and res["bits_per_dim_stderr"] > 0
    table = list(csv.DictReader((out / "bound_terms.csv").open()))
    assert [int(r["t"]) for r in table] == list(range(21))
    total = sum(float(r["mean_bits_per_dim"]) for r in table)
    assert total == pytest.approx(res["bits_per_dim"], rel=1e-9)
    assert (out / "bound_terms.png").exists() and "bits/dim" in stdout


def test_train_digits_writes_sample_grid_and_discretised_bound(capsys, tmp_path):
    out = tmp_path / "digits"
    code, _, err = _train(capsys, out, "--set", "train.steps=4", base=TINY_DIGITS)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data_shape"] == [1, 8, 8] and summary["decoder"] == "discretized"
    assert summary["bins"] == 17 and (out / "samples.png").exists()
    samples = np.load(out / "samples.npy")
    assert samples.shape == (16, 1, 8, 8) and np.abs(samples).max() <= 1.0 + 1e-6
    code, _, err = run_cli(capsys, "diffusion", "bound", out, "--n-examples", "4", "--quiet",
                           "--no-plot", "--out", tmp_path / "bound")
    assert code == 0, err
    res = json.loads((tmp_path / "bound" / "bound.json").read_text())
    assert res["decoder"] == "discretized" and math.isfinite(res["bits_per_dim"])
    assert not (out / "bound.json").exists()


def test_dsprites_downscaled_with_toml_config(capsys, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('n_samples_plot = 4\n[model]\nT = 5\nbase_channels = 8\n'
                   '[data]\nname = "dsprites"\nn_samples = 40\ndownscale = 4\n'
                   "[train]\nsteps = 2\nbatch_size = 8\n")
    out = tmp_path / "sprites"
    code, _, err = run_cli(capsys, "diffusion", "train", "--config", cfg, "--out", out,
                           "--quiet")
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data_shape"] == [1, 16, 16] and summary["bins"] == 17


def test_resume_continues_to_more_steps(capsys, tmp_path):
    out = tmp_path / "run"
    assert _train(capsys, out, "--set", "train.steps=6", "--no-plot")[0] == 0
    code, _, err = _train(capsys, out, "--set", "train.steps=12", "--resume", "--no-plot")
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["step"] == 12
    code, _, err = _train(capsys, out, "--set", "train.steps=14", "--set", "model.T=30",
                          "--resume", "--no-plot")
    assert_one_line_error(code, err, "model")


def test_kl_curves_writes_csv_and_plot(capsys, tmp_path):
    out = tmp_path / "kl"
    code, stdout, err = run_cli(capsys, "diffusion", "kl-curves", "--schedules",
                                "cosine,linear,sqrt", "--T", "50", "--data", "gaussian",
                                "--n-examples", "200", "--out", out)
    assert code == 0, err
    rows = list(csv.DictReader((out / "kl_curves.csv").open()))
    assert len(rows) == 50
    assert {"cosine_marginal_kl", "linear_posterior_kl", "sqrt_information"} <= set(rows[0])
    summary = json.loads((out / "kl_curves.json").read_text())
    assert summary["schedules"] == ["cosine", "linear", "sqrt"] and summary["n_dims"] == 64
    # the posterior terms telescope: Σ_t L_{t−1} = I_G(x_0; x_1) − I_G(x_0; x_T)
    info = [float(r["cosine_information"]) for r in rows]
    assert summary["sum_posterior_kl"]["cosine"] == pytest.approx(info[0] - info[-1], rel=1e-9)
    assert (out / "kl_curves.png").exists() and "cosine" in stdout


def _npy(tmp_path, shape):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    return f'data.name="{path}"'


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--set", "model.schedule=cosinus"], "unknown noise schedule 'cosinus'"),
        (["--set", "model.T=0"], "T must be >= 1"),
        (["--set", "model.schedule=linear", "--set", "model.schedule_options={beta_end=1.5}"],
         "(0, 1)"),
        (["--set", "model.schedule=linear", "--set", "model.T=10"], "(0, 1)"),
        (["--set", "model.denoiser=unet"], "needs square images"),
        (["--set", "model.prediction=score"], "model.prediction"),
        (["--set", "model.decoder=discretized"], "[-1, 1]"),
        (["--set", "data.downscale=3"], "downscale"),
        (["--set", "data.name=mnist"], "data.name"),
        (["--set", "train.stpes=3"], "[train] unknown TrainConfig key(s) 'stpes'"),
        (["--set", "model.hidden=1.5"], "model.hidden"),
        (["--resume"], "last.pt"),
    ],
)
def test_train_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path, extra, fragment):
    out = tmp_path / "run"
    code, _, err = _train(capsys, out, *extra)
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("shape", "fragment"),
    [((8, 1, 2, 2, 2), "vectors (n, d) or images"), ((20, 6, 4), "square images")],
)
def test_mismatched_user_data_shapes_are_refused(capsys, tmp_path, shape, fragment):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "diffusion", "train", "--out", out, "--set",
                           _npy(tmp_path, shape), "--set", "model.denoiser=unet", "--quiet")
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--schedules", "cosine,nope"], "unknown noise schedule 'nope'"),
        (["--schedules", ","], "at least one"),
        (["--T", "0"], "T must be >= 1"),
        (["--schedules", "linear", "--T", "10"], "(0, 1)"),
        (["--data", "mnist"], "invalid choice"),
        (["--n-examples", "1"], "n_examples"),
    ],
)
def test_kl_curves_bad_input(capsys, tmp_path, args, fragment):
    out = tmp_path / "kl"
    code, _, err = run_cli(capsys, "diffusion", "kl-curves", "--out", out, *args)
    assert_one_line_error(code, err, fragment)
    assert not out.exists()


def test_bound_bad_input(capsys, tmp_path):
    code, _, err = run_cli(capsys, "diffusion", "bound", tmp_path / "missing")
    assert_one_line_error(code, err, "not a folder")
    code, _, err = run_cli(capsys, "diffusion", "bound", tmp_path)
    assert_one_line_error(code, err, "no config.json")
    out = tmp_path / "run"
    assert _train(capsys, out, "--set", "train.steps=2", "--no-plot")[0] == 0
    before = sorted(p.name for p in out.iterdir())
    code, _, err = run_cli(capsys, "diffusion", "bound", out, "--n-examples", "1")
    assert_one_line_error(code, err, "n_examples")
    assert sorted(p.name for p in out.iterdir()) == before


def test_config_round_trips_through_json_and_toml(tmp_path):
    from ibkit.experiment.diffusion_config import DiffusionRunConfig, load_diffusion_config

    cfg = tmp_path / "c.toml"
    cfg.write_text('[model]\nschedule = "linear"\nT = 300\nchannel_mults = [1, 2]\n'
                   "schedule_options = {beta_start = 2e-4}\n[data]\nname = \"dsprites\"\n"
                   "downscale = 2\n[train]\nsteps = 7\n")
    config = load_diffusion_config(cfg, ["model.prediction=v", "data.seed=3"])
    assert config.model.channel_mults == (1, 2) and config.model.prediction == "v"
    assert config.model.schedule_obj().betas[0] == pytest.approx(1000 / 300 * 2e-4)
    again = DiffusionRunConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
