"""Hypothesis strategies for pmfs, joint pmfs, channels and Markov chains.

Every strategy returns float64 NumPy arrays that sum to 1 (to rounding) along the event axes.
Entries are built from non-negative weights with plenty of exact zeros (and, for joints, whole
zero rows and columns) and then normalised; the weights are integers or floats in
``[1e-3, 1]``, so no subnormal numbers or huge ratios reach the code under test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

__all__ = [
    "FAST",
    "channels",
    "joints",
    "joints3",
    "markov_chains",
    "pmfs",
    "weights_arrays",
]

#: Settings for the property tests: enough examples to find edge cases, fast enough for CI.
FAST = settings(max_examples=60, deadline=None)

# One non-negative weight: an exact zero about a third of the time, else an integer or a float.
_weight = st.one_of(
    st.just(0.0),
    st.integers(min_value=1, max_value=1_000).map(float),
    st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, allow_infinity=False),
)


def _normalise(w: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Divide by the sum over ``axes``; a slice that is all zero gets its mass on entry 0."""
    n_batch = int(np.prod(w.shape[: w.ndim - len(axes)]))
    flat = np.array(w, dtype=np.float64).reshape(n_batch, -1)  # (batch, n_event)
    flat[flat.sum(axis=1) == 0, 0] = 1.0
    return (flat / flat.sum(axis=1, keepdims=True)).reshape(w.shape)


@st.composite
def weights_arrays(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Non-negative float64 weights of ``shape`` (not normalised), with exact zeros."""
    size = int(np.prod(shape))
    values = draw(st.lists(_weight, min_size=size, max_size=size))
    return np.asarray(values, dtype=np.float64).reshape(shape)


@st.composite
def pmfs(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 8, size: int | None = None
) -> np.ndarray:
    """A pmf of shape ``(n,)``, ``min_size <= n <= max_size`` (or exactly ``size``)."""
    n = size if size is not None else draw(st.integers(min_size, max_size))
    return _normalise(draw(weights_arrays((n,))), axes=(0,))


@st.composite
def joints(draw: st.DrawFn, max_side: int = 8, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A joint pmf ``p[x, y]`` of shape ``(n_x, n_y)``, sides in ``[1, max_side]``.

    Some draws have whole zero rows or columns (symbols of X or Y that never occur).
    """
    if shape is None:
        shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    w = draw(weights_arrays(shape))
    zero_rows = draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0]))
    zero_cols = draw(st.lists(st.booleans(), min_size=shape[1], max_size=shape[1]))
    w[np.asarray(zero_rows), :] = 0.0
    w[:, np.asarray(zero_cols)] = 0.0
    return _normalise(w, axes=(0, 1))


@st.composite
def joints3(
    draw: st.DrawFn, max_side: int = 5, shape: tuple[int, int, int] | None = None
) -> np.ndarray:
    """A joint pmf ``p[x, y, z]`` of shape ``(n_x, n_y, n_z)``, sides in ``[1, max_side]``."""
    if shape is None:
        shape = tuple(draw(st.integers(1, max_side)) for _ in range(3))
    w = draw(weights_arrays(shape))
    for axis in range(3):
        zero = draw(st.lists(st.booleans(), min_size=shape[axis], max_size=shape[axis]))
        index = [slice(None)] * 3
        index[axis] = np.asarray(zero)
        w[tuple(index)] = 0.0
    return _normalise(w, axes=(0, 1, 2))


@st.composite
def channels(draw: st.DrawFn, n_in: int, n_out: int) -> np.ndarray:
    """A row-stochastic matrix ``W[i, j] = p(j | i)`` of shape ``(n_in, n_out)``."""
    return _normalise(draw(weights_arrays((n_in, n_out))), axes=(1,))


@st.composite
def markov_chains(
    draw: st.DrawFn, max_x: int = 5, max_y: int = 5, max_z: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Markov chain X → Y → Z as ``(p(x), p(y|x), p(z|y))``.

    Shapes ``(n_x,)``, ``(n_x, n_y)``, ``(n_y, n_z)``; the joint is
    ``px[:, None, None] * pyx[:, :, None] * pzy[None, :, :]``.
    """
    px = draw(pmfs(1, max_x))
    n_y = draw(st.integers(1, max_y))
    n_z = draw(st.integers(1, max_z))
    pyx = draw(channels(px.shape[0], n_y))
    pzy = draw(channels(n_y, n_z))
    return px, pyx, pzy
