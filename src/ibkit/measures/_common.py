"""Shared plumbing for the measures: validation of paired pmfs and unit conversion."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import Array, get_namespace, log_base, to_output
from .._validation import as_pmf, check_base
from ..exceptions import InvalidDistributionError, ShapeMismatchError


def pmf_pair(p: Any, q: Any, *, tol: float | None, normalize: bool) -> tuple[Array, Array, Any]:
    r"""Validate two pmfs over the same alphabet (last axis); batch axes broadcast.

    .. math:: p_i \ge 0,\ q_i \ge 0,\ \textstyle\sum_i p_i = \sum_i q_i = 1

    (within ``tol``, or rescaled with ``normalize``); shapes ``(..., n)`` and ``(..., n)``.
    """
    try:
        xp = get_namespace(p, q)
    except TypeError:  # arrays from two libraries (e.g. NumPy and torch)
        raise InvalidDistributionError(
            f"p and q must be arrays of the same array library; got {type(p).__module__}."
            f"{type(p).__name__} and {type(q).__module__}.{type(q).__name__}"
        ) from None
    p, _ = as_pmf(p, name="p", tol=tol, normalize=normalize, xp=xp)
    q, _ = as_pmf(q, name="q", tol=tol, normalize=normalize, xp=xp)
    if p.shape[-1] != q.shape[-1]:
        raise ShapeMismatchError(
            "p and q must be pmfs over the same alphabet; "
            f"got sizes {p.shape[-1]} and {q.shape[-1]}"
        )
    try:
        np.broadcast_shapes(tuple(p.shape), tuple(q.shape))
    except ValueError:
        raise ShapeMismatchError(
            f"p and q batch shapes do not broadcast: {tuple(p.shape)} vs {tuple(q.shape)}"
        ) from None
    return p, q, xp


def in_units(nats: Array, base: float, xp: Any) -> Any:
    r"""Convert a value in nats to units of ``base`` and return it in the caller's type.

    .. math:: v_b = v_\mathrm{nats} / \ln b \quad (b = 2:\ \text{bits})

    Any shape; the result has the shape of ``nats``.
    """
    return to_output(nats / log_base(check_base(base)), xp)


def log0(x: Array, xp: Any) -> Array:
    r"""Elementwise :math:`\log x` with the convention :math:`\log 0 = 0`, without warnings.

    Used as ``p * (log0(p) - log0(q))``: every ratio is taken in the log domain, so tiny
    probabilities can neither underflow a product to 0 nor overflow a quotient to ``inf``;
    where ``p = 0`` the factor ``p`` makes the term exactly 0.
    """
    return xp.log(xp.where(x > 0, x, xp.ones_like(x)))
