"""Annealed IB curves: bifurcations against the theory, monotone curves, bounds, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibkit import mutual_information
from ibkit.exceptions import InvalidDistributionError, InvalidParameterError
from ibkit.ib import critical_beta, ib_curve, maximal_correlation


def _random_joint(seed: int, shape=(6, 4)) -> np.ndarray:
    joint = np.random.default_rng(seed).random(shape)
    return joint / joint.sum()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_first_bifurcation_matches_critical_beta(seed):
    # Forward annealing leaves the trivial solution where the theory says it loses local
    # stability: β_c = 1/ρ_m², ρ_m the maximal correlation. The annealed split is detected
    # when the clusters' decoders differ by merge_tol, a hair above β_c: allow 0.5 %.
    pxy = _random_joint(seed)
    curve = ib_curve(pxy, 2, np.geomspace(0.5, 3.0, 12) * critical_beta(pxy), seed=seed)
    first = curve.bifurcations[0]
    assert (first.n_before, first.n_after) == (1, 2)
    assert first.beta == pytest.approx(critical_beta(pxy), rel=5e-3)
    assert first.beta >= critical_beta(pxy) * (1 - 1e-6)


def test_critical_beta_closed_form_for_binary_symmetric_joint():
    # X uniform, Y = X through a BSC(ε): ρ_m = |1 - 2ε|, so β_c = 1/(1 - 2ε)².
    eps = 0.2
    pxy = 0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]])
    assert maximal_correlation(pxy) == pytest.approx(1 - 2 * eps, abs=1e-12)
    assert critical_beta(pxy) == pytest.approx(1 / (1 - 2 * eps) ** 2, rel=1e-12)
    assert critical_beta(np.outer([0.3, 0.7], [0.5, 0.5])) == math.inf


def test_curve_is_monotone_and_bounded():
    pxy = _random_joint(5)
    curve = ib_curve(pxy, 3, n_points=20, seed=1)
    i_xy = float(mutual_information(pxy))
    assert np.all(np.diff(curve.I_XT) >= -1e-9)
    assert np.all(np.diff(curve.I_TY) >= -1e-9)
    assert np.all(curve.I_TY <= curve.I_XT + 1e-9)
    assert np.all(curve.I_TY <= i_xy + 1e-9)
    assert np.all(curve.I_XT <= curve.H_T + 1e-9)
    assert np.all(curve.H_T <= math.log2(3) + 1e-9)
    assert curve.I_XT[0] == pytest.approx(0.0, abs=1e-8)  # starts trivial below β_c
    assert curve.n_effective[-1] == 3
    counts = [b.n_after for b in curve.bifurcations]
    assert counts == sorted(counts)


def test_reverse_annealing_and_serialisation(tmp_path):
    pxy = _random_joint(7, (5, 3))
    curve = ib_curve(pxy, 2, np.geomspace(1.0, 200.0, 10), anneal="reverse", seed=0)
    assert curve.I_XT[-1] > 0.1 and curve.n_effective[-1] == 2
    data = curve.to_dict()
    assert data["n_clusters"] == 2 and len(data["beta"]) == 10
    path = curve.to_csv(tmp_path / "curve.csv")
    assert path.read_text().splitlines()[0] == "beta,I_XT,I_TY,H_T,n_effective,objective"


def test_keep_encoders_and_callback():
    pxy = _random_joint(2, (4, 3))
    seen = []
    curve = ib_curve(
        pxy, 2, [1.0, 10.0, 100.0], keep_encoders=True, callback=lambda i, n, s: seen.append(i)
    )
    assert seen == [0, 1, 2]
    assert len(curve.encoders) == 3 and curve.encoders[0].shape == (4, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_clusters": 0}, InvalidParameterError, "n_clusters must be >= 1"),
        ({"betas": [1.0, -1.0]}, InvalidParameterError, "betas must be >= 0"),
        ({"betas": [2.0, 1.0]}, InvalidParameterError, "betas must be strictly increasing"),
        ({"betas": []}, InvalidParameterError, "betas must hold at least one"),
        ({"anneal": "sideways"}, InvalidParameterError, "anneal must be one of"),
        ({"perturbation": 0.0}, InvalidParameterError, "perturbation must be > 0"),
        ({"alpha": -1.0}, InvalidParameterError, "alpha must be >= 0"),
        ({"pxy": [[0.5, -0.1], [0.3, 0.3]]}, InvalidDistributionError, "pxy must be non-negative"),
        ({"pxy": [0.5, 0.5]}, InvalidDistributionError, "pxy must have 2 dimension"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"pxy": _random_joint(0, (3, 2)), "n_clusters": 2, "betas": [1.0, 2.0], **kwargs}
    with pytest.raises(error, match=match):
        ib_curve(args.pop("pxy"), args.pop("n_clusters"), **args)


def test_critical_beta_refuses_bad_joints():
    with pytest.raises(InvalidDistributionError, match="pxy must sum to 1"):
        critical_beta([[0.5, 0.5], [0.5, 0.5]])


def test_automatic_grid_is_refined_where_the_curve_moves():
    pxy = _random_joint(4)
    curve = ib_curve(pxy, 3, n_points=12, seed=0)
    assert len(curve.beta) == 18 and np.all(np.diff(curve.beta) > 0)
    coarse = ib_curve(pxy, 3, np.geomspace(0.5, 300.0, 12) * critical_beta(pxy), seed=0)

    # the inserted points land where the curve makes its largest steps
    def largest_step(c):
        return np.max(np.hypot(np.diff(c.I_XT), np.diff(c.I_TY)))

    assert largest_step(curve) < largest_step(coarse)


def test_restarts_never_give_a_worse_objective():
    pxy = _random_joint(6)
    betas = np.geomspace(0.8, 20.0, 6) * critical_beta(pxy)
    plain = ib_curve(pxy, 3, betas, seed=0)
    restarted = ib_curve(pxy, 3, betas, seed=0, restarts=3)
    assert np.all(restarted.objective <= plain.objective + 1e-9)
