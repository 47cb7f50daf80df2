"""The trainer: configuration, the loop, metrics.csv, evaluation, progress, TensorBoard."""

from __future__ import annotations

import csv
import json
import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from ibkit.exceptions import IBKitError, InvalidParameterError
from ibkit.nn import LossTerms, TrainConfig, Trainer, TrainResult
from ibkit.nn.checkpoint import load_checkpoint
from ibkit.nn.trainer import resolve_device

from ._train_script import N_EVAL, N_TRAIN, build, make_data

X_TRAIN, X_EVAL = make_data(N_TRAIN, 1), make_data(N_EVAL, 2)


def _cfg(**kw) -> TrainConfig:
    base = dict(steps=12, batch_size=8, lr=1e-2, seed=3, eval_every=4, log_every=2,
                checkpoint_every=6, device="cpu")
    return TrainConfig(**{**base, **kw})


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# -- configuration ----------------------------------------------------------------------------
def test_config_round_trips_through_dict_and_json():
    cfg = TrainConfig(steps=7, optimizer="adamw", grad_clip=1, weight_decay=1e-4, progress=True)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert isinstance(cfg.grad_clip, float) and TrainConfig.from_dict({}) == TrainConfig()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": 0}, "steps must be >= 1; got 0"),
        ({"steps": 2.5}, "steps must be an integer; got 2.5"),
        ({"batch_size": True}, "batch_size must be an integer"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": float("nan")}, "lr must be finite"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of 'adam', 'adamw', 'sgd'"),
        ({"weight_decay": -1.0}, "weight_decay must be >= 0"),
        ({"grad_clip": 0.0}, "grad_clip must be > 0"),
        ({"eval_every": -1}, "eval_every must be >= 0"),
        ({"log_every": 0}, "log_every must be >= 1"),
        ({"num_workers": -2}, "num_workers must be >= 0"),
        ({"device": "tpu9000"}, "device must be 'auto'"),
        ({"device": ""}, "device must be a string"),
        ({"tensorboard": "yes"}, "tensorboard must be true or false"),
    ],
)
def test_bad_config_is_refused(changes, message):
    with pytest.raises(InvalidParameterError, match=message):
        TrainConfig(**changes)


def test_unknown_config_key_is_refused():
    with pytest.raises(InvalidParameterError, match=r"unknown TrainConfig key.*'stepz'"):
        TrainConfig.from_dict({"stepz": 3})


