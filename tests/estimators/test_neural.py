"""Neural bounds on correlated Gaussians with a known MI (1 nat, d = 2), after short training."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ibkit as ib  # noqa: E402
from ibkit.estimators import correlated_gaussian  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


X, Y = correlated_gaussian(3000, dim=2, mi=1.0, seed=0)


@pytest.mark.parametrize("method", ["mine", "dv", "nwj", "infonce", "smile", "js"])
def test_bounds_recover_one_nat(method):
    # 1 nat is easy for every bound; with 500 steps of a 64-unit separable critic the held-out
    # estimates land within 0.15 nat (their held-out spread is ~0.03 nat).
    est = ib.estimate_mi(X, Y, method=method, base=math.e, steps=500, hidden=64, batch_size=64)
    assert est.value == pytest.approx(1.0, abs=0.15)
    assert est.method == method and est.diagnostics["best_step"] > 0
    assert est.stderr > 0


def test_infonce_respects_its_log_batch_ceiling():
    # True MI of 5 nats with batch 16: InfoNCE cannot exceed log 16 ≈ 2.77 nats.
    x, y = correlated_gaussian(2000, dim=2, mi=5.0, seed=1)
    est = ib.estimate_mi(x, y, method="infonce", base=math.e, steps=300, batch_size=16, hidden=64)
    assert est.diagnostics["ceiling"] == pytest.approx(math.log(16))
    assert est.value <= math.log(16) + 1e-6
    assert est.value > 1.5


def test_concat_critic_and_early_stopping():
    steps = []
    est = ib.estimate_mi(
        X[:1000], Y[:1000], method="nwj", base=math.e, critic="concat", steps=4000, hidden=32,
        batch_size=32, eval_every=20, patience=3, callback=lambda s, t, h: steps.append(s),
    )
    assert est.diagnostics["stopped_early"] and est.diagnostics["steps_run"] < 4000
    assert steps == est.diagnostics["history"]["step"]
    assert est.value == pytest.approx(1.0, abs=0.3)


def test_training_is_seeded():
    kw = {"method": "infonce", "steps": 50, "hidden": 16, "batch_size": 32, "eval_every": 25}
    assert ib.estimate_mi(X, Y, **kw).value == ib.estimate_mi(X, Y, **kw).value


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"critic": "bilinear"}, "critic"),
        ({"steps": 0}, "steps"),
        ({"val_fraction": 1.5}, "val_fraction"),
        ({"k": 3}, "unknown option"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ib.InvalidParameterError, match=match):
        ib.estimate_mi(X, Y, method="nwj", **kwargs)


def test_too_few_samples():
    with pytest.raises(ib.InvalidParameterError, match="held-out"):
        ib.estimate_mi(np.zeros(3), np.zeros(3), method="dv")
