"""Oracles for the information measures: scipy, dit, and closed forms.

Peers (scipy.stats.entropy, dit) are run on the same float64 input; they agree to rounding,
so the tolerance is 1e-12 (values are a few bits; float64 rounding is ~1e-15 per term).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.stats

import ibkit as ib

TOL = 1e-12  # float64 rounding on sums of at most a few hundred terms

dit = pytest.importorskip("dit")


def _random_joint(shape: tuple[int, ...], seed: int, zeros: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.random(shape)
    if zeros:
        p[rng.random(shape) < 0.25] = 0.0  # exact zeros, sometimes whole rows
        p.flat[0] = max(p.flat[0], 0.1)
    return p / p.sum()


FIXED_JOINTS = [
    np.array([[0.5, 0.0], [0.0, 0.5]]),  # perfect correlation: I = 1 bit
    np.array([[0.25, 0.25], [0.25, 0.25]]),  # independent: I = 0
    np.array([[0.5, 0.0], [0.25, 0.25]]),  # Z-channel
    np.array([[0.1, 0.2, 0.0], [0.0, 0.0, 0.0], [0.3, 0.1, 0.3]]),  # a zero row
    np.array([[1.0]]),  # one symbol each
    np.array([[0.2, 0.3, 0.5]]),  # X constant
]
RANDOM_JOINTS = [
    _random_joint((nx, ny), seed)
    for seed, (nx, ny) in enumerate([(2, 2), (3, 5), (6, 4), (8, 8), (1, 7), (7, 1)])
]
JOINTS = FIXED_JOINTS + RANDOM_JOINTS
JOINTS3 = [
    _random_joint(shape, 100 + seed)
    for seed, shape in enumerate([(2, 2, 2), (3, 4, 2), (4, 3, 5), (1, 3, 3), (5, 5, 5)])
]
PMF_PAIRS = [
    (np.array([0.5, 0.5]), np.array([0.9, 0.1])),
    (np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.3, 0.5])),
    (np.array([0.0, 0.4, 0.6]), np.array([0.1, 0.4, 0.5])),
    (np.array([0.25, 0.25, 0.25, 0.25]), np.array([0.25, 0.25, 0.25, 0.25])),
    *[
        (_random_joint((n,), 200 + n, zeros=False), _random_joint((n,), 300 + n, zeros=False))
        for n in (2, 5, 16)
    ],
]


def _dit_joint(pxy: np.ndarray) -> dit.Distribution:
    """The dit distribution of a joint array: outcome tuples are the array's indices."""
    outcomes = [tuple(int(i) for i in index) for index in np.ndindex(*pxy.shape)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dit may warn about zero-probability outcomes
        return dit.Distribution(outcomes, pxy.ravel().tolist())  # linear pmf; dit reports bits


def _dit_pmf(p: np.ndarray) -> dit.Distribution:
    return _dit_joint(np.asarray(p))


def _hb(p: float) -> float:
    """Binary entropy in bits, computed independently of ibkit."""
    return 0.0 if p in (0.0, 1.0) else -p * math.log2(p) - (1 - p) * math.log2(1 - p)


# ---------------------------------------------------------------- scipy.stats.entropy


@pytest.mark.parametrize("base", [2.0, math.e, 10.0, 3.5])
@pytest.mark.parametrize("p", [pair[0] for pair in PMF_PAIRS] + [j.ravel() for j in JOINTS])
def test_entropy_matches_scipy(p, base):
    assert ib.entropy(p, base=base) == pytest.approx(scipy.stats.entropy(p, base=base), abs=TOL)


@pytest.mark.parametrize("base", [2.0, math.e])
@pytest.mark.parametrize(("p", "q"), PMF_PAIRS)
def test_kl_matches_scipy(p, q, base):
    for a, b in ((p, q), (q, p)):
        want = scipy.stats.entropy(a, b, base=base)
        assert ib.kl_divergence(a, b, base=base) == pytest.approx(want, abs=TOL)


# ---------------------------------------------------------------------------- dit


@pytest.mark.parametrize("pxy", JOINTS)
def test_joint_measures_match_dit(pxy):
    d = _dit_joint(pxy)
    assert ib.joint_entropy(pxy) == pytest.approx(dit.shannon.entropy(d), abs=TOL)
    assert ib.mutual_information(pxy) == pytest.approx(
        dit.shannon.mutual_information(d, [0], [1]), abs=TOL
    )
    # conditional_entropy(pxy) is H(Y|X): axis -2 conditions.
    assert ib.conditional_entropy(pxy) == pytest.approx(
        dit.shannon.conditional_entropy(d, [1], [0]), abs=TOL
    )
    assert ib.conditional_entropy(pxy.T) == pytest.approx(
        dit.shannon.conditional_entropy(d, [0], [1]), abs=TOL
    )
    assert ib.mutual_information(pxy) == pytest.approx(
        dit.multivariate.coinformation(d, [[0], [1]]), abs=TOL
    )


@pytest.mark.parametrize("pxyz", JOINTS3)
def test_conditional_mutual_information_matches_dit(pxyz):
    d = _dit_joint(pxyz)
    want = dit.multivariate.coinformation(d, [[0], [1]], [2])
    assert ib.conditional_mutual_information(pxyz) == pytest.approx(want, abs=TOL)
    # Via conditional entropies: I(X;Y|Z) = H(X|Z) - H(X|Y,Z).
    via_h = dit.shannon.conditional_entropy(d, [0], [2]) - dit.shannon.conditional_entropy(
        d, [0], [1, 2]
    )
    assert ib.conditional_mutual_information(pxyz) == pytest.approx(via_h, abs=TOL)


@pytest.mark.parametrize(("p", "q"), PMF_PAIRS)
def test_divergences_match_dit(p, q):
    dp, dq = _dit_pmf(p), _dit_pmf(q)
    assert ib.js_divergence(p, q) == pytest.approx(
        dit.divergences.jensen_shannon_divergence([dp, dq]), abs=TOL
    )
    for w in ([0.3, 0.7], [0.9, 0.1]):
        assert ib.js_divergence(p, q, w) == pytest.approx(
            dit.divergences.jensen_shannon_divergence([dp, dq], w), abs=TOL
        )
    if np.all(q[p > 0] > 0):  # dit's KL and cross entropy are finite only on q's support
        assert ib.kl_divergence(p, q) == pytest.approx(
            dit.divergences.kullback_leibler_divergence(dp, dq), abs=TOL
        )
        assert ib.cross_entropy(p, q) == pytest.approx(
            dit.divergences.cross_entropy(dp, dq), abs=TOL
        )


# ---------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 64, 1000])
def test_uniform_entropy_is_log_n(n):
    p = np.full(n, 1.0 / n)
    assert ib.entropy(p) == pytest.approx(math.log2(n), abs=TOL)
    assert ib.entropy(p, base=math.e) == pytest.approx(math.log(n), abs=TOL)
    assert ib.joint_entropy(np.full((n, 2), 0.5 / n)) == pytest.approx(math.log2(2 * n), abs=TOL)


@pytest.mark.parametrize("p", [0.0, 1e-9, 0.01, 0.11, 0.3, 0.5, 0.77, 1.0])
def test_binary_entropy_closed_form(p):
    assert ib.entropy([p, 1 - p]) == pytest.approx(_hb(p), abs=TOL)


@pytest.mark.parametrize("eps", [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_doubly_symmetric_binary_source(eps):
    # X ~ Bern(1/2) through a BSC(ε): I(X;Y) = 1 - H_b(ε), H(Y|X) = H_b(ε).
    pxy = np.array([[1 - eps, eps], [eps, 1 - eps]]) / 2
    assert ib.mutual_information(pxy) == pytest.approx(1 - _hb(eps), abs=TOL)
    assert ib.conditional_entropy(pxy) == pytest.approx(_hb(eps), abs=TOL)
    assert ib.joint_entropy(pxy) == pytest.approx(1 + _hb(eps), abs=TOL)


@pytest.mark.parametrize(("a", "eps"), [(0.1, 0.2), (0.3, 0.05), (0.7, 0.4)])
def test_binary_symmetric_channel_with_biased_input(a, eps):
    # X ~ Bern(a) through a BSC(ε): I(X;Y) = H_b(a*ε) - H_b(ε), a*ε = a(1-ε) + (1-a)ε.
    pxy = np.array([[(1 - a) * (1 - eps), (1 - a) * eps], [a * eps, a * (1 - eps)]])
    conv = a * (1 - eps) + (1 - a) * eps
    assert ib.mutual_information(pxy) == pytest.approx(_hb(conv) - _hb(eps), abs=TOL)


def test_xor_has_conditional_but_no_pairwise_information():
    # Z = X xor Y with X, Y fair and independent: I(X;Y) = 0 but I(X;Y|Z) = 1 bit.
    pxyz = np.zeros((2, 2, 2))
    for x in (0, 1):
        for y in (0, 1):
            pxyz[x, y, x ^ y] = 0.25
    assert ib.mutual_information(pxyz.sum(axis=2)) == pytest.approx(0.0, abs=TOL)
    assert ib.conditional_mutual_information(pxyz) == pytest.approx(1.0, abs=TOL)


def test_copies_have_no_conditional_information():
    # X = Y = Z uniform on 3 symbols: I(X;Y) = log2 3, I(X;Y|Z) = 0.
    pxyz = np.zeros((3, 3, 3))
    for i in range(3):
        pxyz[i, i, i] = 1 / 3
    assert ib.mutual_information(pxyz.sum(axis=2)) == pytest.approx(math.log2(3), abs=TOL)
    assert ib.conditional_mutual_information(pxyz) == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.9), (0.1, 0.2), (0.99, 0.01)])
