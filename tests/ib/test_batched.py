"""Batched IB iteration: equal to the one-at-a-time solver for every β, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit.datasets import clustered_joint, dirichlet_joint
from ibkit.exceptions import IBKitError
from ibkit.ib import information_bottleneck, information_bottleneck_batch
from ibkit.ib._iterative import IBState, random_encoder, run_iterations

from ..conftest import BACKENDS, Backend

BETAS = [0.5, 2.0, 10.0, 30.0, 100.0]


def _plain(pxy, beta, n_t, seed, alpha=1.0, tol=1e-10, max_iter=10_000):
    """The one-at-a-time iteration without Δ² extrapolation (a monitor switches it off)."""
    enc0 = random_encoder(pxy.shape[0], n_t, np.random.default_rng(seed))
    return run_iterations(IBState(pxy, np), enc0, beta, alpha, tol, max_iter,
                          monitor=lambda *_: False)


@pytest.mark.parametrize("alpha", [1.0, 0.6, 0.0])
def test_equals_one_at_a_time_solver_per_beta(alpha):
    # Same start, update, stopping rule and Δ² jumps: same iteration count and encoder. The
    # one-big-GEMM products of the batch differ from one-β products by rounding only.
    pxy = clustered_joint(24, 12, 4, seed=0)
    batch = information_bottleneck_batch(pxy, BETAS, 4, alpha=alpha, seed=3)
    for i, beta in enumerate(BETAS):
        one = information_bottleneck(pxy, beta, 4, alpha=alpha, seed=3)
        assert int(batch.iterations[i]) == one.iterations
        assert bool(batch.converged[i]) == one.converged
        np.testing.assert_allclose(batch.encoder[i], one.encoder, atol=1e-12)
        np.testing.assert_allclose(batch.decoder[i], one.decoder, atol=1e-12)
        np.testing.assert_allclose(batch.marginal[i], one.marginal, atol=1e-12)


def test_delta_squared_jumps_per_beta_as_the_loop():
    # Slow tails at these β: the loop jumps (fewer iterations than plain iteration), and each
    # β of the batch takes exactly the loop's jumps although its neighbours stop earlier.
    pxy = dirichlet_joint(60, 12, seed=3)
    betas = list(np.geomspace(2, 200, 8))
    batch = information_bottleneck_batch(pxy, betas, 5, seed=0)
    jumped = 0
    for i, beta in enumerate(betas):
        one = information_bottleneck(pxy, beta, 5, seed=0)
        jumped += one.iterations < _plain(pxy, beta, 5, 0)[3]
        assert int(batch.iterations[i]) == one.iterations
        np.testing.assert_allclose(batch.encoder[i], one.encoder, atol=1e-10)
        assert float(batch.I_TY[i]) == pytest.approx(one.I_TY, abs=1e-10)
    assert jumped >= 2
    alone = information_bottleneck_batch(pxy, betas[3:4], 5, seed=0)  # no neighbours
    assert int(alone.iterations[0]) == int(batch.iterations[3])


def test_equals_public_solver_informations():
    # information_bottleneck extrapolates (Δ²) in slow tails: same fixed point, to ~tol.
    pxy = dirichlet_joint(20, 8, seed=1)
    batch = information_bottleneck_batch(pxy, BETAS, 3, seed=7, tol=1e-12)
    for i, beta in enumerate(BETAS):
        one = information_bottleneck(pxy, beta, 3, seed=7, tol=1e-12)
        assert batch.I_XT[i] == pytest.approx(one.I_XT, abs=1e-7)
        assert batch.I_TY[i] == pytest.approx(one.I_TY, abs=1e-7)
        assert batch.H_T[i] == pytest.approx(one.H_T, abs=1e-7)
        assert batch.objective[i] == pytest.approx(one.objective, abs=1e-6)


def test_common_init_and_properties():
    pxy = clustered_joint(16, 6, 2, seed=2)
    init = np.full((16, 3), 1 / 3) + np.linspace(-0.1, 0.1, 3)[None, :]
    batch = information_bottleneck_batch(pxy, [1.0, 5.0, 50.0], 3, init=init)
    np.testing.assert_allclose(np.sum(batch.encoder, axis=2), 1.0, atol=1e-12)
    assert np.all(batch.I_TY <= batch.I_XT + 1e-12)  # data processing: I(T;Y) ≤ I(X;T)
    assert np.all(np.diff(batch.I_TY) >= -1e-9)  # more β, more relevance (this joint)


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
def test_backends_agree_and_stay_in_namespace(backend: Backend):
    pxy = clustered_joint(12, 6, 3, seed=0)
    ref = information_bottleneck_batch(pxy, [1.0, 8.0], 3, seed=0)
    res = information_bottleneck_batch(backend.asarray(pxy), [1.0, 8.0], 3, seed=0)
    for value in (res.encoder, res.I_TY, res.decoder):
        assert backend.is_own(value)
    np.testing.assert_allclose(np.asarray(res.encoder), ref.encoder, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.I_TY), ref.I_TY, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [{"betas": []}, {"betas": [-1.0]}, {"betas": [1.0], "n_clusters": 0},
     {"betas": [1.0], "alpha": -0.5}, {"betas": [1.0], "tol": -1.0},
     {"betas": [1.0], "init": np.ones((3, 3))}, {"betas": [1.0], "pxy": -np.ones((4, 2))}],
)
def test_bad_input_is_refused(kwargs):
    args = {"pxy": np.ones((4, 2)) / 8, "n_clusters": 2} | kwargs
    with pytest.raises(IBKitError):
        information_bottleneck_batch(args.pop("pxy"), args.pop("betas"), args.pop("n_clusters"),
                                     **args)


@pytest.mark.gpu
def test_cuda_runs_on_device_and_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    pxy = dirichlet_joint(500, 40, seed=0)
    ref = information_bottleneck_batch(pxy, BETAS, 8, seed=0)
    res = information_bottleneck_batch(torch.as_tensor(pxy, device="cuda"), BETAS, 8, seed=0)
    assert res.encoder.device.type == "cuda" and res.I_TY.device.type == "cuda"
    np.testing.assert_allclose(res.I_TY.cpu().numpy(), ref.I_TY, atol=1e-8)
    one = information_bottleneck(torch.as_tensor(pxy, device="cuda"), 10.0, 8, seed=0)
    assert one.encoder.device.type == "cuda"


def test_max_iter_reports_not_converged_per_beta():
    pxy = dirichlet_joint(20, 8, seed=4)
    res = information_bottleneck_batch(pxy, [0.1, 40.0], 4, seed=0, tol=1e-15, max_iter=6)
    assert list(np.asarray(res.iterations)) == [4, 6] or list(np.asarray(res.iterations)) == [6, 6]
    assert not bool(res.converged[1])
    for i, beta in enumerate([0.1, 40.0]):
        enc, _, _, iters, converged = _plain(pxy, beta, 4, 0, tol=1e-15, max_iter=6)
        assert int(res.iterations[i]) == iters and bool(res.converged[i]) == converged
        np.testing.assert_allclose(res.encoder[i], enc, atol=1e-12)


def test_torch_iteration_reads_the_host_only_at_checks():
    # On a GPU every host read is a sync: the batch reads B booleans every CHECK_EVERY = 4
    # iterations and nothing else inside the loop (counted with torch's function mode).
    torch = pytest.importorskip("torch")
    from torch.overrides import TorchFunctionMode

    reads = {"__bool__", "item", "cpu", "numpy", "tolist", "__float__", "__int__", "__index__"}

    class CountReads(TorchFunctionMode):
        count = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in reads:
                CountReads.count += 1
            return func(*args, **(kwargs or {}))

    pxy = torch.as_tensor(dirichlet_joint(50, 10, seed=0))
    with CountReads():
        res = information_bottleneck_batch(pxy, [1.0, 5.0, 20.0], 4, seed=0)
    checks = int(torch.max(res.iterations)) // 4 + 1
    assert CountReads.count <= 2 * checks + 10
