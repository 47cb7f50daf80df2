"""Agglomerative IB: the greedy merge sequence, its information, and its SciPy linkage.

Oracles: every merge recomputed by brute force over all pairs with ``ibkit.js_divergence``
(the chosen pair attains the minimum of (p_i + p_j)·JS_π, and the recorded cost equals it);
I(T;Y) and H(T) recomputed with ``ibkit.mutual_information`` / ``ibkit.entropy`` from the
merged joint of ``labels(k)``; identical rows merge first at zero cost; two groups of identical
rows end up as the two clusters. SciPy accepts the linkage (``is_valid_linkage``, ``fcluster``,
``dendrogram``). Properties (Hypothesis) on joints with zero rows and columns; bad input.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.cluster import hierarchy

from ibkit import entropy, js_divergence, mutual_information
from ibkit.exceptions import IBKitError, InvalidDistributionError, InvalidParameterError
from ibkit.ib.agglomerative import AgglomerativeIBResult, agglomerative_ib
from tests.strategies import joints


def _random_joint(seed: int, shape: tuple[int, int], alpha: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(shape[0] * shape[1], alpha)).reshape(shape)


def _merged(pxy: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """p(t, y) = Σ_{x in t} p(x, y), shape (k, n_y)."""
    out = np.zeros((labels.max() + 1, pxy.shape[1]))
    np.add.at(out, labels, pxy)
    return out


def _merge_cost_bits(pxy: np.ndarray, a: list[int], b: list[int]) -> float:
    """(p_a + p_b)·JS_π(p(y|a), p(y|b)), π ∝ (p_a, p_b), straight from ibkit.js_divergence."""
    ja, jb = pxy[a].sum(axis=0), pxy[b].sum(axis=0)
    pa, pb = ja.sum(), jb.sum()
    if pa == 0 or pb == 0:
        return 0.0
    return float((pa + pb) * js_divergence(ja / pa, jb / pb, [pa, pb], normalize=True))


# ------------------------------------------------------------------------------ oracles


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_merge_is_the_cheapest_pair(seed):
    # Brute force: at each step, recompute the cost of every pair of current clusters with
    # js_divergence; the algorithm's pair must attain the minimum (ties to 1e-12) and its
    # recorded raw cost must equal the JS form (different arithmetic: agree to ~1e-15).
    pxy = _random_joint(seed, (12, 4), alpha=0.5)
    res = agglomerative_ib(pxy)
    members = {x: [x] for x in range(12)}
    for step, (a, b, _, size) in enumerate(res.linkage):
        a, b = int(a), int(b)
        ids = sorted(members)
        costs = [
            _merge_cost_bits(pxy, members[i], members[j])
            for n, i in enumerate(ids)
            for j in ids[n + 1 :]
        ]
        chosen = _merge_cost_bits(pxy, members[a], members[b])
        assert chosen <= min(costs) + 1e-12
        assert res.merge_cost[step] == pytest.approx(chosen, abs=1e-13)
        members[12 + step] = members.pop(a) + members.pop(b)
        assert size == len(members[12 + step])


@pytest.mark.parametrize("seed", [3, 4])
def test_information_matches_the_partitions_of_labels(seed):
    # I_TY[n_x - k] and I_XT[n_x - k] are kept by running sums of the merge costs; the merged
    # joint of labels(k) recomputes them from scratch (300 merges of rounding: ≲ 1e-13).
    n_x = 60
    pxy = _random_joint(seed, (n_x, 7))
    res = agglomerative_ib(pxy)
    assert res.I_TY[0] == pytest.approx(float(mutual_information(pxy)), abs=1e-12)
    assert res.I_XT[0] == pytest.approx(float(entropy(pxy.sum(axis=1))), abs=1e-12)
    for k in (1, 2, 3, 5, 17, n_x - 1, n_x):
        labels = res.labels(k)
        assert sorted(set(labels.tolist())) == list(range(k))
        joint = _merged(pxy, labels)
        assert res.I_TY[n_x - k] == pytest.approx(float(mutual_information(joint)), abs=1e-10)
        assert res.I_XT[n_x - k] == pytest.approx(float(entropy(joint.sum(axis=1))), abs=1e-10)
    assert res.I_TY[-1] == 0.0 and res.I_XT[-1] == 0.0


def test_identical_rows_merge_first_at_zero_cost():
    pxy = _random_joint(5, (8, 5))
    pxy[6] = pxy[2]  # x = 2 and x = 6 have the same p(x, y): merging them loses nothing
    pxy /= pxy.sum()
    res = agglomerative_ib(pxy)
    assert res.linkage[0, :2].tolist() == [2.0, 6.0]
    assert res.merge_cost[0] == pytest.approx(0.0, abs=1e-15)
    assert res.I_TY[1] == pytest.approx(res.I_TY[0], abs=1e-15)


def test_two_groups_of_identical_rows_are_the_two_clusters():
    # Rows 0, 2, 4, 6 are one profile and 1, 3, 5 another (different masses): every merge
    # within a group is free, so the six free merges come first and k = 2 separates the groups
    # with I(T;Y) = I(X;Y).
    profiles = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    weights = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0])
    pxy = weights[:, None] * profiles[[0, 1, 0, 1, 0, 1, 0]]
    pxy /= pxy.sum()
    res = agglomerative_ib(pxy)
    assert np.all(res.merge_cost[:5] <= 1e-15) and res.merge_cost[5] > 0.1
    assert res.labels(2).tolist() == [0, 1, 0, 1, 0, 1, 0]
    assert res.I_TY[5] == pytest.approx(float(mutual_information(pxy)), abs=1e-12)


def test_zero_rows_merge_first_and_never_take_a_cluster():
    pxy = _random_joint(6, (6, 3))
    pxy[[1, 4]] = 0.0
    pxy /= pxy.sum()
    res = agglomerative_ib(pxy)
    assert np.all(res.merge_cost[:2] == 0.0)
    assert res.labels(5).tolist()[1] == res.labels(5).tolist()[4]  # the zero block
    labels = res.labels(4)  # 4 non-zero rows, 4 clusters: zero rows ride with row 0
    assert labels[1] == labels[4] == labels[0]
    assert len(set(labels[[0, 2, 3, 5]].tolist())) == 4


# ------------------------------------------------------------------------- SciPy linkage


def test_scipy_accepts_the_linkage():
    pxy = _random_joint(99, (30, 4), alpha=0.3)  # its raw merge costs are not monotone
    res = agglomerative_ib(pxy)
    z = res.linkage
    assert z.shape == (29, 4)
    assert hierarchy.is_valid_linkage(z) and hierarchy.is_monotonic(z)
    assert np.allclose(z[:, 2], res.I_TY[0] - res.I_TY[1:], atol=0)  # cumulative loss
    for k in (2, 5, 11):
        flat = hierarchy.fcluster(z, k, criterion="maxclust")
        assert _same_partition(flat, res.labels(k))
    t = float(z[20, 2])  # "distance" t: the coarsest partition losing at most t of I(T;Y)
    flat = hierarchy.fcluster(z, t, criterion="distance")
    assert _same_partition(flat, res.labels(30 - 21))
    tree = hierarchy.dendrogram(z, no_plot=True)
    assert sorted(tree["leaves"]) == list(range(30))


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_raw_costs_need_not_be_monotone_but_the_distances_are():
    # A documented fact, not a bug: a JS merge cost can fall after a merge (here the 25th of
    # 29 merges costs 1.7e-3 bits less than the 24th); the stored distance is their running
    # sum, always monotone.
    res = agglomerative_ib(_random_joint(99, (30, 4), alpha=0.3))
    assert np.diff(res.merge_cost).min() < -1e-3
    assert np.all(np.diff(res.linkage[:, 2]) >= 0)


# ---------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(pxy=joints(max_side=7))
def test_information_is_monotone_and_bounded(pxy):
    res = agglomerative_ib(pxy)
    n_x = pxy.shape[0]
    assert isinstance(res, AgglomerativeIBResult)
    assert res.linkage.shape == (n_x - 1, 4) and res.I_TY.shape == res.I_XT.shape == (n_x,)
    assert np.all(np.diff(res.I_TY) <= 0) and np.all(np.diff(res.I_XT) <= 0)
    assert np.all(res.merge_cost >= 0) and np.all(res.I_TY <= res.I_XT + 1e-12)
    if n_x > 1:
        assert hierarchy.is_valid_linkage(res.linkage)
    k = max(1, n_x // 2)
    joint = _merged(pxy, res.labels(k))
    assert res.I_TY[n_x - k] == pytest.approx(float(mutual_information(joint)), abs=1e-12)


def test_base_changes_units_only():
    pxy = _random_joint(8, (10, 4))
    bits, nats = agglomerative_ib(pxy), agglomerative_ib(pxy, base=np.e)
    assert np.allclose(nats.I_TY, bits.I_TY * np.log(2), atol=1e-14)
    assert np.allclose(nats.merge_cost, bits.merge_cost * np.log(2), atol=1e-14)
    assert np.array_equal(nats.linkage[:, [0, 1, 3]], bits.linkage[:, [0, 1, 3]])
    assert nats.base == np.e


# ---------------------------------------------------------------------------- efficiency


def test_three_hundred_rows_is_fast():
    pxy = _random_joint(9, (300, 50))
    start = time.perf_counter()
    res = agglomerative_ib(pxy)
    assert time.perf_counter() - start < 5.0  # about 0.25 s on 2 cores
    joint = _merged(pxy, res.labels(10))
    assert res.I_TY[290] == pytest.approx(float(mutual_information(joint)), abs=1e-10)


@pytest.mark.slow
def test_two_thousand_rows_well_under_a_minute():
    pxy = _random_joint(10, (2000, 50))
    start = time.perf_counter()
    res = agglomerative_ib(pxy)
    assert time.perf_counter() - start < 30.0  # about 1.6 s on 2 cores
    assert hierarchy.is_valid_linkage(res.linkage)
    joint = _merged(pxy, res.labels(20))
    assert res.I_TY[1980] == pytest.approx(float(mutual_information(joint)), abs=1e-10)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("pxy", "match"),
    [
        ([[0.5, 0.6], [0.0, -0.1]], "pxy must be non-negative"),
        ([[0.5, 0.2], [0.1, 0.1]], "pxy must sum to 1"),
        ([[0.5, np.nan], [0.25, 0.25]], "pxy must be finite"),
        ([0.5, 0.5], "pxy must have 2 dimension"),
        (np.zeros((0, 3)), "pxy must not be empty"),
    ],
)
def test_bad_joint_is_refused(pxy, match):
    with pytest.raises(InvalidDistributionError, match=match):
        agglomerative_ib(pxy)


def test_bad_options_are_refused():
    res = agglomerative_ib(_random_joint(11, (5, 3)))
    for bad in (0, 6, 2.5, True):
        with pytest.raises(InvalidParameterError, match="n_clusters"):
            res.labels(bad)
    with pytest.raises(IBKitError, match="base"):
        agglomerative_ib(_random_joint(11, (5, 3)), base=1.0)


def test_single_row_is_one_cluster():
    res = agglomerative_ib([[0.25, 0.75]])
    assert res.linkage.shape == (0, 4)
    assert res.labels(1).tolist() == [0]
    assert res.I_TY.tolist() == [0.0] and res.I_XT.tolist() == [0.0]
