"""Rate–distortion curves: R(D) from Blahut–Arimoto, optionally over a closed form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exceptions import ShapeMismatchError
from .figure import new_figure

__all__ = ["plot_rd_curve", "unit_label"]

ClosedForm = Callable[[np.ndarray], Any] | tuple[Any, Any]


def unit_label(base: float) -> str:
    """``"bits"``, ``"nats"`` or ``"log<b> units"`` for an information base."""
    if base == 2:
        return "bits"
    if np.isclose(base, np.e, rtol=1e-12, atol=0):
        return "nats"
    return f"log{base:g} units"


def _closed_form_xy(closed_form: ClosedForm, distortion: np.ndarray) -> tuple[Any, Any]:
    if callable(closed_form):
        positive = distortion[distortion > 0]
        lo = float(positive.min()) if positive.size else 1e-6
        grid = np.linspace(lo, float(distortion.max()), 400)
        return grid, np.asarray(closed_form(grid), dtype=np.float64)
    d, r = (np.asarray(a, dtype=np.float64) for a in closed_form)
    if d.shape != r.shape or d.ndim != 1:
        raise ShapeMismatchError(
            f"closed_form must be a callable D -> R or two equal 1-D arrays (D, R); "
            f"got shapes {d.shape} and {r.shape}"
        )
    return d, r


def plot_rd_curve(
    curve: Any,
    ax: Any = None,
    *,
    closed_form: ClosedForm | None = None,
    label: str | None = None,
    closed_form_label: str = "closed form",
    color: str | None = None,
) -> tuple[Any, Any]:
    """Plot rate against distortion for an R(D) curve (Figure 2 of the reference text).

    Parameters
    ----------
    curve : RDCurve (or anything with ``rate``, ``distortion`` arrays and ``base``)
        Points from :func:`~ibkit.rate_distortion.rd_curve`; rates in units of ``curve.base``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    closed_form : callable ``D -> R`` or pair of arrays ``(D, R)``, optional
        Exact R(D) in the same units (a callable is evaluated on 400 points across the
        curve's distortion range), drawn as a dashed black line on top of the computed
        points, so that agreement shows as the line passing through every marker.
    label : str, optional
        Legend label of the computed points (default "Blahut–Arimoto").

    Returns
    -------
    (fig, ax)
    """
    distortion = np.asarray(curve.distortion, dtype=np.float64)
    rate = np.asarray(curve.rate, dtype=np.float64)
    if distortion.shape != rate.shape:
        raise ShapeMismatchError(
            f"curve.rate and curve.distortion differ in shape: {rate.shape} vs {distortion.shape}"
        )
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    order = np.argsort(distortion, kind="stable")
    if closed_form is not None:
        d_cf, r_cf = _closed_form_xy(closed_form, distortion)
        ax.plot(d_cf, r_cf, "--", color="black", lw=1.2, label=closed_form_label, zorder=4)
    ax.plot(
        distortion[order],
        rate[order],
        "o-",
        ms=4.5,
        lw=0.8,
        color=color,
        zorder=3,
        mfc="white",
        mew=1.2,
        label=label or "Blahut–Arimoto",
    )
    unit = unit_label(float(getattr(curve, "base", 2.0)))
    ax.set_xlabel("distortion D")
    ax.set_ylabel(f"rate R(D) [{unit}]")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    return fig, ax
