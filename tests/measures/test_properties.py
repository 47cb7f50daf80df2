"""Properties every input must satisfy (Hypothesis): bounds, symmetries, chain rules, DPI.

Inputs are float64 pmfs of at most a few hundred entries, so identities hold to ~1e-14;
TOL = 1e-12 leaves room for rounding and nothing else.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ibkit as ib
from tests.strategies import FAST, joints, joints3, markov_chains, pmfs

TOL = 1e-12


def _pmf_pairs(max_size: int = 8):
    return st.integers(1, max_size).flatmap(lambda n: st.tuples(pmfs(size=n), pmfs(size=n)))


# ------------------------------------------------------------------------- entropies


@FAST
@given(p=pmfs(1, 16))
def test_entropy_is_between_zero_and_log_alphabet(p):
    h = ib.entropy(p)
    assert -TOL <= h <= math.log2(p.shape[0]) + TOL
    support = int(np.count_nonzero(p))
    assert h <= math.log2(support) + TOL  # zeros do not count towards |X|


@FAST
@given(pxy=joints())
def test_joint_and_conditional_entropy(pxy):
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    h_xy = ib.joint_entropy(pxy)
    assert h_xy == pytest.approx(ib.entropy(pxy.ravel()), abs=TOL)
    # Chain rule H(X,Y) = H(X) + H(Y|X), both ways round.
    assert h_xy == pytest.approx(ib.entropy(px) + ib.conditional_entropy(pxy), abs=TOL)
    assert h_xy == pytest.approx(ib.entropy(py) + ib.conditional_entropy(pxy.T), abs=TOL)
    # 0 <= H(Y|X) <= H(Y) <= H(X,Y): conditioning reduces entropy.
    assert -TOL <= ib.conditional_entropy(pxy) <= ib.entropy(py) + TOL
    assert max(ib.entropy(px), ib.entropy(py)) <= h_xy + TOL
    assert h_xy <= ib.entropy(px) + ib.entropy(py) + TOL


# ------------------------------------------------------------------ mutual information


@FAST
@given(pxy=joints())
def test_mutual_information_identities_and_bounds(pxy):
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    i = ib.mutual_information(pxy)
    assert i >= 0.0
    assert i == pytest.approx(ib.mutual_information(pxy.T), abs=TOL)
    h_x, h_y = ib.entropy(px), ib.entropy(py)
    assert i == pytest.approx(h_x + h_y - ib.joint_entropy(pxy), abs=TOL)
    assert i == pytest.approx(h_y - ib.conditional_entropy(pxy), abs=TOL)
    assert i <= min(h_x, h_y) + TOL
    # MI is the KL divergence from the product of the marginals.
    assert i == pytest.approx(ib.kl_divergence(pxy.ravel(), np.outer(px, py).ravel()), abs=TOL)


@FAST
@given(px=pmfs(), py=pmfs())
def test_independent_variables_have_zero_information(px, py):
    pxy = np.outer(px, py)
    assert ib.mutual_information(pxy) == pytest.approx(0.0, abs=TOL)
    assert ib.conditional_entropy(pxy) == pytest.approx(ib.entropy(py), abs=TOL)


@FAST
@given(pxyz=joints3())
def test_chain_rule_for_mutual_information(pxyz):
    # I(X; Y,Z) = I(X;Z) + I(X;Y|Z): flatten (Y, Z) into one variable for the left side.
    n_x, n_y, n_z = pxyz.shape
    i_x_yz = ib.mutual_information(pxyz.reshape(n_x, n_y * n_z))
    i_xz = ib.mutual_information(pxyz.sum(axis=1))
    cmi = ib.conditional_mutual_information(pxyz)
    assert cmi >= 0.0
    assert i_x_yz == pytest.approx(i_xz + cmi, abs=TOL)
    # Symmetry in X and Y, and the entropy form I(X;Y|Z) = H(X|Z) - H(X|Y,Z).
    assert cmi == pytest.approx(ib.conditional_mutual_information(pxyz.transpose(1, 0, 2)), abs=TOL)
    h_x_given_z = ib.conditional_entropy(pxyz.sum(axis=1).T)
    h_x_given_yz = ib.conditional_entropy(pxyz.reshape(n_x, n_y * n_z).T)
    assert cmi == pytest.approx(h_x_given_z - h_x_given_yz, abs=TOL)


@FAST
@given(chain=markov_chains())
def test_data_processing_inequality(chain):
    px, pyx, pzy = chain
    pxyz = px[:, None, None] * pyx[:, :, None] * pzy[None, :, :]  # (n_x, n_y, n_z)
    i_xy = ib.mutual_information(pxyz.sum(axis=2))
    i_xz = ib.mutual_information(pxyz.sum(axis=1))
    i_yz = ib.mutual_information(pxyz.sum(axis=0))
    assert i_xz <= i_xy + TOL
    assert i_xz <= i_yz + TOL
    # X and Z are independent given Y.
    assert ib.conditional_mutual_information(pxyz.transpose(0, 2, 1)) == pytest.approx(0.0, abs=TOL)


# ------------------------------------------------------------------------ divergences


@FAST
@given(pq=_pmf_pairs())
def test_kl_is_nonnegative_and_zero_only_at_p_equals_q(pq):
    p, q = pq
    kl = ib.kl_divergence(p, q)
    assert ib.kl_divergence(p, p) == 0.0
    assert kl >= 0.0
    # Pinsker: D(p||q) >= 2 TV(p, q)^2 / ln 2 bits, so KL > 0 whenever p != q.
    tv = 0.5 * float(np.abs(p - q).sum())
    assert kl >= 2 * tv**2 / math.log(2) - TOL
    if np.any((p > 0) & (q == 0)):
        assert kl == math.inf
    else:
        assert math.isfinite(kl)


@FAST
@given(pq=_pmf_pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce, kl = ib.cross_entropy(p, q), ib.kl_divergence(p, q)
    if math.isinf(kl):
        assert ce == math.inf
    else:
        assert ce == pytest.approx(ib.entropy(p) + kl, abs=TOL)
    assert ib.cross_entropy(p, p) == pytest.approx(ib.entropy(p), abs=TOL)


@FAST
@given(pq=_pmf_pairs(), w1=st.floats(0.0, 1.0))
def test_js_is_symmetric_and_bounded(pq, w1):
    p, q = pq
    js = ib.js_divergence(p, q)
    assert js == pytest.approx(ib.js_divergence(q, p), abs=TOL)
    assert 0.0 <= js <= 1.0 + TOL
    assert ib.js_divergence(p, p) == pytest.approx(0.0, abs=TOL)
    # Weighted: swapping the weights swaps the roles; bounded by H(π).
    weights = [w1, 1.0 - w1]
    jsw = ib.js_divergence(p, q, weights)
    assert jsw == pytest.approx(ib.js_divergence(q, p, weights[::-1]), abs=TOL)
    assert 0.0 <= jsw <= ib.entropy(weights) + TOL
    # JS = H(m) - Σ π_i H(p_i): the mixture's entropy minus the mean entropy.
    m = w1 * p + (1 - w1) * q
    want = ib.entropy(m) - w1 * ib.entropy(p) - (1 - w1) * ib.entropy(q)
    assert jsw == pytest.approx(want, abs=1e-11)


# ------------------------------------------------------------------------- batching


@st.composite
def _joint_batches(draw, max_side: int = 5):
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    batch = draw(st.sampled_from([(1,), (3,), (2, 3)]))
    items = [draw(joints(shape=shape)) for _ in range(int(np.prod(batch)))]
    return np.stack(items).reshape(*batch, *shape)


@FAST
@given(stack=_joint_batches())
def test_batched_joint_measures_equal_the_loop(stack):
    flat = stack.reshape(-1, *stack.shape[-2:])
    for fn in (ib.mutual_information, ib.joint_entropy, ib.conditional_entropy):
        batched = fn(stack)
        assert batched.shape == stack.shape[:-2]
        loop = np.array([fn(j) for j in flat]).reshape(stack.shape[:-2])
        np.testing.assert_allclose(batched, loop, rtol=0, atol=TOL)


@FAST
@given(data=st.data())
def test_batched_pmf_measures_equal_the_loop(data):
    n = data.draw(st.integers(1, 6))
    k = data.draw(st.integers(1, 4))
    ps = np.stack([data.draw(pmfs(size=n)) for _ in range(k)])  # (k, n)
    qs = np.stack([data.draw(pmfs(size=n)) for _ in range(k)])  # (k, n)
    q0 = qs[0]
    np.testing.assert_allclose(ib.entropy(ps), [ib.entropy(p) for p in ps], rtol=0, atol=TOL)
    for fn in (ib.kl_divergence, ib.cross_entropy, ib.js_divergence):
        np.testing.assert_allclose(
            fn(ps, qs), [fn(p, q) for p, q in zip(ps, qs, strict=True)], rtol=0, atol=TOL
        )
        # q broadcasts against a batch of p, and p against a batch of q.
        np.testing.assert_allclose(fn(ps, q0), [fn(p, q0) for p in ps], rtol=0, atol=TOL)
        np.testing.assert_allclose(fn(q0, ps), [fn(q0, p) for p in ps], rtol=0, atol=TOL)
        assert fn(ps[None], qs[:, None]).shape == (k, k)


@FAST
@given(data=st.data())
def test_batched_conditional_mutual_information_equals_the_loop(data):
    shape = tuple(data.draw(st.integers(1, 4)) for _ in range(3))
    stack = np.stack([data.draw(joints3(shape=shape)) for _ in range(3)])  # (3, nx, ny, nz)
    np.testing.assert_allclose(
        ib.conditional_mutual_information(stack),
        [ib.conditional_mutual_information(j) for j in stack],
        rtol=0,
        atol=TOL,
    )
