"""Binning of continuous samples into symbols: NumPy's bin rules, equal width or equal frequency.

Each feature (column) is binned on its own; a row's symbol is the tuple of its bin indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError

__all__ = ["BIN_RULES", "STRATEGIES", "bin_samples"]

BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")
STRATEGIES = ("uniform", "quantile")


def _edges(column: np.ndarray, bins: int | str, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        n_bins = bins if isinstance(bins, int) else np.histogram_bin_edges(column, bins).size - 1
        edges = np.unique(np.quantile(column, np.linspace(0.0, 1.0, n_bins + 1)))
    else:
        edges = np.histogram_bin_edges(column, bins)
    return edges


def bin_samples(samples: np.ndarray, *, bins: Any = "fd", strategy: str = "uniform") -> np.ndarray:
    r"""Replace each value by the index of its bin; returns integer codes of shape ``(n, d)``.

    .. math:: c_{ij} = b \iff e_{j,b} \le x_{ij} < e_{j,b+1}

    (the last bin closed on the right), with edges :math:`e_j` equal-width between
    :math:`\min_i x_{ij}` and :math:`\max_i x_{ij}` (``"uniform"``) or the empirical quantiles
    (``"quantile"``). Codes are unitless; a later plug-in estimate is in the caller's ``base``.

    Parameters
    ----------
    samples : (n, d) float64 samples.
    bins : int or str
        Number of bins per feature, or a :func:`numpy.histogram_bin_edges` rule
        (``"auto"``, ``"fd"``, ``"doane"``, ``"scott"``, ``"stone"``, ``"rice"``, ``"sturges"``,
        ``"sqrt"``).
    strategy : ``"uniform"`` (equal-width bins) or ``"quantile"`` (equal-frequency bins; with a
        rule, the rule only chooses how many bins).

    Returns
    -------
    codes : (n, d) int64 bin indices (``0..n_bins-1`` per feature).
    """
    check_choice(strategy, "strategy", STRATEGIES)
    if isinstance(bins, str):
        check_choice(bins, "bins", BIN_RULES)
    elif isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = check_int(bins, "bins", minimum=1)
    else:
        raise InvalidParameterError(
            f"bins must be a positive integer or one of {', '.join(BIN_RULES)}; got {bins!r}"
        )
    codes = np.empty(samples.shape, dtype=np.int64)
    for j in range(samples.shape[1]):  # a loop over features, not samples
        column = samples[:, j]
        edges = _edges(column, bins, strategy)
        if edges.size < 2:  # a constant feature: one bin
            codes[:, j] = 0
            continue
        inner = edges[1:-1]
        codes[:, j] = np.searchsorted(inner, column, side="right")
    return codes
