"""Validation of paired samples and shared options for the estimators (no torch).

Every check raises an :class:`~ibkit.exceptions.IBKitError` subclass naming the argument and the
bad value: non-numeric or non-finite samples (:class:`DataFormatError`), unequal sample counts
(:class:`ShapeMismatchError`), too few samples for ``k`` (:class:`InvalidParameterError`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_base
from ..exceptions import DataFormatError, InvalidParameterError, ShapeMismatchError

__all__ = ["EstimatorWarning", "as_samples", "check_k", "check_paired", "to_base"]


class EstimatorWarning(UserWarning):
    """An estimate is computed but likely unreliable (high dimension, few samples, ties)."""


def _to_torch_free_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensor; torch not imported
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def as_samples(value: Any, name: str) -> np.ndarray:
    """Return samples as a float64 array of shape ``(n, d)`` (a 1-D input becomes ``(n, 1)``).

    Parameters
    ----------
    value : array_like, shape ``(n,)`` or ``(n, d)``
        Real-valued samples, one row per sample.
    name : str
        Argument name used in error messages.
    """
    try:
        arr = _to_torch_free_array(value)
    except (TypeError, ValueError) as err:
        raise DataFormatError(f"{name} must be an array of numbers; got {err}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise DataFormatError(
            f"{name} must be numeric; got dtype {arr.dtype} (encode categories as integers)"
        )
    if np.iscomplexobj(arr):
        raise DataFormatError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ShapeMismatchError(
            f"{name} must have shape (n_samples,) or (n_samples, n_features) with n >= 1; "
            f"got shape {tuple(np.shape(value))}"
        )
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataFormatError(
            f"{name} must be finite; got {float(arr[row, col])!r} at sample {row}, feature {col}"
        )
    return arr


def check_paired(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``x`` and ``y`` as samples with the same number of rows."""
    xs, ys = as_samples(x, "x"), as_samples(y, "y")
    if xs.shape[0] != ys.shape[0]:
        raise ShapeMismatchError(
            f"x and y must have the same number of samples; got {xs.shape[0]} and {ys.shape[0]}"
        )
    return xs, ys


def check_k(k: Any, n: int) -> int:
    """Check the neighbour count: an integer with ``1 <= k <= n - 1``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InvalidParameterError(f"k must be an integer; got {k!r}")
    k = int(k)
    if k < 1:
        raise InvalidParameterError(f"k must be >= 1; got {k}")
    if n < k + 1:
        raise InvalidParameterError(
            f"k-NN estimation needs at least k + 1 = {k + 1} samples; got {n} samples"
        )
    return k


def to_base(nats: float, base: float) -> float:
    r"""Convert a value in nats into units of ``base`` (2: bits, e: nats).

    .. math:: v_b = v_\mathrm{nats} / \ln b
    """
    return float(nats) / math.log(check_base(base))
