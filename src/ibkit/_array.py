"""Array-API helpers: one namespace for NumPy, torch, CuPy and ``array_api_strict`` input.

The numeric core is written once against the array API standard; these helpers pick the
namespace of the caller's arrays (through ``array-api-compat``) so results come back in the
caller's array type and on the caller's device.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

Array = Any  # an array-API array: numpy.ndarray, torch.Tensor, cupy.ndarray, ...

__all__ = [
    "Array",
    "as_float_array",
    "entropy_terms",
    "get_namespace",
    "log_base",
    "logsumexp",
    "to_numpy",
    "to_output",
    "xlogy",
]


def get_namespace(*arrays: Any) -> Any:
    """Return the array-API namespace shared by the arrays among ``arrays``.

    Lists, Python scalars and ``None`` do not vote: they are converted into the namespace of the
    array arguments (NumPy when there are none). Arrays from two libraries raise ``TypeError``.
    """
    arrays = tuple(a for a in arrays if _is_array(a))
    if not arrays:
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrays)


def _is_array(value: Any) -> bool:
    return array_api_compat.is_array_api_obj(value)


def as_float_array(value: Any, xp: Any) -> Array:
    """Convert ``value`` to a floating array of namespace ``xp`` (integers become float64)."""
    if not _is_array(value):
        value = np.asarray(value, dtype=np.float64)
        return value if _is_numpy(xp) else xp.asarray(value)
    if xp.isdtype(value.dtype, "real floating"):
        return value
    return xp.astype(value, xp.float64)


def _is_numpy(xp: Any) -> bool:
    return array_api_compat.is_numpy_namespace(xp)


def to_output(value: Array, xp: Any) -> Any:
    """Return ``value`` in the caller's type: NumPy 0-d results become ``numpy.float64``."""
    if _is_numpy(xp) and getattr(value, "ndim", 1) == 0:
        return np.float64(value)
    return value


def to_numpy(value: Array) -> np.ndarray:
    """Copy any array-API array to a NumPy array on the host (for I/O and plotting)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # torch tensors, on any device
        return value.detach().cpu().numpy()
    if hasattr(value, "get"):  # CuPy
        return value.get()
    try:  # any other host array (array_api_strict, JAX, ...) through the DLPack protocol
        return np.from_dlpack(value)
    except (AttributeError, BufferError, RuntimeError, TypeError):
        return np.asarray(value)


def log_base(base: float) -> float:
    r"""Natural log of the unit's base: divide a value in nats by it to get units of ``base``.

    .. math:: v_b = v_\mathrm{nats} / \ln b
    """
    return math.log(base)


def xlogy(x: Array, y: Array, xp: Any) -> Array:
    r"""Elementwise :math:`x \log y` with :math:`0 \log y = 0` (also for y = 0), and ``-inf``
    where x > 0 and y = 0, without floating-point warnings."""
    positive = x > 0
    usable = positive & (y > 0)
    safe_y = xp.where(usable, y, xp.ones_like(y))
    value = xp.where(usable, x * xp.log(safe_y), xp.zeros_like(x))
    return xp.where(positive & (y <= 0), -xp.inf * xp.ones_like(x), value)


def entropy_terms(p: Array, xp: Any) -> Array:
    r"""Elementwise :math:`-p \log p` in nats, with :math:`0 \log 0 = 0`."""
    return -xlogy(p, p, xp)


def logsumexp(a: Array, axis: int, xp: Any) -> Array:
    r"""Stable :math:`\log \sum \exp a` along ``axis``; rows of ``-inf`` give ``-inf``."""
    peak = xp.max(a, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))
    total = xp.sum(xp.exp(a - peak), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = xp.log(total) + peak
    return xp.squeeze(out, axis=axis)
