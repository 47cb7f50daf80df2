"""``ibkit evaluate``: disentanglement metrics of trained VAE runs on their ground truth [torch].

:func:`load_train_run` rebuilds a run's model from ``config.json`` and its checkpoint;
:func:`evaluate_run` encodes ground-truth draws of the run's dataset (the procedural dSprites
factor grid; the representation is the posterior mean μ(x)) and writes ``metrics.json``, a bar
chart and latent traversals; :func:`compare_runs` tabulates several runs (e.g. a β sweep) and
plots every metric against β beside rate and distortion.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import write_csv, write_json
from .._validation import check_choice, check_int
from ..exceptions import DataFormatError, IBKitError, InvalidParameterError
from .runs import staged_dir
from .train_config import TrainRunConfig

__all__ = ["EvaluateConfig", "compare_runs", "evaluate_run", "load_train_run"]


@dataclass(frozen=True)
class EvaluateConfig:
    """One ``ibkit evaluate`` job (also a grid command): which run, how many draws, which seed."""

    run: str = ""
    n_samples: int = 10_000
    seed: int = 0
    checkpoint: str = "best"
    dci_estimators: int = 100

    def __post_init__(self) -> None:
        if not isinstance(self.run, str) or not self.run:
            raise InvalidParameterError(
                f"run must be the path of an ibkit train run; got {self.run!r}"
            )
        check_int(self.n_samples, "n_samples", minimum=10)
        check_int(self.seed, "seed", minimum=0)
        check_choice(self.checkpoint, "checkpoint", ("best", "last"))
        check_int(self.dci_estimators, "dci_estimators", minimum=1)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> EvaluateConfig:
        """Build from a mapping; unknown keys and wrong types are refused."""
        from .toml_config import build_config

        return build_config(cls, data)


def load_train_run(run_dir: str | Path, *, checkpoint: str = "best") -> tuple[TrainRunConfig, Any]:
    """``(config, model)`` of an ``ibkit train`` run, weights loaded, in eval mode (CPU)."""
    from ..nn import build_model
    from ..nn.checkpoint import load_checkpoint
    from .train_run import prepare_data

    check_choice(checkpoint, "checkpoint", ("best", "last"))
    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    if not path.is_file():
        raise DataFormatError(f"{str(run_dir)!r} is not an ibkit train run (no config.json)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataFormatError(f"cannot read {str(path)!r}: {err}") from None
    raw = {**raw, "train": {}}  # [train] does not change the model
    config = TrainRunConfig.from_dict(raw)
    data = prepare_data(config.data, needs_labels=config.kind == "vib")
    model = build_model(config.kind, input_shape=data.input_shape, n_classes=data.n_classes,
                        dataset_size=data.n_train, **config.model.build_kwargs())
    ckpt_path = run_dir / "checkpoints" / f"{checkpoint}.pt"
    if checkpoint == "best" and not ckpt_path.exists():
        ckpt_path = run_dir / "checkpoints" / "last.pt"
    ckpt = load_checkpoint(ckpt_path)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as err:
        raise DataFormatError(f"checkpoint {str(ckpt_path)!r} does not fit the run's model: {err}"
                              ) from None
    return config, model.eval()


def _representation(model: Any) -> Any:
    import torch

    @torch.no_grad()
    def encode(observations: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(observations, dtype=np.float32))
        means = [model.encode(chunk)[0] for chunk in torch.split(x, 512)]
        return torch.cat(means).double().numpy()  # (n, latent_dim)

    return encode


def evaluate_run(
    run_dir: str | Path, *, n_samples: int = 10_000, seed: int = 0, checkpoint: str = "best",
    dci_estimators: int = 100, metrics: Sequence[str] | None = None, plots: bool = True,
    write: bool = True, n_jobs: int = 1, progress: bool = False,
) -> dict[str, Any]:
    """Compute every metric for a run trained on ``dsprites``; write them into the run folder.

    Writes ``metrics.json`` (values, settings, ibkit version), ``metrics.png/svg`` (bar chart)
    and ``eval_traversals.png/svg`` atomically (all or none); ``write=False`` only returns
    the result dict (``{"metrics": {...}, "n_samples", "seed", ...}``). ``n_jobs`` threads
    fit DCI's classifiers (the values do not depend on it); ``progress`` shows a bar.
    """
    from ..datasets import ProceduralDSprites
    from ..metrics import evaluate_all

    run_dir = Path(run_dir)
    config, model = load_train_run(run_dir, checkpoint=checkpoint)
    if config.kind == "vib" or config.data.name != "dsprites":
        raise IBKitError(
            f"evaluate needs a VAE trained on a ground-truth dataset (data.name = 'dsprites'); "
            f"{str(run_dir)!r} is a {config.kind!r} run on {config.data.name!r}"
        )
    check_int(n_samples, "n_samples", minimum=10)
    values = evaluate_all(_representation(model), ProceduralDSprites(), n_samples=n_samples,
                          seed=seed, metrics=metrics, dci_estimators=dci_estimators,
                          n_jobs=check_int(n_jobs, "n_jobs", minimum=1), progress=progress)
    result = {"metrics": values, "n_samples": n_samples, "seed": seed, "checkpoint": checkpoint,
              "dci_estimators": dci_estimators, "ibkit_version": __version__}
    if not write:
        return result
    with staged_dir(run_dir) as stage:  # all files or none, each replaced atomically
        write_json(stage / "metrics.json", result)
        if plots:
            _plots(stage, values, model, seed)
    return result


def _plots(folder: Path, values: dict[str, float], model: Any, seed: int) -> None:
    from ..datasets import ProceduralDSprites
    from ..nn.visualize import traversals
    from ..plotting import new_figure, save_figure
    from ..plotting.training import plot_image_grid

    fig, ax = new_figure(width=7.0)
    names = list(values)
    ax.barh(names, [values[n] for n in names])
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("score")
    save_figure(fig, folder / "metrics")
    ds = ProceduralDSprites()
    x = ds.observations_from_factors(ds.sample_factors(1, np.random.default_rng(seed)))
    grid, labels = traversals(model, x)
    fig, _ = plot_image_grid(grid, ncols=grid.shape[0] // len(labels), row_labels=labels)
    save_figure(fig, folder / "eval_traversals")


def compare_runs(run_dirs: Sequence[str | Path], out: str | Path, *,
                 plots: bool = True) -> list[dict[str, Any]]:
    """One row per run (β, rate, distortion, every metric) → ``out/compare.csv`` + plot."""
    if not run_dirs:
        raise IBKitError("--compare needs at least one run folder")
    rows = []
    for run in map(Path, run_dirs):
        metrics_path, summary_path = run / "metrics.json", run / "summary.json"
        if not metrics_path.is_file():
            raise DataFormatError(f"{str(run)!r} has no metrics.json; run ibkit evaluate on it")
        try:
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))["metrics"]
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            beta = json.loads((run / "config.json").read_text(encoding="utf-8"))["model"]["beta"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise DataFormatError(f"cannot read the results of {str(run)!r}: {err}") from None
        ev = summary.get("eval") or summary.get("train") or {}
        rows.append({"run": str(run), "beta": beta if isinstance(beta, (int, float)) else math.nan,
                     "rate_bits": ev.get("rate_bits", math.nan),
                     "distortion_bits": ev.get("distortion_bits", math.nan), **metrics})
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out = Path(out)
    with staged_dir(out) as stage:
        write_csv(stage / "compare.csv", {k: [row.get(k, math.nan) for row in rows] for k in keys})
        if plots:
            _compare_plot(stage, rows)
    return rows


def _compare_plot(folder: Path, rows: list[dict[str, Any]]) -> None:
    from ..plotting import new_figure, save_figure

    order = sorted(range(len(rows)), key=lambda i: rows[i]["beta"])
    betas = [rows[i]["beta"] for i in order]
    fig, (ax_m, ax_rd) = new_figure(2, width=5.5)
    metric_keys = [k for k in rows[0] if k not in ("run", "beta", "rate_bits", "distortion_bits")]
    for key in metric_keys:
        ax_m.plot(betas, [rows[i].get(key, math.nan) for i in order], "o-", ms=3, label=key)
    ax_m.set_xscale("log")
    ax_m.set_xlabel("β")
    ax_m.set_ylabel("score")
    ax_m.legend(fontsize=6, frameon=False)
    ax_rd.plot(betas, [rows[i]["rate_bits"] for i in order], "o-", label="rate (bits)")
    ax_rd.plot(betas, [rows[i]["distortion_bits"] for i in order], "s-", label="distortion (bits)")
    ax_rd.set_xscale("log")
    ax_rd.set_xlabel("β")
    ax_rd.legend(frameon=False)
    save_figure(fig, folder / "compare")