def test_bernoulli_kl_closed_form(a, b):
    want = a * math.log2(a / b) + (1 - a) * math.log2((1 - a) / (1 - b))
    assert ib.kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(want, abs=TOL)
    want_ce = -a * math.log2(b) - (1 - a) * math.log2(1 - b)
    assert ib.cross_entropy([a, 1 - a], [b, 1 - b]) == pytest.approx(want_ce, abs=TOL)


@pytest.mark.parametrize("w1", [0.5, 0.2, 0.0, 1.0])
def test_js_of_disjoint_supports_is_entropy_of_weights(w1):
    # Disjoint supports: JS_π(p, q) = H(π), 1 bit for equal weights; a zero weight gives 0.
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.3, 0.7])
    js = ib.js_divergence(p, q, [w1, 1 - w1])
    assert js == pytest.approx(_hb(w1), abs=TOL)
    assert math.isfinite(js)


# --------------------------------------------------------------- units and conventions


def _all_measures(pxy: np.ndarray, pxyz: np.ndarray, p: np.ndarray, q: np.ndarray, **kw):
    return np.array(
        [
            ib.entropy(p, **kw),
            ib.joint_entropy(pxy, **kw),
            ib.conditional_entropy(pxy, **kw),
            ib.mutual_information(pxy, **kw),
            ib.conditional_mutual_information(pxyz, **kw),
            ib.kl_divergence(p, q, **kw),
            ib.cross_entropy(p, q, **kw),
            ib.js_divergence(p, q, **kw),
        ]
    )


