"""Experiment grids: many configurations of one ibkit command, one run folder each.

A grid file (TOML) names a command, a base config, and either a Cartesian ``[grid]`` of values
or an explicit list of ``[[runs]]`` (or both: every run crossed with the grid)::

    command = "ib"          # rd | ib | train | evaluate | diffusion
    retries = 2             # attempts after the first one, per point
    plots = false           # the command's own plots in every run folder
    [base]                  # the command's config (for train/diffusion: [base.model] ...)
    n_points = 20
    [grid]                  # key → list of values; dotted keys reach nested tables
    seed = [0, 1, 2]
    n_clusters = [2, 4]

Each point is resolved and validated up front (a typo fails before anything runs) and gets the
folder ``<grid_dir>/<name>`` with ``name = p<index>-<hash of the config>``. :func:`run_point`
runs one point in-process through the library and moves its files into place with
``summary.json`` last, so a folder holding ``summary.json`` is a complete run.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = [
    "COMMANDS",
    "GridPoint",
    "GridSpec",
    "grid_from_dict",
    "is_complete",
    "load_grid",
    "run_point",
]

COMMANDS = ("rd", "ib", "train", "evaluate", "diffusion")
SUMMARY = "summary.json"
_TOP_KEYS = {"command", "base", "grid", "runs", "retries", "plots"}


@dataclass(frozen=True)
class GridPoint:
    """One configuration of the grid: its folder name and its full, resolved config dict."""

    name: str
    config: dict[str, Any]
    params: dict[str, Any]  # only the keys set by [grid] / [[runs]] (dotted), for tables


@dataclass(frozen=True)
class GridSpec:
    """A validated grid: the command, its points, the retry budget and the plots flag."""

    command: str
    points: tuple[GridPoint, ...]
    retries: int = 2
    plots: bool = False
    source: dict[str, Any] = field(default_factory=dict)  # the grid file as read

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (written to ``<grid_dir>/grid.json``)."""
        return {
            "command": self.command, "retries": self.retries, "plots": self.plots,
            "points": [{"name": p.name, "params": p.params, "config": p.config}
                       for p in self.points],
            "source": self.source,
        }


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidParameterError(f"grid key {key!r}: {'.'.join(parts[:i + 1])!r} is a value")
        node = child
    node[parts[-1]] = value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"lr": 1}}`` → ``{"train.lr": 1}`` (lists stay values)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _axes(grid: Any) -> list[tuple[str, list[Any]]]:
    if not isinstance(grid, Mapping):
        raise InvalidParameterError(f"[grid] must be a table of key = [values]; got {grid!r}")
    axes = []
    for key, values in _flatten(grid).items():
        if not isinstance(values, list) or not values:
            raise InvalidParameterError(
                f"[grid] {key} must be a non-empty list of values; got {values!r}"
            )
        axes.append((key, values))
    return axes


def _runs(runs: Any) -> list[dict[str, Any]]:
    if runs is None:
        return [{}]
    if not isinstance(runs, list) or not runs or not all(isinstance(r, Mapping) for r in runs):
        raise InvalidParameterError("[[runs]] must be a non-empty list of tables")
    return [_flatten(r) for r in runs]


