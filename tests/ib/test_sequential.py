"""Sequential IB (sIB): hard clustering by single-x moves that never lose I(T;Y).

Oracles: planted groups recovered exactly; the reported informations recomputed with
``ibkit.mutual_information`` / ``ibkit.entropy``; exhaustive search over all 2-partitions of
tiny joints; the converged partition is a local optimum (brute force over every single move);
started from agglomerative IB's partition it never loses I(T;Y); IBM's ``sib-clustering``
(the reference sIB implementation) as a peer. Sparse input equals dense input; determinism;
bad input.
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from ibkit import entropy, mutual_information
from ibkit.exceptions import (
    ConvergenceWarning,
    IBKitError,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)
from ibkit.ib.agglomerative import agglomerative_ib
from ibkit.ib.sequential import SequentialIBResult, sequential_ib


def _planted(seed: int, n_per: int = 20, k: int = 4, n_y: int = 24, depth: int = 50):
    """Counts of k groups of rows, group g drawn (multinomially) from a profile with 95 % of its
    mass on its own block of n_y/k columns. Returns (counts (k·n_per, n_y), groups)."""
    rng = np.random.default_rng(seed)
    block = n_y // k
    profiles = np.full((k, n_y), 0.05 / n_y)
    for g in range(k):
        profiles[g, g * block : (g + 1) * block] += 0.95 / block
    groups = rng.permutation(np.repeat(np.arange(k), n_per))
    counts = np.array([rng.multinomial(depth, profiles[g]) for g in groups], dtype=float)
    return counts, groups


def _random_joint(seed: int, shape: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(shape[0] * shape[1])).reshape(shape)


def _merged(pxy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((k, pxy.shape[1]))
    np.add.at(out, labels, pxy)
    return out


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to relabelling (adjusted Rand index 1)."""
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist(), strict=True))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(set(np.asarray(b).tolist()))


# ------------------------------------------------------------------------------ oracles


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_planted_groups(seed):
    counts, groups = _planted(seed)
    res = sequential_ib(counts, 4, seed=seed)
    assert isinstance(res, SequentialIBResult) and res.converged
    assert _same_partition(res.labels, groups)
    sparse = sequential_ib(sp.csr_matrix(counts), 4, seed=seed)
    assert _same_partition(sparse.labels, groups)


@pytest.mark.parametrize("seed", [3, 4])
def test_reported_information_matches_the_partition(seed):
    # I(T;Y), H(T), p(t) and p(y|t) recomputed from scratch from the returned labels.
    counts = np.random.default_rng(seed).poisson(1.5, size=(50, 9)).astype(float)
    pxy = counts / counts.sum()
    res = sequential_ib(counts, 5, seed=seed)
    joint = _merged(pxy, res.labels, 5)
    assert res.I_TY == pytest.approx(float(mutual_information(joint)), abs=1e-12)
    assert res.I_XT == pytest.approx(float(entropy(joint.sum(axis=1))), abs=1e-12)
    assert np.allclose(res.marginal, joint.sum(axis=1), atol=1e-15)
    assert np.allclose(res.decoder * res.marginal[:, None], joint, atol=1e-15)
    assert sorted(set(res.labels.tolist())) == list(range(5))  # no cluster left empty


@pytest.mark.parametrize("seed", range(4))
def test_finds_the_best_two_partition_of_tiny_joints(seed):
    # Exhaustive search over the 127 partitions of 8 x into 2 non-empty clusters.
    pxy = _random_joint(seed, (8, 3))
    best = max(
        float(mutual_information(_merged(pxy, np.array((0, *bits)), 2)))
        for bits in itertools.product((0, 1), repeat=7)
        if any(bits)
    )
    assert sequential_ib(pxy, 2, seed=seed).I_TY == pytest.approx(best, abs=1e-12)


def test_converged_partition_is_a_local_optimum():
    # Brute force: no single move of one x to another cluster (leaving none empty) gains.
    pxy = _random_joint(5, (20, 5))
    res = sequential_ib(pxy, 3, seed=5)
    for x, t in itertools.product(range(20), range(3)):
        labels = res.labels.copy()
        if t == labels[x] or np.sum(labels == labels[x]) == 1:
            continue
        labels[x] = t
        assert float(mutual_information(_merged(pxy, labels, 3))) <= res.I_TY + 1e-12