def test_device_resolution(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(IBKitError, match="CUDA is not available"):
        resolve_device("cuda:0")


# -- the loop ---------------------------------------------------------------------------------
def test_fit_trains_logs_and_checkpoints(tmp_path):
    result = Trainer(build(), X_TRAIN, _cfg(steps=40, eval_every=10), tmp_path,
                     eval_data=X_EVAL).fit()
    assert isinstance(result, TrainResult) and result.step == 40 and result.resumed_from is None
    rows = _rows(result.metrics_path)
    header = list(rows[0])
    assert header[:8] == ["step", "split", "loss", "beta", "rate", "distortion", "elbo", "lr"]
    assert {"rate_bits", "distortion_bits", "elbo_bits", "rate_dim0", "rate_dim1"} <= set(header)
    train = [r for r in rows if r["split"] == "train"]
    evals = [r for r in rows if r["split"] == "eval"]
    assert [int(r["step"]) for r in train] == list(range(2, 41, 2))
    assert [int(r["step"]) for r in evals] == [10, 20, 30, 40]
    assert all(r["lr"] == "0.01" for r in train) and all(r["lr"] == "" for r in evals)
    # the model learns: held-out loss falls; nats and bits agree
    assert float(evals[-1]["loss"]) < float(evals[0]["loss"]) - 1.0
    assert float(evals[-1]["rate_bits"]) == pytest.approx(float(evals[-1]["rate"]) / np.log(2))
    assert result.eval_metrics["loss"] == pytest.approx(float(evals[-1]["loss"]))
    assert result.metrics["loss"] == pytest.approx(float(train[-1]["loss"]))
    assert result.best_eval_loss == pytest.approx(min(float(r["loss"]) for r in evals))
    assert result.last_checkpoint.exists() and result.best_checkpoint.exists()
    assert load_checkpoint(result.best_checkpoint)["best_eval_loss"] == result.best_eval_loss
    assert result.samples_per_second > 0
    summary = json.loads(json.dumps(result.to_dict()))
    assert summary["step"] == 40 and summary["last_checkpoint"] == str(result.last_checkpoint)


def test_same_seed_same_run_other_seed_other_run(tmp_path):
    params = []
    for i, seed in enumerate([3, 3, 4]):
        model = build()
        Trainer(model, X_TRAIN, _cfg(seed=seed), tmp_path / str(i)).fit()
        params.append(model.enc.weight.detach().clone())
    assert torch.equal(params[0], params[1])
    assert not torch.equal(params[0], params[2])


def test_evaluation_does_not_perturb_training(tmp_path):
    # Evaluation draws noise on its own seeded stream: evaluating every step or never gives the
    # same parameters, and the same evaluation at the same step gives the same numbers.
    a, b = build(), build()
    Trainer(a, X_TRAIN, _cfg(eval_every=1), tmp_path / "a", eval_data=X_EVAL).fit()
    Trainer(b, X_TRAIN, _cfg(eval_every=0), tmp_path / "b").fit()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_eval_fn_and_callback(tmp_path):
    seen = []

    def eval_fn(model):
        return {"weight_norm": model.enc.weight.norm(), "noise": torch.randn(()).item()}

    result = Trainer(build(), X_TRAIN, _cfg(), tmp_path, eval_fn=eval_fn,
                     callback=lambda step, row: seen.append((step, row["split"]))).fit()
    evals = [r for r in _rows(tmp_path / "metrics.csv") if r["split"] == "eval"]
    assert [r["step"] for r in evals] == ["4", "8", "12"]
    assert len({r["noise"] for r in evals}) == 1  # seeded, whatever the step
    assert result.best_checkpoint is None  # no eval_data: no eval loss to rank by
    assert seen == [(s, "train") for s in (2, 4)] + [(4, "eval")] + [
        (s, "train") for s in (6, 8)] + [(8, "eval"), (10, "train"), (12, "train"), (12, "eval")]


def test_eval_fn_must_return_numbers(tmp_path):
    with pytest.raises(IBKitError, match="eval_fn returned 'acc': 'high'"):
        Trainer(build(), X_TRAIN, _cfg(), tmp_path, eval_fn=lambda m: {"acc": "high"}).fit()


@dataclass(frozen=True)
class _Schedule:
    peak: float = 2.0

    def __call__(self, step: int) -> float:
        return self.peak * min(1.0, step / 5)

    def to_dict(self) -> dict:
        return {"kind": "linear", "peak": self.peak}


class _VIBLike(nn.Module):
    """A deterministic classifier on (x, y) batches with a β schedule attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(6, 3)
        self.schedule = _Schedule()

    def forward(self, batch, step=0):
        x, y = batch
        logits = self.net(x)  # (B, 3)
        ce = nn.functional.cross_entropy(logits, y)
        rate = logits.pow(2).mean()
        beta = self.schedule(step)
        acc = (logits.argmax(-1) == y).float().mean()
        return LossTerms(loss=ce + 1e-3 * beta * rate, rate=rate, distortion=ce, weight=beta,
                         extra={"accuracy": acc})


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_labelled_data_optimizers_and_grad_clip(tmp_path, optimizer):
    y = (X_TRAIN[:, 0] > 0).astype(np.int64) + (X_TRAIN[:, 1] > 0)
    result = Trainer(_VIBLike(), (X_TRAIN, y), _cfg(optimizer=optimizer, grad_clip=0.5),
                     tmp_path, eval_data=(X_TRAIN, y)).fit()
    rows = _rows(result.metrics_path)
    assert "accuracy" in rows[0] and rows[0]["elbo"] == ""  # no ELBO for a classifier
    saved = load_checkpoint(result.last_checkpoint)["schedule"]
    assert saved == {"schedule": {"kind": "linear", "peak": 2.0}}
    assert result.eval_metrics["beta"] == pytest.approx(2.0)


def test_progress_without_tqdm_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(IBKitError, match="progress=True needs tqdm"):
        Trainer(build(), X_TRAIN, _cfg(progress=True), tmp_path).fit()


def test_progress_bar_shows_the_terms(tmp_path, capsys):
    Trainer(build(), X_TRAIN, _cfg(progress=True), tmp_path).fit()
    err = capsys.readouterr().err
    assert "12/12" in err and "rate=" in err and "distortion=" in err and "beta=" in err


@pytest.mark.slow
def test_worker_processes_load_the_same_batches(tmp_path):
    a, b = build(), build()
    Trainer(a, X_TRAIN, _cfg(num_workers=0), tmp_path / "a").fit()
    Trainer(b, X_TRAIN, _cfg(num_workers=2), tmp_path / "b").fit()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


# -- bad models and options -------------------------------------------------------------------
class _ReturnsTensor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(()))

    def forward(self, batch, step=0):
        return (self.w * batch).mean()


class _Diverges(_ReturnsTensor):
    def forward(self, batch, step=0):
        loss = self.w * torch.tensor(float("nan"))
        return LossTerms(loss=loss, rate=loss, distortion=loss, weight=1.0)


def test_bad_models_are_refused(tmp_path):
    with pytest.raises(IBKitError, match=r"must return ibkit\.nn\.LossTerms; got Tensor"):
        Trainer(_ReturnsTensor(), X_TRAIN, _cfg(), tmp_path / "a").fit()
    with pytest.raises(IBKitError, match="training diverged: loss is nan at step 2"):
        Trainer(_Diverges(), X_TRAIN, _cfg(), tmp_path / "b").fit()
    with pytest.raises(IBKitError, match=r"model must be a torch\.nn\.Module; got str"):
        Trainer("vae", X_TRAIN, _cfg(), tmp_path / "c")
    with pytest.raises(IBKitError, match="config must be a TrainConfig; got dict"):
        Trainer(build(), X_TRAIN, {"steps": 3}, tmp_path / "d")
    with pytest.raises(IBKitError, match="eval_data contains a non-finite"):
        Trainer(build(), X_TRAIN, _cfg(), tmp_path / "e", eval_data=X_EVAL * np.nan)


def test_tensorboard_missing_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    with pytest.raises(IBKitError, match=r"pip install 'ibkit\[tensorboard\]'"):
        Trainer(build(), X_TRAIN, _cfg(tensorboard=True), tmp_path / "run").fit()
    assert not (tmp_path / "run").exists()  # nothing written


def test_tensorboard_gets_every_row_and_resume_purges(tmp_path, monkeypatch):
    writers = []

    class FakeWriter:
        def __init__(self, log_dir, purge_step=None):
            self.log_dir, self.purge_step, self.scalars = log_dir, purge_step, []
            writers.append(self)

        def add_scalar(self, tag, value, step):
            self.scalars.append((tag, step))

        def flush(self):
            pass

        def close(self):
            pass

    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    Trainer(build(), X_TRAIN, _cfg(steps=6, tensorboard=True), tmp_path, eval_data=X_EVAL).fit()
    Trainer(build(), X_TRAIN, _cfg(tensorboard=True), tmp_path, eval_data=X_EVAL).fit(resume=True)
    assert [w.purge_step for w in writers] == [None, 7]
    assert writers[0].log_dir == str(tmp_path / "tensorboard")
    assert ("train/rate", 2) in writers[0].scalars and ("eval/loss", 4) in writers[0].scalars
    assert ("train/loss", 8) in writers[1].scalars and ("eval/loss", 12) in writers[1].scalars


@pytest.mark.gpu
def test_auto_device_uses_the_gpu_and_resumes_bit_identically(tmp_path):
    ref = build()
    Trainer(ref, X_TRAIN, _cfg(device="auto"), tmp_path / "ref").fit()
    assert next(ref.parameters()).device.type == "cuda"
    Trainer(build(), X_TRAIN, _cfg(device="auto", steps=7), tmp_path / "cut").fit()
    resumed = build()
    Trainer(resumed, X_TRAIN, _cfg(device="auto"), tmp_path / "cut").fit(resume=True)
    for p, q in zip(ref.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)
