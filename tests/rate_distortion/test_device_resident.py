"""Solvers on an accelerator stay there: the default method on a device, and no host copies.

There is no GPU in the default test run, so the device path is exercised on torch CPU tensors
with the device test forced (``on_host`` patched to answer False, as it does for CUDA) and
with every way a tensor reaches NumPy (``__array__``, ``.numpy()``, ``.tolist()``, ``.cpu()``,
DLPack) made to raise; scalar reads (``float``, ``.item()``, ``bool``) are counted, so the
test also bounds the device-to-host synchronisations per iteration. The ``gpu`` tests repeat
this on CUDA where one is present (deselected by default).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from ibkit.datasets import gaussian_source
from ibkit.rate_distortion import blahut_arimoto, rd_curve
from ibkit.rate_distortion.blahut_arimoto import on_host, resolve_method

torch = pytest.importorskip("torch")

from tests.host_guard import host_guard  # noqa: E402 (needs torch)

solver_module = sys.modules["ibkit.rate_distortion.blahut_arimoto"]

COPIES = ("__array__", "numpy", "tolist", "cpu", "__dlpack__")  # ways to reach host memory
SYNCS = ("__float__", "__bool__", "__int__", "__index__", "item")  # scalar reads
SYNCS_PER_EVALUATION = 6  # gap (2), objective (1), underflow test (1), SQUAREM step (2)
TOL = 1e-4  # bits: SQUAREM's tail on a sparse optimum is slow (CNM's strength), keep it short


def _problem(n: int = 61, device: str = "cpu"):
    src = gaussian_source(1.0, n)
    as_tensor = (lambda a: torch.tensor(a, dtype=torch.float64, device=device))  # noqa: E731
    return src, as_tensor(src.px), as_tensor(src.distortion)


def test_default_method_follows_the_device():
    src, px, d = _problem()
    assert on_host(src.px) and on_host(px) and on_host(d)
    assert resolve_method(None, src.px, src.distortion) == "cnm"
    assert resolve_method(None, px, d) == "cnm"  # torch on CPU: host memory
    accelerator = SimpleNamespace(device=torch.device("cuda", 0))  # no CUDA needed to build
    assert not on_host(accelerator)
    assert resolve_method(None, px, accelerator) == "squarem"
    assert resolve_method("cnm", accelerator) == "cnm"  # an explicit choice is kept
    assert on_host(SimpleNamespace(device="TFRT_CPU_0"))  # e.g. JAX on CPU


def test_device_path_makes_no_host_copies(monkeypatch):
    src, px, d = _problem()
    reference = blahut_arimoto(src.px, src.distortion, 3.0, tol=1e-9)  # NumPy, CNM
    monkeypatch.setattr(solver_module, "on_host", lambda array: False)  # as for CUDA tensors
    with host_guard() as syncs:
        sol = blahut_arimoto(px, d, 3.0, tol=TOL)
    assert isinstance(sol.encoder, torch.Tensor) and isinstance(sol.output_marginal, torch.Tensor)
    assert sol.converged and 0.0 <= sol.gap <= TOL
    assert sol.rate == pytest.approx(reference.rate, abs=2 * TOL)  # both within their gaps
    assert sol.distortion == pytest.approx(reference.distortion, abs=1e-3)
    # O(1) scalar reads per map evaluation, plus a fixed number for validation and the result
    assert sum(syncs.values()) <= SYNCS_PER_EVALUATION * sol.iterations + 30, syncs


def test_device_curve_makes_no_host_copies(monkeypatch):
    src, px, d = _problem(41)
    betas = [0.5, 2.0, 6.0]
    reference = rd_curve(src.px, src.distortion, betas, tol=1e-8)
    monkeypatch.setattr(solver_module, "on_host", lambda array: False)
    with host_guard() as syncs:
        curve = rd_curve(px, d, betas, tol=TOL)
    assert curve.converged.all()
    # R(D) + βD (bits) is pinned to the gap; R alone is not where the curve is flat (β = 0.5)
    def lagrangian(c):
        return c.rate + np.asarray(betas) * c.distortion / np.log(2.0)

    np.testing.assert_allclose(lagrangian(curve), lagrangian(reference), atol=2 * TOL)
    assert sum(syncs.values()) <= SYNCS_PER_EVALUATION * int(curve.iterations.sum()) + 30 * 3


def test_the_host_path_is_still_newton():
    # torch on CPU keeps CNM (a handful of iterations, not SQUAREM's hundreds)
    src, px, d = _problem()
    sol = blahut_arimoto(px, d, 3.0, tol=1e-9)
    assert sol.converged and sol.iterations < 60
    assert sol.rate == pytest.approx(blahut_arimoto(src.px, src.distortion, 3.0).rate, abs=2e-6)


# ---------------------------------------------------------------- on a GPU, where there is one

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@gpu
def test_cuda_default_runs_on_the_device_without_host_copies():
    src, px, d = _problem(201, device="cuda")
    reference = blahut_arimoto(src.px, src.distortion, 3.0, tol=1e-9)
    with host_guard() as syncs:
        sol = blahut_arimoto(px, d, 3.0, tol=TOL)
    assert sol.encoder.device.type == "cuda" and sol.output_marginal.device.type == "cuda"
    assert sol.converged and sol.rate == pytest.approx(reference.rate, abs=2 * TOL)
    assert sum(syncs.values()) <= SYNCS_PER_EVALUATION * sol.iterations + 30, syncs


@pytest.mark.gpu
@gpu
def test_cuda_explicit_cnm_is_correct():
    # documented host round trip for the Newton step; results stay on the device
    src, px, d = _problem(201, device="cuda")
    reference = blahut_arimoto(src.px, src.distortion, 3.0, tol=1e-9)
    sol = blahut_arimoto(px, d, 3.0, tol=1e-9, method="cnm")
    assert sol.encoder.device.type == "cuda"
    assert sol.converged and sol.rate == pytest.approx(reference.rate, abs=1e-8)
    curve = rd_curve(px, d, [1.0, 3.0], tol=TOL)  # default: SQUAREM on the device
    np.testing.assert_allclose(
        curve.rate, rd_curve(src.px, src.distortion, [1.0, 3.0], tol=1e-9).rate, atol=2 * TOL
    )
