"""Input checks and weight schedules shared by the models of :mod:`ibkit.nn`.

Every model validates its batch here before any layer sees it, so a wrong shape, an integer
image or a NaN surfaces as an :class:`~ibkit.exceptions.IBKitError` naming the argument, not as
a matmul error deep inside torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from .._validation import check_beta, check_int
from ..exceptions import DataFormatError, InvalidParameterError, ShapeMismatchError
from ..schedules import as_schedule

__all__ = [
    "Schedule",
    "as_shape",
    "check_features",
    "check_labels",
    "make_schedule",
    "split_batch",
    "weight_at",
]

Schedule = Callable[[int], float]
"""A weight schedule: global step → weight (β, γ or capacity C in nats)."""


def as_shape(shape: int | Sequence[int], name: str) -> tuple[int, ...]:
    """Return ``shape`` as a non-empty tuple of positive ints (an int means ``(shape,)``)."""
    if isinstance(shape, (int,)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise InvalidParameterError(
            f"{name} must be an int or a tuple of ints; got {shape!r}"
        ) from None
    if not dims:
        raise InvalidParameterError(f"{name} must not be empty; got {shape!r}")
    return tuple(check_int(d, f"{name}[{i}]", minimum=1) for i, d in enumerate(dims))


def split_batch(batch: Any, *, need_labels: bool = False) -> tuple[torch.Tensor, Any]:
    """Split a batch (a tensor ``x`` or a tuple/list ``(x, y)``) into ``(x, y or None)``."""
    if torch.is_tensor(batch):
        x, y = batch, None
    elif isinstance(batch, (tuple, list)) and len(batch) in (1, 2):
        x, y = batch[0], (batch[1] if len(batch) == 2 else None)
    else:
        raise DataFormatError(
            f"batch must be a tensor x or a tuple (x, y); got {type(batch).__name__}"
        )
    if need_labels and y is None:
        raise DataFormatError("batch must be a tuple (x, y) with labels y; got x alone")
    return x, y


def check_features(
    x: Any,
    input_shape: tuple[int, ...],
    name: str = "x",
    support: tuple[float, float] | None = None,
) -> torch.Tensor:
    """Check a batch ``x`` of shape ``(B, *input_shape)``: floating point, finite, non-empty.

    A batch of flat vectors whose length is ``prod(input_shape)`` is accepted too, and so is a
    single-channel image batch ``(B, H, W)`` when ``input_shape == (1, H, W)``. With
    ``support = (lo, hi)`` every value must also lie in ``[lo, hi]`` (one pass over the data
    checks both; the offending value is located only when the check fails).
    """
    if not torch.is_tensor(x):
        raise DataFormatError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise DataFormatError(
            f"{name} must be floating point (scale integer images to [0, 1] first); "
            f"got dtype {x.dtype}"
        )
    shape = tuple(x.shape[1:])
    flat = math.prod(input_shape)
    ok = shape == input_shape or shape == (flat,)
    ok = ok or (len(input_shape) == 3 and input_shape[0] == 1 and shape == input_shape[1:])
    if x.ndim < 2 or not ok:
        raise ShapeMismatchError(
            f"{name} must have shape (batch, {', '.join(map(str, input_shape))}); "
            f"got {tuple(x.shape)}"
        )
    if x.shape[0] == 0:
        raise DataFormatError(f"{name} must not be an empty batch; got shape {tuple(x.shape)}")
    lo, hi = torch.stack(torch.aminmax(x.detach())).tolist()  # NaN propagates; one sync
    finite = math.isfinite(lo) and math.isfinite(hi)
    if not finite or (support is not None and (lo < support[0] or hi > support[1])):
        _raise_bad_value(x.detach(), name, support)
    return x


def _raise_bad_value(x: torch.Tensor, name: str, support: tuple[float, float] | None) -> None:
    """Locate the first non-finite (else out-of-support) value of ``x`` and raise."""
    bad = ~torch.isfinite(x)
    if bool(bad.any()):
        index = tuple(int(i) for i in torch.nonzero(bad)[0])
        raise DataFormatError(f"{name} must be finite; got {float(x[index])!r} at index {index}")
    lo, hi = support if support is not None else (-math.inf, math.inf)
    index = tuple(int(i) for i in torch.nonzero((x < lo) | (x > hi))[0])
    raise DataFormatError(
        f"{name} must lie in [{lo:g}, {hi:g}]; got {float(x[index])!r} at "
        f"index {index}"
    )


def check_labels(y: Any, n: int, n_classes: int, name: str = "y") -> torch.Tensor:
    """Check class labels: an integer tensor of shape ``(n,)`` with values in ``[0, n_classes)``."""
    if not torch.is_tensor(y):
        raise DataFormatError(f"{name} must be a torch.Tensor; got {type(y).__name__}")
    if torch.is_floating_point(y) or y.dtype == torch.bool or torch.is_complex(y):
        raise DataFormatError(f"{name} must hold integer class labels; got dtype {y.dtype}")
    if tuple(y.shape) != (n,):
        raise ShapeMismatchError(f"{name} must have shape ({n},) to match x; got {tuple(y.shape)}")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= n_classes:
        bad = lo if lo < 0 else hi
        raise DataFormatError(f"{name} must lie in [0, {n_classes}); got label {bad}")
    return y.long()


def make_schedule(value: float | Mapping[str, Any] | Schedule, name: str) -> Schedule:
    """Turn a float ≥ 0, a schedule dict or a ``Callable[[int], float]`` into a schedule.

    Numbers and dicts go through :func:`ibkit.schedules.as_schedule` (a number becomes a
    constant schedule); any other callable is used as is. The value is checked again
    (finite, ≥ 0) at every step by :func:`weight_at`.
    """
    if isinstance(value, Mapping):
        return as_schedule(value)
    if callable(value):
        return value
    return as_schedule(check_beta(value, name))


def weight_at(schedule: Schedule, step: int, name: str) -> float:
    """Evaluate ``schedule(step)`` and check the result is a finite number ≥ 0."""
    return check_beta(schedule(int(step)), f"{name}(step={int(step)})")