@pytest.mark.parametrize(
    ("seed", "shape", "k"), [(0, (40, 8), 4), (1, (60, 5), 3), (2, (30, 12), 6)]
)
def test_never_loses_information_from_the_agglomerative_partition(seed, shape, k):
    # From a given partition each move strictly raises I(T;Y): deterministic, any joint.
    pxy = _random_joint(seed, shape)
    agg = agglomerative_ib(pxy)
    start = agg.labels(k)
    res = sequential_ib(pxy, k, init=start, seed=seed)
    assert res.I_TY >= agg.I_TY[shape[0] - k] - 1e-12
    # With random restarts sIB usually beats the greedy merge too (20 of 20 seeds on 40 × 8
    # joints with k = 4; holds for these three cases).
    assert sequential_ib(pxy, k, seed=seed).I_TY >= agg.I_TY[shape[0] - k] - 1e-12


# ---------------------------------------------------------------------------- the peer


def _sib_fit(counts, k: int, seed: int):
    from sib import SIB  # IBM's sib-clustering (Apache-2.0), a test dependency

    # uniform_prior=False: the joint is counts / N, as here; tol=0: run until no x moves.
    model = SIB(
        k, random_state=seed, n_jobs=1, n_init=10, max_iter=100, tol=0.0, uniform_prior=False
    )
    return model.fit(counts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sib_converged_partition_is_a_fixed_point(seed):
    # IBM's converged partition is an sIB local optimum under the same move rule: started
    # there, ibkit moves no x, and both report the same I(T;Y) in bits (to rounding).
    counts = np.random.default_rng(seed).poisson(2.0, size=(120, 20)).astype(float)
    model = _sib_fit(counts, 5, seed)
    res = sequential_ib(counts, 5, init=model.partition_.labels, seed=seed)
    assert res.n_iter == 1 and res.converged
    assert np.array_equal(res.labels, model.partition_.labels)
    assert res.I_TY == pytest.approx(model.score_, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_at_least_as_good_as_sib_on_clustered_counts(seed):
    # Same counts, k and number of restarts. Both are local searches from random partitions,
    # so on unstructured counts either may win by chance; on counts with cluster structure
    # both reach the best partition and ibkit must not fall behind.
    counts, _ = _planted(seed, n_per=30, depth=20)
    counts += np.random.default_rng(seed).poisson(0.5, size=counts.shape)  # blur the blocks
    res = sequential_ib(counts, 4, n_init=10, seed=seed)
    assert res.I_TY >= _sib_fit(counts, 4, seed).score_ - 1e-9


# ------------------------------------------------------------------ input forms, options


def test_sparse_input_gives_the_same_result_as_dense():
    rng = np.random.default_rng(6)
    counts = rng.poisson(0.4, size=(80, 30)).astype(float)  # ~67 % zeros
    dense = sequential_ib(counts, 4, seed=6)
    for form in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array):
        sparse = sequential_ib(form(counts), 4, seed=6)
        assert np.array_equal(sparse.labels, dense.labels)
        assert sparse.I_TY == dense.I_TY and sparse.n_iter == dense.n_iter


def test_same_seed_same_result():
    counts = np.random.default_rng(7).poisson(1.0, size=(60, 10))
    a, b = sequential_ib(counts, 4, seed=11), sequential_ib(counts, 4, seed=11)
    assert np.array_equal(a.labels, b.labels) and a.I_TY == b.I_TY
    c = sequential_ib(counts, 4, seed=np.random.default_rng(11))
    assert np.array_equal(a.labels, c.labels)


def test_counts_and_their_joint_agree_and_base_sets_units():
    counts = np.random.default_rng(8).poisson(3.0, size=(30, 6)).astype(float)
    bits = sequential_ib(counts, 3, seed=1)
    nats = sequential_ib(counts / counts.sum(), 3, seed=1, base=np.e)
    assert np.array_equal(bits.labels, nats.labels)
    assert nats.I_TY == pytest.approx(bits.I_TY * np.log(2), abs=1e-14)


def test_zero_rows_keep_their_initial_cluster():
    pxy = _random_joint(9, (10, 4))
    pxy[[2, 7]] = 0.0
    pxy /= pxy.sum()
    init = np.array([0, 1, 2, 0, 1, 2, 0, 2, 1, 2])
    res = sequential_ib(pxy, 3, init=init, seed=0)
    assert res.labels[2] == 2 and res.labels[7] == 2
    assert sequential_ib(pxy, 8, seed=0).I_TY == pytest.approx(
        float(mutual_information(pxy)), abs=1e-12
    )  # 8 clusters for 8 non-zero rows: T = X


def test_one_cluster_and_max_iter():
    counts = np.random.default_rng(10).poisson(1.0, size=(40, 6))
    one = sequential_ib(counts, 1, seed=0)
    assert one.I_TY == 0.0 and one.I_XT == 0.0 and np.all(one.labels == 0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = sequential_ib(counts, 4, n_init=1, max_iter=1, seed=0)
    assert not res.converged and res.n_iter == 1


def test_three_hundred_rows_is_fast():
    counts = np.random.default_rng(12).poisson(1.0, size=(300, 50))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = sequential_ib(counts, 5, seed=0)
    assert time.perf_counter() - start < 10.0  # about 0.35 s on 2 cores
    assert res.converged


@pytest.mark.slow
def test_two_thousand_rows():
    counts = np.random.default_rng(13).poisson(1.0, size=(2000, 50))
    start = time.perf_counter()
    res = sequential_ib(sp.csr_matrix(counts), 10, seed=0)
    assert time.perf_counter() - start < 60.0  # about 6 s on 2 cores (10 restarts)
    assert res.converged


# ----------------------------------------------------------------------------- bad input


def _bad_counts():
    neg = np.ones((4, 3))
    neg[1, 2] = -1.0
    nan = np.ones((4, 3))
    nan[0, 1] = np.nan
    return [
        (neg, "counts must be non-negative"),
        (sp.csr_matrix(neg), "counts must be non-negative"),
        (nan, "counts must be finite"),
        (sp.csr_matrix(nan), "counts must be finite"),
        (np.zeros((4, 3)), "counts must not be all zero"),
        (sp.csr_matrix((4, 3)), "counts must not be all zero"),
    ]


@pytest.mark.parametrize(("counts", "match"), _bad_counts())
def test_bad_counts_are_refused(counts, match):
    with pytest.raises(InvalidDistributionError, match=match):
        sequential_ib(counts, 2)


def test_bad_shapes_are_refused():
    for counts in (np.ones(5), np.ones((0, 3)), sp.csr_matrix((0, 3))):
        with pytest.raises(ShapeMismatchError, match="counts"):
            sequential_ib(counts, 1)
    with pytest.raises(ShapeMismatchError, match="init"):
        sequential_ib(np.ones((4, 3)), 2, init=[0, 1, 0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_clusters": 0}, "n_clusters must be >= 1"),
        ({"n_clusters": 4}, "n_clusters must be <= the number of non-zero rows"),
        ({"n_clusters": 2.0}, "n_clusters must be an integer"),
        ({"n_clusters": 2, "n_init": 0}, "n_init"),
        ({"n_clusters": 2, "max_iter": 0}, "max_iter"),
        ({"n_clusters": 2, "init": [0, 2, 1, 0]}, "init labels must lie in"),
        ({"n_clusters": 2, "init": [0, 0.5, 1, 0]}, "init must hold integer"),
        ({"n_clusters": 2, "base": 1}, "base"),
    ],
)
def test_bad_options_are_refused(kwargs, match):
    counts = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 1.0], [2.0, 2.0]])  # 3 non-zero rows
    with pytest.raises(InvalidParameterError, match=match):
        sequential_ib(counts, **kwargs)
    assert issubclass(InvalidParameterError, IBKitError)
