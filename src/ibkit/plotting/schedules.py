"""β(step) schedules against the training step (Figure 4: monotonic and cyclical annealing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._validation import check_int
from ..exceptions import InvalidParameterError
from ..schedules import as_schedule, sample
from .figure import new_figure

__all__ = ["plot_schedules"]


def plot_schedules(
    schedules: Any,
    steps: int | Iterable[int],
    ax: Any = None,
    *,
    ylabel: str = r"$\beta$",
    title: str | None = None,
    legend: bool = True,
    **line_kwargs: Any,
) -> tuple[Any, Any]:
    """Plot one or several schedules as lines of value against step.

    Parameters
    ----------
    schedules : Schedule, number, dict, or mapping label → schedule
        What :func:`~ibkit.schedules.as_schedule` accepts, or a dict of labelled schedules
        (a dict with a ``"kind"`` key is read as one schedule).
    steps : int or sequence of int
        The steps to evaluate (an int n means 0, …, n − 1).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    ylabel, title : str
        Axis label (default β) and optional title.
    legend : bool
        Draw a legend when there is more than one labelled line.
    **line_kwargs
        Passed to ``ax.plot`` for every line (``lw``, ``alpha``, ...).

    Returns
    -------
    (fig, ax)
    """
    if isinstance(schedules, Mapping) and "kind" not in schedules:
        named = {str(k): as_schedule(v) for k, v in schedules.items()}
    else:
        named = {"": as_schedule(schedules)}
    if not named:
        raise InvalidParameterError("schedules must not be empty; got {}")
    if isinstance(steps, (int, np.integer)):
        grid = np.arange(check_int(steps, "steps", minimum=1))
    else:
        grid = np.asarray(list(steps))
    values = {label: sample(schedule, grid) for label, schedule in named.items()}  # (n_steps,)
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    for label, ys in values.items():
        ax.plot(grid, ys, label=label or None, **line_kwargs)
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if legend and len(named) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig, ax