def test_base_conversion_between_bits_nats_and_others():
    args = (RANDOM_JOINTS[1], JOINTS3[1], *PMF_PAIRS[-1])
    bits = _all_measures(*args)
    assert np.all(bits > 0)
    np.testing.assert_allclose(_all_measures(*args, base=math.e), bits * math.log(2), atol=TOL)
    np.testing.assert_allclose(_all_measures(*args, base=2), bits, rtol=0, atol=0)
    np.testing.assert_allclose(_all_measures(*args, base=10), bits * math.log10(2), atol=TOL)
    np.testing.assert_allclose(_all_measures(*args, base=0.5), -bits, atol=TOL)


def test_default_base_is_bits():
    assert ib.entropy([0.5, 0.5]) == 1.0
    assert ib.mutual_information([[0.5, 0.0], [0.0, 0.5]]) == 1.0
    assert ib.kl_divergence([1.0, 0.0], [0.5, 0.5]) == 1.0


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([0.5, 0.5], [1.0, 0.0]),
        ([1e-3, 1 - 1e-3], [0.0, 1.0]),
        ([[0.5, 0.5], [1.0, 0.0]], [1.0, 0.0]),  # batched: only the first row is infinite
    ],
)
def test_kl_is_inf_not_nan_outside_support(p, q):
    kl = np.atleast_1d(ib.kl_divergence(p, q))
    ce = np.atleast_1d(ib.cross_entropy(p, q))
    assert not np.any(np.isnan(kl)) and not np.any(np.isnan(ce))
    assert np.isposinf(kl[0]) and np.isposinf(ce[0])
    if kl.shape[0] > 1:
        assert kl[1] == 0.0 and ce[1] == 0.0
    # The reverse direction is finite: q's support lies inside p's.
    assert np.all(np.isfinite(ib.kl_divergence(q, p)))


