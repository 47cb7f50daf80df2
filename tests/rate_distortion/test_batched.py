"""Batched Blahut–Arimoto: equal to the one-at-a-time plain BA for every β, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit.exceptions import IBKitError
from ibkit.rate_distortion import (
    binary_hamming_rd,
    blahut_arimoto,
    blahut_arimoto_batch,
    hamming,
    squared_error,
)
from ibkit.rate_distortion.batched import RDBatchSolution

from ..conftest import BACKENDS, Backend


def _problem(seed: int = 0, n_x: int = 12, n_xhat: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n_x)), 3.0 * rng.random((n_x, n_xhat))


def test_equals_one_at_a_time_plain_ba():
    # Same start (uniform), same map, same stopping rule: identical iteration counts, and
    # results equal to rounding (batched products sum in another order).
    px, d = _problem()
    betas = [0.0, 0.3, 1.0, 2.5, 7.0, 40.0, 1e3]
    batch = blahut_arimoto_batch(px, d, betas, tol=1e-9)
    assert isinstance(batch, RDBatchSolution)
    for i, beta in enumerate(betas):
        one = blahut_arimoto(px, d, beta, method="ba", tol=1e-9)
        assert int(batch.iterations[i]) == one.iterations
        assert bool(batch.converged[i]) == one.converged
        assert batch.rate[i] == pytest.approx(one.rate, abs=1e-12)
        assert batch.distortion[i] == pytest.approx(one.distortion, abs=1e-12)
        assert batch.lower_bound[i] == pytest.approx(one.lower_bound, abs=1e-12)
        np.testing.assert_allclose(batch.encoder[i], one.encoder, atol=1e-12)
        np.testing.assert_allclose(batch.output_marginal[i], one.output_marginal, atol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 1.3, 2.5, 6.0])
def test_binary_source_closed_form(beta):
    # Bernoulli(0.3), Hamming: D*(β) = 1/(1+e^β) on the sloped part, R = h(0.3) - h(D).
    batch = blahut_arimoto_batch([0.7, 0.3], hamming(2), [beta], tol=1e-12)
    d_star = min(1 / (1 + math.exp(beta)), 0.3)
    assert batch.distortion[0] == pytest.approx(d_star, abs=1e-8)
    assert batch.rate[0] == pytest.approx(binary_hamming_rd(0.3, d_star), abs=1e-8)
    assert batch.gap[0] <= 1e-12


def test_log_domain_fallback_after_underflow(monkeypatch):
    # Force the "Z underflowed" branch at the first check (threshold above every Z): the batch
    # must roll back to its last check and finish in the log domain with the same results.
    import ibkit.rate_distortion.batched as batched

    calls = []
    log_kernel = batched._log_c_log
    monkeypatch.setattr(batched, "_TINY_Z", 2.0)
    monkeypatch.setattr(batched, "_log_c_log", lambda *a: calls.append(1) or log_kernel(*a))
    px, d = _problem(5)
    betas = [0.7, 4.0, 60.0]
    res = batched.blahut_arimoto_batch(px, d, betas, tol=1e-9, check_every=3)
    assert calls  # the log-domain kernel did the work
    for i, beta in enumerate(betas):
        one = blahut_arimoto(px, d, beta, method="ba", tol=1e-9, log_domain=True)
        assert int(res.iterations[i]) == one.iterations
        assert res.rate[i] == pytest.approx(one.rate, abs=1e-12)


def test_log_domain_is_finite_for_huge_beta():
    grid = np.linspace(-3, 3, 61)
    px = np.exp(-grid**2 / 2)
    px /= px.sum()
    d = squared_error(grid, grid)
    res = blahut_arimoto_batch(px, d, [1e4, 1e6], tol=1e-7, log_domain=True)
    assert np.all(np.isfinite(res.encoder)) and np.all(res.converged)
    for i, beta in enumerate([1e4, 1e6]):
        one = blahut_arimoto(px, d, beta, method="ba", tol=1e-7)
        assert res.rate[i] == pytest.approx(one.rate, abs=1e-9)


def test_frozen_betas_do_not_move_and_order_does_not_matter():
    px, d = _problem(1)
    a = blahut_arimoto_batch(px, d, [0.5, 20.0, 2.0], tol=1e-8)
    b = blahut_arimoto_batch(px, d, [2.0, 0.5, 20.0], tol=1e-8)
    np.testing.assert_allclose(a.rate, b.rate[[1, 2, 0]], atol=1e-13)
    np.testing.assert_array_equal(a.iterations, b.iterations[[1, 2, 0]])
    c = blahut_arimoto_batch(px, d, [0.5, 20.0, 2.0], tol=1e-8, check_every=1)
    np.testing.assert_allclose(a.rate, c.rate, atol=1e-13)


def test_max_iter_reports_not_converged():
    px, d = _problem(2)
    res = blahut_arimoto_batch(px, d, [1.0, 50.0], tol=1e-14, max_iter=5)
    assert list(np.asarray(res.iterations)) == [5, 5]
    assert not bool(np.any(res.converged))


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
def test_backends_agree_and_stay_in_namespace(backend: Backend):
    px, d = _problem(3, 8, 5)
    betas = [0.4, 3.0, 12.0]
    ref = blahut_arimoto_batch(px, d, betas, tol=1e-9)
    res = blahut_arimoto_batch(backend.asarray(px), backend.asarray(d), betas, tol=1e-9)
    for value in (res.rate, res.encoder, res.output_marginal, res.distortion):
        assert backend.is_own(value)
    np.testing.assert_allclose(np.asarray(res.rate), ref.rate, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.encoder), ref.encoder, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"betas": []},
        {"betas": [1.0, -2.0]},
        {"betas": [float("nan")]},
        {"betas": [1.0], "tol": 0.0},
        {"betas": [1.0], "max_iter": 0},
        {"betas": [1.0], "check_every": 0},
        {"betas": [1.0], "distortion": -np.ones((3, 2))},
        {"betas": [1.0], "px": [0.5, 0.6, -0.1]},
    ],
)
def test_bad_input_is_refused(kwargs):
    args = {"px": np.ones(3) / 3, "distortion": np.ones((3, 2))} | kwargs
    betas = args.pop("betas")
    with pytest.raises(IBKitError):
        blahut_arimoto_batch(args.pop("px"), args.pop("distortion"), betas, **args)


@pytest.mark.gpu
def test_cuda_runs_on_device_and_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    px, d = _problem(4, 200, 150)
    betas = [0.5, 2.0, 8.0, 30.0]
    ref = blahut_arimoto_batch(px, d, betas, tol=1e-8)
    res = blahut_arimoto_batch(torch.as_tensor(px, device="cuda"),
                               torch.as_tensor(d, device="cuda"), betas, tol=1e-8)
    assert res.encoder.device.type == "cuda" and res.rate.device.type == "cuda"
    np.testing.assert_allclose(res.rate.cpu().numpy(), ref.rate, atol=1e-9)


def test_torch_iteration_reads_the_host_only_at_checks():
    # On a GPU every host read is a sync: the batch may read only at its checks (a flag of B
    # booleans and the underflow test), never the iterates. Counted with torch's function
    # mode on CPU tensors, which sees the same calls a CUDA run would make.
    torch = pytest.importorskip("torch")
    from torch.overrides import TorchFunctionMode

    reads = {"__bool__", "item", "cpu", "numpy", "tolist", "__float__", "__int__", "__index__"}

    class CountReads(TorchFunctionMode):
        count = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in reads:
                CountReads.count += 1
            return func(*args, **(kwargs or {}))

    px, d = _problem(6, 30, 20)
    with CountReads():
        res = blahut_arimoto_batch(torch.as_tensor(px), torch.as_tensor(d), [0.5, 2.0, 10.0],
                                   tol=1e-9, check_every=8)
    checks = int(torch.max(res.iterations)) // 8 + 1
    assert CountReads.count <= 3 * checks + 10
