"""The reference text's figures, recomputed: a registry of one module per figure.

Each figure module defines ``ID`` (``"fig2"``), ``TITLE`` and
``make(out: Path) -> FigureRecord``, which computes the figure from scratch, writes its files
(PNG, SVG, CSV data) into ``out`` and returns a record of what it wrote and the key numbers.
A later figure is added by writing its module and listing it in :data:`FIGURE_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from ..exceptions import InvalidParameterError
from .record import FigureRecord

__all__ = ["FIGURE_MODULES", "FigureRecord", "available", "get_figure", "make_figures"]

#: figure id → module in this package, in the order of the reference text.
FIGURE_MODULES: dict[str, str] = {
    "fig2": "fig2_rate_distortion",
    "fig3": "fig3_information_curves",
    "fig4": "fig4_annealing_schedules",
    "fig5": "fig5_diffusion_kl",
    "bvae_rd_plane": "fig_bvae_rd_plane",  # [torch] β-VAE sweep on digits (eq. 18)
    "vib_infoplane": "fig_vib_infoplane",  # [torch] VIB over β on digits (Alemi et al.)
}


def available() -> list[tuple[str, str]]:
    """``[(id, title), ...]`` of every registered figure, in order."""
    return [(fig_id, get_figure(fig_id).TITLE) for fig_id in FIGURE_MODULES]


def get_figure(fig_id: str) -> ModuleType:
    """The module that makes figure ``fig_id`` (imported on first use)."""
    if fig_id not in FIGURE_MODULES:
        raise InvalidParameterError(
            f"unknown figure {fig_id!r}; available: {', '.join(FIGURE_MODULES)}"
        )
    return importlib.import_module(f".{FIGURE_MODULES[fig_id]}", __name__)


def make_figures(
    out: str | Path,
    ids: Sequence[str] | None = None,
    *,
    callback: Callable[[int, int, FigureRecord], None] | None = None,
) -> list[FigureRecord]:
    """Make figures ``ids`` (default all) into folder ``out``; return their records in order.

    ``callback(index, total, record)`` is called after each figure (for a progress bar).
    """
    ids = list(FIGURE_MODULES) if ids is None else list(dict.fromkeys(ids))
    modules = [get_figure(fig_id) for fig_id in ids]  # unknown ids fail before any work
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for index, module in enumerate(modules):
        record = module.make(out)
        records.append(record)
        if callback is not None:
            callback(index, len(modules), record)
    return records
