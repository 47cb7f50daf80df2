"""One training run of a neural bottleneck, end to end [torch].

:func:`run_training` validates the config, the data and the model *before* it touches the run
folder (bad input leaves nothing behind), writes ``config.json``, trains with
:class:`ibkit.nn.Trainer` (``metrics.csv``, ``checkpoints/last.pt`` and ``best.pt``), then
writes ``summary.json`` and the plots: training curves, and for VAEs on images
reconstructions, samples and latent traversals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import write_json
from ..datasets import ProceduralDSprites, digits_images, load_dataset
from ..exceptions import InvalidParameterError
from .runs import check_training_run_dir
from .train_config import DataSection, TrainRunConfig

__all__ = ["TrainingData", "prepare_data", "run_training"]

DSPRITES_DEFAULT_SAMPLES = 20_000


class _IndexedImages:
    """``source[indices[i]]`` for any indexable image source (lazy; array indices allowed)."""

    def __init__(self, source: Any, indices: np.ndarray) -> None:
        self.source, self.indices = source, np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getitem__(self, index: Any) -> np.ndarray:
        return np.asarray(self.source[self.indices[index]], dtype=np.float32)


@dataclass(frozen=True)
class TrainingData:
    """Train/validation split of the configured data, with what the model needs to know."""

    train: Any  # array (n, ...), (x, y) pair or lazy indexable
    val: Any | None
    input_shape: tuple[int, ...]
    n_classes: int | None
    n_train: int
    images: bool  # examples are (H, W) images with values in [0, 1]

    def first_examples(self, n: int) -> np.ndarray:
        """Up to ``n`` validation (else training) inputs, shape (n, ...)."""
        source = self.val if self.val is not None else self.train
        x = source[0] if isinstance(source, tuple) else source
        return np.asarray(x[: min(n, len(x))], dtype=np.float32)


def _split(n: int, section: DataSection) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(section.seed).permutation(n)
    n_val = round(section.val_fraction * n)
    if n - n_val < 1:
        raise InvalidParameterError(
            f"data.val_fraction={section.val_fraction} leaves no training data"
        )
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def prepare_data(section: DataSection, *, needs_labels: bool) -> TrainingData:
    """Load (or generate) the data of ``section`` and split it; refuse unusable data early."""
    if section.name == "dsprites":
        source = ProceduralDSprites()
        n = section.n_samples or DSPRITES_DEFAULT_SAMPLES
        if n > len(source):
            raise InvalidParameterError(f"data.n_samples must be <= {len(source)}; got {n}")
        chosen = np.sort(np.random.default_rng(section.seed).choice(len(source), n, replace=False))
        tr, va = _split(n, section)
        if needs_labels:
            raise InvalidParameterError("vib needs labelled data; dsprites has no class labels")
        val = _IndexedImages(source, chosen[va]) if va.size else None
        return TrainingData(_IndexedImages(source, chosen[tr]), val, (64, 64), None, tr.size, True)
    if section.name == "digits":
        data = digits_images(flatten=False, n_samples=section.n_samples, seed=section.seed)
    else:
        data = load_dataset(section.name)
    if needs_labels and data.y is None:
        raise InvalidParameterError(
            f"vib needs labels; {section.name!r} has none (add y to the .npz)"
        )
    tr, va = _split(len(data), section)
    images = data.x.ndim == 3 and float(data.x.min()) >= 0.0 and float(data.x.max()) <= 1.0

    def part(idx: np.ndarray) -> Any:
        return data.x[idx] if data.y is None else (data.x[idx], data.y[idx])

    val = part(va) if va.size else None
    return TrainingData(part(tr), val, data.x.shape[1:], data.n_classes, tr.size, images)


def _vib_eval_fn(data: TrainingData, model: Any) -> Callable[[Any], dict[str, float]] | None:
    if data.val is None or not isinstance(data.val, tuple):
        return None
    import torch

    x_val, y_val = (torch.as_tensor(a) for a in data.val)

    def evaluate(net: Any) -> dict[str, float]:
        device = next(net.parameters()).device
        pred = net.predict(x_val.to(device))
        pred1 = net.predict(x_val.to(device), n_samples=1)
        return {
            "test_error": float((pred.cpu() != y_val).float().mean()),
            "test_error_1sample": float((pred1.cpu() != y_val).float().mean()),
        }

    return evaluate


def run_training(
    config: TrainRunConfig, run_dir: str | Path, *, resume: bool = False,
    progress: bool | None = None, plots: bool = True,
) -> dict[str, Any]:
    """Train the model of ``config`` in ``run_dir``; return the run's summary dict.

    Raises
    ------
    IBKitError
        Bad config values, unusable data, an existing run without ``resume``, an incompatible
        checkpoint on resume — all before anything in ``run_dir`` is written or overwritten.
    """
    from ..nn import TrainConfig, Trainer, build_model

    train_dict = dict(config.train)
    if progress is not None:
        train_dict["progress"] = progress
    try:
        train_cfg = TrainConfig.from_dict(train_dict)
    except InvalidParameterError as err:
        raise InvalidParameterError(f"[train] {err}") from None
    data = prepare_data(config.data, needs_labels=config.kind == "vib")
    model = build_model(
        config.kind, input_shape=data.input_shape, n_classes=data.n_classes,
        dataset_size=data.n_train, **config.model.build_kwargs(),
    )
    run_dir = Path(run_dir)
    check_training_run_dir(run_dir, config.to_dict(), resume, ("kind", "model", "data"))
    trainer = Trainer(model, data.train, train_cfg, run_dir, eval_data=data.val,
                      eval_fn=_vib_eval_fn(data, model) if config.kind == "vib" else None)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "config.json", {**config.to_dict(), "train": train_cfg.to_dict()})
    started = time.time()
    result = trainer.fit(resume=resume)
    summary = _summary(config, result, started)
    write_json(run_dir / "summary.json", summary)
    if plots:
        _plots(run_dir, model, data, config.kind, train_cfg.seed)
    return summary


def _summary(config: TrainRunConfig, result: Any, started: float) -> dict[str, Any]:
    def clean(d: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (d or {}).items() if not (isinstance(v, float) and math.isnan(v))}

    return {
        "kind": config.kind,
        "step": result.step,
        "train": clean(result.metrics),
        "eval": clean(result.eval_metrics),
        "best_eval_loss": result.best_eval_loss,
        "samples_per_second": result.samples_per_second,
        "seconds": time.time() - started,
        "ibkit_version": __version__,
    }


def _plots(run_dir: Path, model: Any, data: TrainingData, kind: str, seed: int) -> None:
    from ..plotting import save_figure
    from ..plotting.training import plot_image_grid, plot_training_curves, read_metrics

    fig, _ = plot_training_curves(read_metrics(run_dir / "metrics.csv"))
    save_figure(fig, run_dir / "training_curves")
    if kind == "vib" or not data.images:
        return
    from ..nn.visualize import reconstructions, samples, traversals

    x = data.first_examples(8)
    fig, _ = plot_image_grid(reconstructions(model, x), ncols=len(x),
                             row_labels=["input", "recon."])
    save_figure(fig, run_dir / "reconstructions")
    fig, _ = plot_image_grid(samples(model, 32, seed=seed), ncols=8, title="samples from p(z)")
    save_figure(fig, run_dir / "samples")
    grid, labels = traversals(model, x[:1])
    fig, _ = plot_image_grid(grid, ncols=grid.shape[0] // len(labels), row_labels=labels)
    save_figure(fig, run_dir / "traversals")
