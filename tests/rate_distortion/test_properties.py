"""Properties of R(D) and of the certificate that hold for every source and distortion."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibkit import entropy, mutual_information
from ibkit.exceptions import ConvergenceWarning
from ibkit.rate_distortion import blahut_arimoto, rd_curve
from tests.strategies import pmfs

FAST = settings(max_examples=40, deadline=None)


@st.composite
def rd_problems(draw, max_side: int = 6):
    px = draw(pmfs(min_size=2, max_size=max_side))
    n_xhat = draw(st.integers(2, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    d = np.random.default_rng(seed).uniform(0.0, 2.0, size=(px.shape[0], n_xhat))
    return px, d


@FAST
@given(problem=rd_problems(), beta=st.floats(0.0, 30.0))
def test_solution_is_a_valid_certified_point(problem, beta):
    px, d = problem
    sol = blahut_arimoto(px, d, beta, tol=1e-9)
    assert sol.converged
    assert -1e-12 <= sol.gap <= 1e-9
    np.testing.assert_allclose(sol.encoder.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(sol.output_marginal, px @ sol.encoder, atol=1e-12)
    # The reported rate is I(X;X̂) of the returned encoder, bounded by H(X).
    joint = px[:, None] * sol.encoder
    assert sol.rate == pytest.approx(float(mutual_information(joint)), abs=1e-9)
    assert sol.rate <= float(entropy(px)) + 1e-9
    assert sol.distortion == pytest.approx(float(np.sum(joint * d)), abs=1e-12)


@FAST
@given(problem=rd_problems())
def test_curve_is_non_increasing_and_convex(problem):
    px, d = problem
    # A 7× jump in β per warm start; the certificate must be met at every point. (Gaps much
    # below 1e-7 can be out of float64's reach when p(x) has entries ~1e-5.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        curve = rd_curve(px, d, betas=np.geomspace(0.05, 40.0, 6), tol=1e-7)
    assert curve.converged.all()
    order = np.argsort(curve.distortion)
    dist, rate = curve.distortion[order], curve.rate[order]
    assert np.all(np.diff(rate) <= 1e-8)  # R(D) non-increasing
    # Convexity: every point lies on or below the chord of its neighbours (up to the gap).
    for i in range(1, len(dist) - 1):
        lo, hi = dist[i - 1], dist[i + 1]
        if hi - lo < 1e-9:
            continue
        chord = rate[i - 1] + (rate[i + 1] - rate[i - 1]) * (dist[i] - lo) / (hi - lo)
        assert rate[i] <= chord + 1e-7
    assert np.all(curve.gap >= -1e-12)


@FAST
@given(problem=rd_problems(), beta=st.floats(0.5, 10.0))
def test_lower_bound_holds_against_any_other_encoder(problem, beta):
    # Blahut's bound: R(D) ≥ lower_bound at the solution's D, so no encoder with distortion
    # ≤ D may have a smaller rate; probe with the solutions at larger β (smaller D).
    px, d = problem
    sol = blahut_arimoto(px, d, beta, tol=1e-10)
    sharper = blahut_arimoto(px, d, beta * 1.5, tol=1e-10)
    assert sharper.distortion <= sol.distortion + 1e-9
    assert sharper.rate >= sol.lower_bound - 1e-9


@FAST
@given(problem=rd_problems(), beta=st.floats(0.0, 20.0))
def test_methods_agree_on_the_lagrangian(problem, beta):
    px, d = problem
    cnm = blahut_arimoto(px, d, beta, tol=1e-9)
    plain = blahut_arimoto(px, d, beta, tol=1e-6, method="ba", max_iter=200_000)
    slope = beta / np.log(2)
    assert plain.rate + slope * plain.distortion >= cnm.lower_bound + slope * cnm.distortion - 1e-9
    assert cnm.rate + slope * cnm.distortion <= plain.rate + slope * plain.distortion + 1e-9
