"""Distortion matrices d(x, x̂) of shape ``(n_x, n_xhat)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import Array, as_float_array, get_namespace
from .._validation import check_int
from ..exceptions import ShapeMismatchError

__all__ = ["absolute_error", "hamming", "squared_error"]


def hamming(n: int, m: int | None = None) -> np.ndarray:
    r"""Hamming distortion :math:`d(x, \hat x) = [x \ne \hat x]` on alphabets of sizes n and m.

    Returns
    -------
    d : ndarray, shape ``(n, m)`` (``m = n`` by default), zeros on the diagonal, ones elsewhere.
    """
    n = check_int(n, "n", minimum=1)
    m = n if m is None else check_int(m, "m", minimum=1)
    return 1.0 - np.eye(n, m)


def _points(values: Any, name: str, xp: Any) -> Array:
    arr = as_float_array(values, xp)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ShapeMismatchError(
            f"{name} must be a non-empty 1-D array of points; got shape {tuple(arr.shape)}"
        )
    if not bool(xp.all(xp.isfinite(arr))):
        raise ShapeMismatchError(f"{name} must hold finite points")
    return arr


def _pairwise(x: Any, xhat: Any) -> tuple[Array, Any]:
    xp = get_namespace(x, xhat)
    xs = _points(x, "x", xp)
    xh = xs if xhat is None else _points(xhat, "xhat", xp)
    return xs[:, None] - xh[None, :], xp  # (n_x, n_xhat)


def squared_error(x: Any, xhat: Any = None) -> Array:
    r"""Squared-error distortion :math:`d(x, \hat x) = (x - \hat x)^2` between two point grids.

    Parameters
    ----------
    x : array_like, shape ``(n_x,)``
        Source points.
    xhat : array_like, shape ``(n_xhat,)``, optional
        Reproduction points; default ``x``.

    Returns
    -------
    d : shape ``(n_x, n_xhat)``, in the input's array type.
    """
    diff, _ = _pairwise(x, xhat)
    return diff * diff


def absolute_error(x: Any, xhat: Any = None) -> Array:
    r"""Absolute-error distortion :math:`d(x, \hat x) = |x - \hat x|` between two point grids.

    Returns
    -------
    d : shape ``(n_x, n_xhat)``, in the input's array type.
    """
    diff, xp = _pairwise(x, xhat)
    return xp.abs(diff)