def test_zero_log_zero_is_zero():
    assert ib.entropy([1.0, 0.0, 0.0]) == 0.0
    assert ib.entropy([0.5, 0.0, 0.5, 0.0]) == 1.0
    assert ib.joint_entropy([[0.0, 0.5], [0.0, 0.5]]) == 1.0
    assert ib.conditional_entropy([[0.0, 0.0], [0.5, 0.5]]) == 1.0  # zero row of X
    assert ib.mutual_information([[0.0, 0.0], [0.0, 1.0]]) == 0.0
    assert ib.kl_divergence([0.0, 1.0], [0.5, 0.5]) == 1.0  # 0 log(0/q) = 0
    assert ib.kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0 log(0/0) = 0
    assert ib.cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert ib.conditional_mutual_information(np.pad([[[1.0]]], ((0, 1), (0, 1), (0, 1)))) == 0.0


def test_results_are_numpy_float64_scalars_for_lists():
    for value in _all_measures(RANDOM_JOINTS[0], JOINTS3[0], *PMF_PAIRS[0]):
        assert isinstance(value, np.float64)
    assert isinstance(ib.entropy([0.5, 0.5]), np.float64)


def test_tiny_probabilities_neither_underflow_nor_overflow():
    # Regression: ratios are taken in the log domain. A symbol z of mass 1e-200 once made
    # p(z) p(x,y,z) underflow to 0, log 0 = -inf, and the clipped CMI collapse to 0.
    pxyz = np.zeros((2, 2, 2))
    pxyz[0, 0, 1] = 1e-200
    pxyz[0, 0, 0], pxyz[1, 1, 0] = 0.5 - 1e-200, 0.5
    assert ib.conditional_mutual_information(pxyz) == pytest.approx(1.0, abs=TOL)
    pxy = np.array([[0.5, 1e-200], [1e-200, 0.5]])
    assert ib.mutual_information(pxy) == pytest.approx(1.0, abs=TOL)
    # A subnormal q(x) once overflowed p/q to inf (with a RuntimeWarning).
    q = [1.0, 1e-310]
    assert ib.kl_divergence([0.0, 1.0], q) == pytest.approx(310 * math.log2(10), rel=1e-12)
    assert ib.cross_entropy([0.0, 1.0], q) == pytest.approx(310 * math.log2(10), rel=1e-12)


@pytest.mark.parametrize("w1", [5e-324, 1e-300, 1e-20])
def test_js_with_a_tiny_weight_is_tiny_not_inf(w1):
    # Regression: π1 p underflowed to 0 in the mixture m, making KL(p||m), hence JS, infinite.
    # Disjoint supports: JS = H(π) = -π1 log π1 here, as 1 - π1 rounds to 1.
    js = ib.js_divergence([1.0, 0.0], [0.0, 1.0], [w1, 1 - w1])
    assert js == pytest.approx(-w1 * math.log2(w1), rel=1e-2)  # 1e-2: subnormal results
