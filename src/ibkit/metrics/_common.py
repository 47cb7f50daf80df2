"""Shared pieces of the disentanglement metrics: input checks, train/test splits, seeds,
equal-width histogram discretisation and the discrete mutual-information matrix.

Conventions (as in disentanglement_lib, transposed to rows = samples):
``codes`` is a float array ``(n, d)`` (one row per observation, one column per latent
dimension); ``factors`` is an integer array ``(n, K)`` of ground-truth factor classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import check_int
from ..exceptions import IBKitError, InvalidParameterError, ShapeMismatchError
from ..measures import entropy, mutual_information

__all__ = [
    "as_codes",
    "as_codes_factors",
    "as_factors",
    "discrete_mutual_info",
    "factor_entropy",
    "histogram_discretize",
    "import_sklearn",
    "make_rng",
    "train_test",
]

#: Fraction of the rows used for training when no test set is given (10 000 : 5 000 in the lib).
TRAIN_FRACTION = 2.0 / 3.0


def import_sklearn() -> Any:
    """Import scikit-learn, or explain how to install it."""
    try:
        import sklearn
    except ImportError as err:  # pragma: no cover - sklearn is in the test extra
        raise IBKitError(
            "the disentanglement metrics need scikit-learn: pip install 'ibkit[sklearn]'"
        ) from err
    return sklearn


def make_rng(seed: Any) -> np.random.Generator:
    """A Generator from an int seed (≥ 0), a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator) or seed is None:
        return np.random.default_rng(seed)
    return np.random.default_rng(check_int(seed, "seed", minimum=0))


def as_codes(codes: Any, name: str = "codes") -> np.ndarray:
    """Validate codes: a finite real array ``(n, d)`` with n ≥ 2 and d ≥ 1, as float64."""
    arr = np.asarray(codes)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ShapeMismatchError(
            f"{name} must have shape (n_samples, n_codes) with n_samples >= 2 and n_codes >= 1; "
            f"got shape {arr.shape}"
        )
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise InvalidParameterError(f"{name} must be real numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        raise InvalidParameterError(
            f"{name} must be finite; got {arr[i, j]} at row {i}, column {j}"
        )
    return arr


