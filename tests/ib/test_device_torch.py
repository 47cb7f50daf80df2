"""The IB solvers on torch stay on the data's device: provable on CPU, checked again on CUDA.

Two traps make a CPU run show what a GPU run would do:

* host copies refused: ``Tensor.__array__``, ``.numpy``, ``.tolist`` and ``.cpu`` raise while
  a solver runs, and every synchronising read (``.item``, ``float``, ``int``, ``bool``,
  ``index``) is counted; the count must grow by at most one per convergence test (every
  ``CHECK_EVERY`` iterations) and not at all with the problem's size;
* a foreign default device: with ``torch.set_default_device("meta")`` any tensor the solver
  made without naming the data's device would land on ``meta`` and fail against the data's
  CPU tensors, exactly as a forgotten ``device=`` would put a CPU tensor next to CUDA data.

The ``gpu`` tests repeat this on CUDA and compare with NumPy (deselected without a GPU).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from ibkit.datasets import clustered_joint, dirichlet_joint
from ibkit.exceptions import ConvergenceWarning
from ibkit.ib import (
    bottleneck,
    ib_curve,
    information_bottleneck,
    information_bottleneck_batch,
)
from ibkit.ib._iterative import CHECK_EVERY

torch = pytest.importorskip("torch")

from tests.host_guard import host_guard  # noqa: E402 (needs torch)


def _cpu(pxy: np.ndarray) -> Any:
    return torch.as_tensor(pxy, dtype=torch.float64, device="cpu")


def _reads(run: Any) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with host_guard(meta_default=True) as counts:
            run()
    return sum(counts.values())


@pytest.mark.parametrize("alpha", [1.0, 0.5, 0.0])
def test_single_solver_runs_on_the_data_device(alpha):
    pxy = clustered_joint(30, 8, 3, seed=0)
    with host_guard(meta_default=True) as counts:
        sol = information_bottleneck(_cpu(pxy), 12.0, 4, alpha=alpha, seed=1, tol=1e-9)
    assert sol.encoder.device.type == "cpu" and sol.decoder.device.type == "cpu"
    ref = information_bottleneck(pxy, 12.0, 4, alpha=alpha, seed=1, tol=1e-9)
    assert sol.iterations == ref.iterations
    np.testing.assert_allclose(sol.encoder.numpy(), ref.encoder, atol=1e-10)
    assert sum(counts.values()) <= sol.iterations // CHECK_EVERY + 20


@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_batch_solver_runs_on_the_data_device(alpha):
    pxy = dirichlet_joint(40, 8, seed=2)
    betas = [0.5, 4.0, 30.0]
    with host_guard(meta_default=True) as counts:
        res = information_bottleneck_batch(_cpu(pxy), betas, 4, alpha=alpha, seed=0, tol=1e-9)
    assert res.encoder.device.type == "cpu" and res.I_TY.device.type == "cpu"
    ref = information_bottleneck_batch(pxy, betas, 4, alpha=alpha, seed=0, tol=1e-9)
    np.testing.assert_array_equal(res.iterations.numpy(), ref.iterations)
    np.testing.assert_allclose(res.encoder.numpy(), ref.encoder, atol=1e-10)
    assert sum(counts.values()) <= int(res.iterations.max()) // CHECK_EVERY + 20


@pytest.mark.parametrize("batched", [False, True])
def test_host_reads_are_one_per_test_and_not_per_element(batched):
    # tol = 1e-300: nobody stops, so max_iter fixes the number of tests exactly.
    def solve(n_x: int, max_iter: int) -> None:
        pxy = _cpu(dirichlet_joint(n_x, 6, seed=0))
        if batched:
            information_bottleneck_batch(pxy, [2.0, 9.0], 3, seed=0, tol=1e-300, max_iter=max_iter)
        else:
            information_bottleneck(pxy, 9.0, 3, seed=0, tol=1e-300, max_iter=max_iter)

    small, longer, bigger = (
        _reads(lambda: solve(20, 40)),
        _reads(lambda: solve(20, 80)),
        _reads(lambda: solve(200, 40)),
    )
    assert longer - small <= (80 - 40) // CHECK_EVERY  # at most one read per test
    assert bigger == small  # nothing per element


def test_curve_iterations_stay_on_the_device(monkeypatch):
    # ib_curve moves each solution's small encoder to the host between β (warm starts,
    # cluster counts); inside every solve, the bisection probes included, nothing is copied.
    pxy = clustered_joint(24, 6, 3, seed=0)
    ref = ib_curve(pxy, 4, n_points=8, seed=0)
    inner = bottleneck.run_iterations
    solves: list[int] = []

    def guarded(*args: Any, **kwargs: Any) -> Any:
        with host_guard(meta_default=True) as counts:
            out = inner(*args, **kwargs)
        solves.append(sum(counts.values()) - out[3] // CHECK_EVERY)
        assert out[0].device.type == "cpu"
        return out

    monkeypatch.setattr(bottleneck, "run_iterations", guarded)
    curve = ib_curve(_cpu(pxy), 4, n_points=8, seed=0)
    assert len(solves) >= 8
    assert max(solves) <= 4 * 10  # a probe reads one spread per group of copies per test
    np.testing.assert_allclose(curve.I_TY, ref.I_TY, atol=1e-8)


def test_cli_ib_runs_on_a_torch_tensor(monkeypatch, tmp_path):
    # `ibkit ib --device cuda` hands the curve a CUDA tensor; here a CPU tensor with `meta` as
    # torch's default device, so any tensor made on the default device would fail.
    import json

    from ibkit.cli import _ib, main

    args = ["ib", "--n-points", "5", "--no-plot", "--quiet", "--out"]
    assert main([*args, str(tmp_path / "numpy")]) == 0
    monkeypatch.setattr(_ib, "on_device", lambda array, device: _cpu(np.asarray(array)))
    torch.set_default_device("meta")
    try:
        assert main([*args, str(tmp_path / "torch")]) == 0
    finally:
        torch.set_default_device(None)
    runs = [json.loads((tmp_path / k / "summary.json").read_text()) for k in ("numpy", "torch")]
    assert runs[1]["I_TY_max"] == pytest.approx(runs[0]["I_TY_max"], abs=1e-8)


def _cuda() -> Any:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch.device("cuda")


@pytest.mark.gpu
@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_cuda_single_and_batch_match_numpy_without_host_copies(alpha):
    dev = _cuda()
    pxy = dirichlet_joint(300, 30, seed=0)
    betas = [1.0, 5.0, 20.0, 80.0]
    data = torch.as_tensor(pxy, device=dev)
    with host_guard(meta_default=False) as counts:
        res = information_bottleneck_batch(data, betas, 6, alpha=alpha, seed=0)
        one = information_bottleneck(data, 20.0, 6, alpha=alpha, seed=0)
    assert res.encoder.device.type == "cuda" and one.encoder.device.type == "cuda"
    ref = information_bottleneck_batch(pxy, betas, 6, alpha=alpha, seed=0)
    np.testing.assert_allclose(res.I_TY.cpu().numpy(), ref.I_TY, atol=1e-8)
    np.testing.assert_allclose(res.encoder.cpu().numpy(), ref.encoder, atol=1e-6)
    assert one.I_TY == pytest.approx(float(ref.I_TY[2]), abs=1e-8)
    budget = (int(res.iterations.max()) + one.iterations) // CHECK_EVERY + 40
    assert sum(counts.values()) <= budget


@pytest.mark.gpu
def test_cuda_curve_and_cli(tmp_path):
    _cuda()
    import json

    from ibkit.cli import main

    pxy = clustered_joint(40, 8, 3, seed=0)
    curve = ib_curve(torch.as_tensor(pxy, device="cuda"), 4, n_points=8, seed=0)
    ref = ib_curve(pxy, 4, n_points=8, seed=0)
    np.testing.assert_allclose(curve.I_TY, ref.I_TY, atol=1e-6)
    out = tmp_path / "run"
    code = main(
        ["ib", "--device", "cuda", "--n-points", "6", "--no-plot", "--quiet", "--out", str(out)]
    )
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["command"] == "ib"
