"""DistributedDataParallel under torchrun: 2 CPU processes (gloo) agree with each other and with
one process training on the same batches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ibkit.nn import TrainConfig, Trainer
from ibkit.nn.checkpoint import load_checkpoint
from ibkit.nn.distributed import DistInfo, all_gather, barrier, setup, unwrap, wrap

from ._train_script import N_EVAL, N_TRAIN, build, make_data

SCRIPT = Path(__file__).with_name("_train_script.py")


def _torchrun(run_dir: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--standalone", str(SCRIPT), str(run_dir), *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]


def _params(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)


def test_two_ranks_hold_identical_parameters_equal_to_one_process(tmp_path):
    # 2 ranks x batch 4 see, step by step, the same 8 samples as 1 process x batch 8
    # (rank r takes perm[r::2]); with a noise-free model the averaged gradients are the same, so
    # parameters agree up to float32 summation order.
    run = tmp_path / "ddp"
    _torchrun(run, "--deterministic", "--batch-size", "4", "--steps", "24",
              "--params", str(tmp_path / "rank{rank}.pt"))
    rank0, rank1 = _params(tmp_path / "rank0.pt"), _params(tmp_path / "rank1.pt")
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    single = build(deterministic=True)
    config = TrainConfig(steps=24, batch_size=8, lr=1e-2, seed=3, eval_every=3, log_every=1,
                         checkpoint_every=4, device="cpu")
    Trainer(single, make_data(N_TRAIN, 1), config, tmp_path / "one",
            eval_data=make_data(N_EVAL, 2)).fit()
    for key, value in single.state_dict().items():
        torch.testing.assert_close(rank0[key], value, rtol=1e-5, atol=1e-5)
    # only rank 0 wrote: one row per step and evaluation, checkpoints from the 2-process run
    lines = (run / "metrics.csv").read_text().splitlines()
    assert len(lines) == 1 + 24 + 8
    assert load_checkpoint(run / "checkpoints" / "last.pt")["world_size"] == 2
    assert len(load_checkpoint(run / "checkpoints" / "last.pt")["rng"]) == 2


@pytest.mark.slow
def test_two_rank_run_resumes_bit_identically(tmp_path):
    # The noisy model: each rank draws its own reparameterisation noise (seed + rank); every
    # rank's RNG state is in the checkpoint, so a cut-and-resumed 2-process run ends identical.
    _torchrun(tmp_path / "full", "--params", str(tmp_path / "full{rank}.pt"))
    _torchrun(tmp_path / "cut", "--steps", "10")
    _torchrun(tmp_path / "cut", "--resume", "--params", str(tmp_path / "cut{rank}.pt"))
    full = [_params(tmp_path / f"full{r}.pt") for r in (0, 1)]
    cut = [_params(tmp_path / f"cut{r}.pt") for r in (0, 1)]
    for key in full[0]:
        assert torch.equal(full[0][key], full[1][key]), key
        assert torch.equal(full[0][key], cut[0][key]), key
        assert torch.equal(cut[0][key], cut[1][key]), key
    # the same rows, plus the evaluation that ended the first, 10-step run
    full_csv = (tmp_path / "full" / "metrics.csv").read_text().splitlines()
    cut_csv = (tmp_path / "cut" / "metrics.csv").read_text().splitlines()
    assert [line for line in cut_csv if not line.startswith("10,eval,")] == full_csv
    assert len(cut_csv) == len(full_csv) + 1


def test_single_process_helpers_are_no_ops(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = setup("cpu")
    assert info == DistInfo() and info.is_main and not info.enabled
    barrier(info)
    assert all_gather(info, {"a": 1}) == [{"a": 1}]
    model = build()
    assert wrap(model, info, torch.device("cpu")) is model and unwrap(model) is model