def validate_config(command: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The command's validated config as a plain dict (defaults filled in)."""
    if command == "rd":
        from .config import RDConfig

        return RDConfig.from_dict(config).to_dict()
    if command == "ib":
        from .config import IBConfig

        return IBConfig.from_dict(config).to_dict()
    if command == "train":
        from .train_config import TrainRunConfig

        return TrainRunConfig.from_dict(config).to_dict()
    if command == "evaluate":
        from .evaluate_run import EvaluateConfig

        return EvaluateConfig.from_dict(config).to_dict()
    from .diffusion_config import DiffusionRunConfig

    return DiffusionRunConfig.from_dict(config).to_dict()


def _point_name(index: int, config: Mapping[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    return f"p{index:04d}-{digest}"


def grid_from_dict(data: Mapping[str, Any]) -> GridSpec:
    """Expand and validate a grid description (the TOML file's content)."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise InvalidParameterError(
            f"unknown grid key(s) {', '.join(map(repr, unknown))}; known: {sorted(_TOP_KEYS)}"
        )
    command = data.get("command")
    if command not in COMMANDS:
        raise InvalidParameterError(
            f"command must be one of {', '.join(COMMANDS)}; got {command!r}"
        )
    retries, plots = data.get("retries", 2), data.get("plots", False)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidParameterError(f"retries must be an integer >= 0; got {retries!r}")
    if not isinstance(plots, bool):
        raise InvalidParameterError(f"plots must be true or false; got {plots!r}")
    base = data.get("base", {})
    if not isinstance(base, Mapping):
        raise InvalidParameterError(f"[base] must be a table; got {base!r}")
    axes = _axes(data.get("grid", {}))
    points = []
    for run in _runs(data.get("runs")):
        for combo in itertools.product(*(values for _, values in axes)):
            params = {**run, **{key: value for (key, _), value in zip(axes, combo, strict=True)}}
            config = copy.deepcopy(dict(base))
            for key, value in params.items():
                _set_dotted(config, key, value)
            try:
                resolved = validate_config(command, config)
            except InvalidParameterError as err:
                raise InvalidParameterError(f"grid point {params}: {err}") from None
            points.append(GridPoint(_point_name(len(points), resolved), resolved, params))
    return GridSpec(command, tuple(points), retries, plots, source=dict(data))


def load_grid(path: str | os.PathLike[str]) -> GridSpec:
    """Read and expand a grid TOML file (see the module docstring for its form)."""
    from .toml_config import load_toml

    return grid_from_dict(load_toml(path))


def is_complete(run_dir: str | os.PathLike[str]) -> bool:
    """A run folder is complete when its ``summary.json`` exists (it is moved in last)."""
    return (Path(run_dir) / SUMMARY).is_file()


def _run_command(command: str, config: dict[str, Any], out: Path, plots: bool) -> None:
    """Run one command into the fresh folder ``out`` (in this process, output captured)."""
    if command in ("rd", "ib"):
        import argparse
        import importlib

        module = importlib.import_module(f"..cli._{command}", __package__)
        args = argparse.Namespace(**config, out=str(out), no_plot=not plots, quiet=True)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            module.run(args)
    elif command == "train":
        from .train_config import TrainRunConfig
        from .train_run import run_training

        run_training(TrainRunConfig.from_dict(config), out, progress=False, plots=plots)
    elif command == "evaluate":
        from .._io import write_json
        from .evaluate_run import EvaluateConfig, evaluate_run

        cfg = EvaluateConfig.from_dict(config)
        result = evaluate_run(cfg.run, n_samples=cfg.n_samples, seed=cfg.seed,
                              checkpoint=cfg.checkpoint, dci_estimators=cfg.dci_estimators,
                              plots=False, write=False)
        write_json(out / "config.json", cfg.to_dict())
        write_json(out / "summary.json", {**result["metrics"], "n_samples": cfg.n_samples})
    else:
        from .diffusion_config import DiffusionRunConfig
        from .diffusion_run import run_diffusion_training

        run_diffusion_training(DiffusionRunConfig.from_dict(config), out, progress=False,
                               plots=plots)


def run_point(
    command: str, config: Mapping[str, Any], run_dir: str | os.PathLike[str], *,
    plots: bool = False,
) -> dict[str, Any]:
    """Run one grid point and return its summary (a pure function of its arguments).

    The command writes into a private staging folder beside ``run_dir``; then every file is
    moved into ``run_dir`` with ``summary.json`` last. A half-written ``run_dir`` from an
    earlier, killed attempt (no ``summary.json``) is cleared first; a complete one is left
    alone and its summary returned.
    """
    if command not in COMMANDS:
        raise InvalidParameterError(
            f"command must be one of {', '.join(COMMANDS)}; got {command!r}"
        )
    run_dir = Path(run_dir)
    if is_complete(run_dir):
        return json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.", dir=run_dir.parent))
    try:
        out = staging / "run"
        _run_command(command, dict(config), out, plots)
        if run_dir.exists():
            shutil.rmtree(run_dir)
        _move_summary_last(out, run_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))


def _move_summary_last(source: Path, destination: Path) -> None:
    files = [p for p in sorted(source.rglob("*")) if p.is_file()]
    files.sort(key=lambda p: p == source / SUMMARY)
    if source / SUMMARY not in files:  # every command writes one; never mark a run complete
        raise InvalidParameterError(f"the run wrote no {SUMMARY}")
    for path in files:
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
