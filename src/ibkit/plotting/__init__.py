"""Plots (optional; needs ``matplotlib``, the ``plot`` extra).

matplotlib is imported on first use, never by the core, and always with the non-interactive
Agg backend so plotting works on headless machines.
"""

from .diffusion import plot_kl_curves, plot_log_snr, plot_vlb_terms
from .figure import new_figure, save_figure
from .infoplane import plot_information_plane
from .rd import plot_rd_curve
from .schedules import plot_schedules

__all__ = [
    "new_figure",
    "plot_information_plane",
    "plot_kl_curves",
    "plot_log_snr",
    "plot_rd_curve",
    "plot_schedules",
    "plot_vlb_terms",
    "save_figure",
]
