"""Shared plumbing for the measures: validation of paired pmfs and unit conversion."""

from __future__ import annotations

from typing import Any

from .._array import Array, get_namespace, log_base, to_output
from .._validation import as_pmf, check_base
from ..exceptions import ShapeMismatchError


def pmf_pair(
    p: Any, q: Any, *, tol: float | None, normalize: bool
) -> tuple[Array, Array, Any]:
    """Validate two pmfs over the same alphabet (last axis); batch axes broadcast."""
    xp = get_namespace(p, q)
    p, _ = as_pmf(p, name="p", tol=tol, normalize=normalize, xp=xp)
    q, _ = as_pmf(q, name="q", tol=tol, normalize=normalize, xp=xp)
    if p.shape[-1] != q.shape[-1]:
        raise ShapeMismatchError(
            f"p and q must be pmfs over the same alphabet; got sizes {p.shape[-1]} and {q.shape[-1]}"
        )
    try:
        xp.broadcast_shapes(tuple(p.shape), tuple(q.shape))
    except ValueError:
        raise ShapeMismatchError(
            f"p and q batch shapes do not broadcast: {tuple(p.shape)} vs {tuple(q.shape)}"
        ) from None
    return p, q, xp


def in_units(nats: Array, base: float, xp: Any) -> Any:
    """Convert a value in nats to units of ``base`` and return it in the caller's type."""
    return to_output(nats / log_base(check_base(base)), xp)
