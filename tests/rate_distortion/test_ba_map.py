"""The BA map's compiled passes (._ba_jit, the SQUAREM loops of ._fixed_point) against the
NumPy/array-API path, and BA/SQUAREM with and without them.

``_kernels._JIT`` and ``_fixed_point._JIT`` switch the two paths in one process; the kernels
run compiled when numba is there and as plain Python otherwise.
"""

from __future__ import annotations

import warnings

import array_api_strict
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibkit import _fixed_point
from ibkit.datasets import gaussian_source
from ibkit.exceptions import ConvergenceWarning
from ibkit.rate_distortion import _kernels, blahut_arimoto, hamming, squared_error
from ibkit.rate_distortion._ba_jit import kernel_matrix
from ibkit.rate_distortion._kernels import AutoKernel, KernelUnderflow, LinearKernel

from ..strategies import pmfs


def _use_jit(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setattr(_kernels, "_JIT", on)
    monkeypatch.setattr(_fixed_point, "_JIT", on)


def _problem(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p with a zero, a squared-error d (n, m) on random points, a random normalised θ."""
    rng = np.random.default_rng(seed)
    px = rng.random(n)
    px[n // 2] = 0.0
    d = squared_error(np.sort(rng.normal(size=n)), np.sort(rng.normal(size=m)))
    theta = np.log(rng.dirichlet(np.ones(m)))
    return px / px.sum(), d, theta


def _step(px, d, beta, theta, jit, monkeypatch):
    _use_jit(monkeypatch, jit)
    kernel = LinearKernel(px, d, beta, np)
    assert kernel._jit is jit
    return kernel(theta)


@pytest.mark.parametrize(("n", "m", "beta"), [(30, 30, 0.0), (40, 25, 3.0), (25, 60, 40.0)])
def test_compiled_step_matches_numpy_step(n, m, beta, monkeypatch) -> None:
    px, d, theta = _problem(n, m, seed=n + m)
    fast = _step(px, d, beta, theta, True, monkeypatch)
    slow = _step(px, d, beta, theta, False, monkeypatch)
    np.testing.assert_allclose(fast.next_theta, slow.next_theta, rtol=1e-12, atol=1e-12)
    assert fast.objective == pytest.approx(slow.objective, rel=1e-12, abs=1e-13)
    assert fast.gap == pytest.approx(slow.gap, rel=1e-9, abs=1e-13)
    assert fast.gap >= 0.0


@settings(max_examples=25, deadline=None)
@given(px=pmfs(min_size=2, max_size=12), beta=st.floats(0.0, 50.0), seed=st.integers(0, 99))
def test_compiled_step_matches_numpy_step_on_random_pmfs(px, beta, seed) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        rng = np.random.default_rng(seed)
        n = px.shape[0]
        d = squared_error(rng.normal(size=n), rng.normal(size=n))
        theta = np.log(rng.dirichlet(np.ones(n)))
        try:
            slow = _step(px, d, beta, theta, False, monkeypatch)
        except KernelUnderflow:  # the compiled path must refuse the same points
            with pytest.raises(KernelUnderflow):
                _step(px, d, beta, theta, True, monkeypatch)
            return
        fast = _step(px, d, beta, theta, True, monkeypatch)
    np.testing.assert_allclose(fast.next_theta, slow.next_theta, rtol=1e-12, atol=1e-12)
    assert fast.objective == pytest.approx(slow.objective, rel=1e-12, abs=1e-12)
    assert fast.gap == pytest.approx(slow.gap, rel=1e-9, abs=1e-12)


def test_kernel_matrix_is_numpy_bit_for_bit() -> None:
    _, d, _ = _problem(50, 40, seed=1)
    shift = d.min(axis=1, keepdims=True)
    np.testing.assert_array_equal(kernel_matrix(d, shift, 7.5), np.exp(-7.5 * (d - shift)))


@pytest.mark.parametrize("jit", [True, False])
def test_underflow_switches_to_the_log_domain_on_both_paths(jit, monkeypatch) -> None:
    px, d, _ = _problem(30, 30, seed=3)
    theta = np.full(30, _fixed_point.LOG_FLOOR)
    theta[0] = 0.0  # all mass on one end point: Z(x) underflows at the far end for large β
    _use_jit(monkeypatch, jit)
    with pytest.raises(KernelUnderflow):
        LinearKernel(px, d, 2000.0, np)(theta)
    auto = AutoKernel(px, d, 2000.0, np)
    step = auto(theta)
    assert auto.log_domain and np.isfinite(step.objective) and step.gap >= 0.0


def _both_paths(monkeypatch, px, d, beta, **options):
    sols = []
    for jit in (True, False):
        _use_jit(monkeypatch, jit)
        with warnings.catch_warnings():  # plain BA on a sparse optimum has a slow tail
            warnings.simplefilter("ignore", ConvergenceWarning)
            sols.append(blahut_arimoto(px, d, beta, **options))
    return sols


@pytest.mark.parametrize("beta", [0.5, 8.0, 300.0])
def test_plain_ba_trajectory_is_the_same_to_rounding(beta, monkeypatch) -> None:
    src = gaussian_source(1.0, 81)
    fast, slow = _both_paths(
        monkeypatch, src.px, src.distortion, beta, method="ba", tol=1e-9, max_iter=400
    )
    assert fast.iterations == slow.iterations and fast.converged == slow.converged
    assert fast.rate == pytest.approx(slow.rate, abs=1e-12)
    assert fast.distortion == pytest.approx(slow.distortion, abs=1e-12)
    assert fast.gap == pytest.approx(slow.gap, abs=1e-12)
    np.testing.assert_allclose(fast.output_marginal, slow.output_marginal, atol=1e-13)


@pytest.mark.parametrize("beta", [1.5, 4.0, 300.0])
def test_squarem_reaches_the_same_certified_point(beta, monkeypatch) -> None:
    """SQUAREM's accept test and its long secant steps turn rounding into a different path
    (a 1-ulp change on the NumPy path alone does the same), so the two paths are compared
    on what the certificate pins: R + βD/ln 2, within the gaps."""
    px = np.random.default_rng(5).dirichlet(np.full(12, 5.0))
    d, tol = hamming(12), 1e-7
    fast, slow = _both_paths(monkeypatch, px, d, beta, method="squarem", tol=tol)
    assert fast.converged and slow.converged
    assert 0.0 <= fast.gap <= tol and 0.0 <= slow.gap <= tol
    lagrangian = [s.rate + beta * s.distortion / np.log(2.0) for s in (fast, slow)]
    assert lagrangian[0] == pytest.approx(lagrangian[1], abs=2 * tol)
    assert abs(fast.iterations - slow.iterations) <= max(3, slow.iterations // 10)


def test_squarem_loops_match_numpy(monkeypatch) -> None:
    rng = np.random.default_rng(7)
    t0, t1, t2 = (np.log(rng.dirichlet(np.ones(40))) for _ in range(3))
    out = {}
    for jit in (True, False):
        monkeypatch.setattr(_fixed_point, "_JIT", jit)
        alpha = _fixed_point._step_length(t0, t1, t2, np)
        out[jit] = (
            alpha,
            _fixed_point._jump(t0, t1, t2, alpha, np),
            _fixed_point.normalize_log(t2 + 3.0, np),
        )
    assert out[True][0] == pytest.approx(out[False][0], rel=1e-12)
    np.testing.assert_allclose(out[True][1], out[False][1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[True][2], out[False][2], rtol=1e-12, atol=1e-12)
    for jit in (True, False):  # a fixed point already: v = 0, the plain step
        monkeypatch.setattr(_fixed_point, "_JIT", jit)
        assert _fixed_point._step_length(t0, t0.copy(), t0.copy(), np) is None


@pytest.mark.parametrize(
    "convert",
    [lambda a: a.astype(np.float32), array_api_strict.asarray],
    ids=["float32", "array_api_strict"],
)
def test_compiled_passes_only_touch_numpy_float64(convert, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled pass called on non-float64-NumPy input")

    _use_jit(monkeypatch, True)
    for name in ("source_weights", "log_update"):
        monkeypatch.setattr(_kernels, name, refuse)
    for name in ("_normalize_into", "_jump_into", "_secant_squares"):
        monkeypatch.setattr(_fixed_point, name, refuse)
    src = gaussian_source(1.0, 31)
    sol = blahut_arimoto(convert(src.px), convert(src.distortion), 2.0, method="squarem", tol=1e-4)
    assert sol.converged and sol.gap <= 1e-4
