"""Plots of neural bottlenecks: training curves, image grids, β sweeps (no torch needed).

Everything here takes NumPy arrays or plain rows (``metrics.csv`` as read by
:func:`read_metrics`), so the plots can be redrawn from a run folder without the model.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataFormatError
from .figure import matplotlib_pyplot, new_figure

__all__ = [
    "plot_image_grid",
    "plot_rate_distortion_plane",
    "plot_training_curves",
    "plot_vib_information_plane",
    "read_metrics",
]

LN2 = math.log(2.0)


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of a trainer's ``metrics.csv``: numbers as floats, empty cells left out."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataFormatError(f"cannot read metrics file {str(path)!r}: {err}") from None
    out = []
    for row in rows:
        parsed: dict[str, Any] = {}
        for key, value in row.items():
            if value in ("", None):
                continue
            try:
                parsed[key] = float(value)
            except ValueError:
                parsed[key] = value
        out.append(parsed)
    return out


def _series(rows: Sequence[Mapping[str, Any]], split: str, key: str) -> tuple[np.ndarray, ...]:
    pairs = [(r["step"], r[key]) for r in rows if r.get("split") == split and key in r]
    if not pairs:
        return np.empty(0), np.empty(0)
    steps, values = np.asarray(pairs, dtype=np.float64).T
    return steps, values


def plot_training_curves(rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """Loss, rate, distortion (bits) and β against the step, train and eval rows.

    Parameters
    ----------
    rows : list of dict
        ``metrics.csv`` rows (:func:`read_metrics`): ``step``, ``split`` ("train"/"eval"),
        ``loss``, ``rate_bits``, ``distortion_bits``, ``beta``.

    Returns
    -------
    (fig, axes) with four panels.
    """
    fig, axes = new_figure(4, width=3.6, height=3.0)
    panels = [("loss", "loss (nats)"), ("rate_bits", "rate (bits)"),
              ("distortion_bits", "distortion (bits)"), ("beta", "β (weight)")]
    for ax, (key, label) in zip(axes, panels, strict=True):
        for split, style in (("train", "-"), ("eval", "o-")):
            steps, values = _series(rows, split, key)
            if steps.size:
                ax.plot(steps, values, style, ms=3, lw=1.2, label=split)
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False)
    return fig, axes


def plot_image_grid(
    images: np.ndarray, *, ncols: int = 8, title: str | None = None,
    row_labels: Sequence[str] | None = None,
) -> tuple[Any, Any]:
    """Show ``images`` (n, H, W) with values in [0, 1] as a grid of ``ncols`` columns."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or images.shape[0] == 0:
        raise DataFormatError(f"images must have shape (n, H, W) with n > 0; got {images.shape}")
    n = images.shape[0]
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    plt = matplotlib_pyplot()
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(0.9 * ncols + 0.6, 0.9 * nrows + 0.4), squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        else:
            ax.axis("off")
    if row_labels is not None:
        for row, label in zip(axes[:, 0], row_labels, strict=False):
            row.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig, axes


def plot_rate_distortion_plane(
    rate_bits: Sequence[float], distortion_bits: Sequence[float], betas: Sequence[float],
    ax: Any = None, *, label: str = "β-VAE",
) -> tuple[Any, Any]:
    """The rate–distortion plane of a β sweep (Alemi et al. 2018, "Fixing a broken ELBO").

    Each trained model is a point (R, D) = (E KL(q(z|x)‖p(z)), −E log p(x|z)), in bits; the
    line R + D = const through the best point is the ELBO's iso-line (slope −1).
    """
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    r, d, b = (np.asarray(v, dtype=np.float64) for v in (rate_bits, distortion_bits, betas))
    order = np.argsort(r)
    ax.plot(r[order], d[order], "o-", label=label)
    for ri, di, bi in zip(r, d, b, strict=True):
        ax.annotate(f"β={bi:g}", (ri, di), textcoords="offset points", xytext=(4, 4), fontsize=8)
    best = int(np.argmin(r + d))
    span = np.array([0.0, r[best] + d[best]])
    ax.plot(span, r[best] + d[best] - span, ":", color="gray", label="R + D = −ELBO (best)")
    ax.set_xlabel("rate R (bits)")
    ax.set_ylabel("distortion D (bits)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig, ax


def plot_vib_information_plane(
    izx_bits: Sequence[float], izy_bits: Sequence[float], betas: Sequence[float],
    ax: Any = None, *, h_y_bits: float | None = None,
) -> tuple[Any, Any]:
    """VIB's information plane: I(Z;Y) lower bound against the I(Z;X) upper bound, per β."""
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    x, y, b = (np.asarray(v, dtype=np.float64) for v in (izx_bits, izy_bits, betas))
    order = np.argsort(x)
    ax.plot(x[order], y[order], "o-", label="VIB (one model per β)")
    for xi, yi, bi in zip(x, y, b, strict=True):
        ax.annotate(f"β={bi:g}", (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=8)
    if h_y_bits is not None:
        ax.axhline(h_y_bits, ls="--", color="gray", lw=1, label="H(Y)")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("I(Z;X) upper bound (bits)")
    ax.set_ylabel("I(Z;Y) lower bound (bits)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig, ax
