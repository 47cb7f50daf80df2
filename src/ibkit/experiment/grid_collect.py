"""``ibkit collect``: a grid's runs as one table, and its standard plots.

Every point of ``grid.json`` becomes one row: ``name``, ``state`` (done / missing), the grid
parameters and the full config under ``config.<key>`` (nested keys dotted, lists as JSON), and
the scalar entries of ``summary.json`` under ``summary.<key>`` (two-element lists such as
``rate_range`` become ``<key>.0`` and ``<key>.1``). The table goes to ``results.csv`` and, when
pyarrow is installed, ``results.parquet``. The plots are the metric against β (one curve per
run for ``rd``/``ib``, one point per run for trained models) and the rate–distortion (or
information) plane, coloured by a chosen parameter.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._io import write_csv
from ..exceptions import DataFormatError, InvalidParameterError
from .grid import SUMMARY, _flatten

__all__ = ["collect", "collect_table", "plot_grid"]

# command → (curve.csv columns for metric-vs-β, the plane's x and y)
_CURVES = {"rd": ("rate", "distortion", "rate"), "ib": ("I_TY", "I_XT", "I_TY")}


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value)


def _read_grid(grid_dir: Path) -> dict[str, Any]:
    path = grid_dir / "grid.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(f"{str(grid_dir)!r} is not a grid folder (no grid.json)") from None
    except json.JSONDecodeError as err:
        raise DataFormatError(f"{str(path)!r} is not valid JSON: {err}") from None


def collect_table(grid_dir: str | Path) -> tuple[str, list[dict[str, Any]]]:
    """The grid's command and one row per point (see the module docstring)."""
    grid_dir = Path(grid_dir)
    grid = _read_grid(grid_dir)
    rows = []
    for point in grid["points"]:
        summary_path = grid_dir / point["name"] / SUMMARY
        row: dict[str, Any] = {"name": point["name"]}
        row["state"] = "done" if summary_path.is_file() else "missing"
        row.update({f"param.{k}": _scalar(v) for k, v in point["params"].items()})
        row.update({f"config.{k}": _scalar(v) for k, v in _flatten(point["config"]).items()})
        if row["state"] == "done":
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            for key, value in _flatten(summary).items():
                if isinstance(value, list) and len(value) == 2 and all(
                    isinstance(v, (int, float)) for v in value
                ):
                    row[f"summary.{key}.0"], row[f"summary.{key}.1"] = value
                elif value is None or isinstance(value, (bool, int, float, str)):
                    row[f"summary.{key}"] = value
        rows.append(row)
    return grid["command"], rows


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    return {k: [row.get(k) for row in rows] for k in keys}


def collect(grid_dir: str | Path, *, color_by: str | None = None,
            plots: bool = True) -> list[Path]:
    """Write ``results.csv`` (+ ``results.parquet``) and the plots; return the paths written."""
    grid_dir = Path(grid_dir)
    command, rows = collect_table(grid_dir)
    columns = _columns(rows)
    written = [write_csv(grid_dir / "results.csv", columns)]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        pass
    else:
        table = pa.Table.from_pydict(columns)
        pq.write_table(table, grid_dir / "results.parquet")
        written.append(grid_dir / "results.parquet")
    if plots:
        written += plot_grid(grid_dir, command, rows, color_by=color_by)
    return written


def _color_key(rows: list[dict[str, Any]], color_by: str | None) -> str | None:
    if color_by is None:
        params = [k for k in (rows[0] if rows else {}) if k.startswith("param.")]
        return params[0] if params else None
    for key in (color_by, f"param.{color_by}", f"config.{color_by}", f"summary.{color_by}"):
        if rows and key in rows[0]:
            return key
    raise InvalidParameterError(f"--color-by {color_by!r} is not a column of the grid's table")


def _colors(rows: list[dict[str, Any]], key: str | None) -> tuple[list[Any], dict[Any, Any]]:
    from ..plotting.figure import matplotlib_pyplot

    cmap = matplotlib_pyplot().get_cmap("viridis")
    values = [None if key is None else row.get(key) for row in rows]
    levels = sorted({v for v in values}, key=lambda v: (isinstance(v, str), v))
    scale = max(len(levels) - 1, 1)
    legend = {v: cmap(i / scale) for i, v in enumerate(levels)}
    return [legend[v] for v in values], legend


def _read_curve(path: Path) -> dict[str, list[float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        data = list(csv.DictReader(handle))
    return {k: [float(r[k]) for r in data] for k in (data[0] if data else {})}


def plot_grid(grid_dir: Path, command: str, rows: list[dict[str, Any]], *,
              color_by: str | None = None) -> list[Path]:
    """``metric_vs_beta.png/svg`` and ``plane.png/svg`` of the complete runs."""
    from ..plotting.figure import new_figure, save_figure

    done = [r for r in rows if r["state"] == "done"]
    if not done:
        return []
    key = _color_key(done, color_by)
    colors, legend = _colors(done, key)
    fig_b, ax_b = new_figure()
    fig_p, ax_p = new_figure()
    if command in _CURVES:
        metric, x_key, y_key = _CURVES[command]
        for row, color in zip(done, colors, strict=True):
            curve = _read_curve(grid_dir / row["name"] / "curve.csv")
            ax_b.plot(curve["beta"], curve[metric], color=color, lw=1.2)
            ax_p.plot(curve[x_key], curve[y_key], color=color, lw=1.2, marker=".", ms=3)
        ax_b.set_xscale("log")
        ax_b.set(xlabel="β", ylabel=metric)
        ax_p.set(xlabel=x_key, ylabel=y_key)
    else:
        _scatter_trained(done, colors, ax_b, ax_p)
    if key is not None and len(legend) <= 12:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=c, label=str(v)) for v, c in legend.items()]
        for ax in (ax_b, ax_p):
            ax.legend(handles=handles, title=key.split(".", 1)[-1], fontsize=7)
    return (save_figure(fig_b, grid_dir / "metric_vs_beta")
            + save_figure(fig_p, grid_dir / "plane"))


def _first(row: Mapping[str, Any], suffixes: tuple[str, ...]) -> Any:
    for suffix in suffixes:
        for k, v in row.items():
            if k.endswith(suffix) and isinstance(v, (int, float)) and not isinstance(v, bool):
                return v
    return math.nan


def _scatter_trained(rows: list[dict[str, Any]], colors: list[Any], ax_b: Any, ax_p: Any) -> None:
    """Trained models: one point per run (β from the config; rate and distortion in bits)."""
    beta = [_first(r, ("param.model.beta", "summary.eval.beta", "summary.train.beta",
                       "config.model.beta")) for r in rows]
    rate = [_first(r, ("eval.rate_bits", "train.rate_bits", "rate_bits")) for r in rows]
    dist = [_first(r, ("eval.distortion_bits", "train.distortion_bits", "distortion_bits",
                       "eval.loss", "train.loss")) for r in rows]
    ax_b.scatter(beta, rate, c=colors)
    ax_b.set(xlabel="β", ylabel="rate (bits)")
    ax_p.scatter(dist, rate, c=colors)
    ax_p.set(xlabel="distortion (bits)", ylabel="rate (bits)")
