"""Checkpoints: an interrupted-and-resumed run ends bit-identical to an uninterrupted one."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ibkit.exceptions import DataFormatError, IBKitError
from ibkit.nn import TrainConfig, Trainer
from ibkit.nn.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    preserved_rng,
    restore_rng_state,
    save_checkpoint,
)

from ._train_script import N_EVAL, N_TRAIN, TinyVAE, build, make_data

SCRIPT = Path(__file__).with_name("_train_script.py")
STEPS, EVERY = 24, 4  # 96 samples / batch 8 = 12 batches per epoch: resumes cross an epoch


def _config(steps: int = STEPS, **kw) -> TrainConfig:
    base = dict(steps=steps, batch_size=8, lr=1e-2, seed=3, eval_every=3, log_every=1,
                checkpoint_every=EVERY, device="cpu")
    return TrainConfig(**{**base, **kw})


def _fit(run_dir: Path, steps: int = STEPS, resume: bool = False, model: nn.Module | None = None,
         **kw) -> nn.Module:
    model = build() if model is None else model
    Trainer(model, make_data(N_TRAIN, 1), _config(steps, **kw), run_dir,
            eval_data=make_data(N_EVAL, 2)).fit(resume=resume)
    return model


def _assert_same_params(a: nn.Module | dict, b: nn.Module | dict) -> None:
    sa = a if isinstance(a, dict) else a.state_dict()
    sb = b if isinstance(b, dict) else b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict, Path]:
    """The uninterrupted run: final parameters and its run folder."""
    run = tmp_path_factory.mktemp("uninterrupted")
    model = _fit(run)
    return {k: v.clone() for k, v in model.state_dict().items()}, run


@pytest.mark.parametrize("stop", [EVERY, 7, 12, 13])
def test_stop_and_resume_in_process_is_bit_identical(tmp_path, reference, stop):
    # First run stops after `stop` steps (a checkpoint is written at its end); the second,
    # built from a differently initialised model, resumes to STEPS.
    _fit(tmp_path, steps=stop)
    torch.manual_seed(123)
    resumed = _fit(tmp_path, resume=True, model=TinyVAE())
    _assert_same_params(resumed, reference[0])
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["step"] == STEPS


class _Boom(Exception):
    pass


def test_crash_between_checkpoints_resumes_from_last_and_rewrites_metrics(tmp_path, reference):
    # A crash at step 10 (last checkpoint at 8): the resumed run redoes steps 9–10, and the CSV
    # has neither duplicated nor missing rows.
    model = build()
    original = model.forward

    def crashing(batch, step=0):
        if step == 10:
            raise _Boom
        return original(batch, step=step)

    model.forward = crashing
    with pytest.raises(_Boom):
        _fit(tmp_path, model=model)
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["step"] == 8
    stale = tmp_path / "checkpoints" / ".last.pt.x1y2.tmp"  # as a kill mid-write leaves it
    stale.write_bytes(b"half a checkpoint")
    resumed = _fit(tmp_path, resume=True, model=TinyVAE())
    assert not stale.exists()
    _assert_same_params(resumed, reference[0])
    ref_csv = (reference[1] / "metrics.csv").read_text()
    assert (tmp_path / "metrics.csv").read_text() == ref_csv


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_is_bit_identical(tmp_path, reference):
    # A real process is killed with SIGKILL while computing step 10 (checkpoint at 8, eval rows
    # at 9 already flushed); `--resume` in a fresh process must reproduce the uninterrupted run.
    marker, params = tmp_path / "blocked", tmp_path / "params.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(SCRIPT), str(tmp_path / "run"), "--steps", str(STEPS)]
    proc = subprocess.Popen([*cmd, "--block-at", "10", "--marker", str(marker)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "training script exited before reaching the block"
            assert time.monotonic() < deadline, "training script never reached step 10"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    run = tmp_path / "run"
    assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] == 8
    leftovers = [p.name for p in (run / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    subprocess.run([*cmd, "--resume", "--params", str(params)], env=env, check=True, timeout=120)
    _assert_same_params(torch.load(params, weights_only=True), reference[0])
    assert (run / "metrics.csv").read_text() == (reference[1] / "metrics.csv").read_text()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Wider(TinyVAE):
    def __init__(self) -> None:
        super().__init__(latent=3)


@pytest.mark.parametrize(
    ("model", "changes", "expected"),
    [
        (lambda: _Wider(), {}, "model class"),
        (lambda: TinyVAE(latent=3), {}, "enc.weight: checkpoint shape (4, 6) vs model (6, 6)"),
        (lambda: build(), {"lr": 0.5}, "config lr: checkpoint 0.01 vs 0.5"),
        (lambda: build(), {"seed": 4}, "config seed"),
        (lambda: build(), {"optimizer": "sgd"}, "config optimizer"),
    ],
)
def test_incompatible_checkpoint_is_refused_and_left_alone(tmp_path, model, changes, expected):
    _fit(tmp_path, steps=4)
    ckpt = tmp_path / "checkpoints" / "last.pt"
    before = _digest(ckpt), (tmp_path / "metrics.csv").read_text()
    with pytest.raises(IBKitError, match="cannot resume") as info:
        _fit(tmp_path, resume=True, model=model(), **changes)
    assert expected in str(info.value)
    assert (_digest(ckpt), (tmp_path / "metrics.csv").read_text()) == before


def test_resume_with_other_training_data_is_refused(tmp_path):
    _fit(tmp_path, steps=4)
    with pytest.raises(IBKitError, match="training samples: checkpoint 96 vs 40"):
        Trainer(build(), make_data(40, 1), _config(), tmp_path).fit(resume=True)


def test_resume_may_change_steps_and_logging(tmp_path, reference):
    # steps, log/eval/checkpoint intervals do not shape the trajectory: changing them is allowed.
    _fit(tmp_path, steps=5, log_every=2, eval_every=0, checkpoint_every=0)
    resumed = _fit(tmp_path, resume=True, model=TinyVAE())
    _assert_same_params(resumed, reference[0])


def test_fresh_start_never_overwrites_a_checkpoint(tmp_path):
    _fit(tmp_path, steps=4)
    before = _digest(tmp_path / "checkpoints" / "last.pt")
    with pytest.raises(IBKitError, match="resume=True"):
        _fit(tmp_path, steps=8)
    assert _digest(tmp_path / "checkpoints" / "last.pt") == before


def test_resume_without_checkpoint_or_from_garbage(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        _fit(tmp_path, resume=True)
    (tmp_path / "checkpoints").mkdir(exist_ok=True)
    (tmp_path / "checkpoints" / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataFormatError, match="cannot be read"):
        _fit(tmp_path, resume=True)
    torch.save({"foo": 1}, tmp_path / "checkpoints" / "last.pt")
    with pytest.raises(DataFormatError, match="not an ibkit checkpoint"):
        _fit(tmp_path, resume=True)


def test_checkpoint_contents_and_best(tmp_path):
    _fit(tmp_path, steps=9)
    last = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    best = load_checkpoint(tmp_path / "checkpoints" / "best.pt")
    assert (last["step"], last["epoch"], last["position"]) == (9, 0, 9)
    assert last["config"] == _config(9).to_dict()
    assert set(last["rng"][0]) == {"torch", "cuda", "numpy", "python"}
    assert last["optimizer"]["state"]  # Adam moments are saved
    assert best["step"] in (3, 6, 9) and best["best_eval_loss"] <= last["best_eval_loss"] + 1e-12


def test_rng_state_round_trip_through_a_file(tmp_path):
    torch.manual_seed(5)
    np.random.seed(5)  # noqa: NPY002 - the legacy global stream is what the trainer saves
    random.seed(5)
    save_checkpoint(tmp_path / "c.pt", {"rng": [capture_rng_state()]})
    first = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
    restore_rng_state(load_checkpoint(tmp_path / "c.pt")["rng"][0])
    again = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
    assert torch.equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[2] == again[2]
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temp file left behind


def test_preserved_rng_isolates_and_seeds_a_block():
    torch.manual_seed(0)
    expected = torch.rand(2)
    torch.manual_seed(0)
    with preserved_rng(seed=9):
        inside = torch.rand(4)
    assert torch.equal(torch.rand(2), expected)
    with preserved_rng(seed=9):
        assert torch.equal(torch.rand(4), inside)


def test_resume_of_a_finished_run_only_reports(tmp_path, reference):
    _fit(tmp_path, steps=8)
    before = _digest(tmp_path / "checkpoints" / "last.pt")
    result = Trainer(build(), make_data(N_TRAIN, 1), _config(8), tmp_path,
                     eval_data=make_data(N_EVAL, 2)).fit(resume=True)
    assert (result.step, result.resumed_from) == (8, 8)
    assert result.metrics["lr"] == 0.01 and "loss" in result.eval_metrics
    assert _digest(tmp_path / "checkpoints" / "last.pt") == before


class _Peak:
    """A schedule-like callable with ``to_dict`` (the ibkit.schedules protocol)."""

    def __init__(self, peak: float) -> None:
        self.peak = peak

    def __call__(self, step: int) -> float:
        return self.peak

    def to_dict(self) -> dict:
        return {"kind": "constant", "value": self.peak}


def test_resume_with_another_schedule_is_refused(tmp_path):
    model = build()
    model.warmup = _Peak(1.0)
    _fit(tmp_path, steps=4, model=model)
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["schedule"] == {
        "warmup": {"kind": "constant", "value": 1.0}
    }
    other = build()
    other.warmup = _Peak(2.0)
    with pytest.raises(IBKitError, match=r"schedule warmup: checkpoint .*1\.0.* vs .*2\.0"):
        _fit(tmp_path, resume=True, model=other)
