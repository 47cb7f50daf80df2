"""Cluster scikit-learn's digits (image × pixel co-occurrences) with the IB family and k-means.

Every method partitions the images into ``n_clusters`` groups; each partition is scored against
the true digit classes by accuracy (best one-to-one matching of clusters to classes) and
normalised mutual information, and by the relevant information I(T;Y) it keeps about the pixels.

========================  ===================================================================
IB                        :func:`~ibkit.ib.information_bottleneck`, α = 1; labels = argmax p(t|x)
DIB                       the same with α = 0 (deterministic IB: hard from the start)
aIB                       :func:`~ibkit.ib.agglomerative_ib`, cut at ``n_clusters``
sIB                       :func:`~ibkit.ib.sequential_ib` from ``n_init`` random partitions
sIB (from aIB)            :func:`~ibkit.ib.sequential_ib` started at the aIB partition: never
                          keeps less I(T;Y) than aIB (its time excludes the aIB run)
k-means                   :class:`sklearn.cluster.KMeans` on the rows p(y|x) (Euclidean)
========================  ===================================================================

Needs scikit-learn (the data, k-means and NMI come from it). The fits run with one BLAS/OpenMP
thread (threadpoolctl), which is as fast at this size and immune to oversubscription stalls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .._validation import check_base, check_int, check_positive
from ..datasets.digits import digits_cooccurrence
from ..exceptions import InvalidParameterError, ShapeMismatchError
from ..ib import agglomerative_ib, information_bottleneck, sequential_ib
from ..measures import mutual_information

__all__ = [
    "METHODS",
    "cluster_digits",
    "clustering_accuracy",
    "format_table",
    "partition_information",
]

METHODS = ("IB", "DIB", "aIB", "sIB", "sIB (from aIB)", "k-means")
DEFAULT_BETA = 100.0  # IB's best NMI/accuracy on the full data in a scan of β ∈ {50, …, 1000}
_IB_TOL = 1e-8  # encoder change per iteration; 1e-10 costs many more iterations, same labels
_IB_MAX_ITER = 5000


def _labels_pair(labels_true: Any, labels_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true, pred = np.asarray(labels_true).ravel(), np.asarray(labels_pred).ravel()
    if true.shape != pred.shape or true.size == 0:
        raise ShapeMismatchError(
            "labels_true and labels_pred must be non-empty and of the same length; got "
            f"{true.size} and {pred.size}"
        )
    return true, pred


def clustering_accuracy(labels_true: Any, labels_pred: Any) -> float:
    r"""Fraction of items right under the best one-to-one matching of clusters to classes.

    .. math:: \mathrm{acc} = \max_{\sigma} \frac{1}{n} \sum_i [\sigma(t_i) = y_i]

    σ ranges over injective maps between clusters and classes (the Hungarian algorithm on the
    contingency table); with more clusters than classes the unmatched clusters count as wrong.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape ``(n,)``
        Class and cluster of each item (any hashable values).

    Returns
    -------
    float in [0, 1].
    """
    true, pred = _labels_pair(labels_true, labels_pred)
    _, t_idx = np.unique(true, return_inverse=True)
    _, p_idx = np.unique(pred, return_inverse=True)
    table = np.zeros((p_idx.max() + 1, t_idx.max() + 1))  # (clusters, classes)
    np.add.at(table, (p_idx.ravel(), t_idx.ravel()), 1.0)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / true.size)


def partition_information(joint: Any, labels: Any, *, base: float = 2.0) -> float:
    r"""I(T;Y) of the hard partition ``labels`` of X, in units of ``base`` (2: bits).

    .. math:: p(t, y) = \sum_{x:\, t(x) = t} p(x, y), \qquad I(T;Y) \text{ of } p(t, y)

    Parameters
    ----------
    joint : array_like, shape ``(n_x, n_y)``
        Joint pmf p(x, y).
    labels : array_like of int, shape ``(n_x,)``
        Cluster of each x (any integers; empty clusters do not matter).
    """
    pxy = np.asarray(joint, dtype=np.float64)
    _, idx = np.unique(np.asarray(labels).ravel(), return_inverse=True)
    if pxy.ndim != 2 or idx.size != pxy.shape[0]:
        raise ShapeMismatchError(
            f"labels must have one entry per row of joint {pxy.shape}; got {idx.size}"
        )
    merged = np.zeros((idx.max() + 1, pxy.shape[1]))  # (k, n_y) p(t, y)
    np.add.at(merged, idx.ravel(), pxy)
    return float(mutual_information(merged, base=check_base(base)))


def _sklearn() -> tuple[Any, Any, Any]:
    try:
        from sklearn.cluster import KMeans
        from sklearn.metrics import normalized_mutual_info_score
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn
    except ImportError:
        raise ImportError(
            "the digits experiment needs scikit-learn; install it with: "
            "pip install 'ibkit[sklearn]'"
        ) from None
    return KMeans, normalized_mutual_info_score, threadpool_limits


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def cluster_digits(
    n_clusters: int = 10,
    *,
    beta: float = DEFAULT_BETA,
    n_init: int = 10,
    seed: int = 0,
    n_samples: int | None = None,
) -> list[dict[str, Any]]:
    r"""Cluster the digits with IB, DIB, aIB, sIB and k-means; score each against the classes.

    .. math:: \mathrm{acc} = \max_{\sigma} \frac{1}{n} \sum_i [\sigma(t_i) = y_i], \quad
              \mathrm{NMI} = \frac{I(T;C)}{\tfrac12 (H(T) + H(C))}, \quad
              I(T;Y) = \sum_{t,y} p(t,y) \log_2 \frac{p(t,y)}{p(t)\,p(y)}

    (C the digit class, Y the pixel; IB and DIB minimise
    :math:`H(T) - \alpha H(T|X) - \beta I(T;Y)` with α = 1 and α = 0, β multiplying I(T;Y)).

    Parameters
    ----------
    n_clusters : int
        Clusters per method, 1 to the number of images (10 matches the digit classes).
    beta : float
        β > 0 of IB and DIB (β multiplies I(T;Y); the default gives a good hard partition).
    n_init : int
        Random restarts of IB, DIB, sIB and k-means (each keeps its best by its own objective).
    seed : int
        Seeds the subset, every restart and k-means.
    n_samples : int, optional
        Use a random subset of this many images (see
        :func:`~ibkit.datasets.digits.digits_cooccurrence`); default all 1797.

    Returns
    -------
    list of dict
        One per method of :data:`METHODS`, in that order, with keys ``name``, ``clusters``
        (non-empty clusters), ``accuracy`` (in [0, 1]), ``nmi`` (arithmetic normalisation),
        ``I_TY`` (bits, of the hard partition) and ``seconds`` (wall time of the fit).
    """
    KMeans, nmi, threadpool_limits = _sklearn()
    beta = check_positive(beta, "beta")
    n_init = check_int(n_init, "n_init", minimum=1)
    seed = check_int(seed, "seed")
    k = check_int(n_clusters, "n_clusters", minimum=1)
    data = digits_cooccurrence(n_samples=n_samples, seed=seed)
    n_images = data.counts.shape[0]
    if k > n_images:
        raise InvalidParameterError(
            f"n_clusters must be <= the number of images ({n_images}); got {k}"
        )
    joint = data.joint

    def soft_ib(alpha: float) -> np.ndarray:
        options = {"n_init": n_init, "seed": seed, "tol": _IB_TOL, "max_iter": _IB_MAX_ITER}
        sol = information_bottleneck(joint, beta, k, alpha=alpha, **options)
        return np.asarray(sol.encoder).argmax(axis=1)  # (n_images,)

    def sib(**options: Any) -> np.ndarray:
        return sequential_ib(data.counts, k, seed=seed, **options).labels  # (n_images,)

    def kmeans() -> np.ndarray:
        rows = data.counts / data.counts.sum(axis=1, keepdims=True)  # (n_images, 64) p(y|x)
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(rows)

    fits: list[tuple[str, np.ndarray, float]] = []
    # One thread for BLAS and OpenMP: the products here are (n_images, 64) @ (64, k), too small
    # to gain from threads, and busy-waiting BLAS threads on a loaded machine (more runnable
    # threads than cores) turned a 1 s IB fit into a minute in our measurements.
    with threadpool_limits(limits=1):
        aib, aib_seconds = _timed(lambda: agglomerative_ib(joint))
        aib_labels = aib.labels(k)
        fits.append(("IB", *_timed(lambda: soft_ib(1.0))))
        fits.append(("DIB", *_timed(lambda: soft_ib(0.0))))
        fits.append(("aIB", aib_labels, aib_seconds))
        fits.append(("sIB", *_timed(lambda: sib(n_init=n_init))))
        fits.append(("sIB (from aIB)", *_timed(lambda: sib(init=aib_labels))))
        fits.append(("k-means", *_timed(kmeans)))
    return [
        {
            "name": name,
            "clusters": int(np.unique(labels).size),
            "accuracy": clustering_accuracy(data.labels, labels),
            "nmi": float(nmi(data.labels, labels)),
            "I_TY": partition_information(joint, labels),
            "seconds": float(seconds),
        }
        for name, labels, seconds in fits
    ]


_COLUMNS = (  # (header, key, format)
    ("method", "name", "{}"),
    ("clusters", "clusters", "{:d}"),
    ("accuracy", "accuracy", "{:.3f}"),
    ("NMI", "nmi", "{:.3f}"),
    ("I(T;Y) [bits]", "I_TY", "{:.4f}"),
    ("seconds", "seconds", "{:.2f}"),
)


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table of :func:`cluster_digits` rows (method left, numbers right aligned)."""
    cells = [[fmt.format(row[key]) for _, key, fmt in _COLUMNS] for row in rows]
    headers = [header for header, _, _ in _COLUMNS]
    widths = [max(len(c) for c in col) for col in zip(headers, *cells, strict=True)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(c) for c in cells)])
