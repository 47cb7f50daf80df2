"""The reference text's figures, recomputed: a registry of one module per figure.

Each figure module defines ``ID`` (``"fig2"``), ``TITLE``, ``EQUATION`` (the equation it
illustrates, plain text) and ``make(out: Path, *, quality="quick") -> FigureRecord``, which
computes the figure from scratch, writes its files (PNG, SVG, CSV data) into ``out`` and returns
a record of what it wrote and the key numbers. ``quality="full"`` asks for the publication
version (more β points, longer training). Every figure is seeded: the same quality gives the
same numbers. A later figure is added by writing its module and listing it in
:data:`FIGURE_MODULES`.

:func:`make_figures` makes the figures resumable: after a figure's files it writes its record
(``<id>.record.json``, atomically) and, on a later call into the same folder, skips every
figure whose record and files exist and whose quality and ibkit version match.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import __version__
from .._validation import check_choice
from ..exceptions import InvalidParameterError
from .record import QUALITIES, FigureRecord, load_record, save_record

__all__ = [
    "FIGURE_MODULES",
    "QUALITIES",
    "FigureRecord",
    "available",
    "get_figure",
    "make_figure",
    "make_figures",
]

#: figure id → module in this package, in the order of the reference text.
FIGURE_MODULES: dict[str, str] = {
    "fig2": "fig2_rate_distortion",
    "fig3": "fig3_information_curves",
    "fig4": "fig4_annealing_schedules",
    "fig5": "fig5_diffusion_kl",
    "bvae_rd_plane": "fig_bvae_rd_plane",  # [torch] β-VAE sweep on digits (eq. 18)
    "vib_infoplane": "fig_vib_infoplane",  # [torch] VIB over β on digits (Alemi et al.)
    "mi_staircase": "fig_mi_staircase",  # MI estimators on correlated Gaussians (+ InfoNCE)
}

#: ``callback(event, index, total, fig_id, record)``; event is "start", "done" or "skipped".
Callback = Callable[[str, int, int, str, "FigureRecord | None"], None]


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


def _config(quality: str, command: str | None) -> dict[str, Any]:
    return {"quality": quality, "ibkit_version": __version__, "command": command or ""}


def _matches(record: FigureRecord, config: dict[str, Any]) -> bool:
    keys = ("quality", "ibkit_version")
    computed = record.numbers.get("computed", True) is not False  # e.g. torch was missing
    return computed and all(record.config.get(k) == config[k] for k in keys)


def make_figure(
    out: str | Path, fig_id: str, *, quality: str = "quick", command: str | None = None
) -> FigureRecord:
    """Compute figure ``fig_id`` into ``out`` (always), save its record last and return it."""
    check_choice(quality, "quality", QUALITIES)
    module = get_figure(fig_id)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if "quality" in inspect.signature(module.make).parameters:
        record = module.make(out, quality=quality)
    else:  # a module without quality levels computes one version
        record = module.make(out)
    record = dataclasses.replace(
        record,
        equation=record.equation or getattr(module, "EQUATION", ""),
        config=_config(quality, command),
    )
    save_record(out, record)
    return record


def make_figures(
    out: str | Path,
    ids: Sequence[str] | None = None,
    *,
    quality: str = "quick",
    force: bool = False,
    command: str | None = None,
    callback: Callback | None = None,
) -> list[FigureRecord]:
    """Make figures ``ids`` (default all) into folder ``out``; return their records in order.

    A figure already complete in ``out`` (its record and files exist, same ``quality`` and
    ibkit version) is reused unless ``force``. ``command`` is stored in each new record.
    ``callback(event, index, total, fig_id, record)`` reports progress (for a progress bar).
    """
    check_choice(quality, "quality", QUALITIES)
    ids = list(FIGURE_MODULES) if ids is None else list(dict.fromkeys(ids))
    for fig_id in ids:
        get_figure(fig_id)  # unknown ids fail before any work
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = _config(quality, command)
    records = []
    for index, fig_id in enumerate(ids):
        old = None if force else load_record(out, fig_id)
        if old is not None and _matches(old, config):
            records.append(old)
            if callback is not None:
                callback("skipped", index, len(ids), fig_id, old)
            continue
        if callback is not None:
            callback("start", index, len(ids), fig_id, None)
        record = make_figure(out, fig_id, quality=quality, command=command)
        records.append(record)
        if callback is not None:
            callback("done", index, len(ids), fig_id, record)
    return records
