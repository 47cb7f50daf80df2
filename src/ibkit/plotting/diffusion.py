"""Diffusion bottlenecks: KL-versus-timestep curves, log-SNR schedules, per-t bound terms.

Each function draws on ``ax`` (a new figure when omitted) and returns ``(fig, ax)``; the inputs
are the NumPy results of :mod:`ibkit.diffusion` (no torch needed here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import check_choice
from ..exceptions import InvalidParameterError
from .figure import new_figure

__all__ = ["plot_kl_curves", "plot_log_snr", "plot_vlb_terms"]

_KINDS = {
    "marginal": ("t", "marginal", r"$E\,\mathrm{KL}(q(x_t|x_0)\,\|\,\mathcal{N}(0,I))$"),
    "information": ("t", "information", r"$I_G(x_0; x_t)$"),
    "posterior": ("posterior_t", "posterior",
                  r"$L_{t-1} = E\,\mathrm{KL}(q(x_{t-1}|x_t,x_0)\,\|\,p(x_{t-1}|x_t))$"),
}


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is None:
        return new_figure()
    return ax.figure, ax


def _named(items: Any, what: str) -> dict[str, Any]:
    if isinstance(items, Mapping):
        named = {str(k): v for k, v in items.items()}
    elif isinstance(items, Sequence) and not isinstance(items, str):
        named = {str(getattr(v, what, i)): v for i, v in enumerate(items)}
    else:
        named = {str(getattr(items, what, "")): items}
    if not named:
        raise InvalidParameterError("nothing to plot: got an empty collection")
    return named


def plot_kl_curves(
    curves: Any,
    ax: Any = None,
    *,
    kind: str = "marginal",
    logy: bool = False,
    title: str | None = None,
    legend: bool = True,
    **line_kwargs: Any,
) -> tuple[Any, Any]:
    """Plot one curve of :class:`~ibkit.diffusion.KLCurves` per schedule against t.

    Parameters
    ----------
    curves : KLCurves, sequence of KLCurves, or mapping label → KLCurves
        From :func:`~ibkit.diffusion.kl_curves` (sequence items are labelled by schedule name).
    kind : {"marginal", "information", "posterior"}
        Which curve: E KL(q(x_t|x_0) ‖ N(0, I)), the Gaussian-surrogate I(x_0; x_t), or the
        posterior-KL terms L_{t−1} (t = 2 … T).
    logy : bool
        Logarithmic y axis (useful for the posterior terms).
    **line_kwargs
        Passed to ``ax.plot`` for every line.
    """
    check_choice(kind, "kind", tuple(_KINDS))
    named = _named(curves, "schedule")
    t_attr, y_attr, ylabel = _KINDS[kind]
    fig, ax = _axes(ax)
    units = ""
    for label, curve in named.items():
        ax.plot(getattr(curve, t_attr), getattr(curve, y_attr), label=label or None,
                **line_kwargs)
        units = curve.units
    ax.set_xlabel("timestep t")
    ax.set_ylabel(f"{ylabel} [{units}]" if units else ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if legend and len(named) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig, ax


def plot_log_snr(schedules: Any, ax: Any = None, *, title: str | None = None,
                 **line_kwargs: Any) -> tuple[Any, Any]:
    """Plot log-SNR_t = log(ᾱ_t / (1 − ᾱ_t)) of one or several :class:`NoiseSchedule`."""
    named = _named(schedules, "name")
    fig, ax = _axes(ax)
    for label, sched in named.items():
        ax.plot(np.arange(1, sched.T + 1), sched.log_snr, label=label or None, **line_kwargs)
    ax.set_xlabel("timestep t")
    ax.set_ylabel(r"$\log \mathrm{SNR}_t = \log \bar\alpha_t / (1 - \bar\alpha_t)$")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(named) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig, ax


def plot_vlb_terms(terms: Any, ax: Any = None, *, bits_per_dim: bool = True, logy: bool = True,
                   title: str | None = None, **line_kwargs: Any) -> tuple[Any, Any]:
    """Plot the mean of every bound term L_0 … L_T (± 2 standard errors) against its index.

    ``terms`` is a :class:`~ibkit.diffusion.VLBTerms` or a mapping label → VLBTerms. With
    ``logy`` the decoder term L_0 (which may be negative) is left out of the plot.
    """
    named = _named(terms, "decoder")
    fig, ax = _axes(ax)
    for label, res in named.items():
        mean, se = res.mean(bits_per_dim=bits_per_dim), res.stderr(bits_per_dim=bits_per_dim)
        k = np.arange(mean.size)
        start = 1 if logy else 0
        line, = ax.plot(k[start:], mean[start:], label=label or None, **line_kwargs)
        ax.fill_between(k[start:], (mean - 2 * se)[start:], (mean + 2 * se)[start:],
                        color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel("term index k (L_k; k = T is the prior term)")
    ax.set_ylabel("bits/dim" if bits_per_dim else "nats")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(named) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig, ax
