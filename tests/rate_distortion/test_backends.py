"""Blahut–Arimoto, R(D) curves and capacity give equal results on every array backend."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit._array import to_numpy
from ibkit.datasets import gaussian_source
from ibkit.rate_distortion import blahut_arimoto, channel_capacity, rd_curve, squared_error


@pytest.mark.parametrize(("method", "tol"), [("cnm", 1e-9), ("ba", 1e-4)])
def test_blahut_arimoto_backends_agree(backend, method, tol):
    src = gaussian_source(1.0, 61)
    ref = blahut_arimoto(src.px, src.distortion, 3.0, tol=tol, method=method)
    sol = blahut_arimoto(
        backend.asarray(src.px), backend.asarray(src.distortion), 3.0, tol=tol, method=method
    )
    assert backend.is_own(sol.encoder) and backend.is_own(sol.output_marginal)
    assert sol.rate == pytest.approx(ref.rate, abs=1e-10)
    assert sol.distortion == pytest.approx(ref.distortion, abs=1e-10)
    # p(x̂|x) is pinned only to within the certified gap (the optimal p(x̂) of a discretised
    # Gaussian is sparse and flat near its optimum), so encoders agree to ~1e-6, not 1e-12.
    np.testing.assert_allclose(to_numpy(sol.encoder), ref.encoder, atol=1e-5)


def test_rd_curve_and_capacity_backends_agree(backend):
    px = np.array([0.1, 0.2, 0.3, 0.4])
    d = np.asarray(squared_error(np.arange(4.0)))
    ref = rd_curve(px, d, [0.5, 1.0, 2.0])
    curve = rd_curve(backend.asarray(px), backend.asarray(d), [0.5, 1.0, 2.0])
    np.testing.assert_allclose(curve.rate, ref.rate, atol=1e-10)
    w = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3]])
    cap = channel_capacity(backend.asarray(w), tol=1e-10)
    assert backend.is_own(cap.input_pmf)
    assert cap.capacity == pytest.approx(channel_capacity(w, tol=1e-10).capacity, abs=1e-10)


def test_distortion_builders_keep_the_array_type(backend):
    x = backend.asarray([0.0, 1.0, 3.0])
    assert backend.is_own(squared_error(x))
    np.testing.assert_allclose(to_numpy(squared_error(x))[0], [0.0, 1.0, 9.0])
