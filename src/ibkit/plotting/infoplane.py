"""The information plane: I(T;Y) against I(X;T) for annealed IB curves (Figure 3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .figure import new_figure
from .rd import unit_label

__all__ = ["plot_information_plane"]


def plot_information_plane(
    family: Any, ax: Any = None, *, mark_bifurcations: bool = True
) -> tuple[Any, Any]:
    """Plot IB curves in the information plane with the I(X;Y) bound.

    Parameters
    ----------
    family : InformationCurves or IBCurve
        From :func:`~ibkit.ib.information_curves` (one line per |T|, the envelope and the
        I(X;Y) bound) or a single :func:`~ibkit.ib.ib_curve`.
    ax : matplotlib Axes, optional
    mark_bifurcations : bool
        Mark each curve at its bifurcation β values (where clusters split).

    Returns
    -------
    (fig, ax)
    """
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    curves = getattr(family, "curves", None) or {family.n_clusters: family}
    colors = ax._get_lines.get_next_color
    base = next(iter(curves.values())).base
    palette = {size: colors() for size in sorted(curves)}
    # Larger |T| first and thicker, so curves that coincide up to a split stay visible.
    for rank, (size, curve) in enumerate(sorted(curves.items(), reverse=True)):
        color = palette[size]
        width = 1.2 + 2.4 * (len(curves) - 1 - rank) / max(len(curves) - 1, 1)
        ax.plot(curve.I_XT, curve.I_TY, "-", color=color, lw=width, label=f"|T| = {size}")
        if mark_bifurcations:
            for split in curve.bifurcations:
                i = int(np.searchsorted(curve.beta, split.beta))
                i = min(i, len(curve.beta) - 1)
                ax.plot(curve.I_XT[i], curve.I_TY[i], "o", ms=5, mfc="white", color=color)
    if hasattr(family, "I_XY"):
        ax.axhline(family.I_XY, color="0.3", ls="--", lw=1.0, label="I(X;Y)")
    unit = unit_label(base)
    ax.set_xlabel(f"I(X;T) [{unit}]  (compression)")
    ax.set_ylabel(f"I(T;Y) [{unit}]  (relevance)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (labels[i] == "I(X;Y)", labels[i]))
    ax.legend(
        [handles[i] for i in order], [labels[i] for i in order], fontsize=8, loc="lower right"
    )
    return fig, ax
