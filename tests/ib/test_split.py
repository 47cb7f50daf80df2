"""Bisection probes of ib_curve: early split / no-split decisions against the theory and
against fully converged solves; the in-place NumPy kernel against the generic one."""

from __future__ import annotations

import warnings

import array_api_compat
import numpy as np
import pytest

from ibkit.exceptions import ConvergenceWarning
from ibkit.ib import critical_beta, ib_curve, information_bottleneck
from ibkit.ib._iterative import IBState, run_iterations
from ibkit.ib._split import SplitProbe, copy_groups, spread
from ibkit.ib.curve import count_clusters


def _random_joint(seed: int, shape=(6, 4)) -> np.ndarray:
    joint = np.random.default_rng(seed).random(shape)
    return joint / joint.sum()


def _perturbed(encoder: np.ndarray, seed: int) -> np.ndarray:
    noisy = encoder * (1 + 1e-3 * np.random.default_rng(seed).uniform(-1, 1, encoder.shape))
    return noisy / noisy.sum(axis=1, keepdims=True)


def _trivial(pxy: np.ndarray, n_t: int, beta: float):
    return information_bottleneck(pxy, beta, n_t, init=np.full((pxy.shape[0], n_t), 1 / n_t))


def test_groups_and_spread():
    pxy = _random_joint(0)
    sol = _trivial(pxy, 3, 0.5 * critical_beta(pxy))  # three copies of one cluster
    groups = copy_groups(sol, 1e-3)
    assert [g.tolist() for g in groups] == [[0, 1, 2]]
    dec = np.array([[0.5, 0.5], [0.6, 0.4], [0.7, 0.3]])
    assert spread(dec, groups) == pytest.approx(0.1)
    assert spread(dec, []) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("factor", "splits"), [(0.97, False), (1.03, True)])
def test_probe_decides_early_on_each_side_of_critical_beta(seed, factor, splits):
    # Below β_c = 1/ρ_m² the trivial solution is stable, above it is not (§3.2).
    pxy = _random_joint(seed)
    beta_c = critical_beta(pxy)
    start = _trivial(pxy, 2, 0.5 * beta_c)
    probe = SplitProbe(start, 1e-3)
    state = IBState(pxy, array_api_compat.array_namespace(pxy))
    init = _perturbed(np.asarray(start.encoder), seed)
    *_, iterations, converged = run_iterations(state, init, factor * beta_c, 1.0, 1e-8, 5000, probe)
    assert probe.split is splits
    assert not converged and iterations < 5000


def test_probe_without_copies_decides_at_once():
    pxy = _random_joint(3)
    sol = information_bottleneck(pxy, 50 * critical_beta(pxy), 2, seed=0)
    probe = SplitProbe(sol, 1e-3)
    assert probe.groups == [] and probe(4, sol.marginal, sol.decoder) and probe.split is False


@pytest.mark.parametrize("seed", [4, 5])
def test_bifurcations_agree_with_converged_solves(seed):
    # Independent check of each refined β: fully converged solves from the annealed
    # encoder just below the bifurcation keep the count 2 % below it and raise it 3 % above.
    pxy = _random_joint(seed, (8, 5))
    betas = np.geomspace(0.5, 40.0, 14) * critical_beta(pxy)
    curve = ib_curve(pxy, 3, betas, seed=seed, keep_encoders=True)
    assert curve.bifurcations
    for bif in curve.bifurcations:
        i = int(np.searchsorted(betas, bif.beta)) - 1  # grid point below the split
        start = _perturbed(np.asarray(curve.encoders[i]), seed)
        counts = []
        for factor in (0.98, 1.03):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sol = information_bottleneck(
                    pxy, factor * bif.beta, 3, init=start, tol=1e-13, max_iter=100_000
                )
            counts.append(count_clusters(sol))
        assert counts[0] == bif.n_before
        assert counts[1] > bif.n_before


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_numpy_kernel_matches_generic_loop(alpha):
    # The in-place (n_t, n_x) NumPy loop against the namespace-generic one on the same data.
    pxy = _random_joint(6, (7, 5))
    pxy[2] = 0.0  # a zero row and a zero column
    pxy[:, 1] = 0.0
    pxy /= pxy.sum()
    init = np.random.default_rng(0).dirichlet(np.ones(4), size=7)
    fast = IBState(pxy, array_api_compat.array_namespace(pxy))
    slow = IBState(pxy, array_api_compat.array_namespace(pxy))
    slow.numpy = False
    a = run_iterations(fast, init, 6.0, alpha, 1e-12, 500)
    b = run_iterations(slow, init, 6.0, alpha, 1e-12, 500)
    for x, y in zip(a[:3], b[:3], strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-10)
    assert a[3:] == b[3:]


def test_float32_joint_stays_finite():
    pxy = _random_joint(7, (6, 4)).astype(np.float32)
    pxy[:, 0] = 0
    pxy /= pxy.sum()
    sol = information_bottleneck(pxy, 1e4, 3, seed=0, tol=1e-5)
    assert np.all(np.isfinite(sol.encoder)) and np.isfinite(sol.objective)


@pytest.mark.parametrize("seed", [0, 1])
def test_tail_extrapolation_reaches_the_same_fixed_point_sooner(seed):
    # A slowly converging solve just above β_c: the plain iteration (a monitor that never
    # stops it also switches the jumps off) and the extrapolated one end at the same point.
    pxy = _random_joint(seed, (30, 6))
    beta = 1.3 * critical_beta(pxy)
    state = IBState(pxy, array_api_compat.array_namespace(pxy))
    init = _perturbed(np.full((30, 3), 1 / 3), seed)
    fast = run_iterations(state, init, beta, 1.0, 1e-12, 100_000)
    plain = run_iterations(state, init, beta, 1.0, 1e-12, 100_000, lambda *_: False)
    assert fast[4] and plain[4]
    for x, y in zip(fast[:3], plain[:3], strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-8)
    assert fast[3] < plain[3]
