"""The one place that checks user input: pmfs, joints, matrices, β, options.

Every check raises an :class:`~ibkit.exceptions.IBKitError` subclass whose message names the
argument and the offending value, so errors surface at the call site instead of as NaNs or
tracebacks from inside NumPy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._array import Array, as_float_array, get_namespace, to_numpy
from .exceptions import InvalidDistributionError, InvalidParameterError, ShapeMismatchError

__all__ = [
    "as_matrix",
    "as_pmf",
    "check_base",
    "check_beta",
    "check_choice",
    "check_int",
    "check_positive",
    "default_tol",
]


def default_tol(dtype: Any, xp: Any) -> float:
    """Default normalisation tolerance: the square root of the dtype's machine epsilon."""
    return math.sqrt(float(xp.finfo(dtype).eps))


def _first_bad(mask: Array) -> tuple[int, ...]:
    flat = np.argwhere(to_numpy(mask))
    return tuple(int(i) for i in flat[0])


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def _to_array(value: Any, name: str, xp: Any | None) -> tuple[Array, Any]:
    try:
        xp = xp or get_namespace(value)
        arr = as_float_array(value, xp)
    except (TypeError, ValueError) as err:
        raise InvalidDistributionError(
            f"{name} must be an array of numbers; got {type(value).__name__} ({err})"
        ) from None
    return arr, xp


def _check_finite(arr: Array, name: str, xp: Any) -> None:
    bad = ~xp.isfinite(arr)
    if bool(xp.any(bad)):
        index = _first_bad(bad)
        value = to_numpy(arr)[index] if index else to_numpy(arr)
        raise InvalidDistributionError(
            f"{name} must be finite; got {float(value)!r}{_where(index)}"
        )


def _check_nonnegative(arr: Array, name: str, xp: Any) -> None:
    bad = arr < 0
    if bool(xp.any(bad)):
        index = _first_bad(bad)
        value = to_numpy(arr)[index] if index else to_numpy(arr)
        raise InvalidDistributionError(
            f"{name} must be non-negative; got {float(value)!r}{_where(index)}"
        )


def as_pmf(
    p: Any,
    *,
    name: str,
    event_ndim: int = 1,
    batch: bool = True,
    tol: float | None = None,
    normalize: bool = False,
    xp: Any | None = None,
) -> tuple[Array, Any]:
    """Validate a (batch of) pmf(s) whose last ``event_ndim`` axes hold one distribution.

    Parameters
    ----------
    p : array_like, shape ``(*batch, *event)``
        Probabilities (or counts with ``normalize=True``).
    name : str
        Argument name used in error messages.
    event_ndim : int
        How many trailing axes form one distribution (1: a pmf, 2: a joint ``p[x, y]``, ...).
    batch : bool
        Whether leading batch axes are allowed.
    tol : float, optional
        Allowed ``|sum - 1|``; default ``sqrt(eps)`` of the dtype (1.5e-8 for float64).
    normalize : bool
        Divide by the sum over the event axes instead of checking it (for counts).

    Returns
    -------
    (array, xp) : the floating array in the caller's namespace, and that namespace.
    """
    arr, xp = _to_array(p, name, xp)
    if arr.ndim < event_ndim or (not batch and arr.ndim != event_ndim):
        want = f"{event_ndim}" if not batch else f"at least {event_ndim}"
        raise InvalidDistributionError(
            f"{name} must have {want} dimension(s); got shape {tuple(arr.shape)}"
        )
    if any(int(s) == 0 for s in arr.shape):
        raise InvalidDistributionError(f"{name} must not be empty; got shape {tuple(arr.shape)}")
    _check_finite(arr, name, xp)
    _check_nonnegative(arr, name, xp)
    axes = tuple(range(arr.ndim - event_ndim, arr.ndim))
    tol = default_tol(arr.dtype, xp) if tol is None else check_positive(tol, "tol")
    if normalize:
        scale = xp.max(arr, axis=axes, keepdims=True)  # rescale first: huge counts cannot overflow
        if bool(xp.any(scale <= 0)):
            raise InvalidDistributionError(f"{name} has an all-zero distribution; cannot normalise")
        arr = arr / scale
        return arr / xp.sum(arr, axis=axes, keepdims=True), xp
    total = xp.sum(arr, axis=axes, keepdims=True)
    off = xp.abs(total - 1.0) > tol
    if bool(xp.any(off)):
        index = _first_bad(off)
        value = float(to_numpy(total)[index]) if index else float(to_numpy(total))
        where = f" (batch index {index[: arr.ndim - event_ndim]})" if arr.ndim > event_ndim else ""
        raise InvalidDistributionError(
            f"{name} must sum to 1 (tolerance {tol:g}); got sum {value!r}{where}; "
            "pass normalize=True for unnormalised counts"
        )
    return arr, xp


def as_matrix(
    value: Any,
    *,
    name: str,
    rows: int | None = None,
    cols: int | None = None,
    nonnegative: bool = False,
    xp: Any | None = None,
) -> Array:
    """Validate a finite 2-D matrix of shape ``(rows, cols)`` (``None`` means any size)."""
    arr, xp = _to_array(value, name, xp)
    if arr.ndim != 2 or any(int(s) == 0 for s in arr.shape):
        raise ShapeMismatchError(
            f"{name} must be a non-empty 2-D matrix; got shape {tuple(arr.shape)}"
        )
    for axis, want in ((0, rows), (1, cols)):
        if want is not None and int(arr.shape[axis]) != want:
            raise ShapeMismatchError(
                f"{name} must have {want} {'rows' if axis == 0 else 'columns'}; "
                f"got shape {tuple(arr.shape)}"
            )
    _check_finite(arr, name, xp)
    if nonnegative:
        _check_nonnegative(arr, name, xp)
    return arr


def _as_real(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_, str, bytes)):  # float() would accept these
        raise InvalidParameterError(f"{name} must be a real number; got {value!r}")
    if not isinstance(value, (numbers.Real, np.generic)):
        try:
            value = float(value)  # 0-d arrays of any namespace
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{name} must be a real number; got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite; got {value!r}")
    return value


def check_beta(beta: Any, name: str = "beta") -> float:
    """Return β as a float after checking it is finite and ≥ 0."""
    value = _as_real(beta, name)
    if value < 0:
        raise InvalidParameterError(f"{name} must be >= 0; got {value!r}")
    return value


def check_positive(value: Any, name: str) -> float:
    """Return ``value`` as a float after checking it is finite and > 0."""
    out = _as_real(value, name)
    if out <= 0:
        raise InvalidParameterError(f"{name} must be > 0; got {out!r}")
    return out


def check_base(base: Any) -> float:
    """Check a logarithm base: finite, > 0 and ≠ 1 (2 gives bits, e gives nats)."""
    out = check_positive(base, "base")
    if out == 1.0:
        raise InvalidParameterError("base must not be 1 (log base 1 is undefined); got 1.0")
    return out


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int after checking it is an integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InvalidParameterError(f"{name} must be an integer; got {value!r}")
    if int(value) < minimum:
        raise InvalidParameterError(f"{name} must be >= {minimum}; got {int(value)!r}")
    return int(value)


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices`` (an unknown option is an error, not a no-op)."""
    choices = tuple(choices)
    if value not in choices:
        raise InvalidParameterError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )
    return value