def as_factors(factors: Any, name: str = "factors") -> np.ndarray:
    """Validate factor classes: integer-valued ``(n, K)``, every column with ≥ 2 values.

    A factor with a single value has nothing to disentangle (its entropy is 0, and every
    classifier-based score is undefined), so it is refused: drop that column first.
    """
    arr = np.asarray(factors)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ShapeMismatchError(
            f"{name} must have shape (n_samples, n_factors) with n_samples >= 2 and "
            f"n_factors >= 1; got shape {arr.shape}"
        )
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise InvalidParameterError(f"{name} must be integer classes; got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.integer):
        bad = ~np.isfinite(arr) | (arr != np.round(np.nan_to_num(arr)))
        if np.any(bad):
            i, j = np.argwhere(bad)[0]
            raise InvalidParameterError(
                f"{name} must be integer classes; got {arr[i, j]} at row {i}, column {j}"
            )
    arr = arr.astype(np.int64)
    for k in range(arr.shape[1]):
        if np.all(arr[:, k] == arr[0, k]):
            raise InvalidParameterError(
                f"{name} column {k} takes a single value ({arr[0, k]}): a constant factor has "
                "nothing to disentangle; drop it"
            )
    return arr


def as_codes_factors(codes: Any, factors: Any, suffix: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Validate a (codes, factors) pair with the same number of rows."""
    c = as_codes(codes, "codes" + suffix)
    f = as_factors(factors, "factors" + suffix)
    if c.shape[0] != f.shape[0]:
        raise ShapeMismatchError(
            f"codes{suffix} and factors{suffix} must have the same number of rows; "
            f"got {c.shape[0]} and {f.shape[0]}"
        )
    return c, f


def train_test(
    codes: Any, factors: Any, test: tuple[Any, Any] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and test arrays: ``test`` if given, else the first 2/3 of the rows train.

    The split is deterministic (the rows are assumed i.i.d., as when they come from
    ``dataset.sample_factors``), so the score is a function of the arrays alone.
    """
    if test is None:
        c, f = as_codes_factors(codes, factors)
        n_train = int(np.ceil(TRAIN_FRACTION * c.shape[0]))
        if c.shape[0] - n_train < 1:
            raise ShapeMismatchError(f"need at least 3 rows to split train/test; got {c.shape[0]}")
        return c[:n_train], f[:n_train], c[n_train:], f[n_train:]
    if not isinstance(test, tuple) or len(test) != 2:
        raise InvalidParameterError(f"test must be a (codes, factors) pair; got {type(test)}")
    c, f = as_codes_factors(codes, factors)
    c_test, f_test = as_codes_factors(test[0], test[1], suffix="_test")
    if c_test.shape[1] != c.shape[1] or f_test.shape[1] != f.shape[1]:
        raise ShapeMismatchError(
            f"test arrays must have {c.shape[1]} code and {f.shape[1]} factor columns; "
            f"got {c_test.shape[1]} and {f_test.shape[1]}"
        )
    return c, f, c_test, f_test


def histogram_discretize(codes: np.ndarray, n_bins: int = 20) -> np.ndarray:
    r"""Equal-width bins per code column (disentanglement_lib's ``histogram_discretize``).

    .. math:: c_{ij} = \min\Big(n_\mathrm{bins},\ 1 + \Big\lfloor \frac{z_{ij} - \min_i z_{ij}}
              {w_j} \Big\rfloor\Big), \qquad w_j = \frac{\max_i z_{ij} - \min_i z_{ij}}
              {n_\mathrm{bins}}

    Column j is cut into ``n_bins`` bins of equal width between its min and max
    (``numpy.histogram`` edges; a constant column gets one bin); returns ints in
    ``1..n_bins``, shape ``(n, d)``.
    """
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    out = np.empty(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, j], bins=n_bins)
        out[:, j] = np.digitize(codes[:, j], edges[:-1])
    return out


def _labels(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels 0..m-1 of a discrete column, and m."""
    _, inverse = np.unique(column, return_inverse=True)
    return inverse.reshape(-1), int(inverse.max()) + 1


def discrete_mutual_info(discrete_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    r"""Plug-in mutual information matrix ``(d, K)`` in nats.

    .. math:: m_{jk} = \sum_{a,b} \hat p(a,b) \ln \frac{\hat p(a,b)}{\hat p(a)\hat p(b)}

    with :math:`\hat p` the contingency table of code column j and factor column k
    (what ``sklearn.metrics.mutual_info_score`` computes).
    """
    codes = [_labels(discrete_codes[:, j]) for j in range(discrete_codes.shape[1])]
    facts = [_labels(factors[:, k]) for k in range(factors.shape[1])]
    m = np.empty((len(codes), len(facts)))
    for i, (a, na) in enumerate(codes):
        for j, (b, nb) in enumerate(facts):
            if na == 1 or nb == 1:  # a constant column carries exactly nothing
                m[i, j] = 0.0
                continue
            counts = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb)
            m[i, j] = mutual_information(counts / a.shape[0], base=np.e)
    return m


def factor_entropy(factors: np.ndarray) -> np.ndarray:
    r"""Plug-in entropy of every factor column, ``(K,)`` in nats; ``factors``: ``(n, K)``.

    .. math:: \hat H(v_k) = -\sum_a \frac{n_a}{n} \ln \frac{n_a}{n}
    """
    out = np.empty(factors.shape[1])
    for k in range(factors.shape[1]):
        counts = np.unique(factors[:, k], return_counts=True)[1]
        out[k] = entropy(counts / counts.sum(), base=np.e)
    return out


RepresentationFn = Callable[[np.ndarray], Any]
