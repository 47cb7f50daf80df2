"""Diffusion runs end to end [torch]: ``ibkit diffusion train`` and ``ibkit diffusion bound``.

:func:`run_diffusion_training` validates the config, the data and the model *before* it touches
the run folder, writes ``config.json``, trains a :class:`~ibkit.diffusion.DDPM` with
:class:`ibkit.nn.Trainer` (``metrics.csv``, ``checkpoints/last.pt`` and ``best.pt``), then
writes ``summary.json``, ``samples.npy`` and the plots (training curves; a sample grid for
images, a scatter of samples against data for 2-D points).

:func:`run_bound` reloads a run and evaluates every term of the bound (eq. 19),
:func:`~ibkit.diffusion.vlb_terms`, on held-out data: ``bound_terms.csv`` (per t),
``bound.json`` (bits/dim ± standard error) and ``bound_terms.png``/``.svg``, all staged and
moved into place together.
"""

from __future__ import annotations

import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import write_bytes, write_csv, write_json
from .._validation import check_choice, check_int
from ..exceptions import DataFormatError, InvalidParameterError, ShapeMismatchError
from .diffusion_config import DiffusionDataSection, DiffusionModelSection, DiffusionRunConfig
from .runs import check_training_run_dir, staged_dir

__all__ = ["DiffusionData", "build_ddpm", "load_run", "prepare_diffusion_data", "run_bound",
           "run_diffusion_training"]

DEFAULT_SAMPLES = {"moons": 4000, "gaussian-mixture": 4000, "dsprites": 4000}


@dataclass(frozen=True)
class DiffusionData:
    """Train/validation split, float32 ``(n, *shape)``, plus the decoder the data calls for."""

    train: np.ndarray
    val: np.ndarray | None
    shape: tuple[int, ...]  # one example: (d,) vectors or (C, H, W) images
    decoder: str  # default decoder: "discretized" for quantised images in [−1, 1]
    bins: int

    @property
    def images(self) -> bool:
        return len(self.shape) == 3


def _load(section: DiffusionDataSection) -> tuple[np.ndarray, str, int]:
    """All examples ``(n, *shape)`` in [−1, 1] for built-ins, default decoder and bins."""
    from ..datasets import ProceduralDSprites, digits_images, load_dataset, toy2d

    n = section.n_samples or DEFAULT_SAMPLES.get(section.name)
    if section.name in ("moons", "gaussian-mixture"):
        return toy2d(section.name, n, seed=section.seed), "continuous", 256
    if section.name == "digits":
        x = digits_images(flatten=False, n_samples=n, seed=section.seed).x  # (n, 8, 8) in [0,1]
        return (2.0 * x - 1.0)[:, None], "discretized", 17
    if section.name == "dsprites":
        _, img = ProceduralDSprites().sample(n, section.seed)  # (n, 64, 64) in {0, 1}
        f = section.downscale
        s = 64 // f
        img = img.reshape(n, s, f, s, f).mean(axis=(2, 4))  # (n, s, s), levels k/f²
        return (2.0 * img - 1.0)[:, None].astype(np.float32), "discretized", f * f + 1
    x = load_dataset(section.name).x
    if x.ndim == 3:
        x = x[:, None]  # (n, 1, H, W)
    if x.ndim not in (2, 4):
        raise ShapeMismatchError(
            f"data {section.name!r} must hold vectors (n, d) or images (n, H, W) / (n, C, H, W); "
            f"got shape {x.shape}"
        )
    return x[: n or len(x)].astype(np.float32), "continuous", 256


def prepare_diffusion_data(section: DiffusionDataSection) -> DiffusionData:
    r"""Load (or generate) the data of ``section`` and split it with a seeded permutation.

    .. math:: x = 2u - 1 \in [-1, 1], \qquad
              u = \frac{1}{f^2} \sum_{a,b < f} \mathrm{img}_{fi + a,\, fj + b}\ \text{(dSprites)}

    for the built-in images (digits: u = grey level / 16, 17 levels; dSprites: f × f block
    means, f² + 1 levels, ``bins`` set to match); toy 2-D and user data are used as given.
    Arrays are float32 ``(n, *shape)`` with ``round(val_fraction · n)`` validation rows.
    """
    x, decoder, bins = _load(section)
    order = np.random.default_rng(section.seed).permutation(len(x))
    n_val = round(section.val_fraction * len(x))
    if len(x) - n_val < 1:
        raise InvalidParameterError(
            f"data.val_fraction={section.val_fraction} leaves no training data"
        )
    tr, va = np.sort(order[n_val:]), np.sort(order[:n_val])
    return DiffusionData(x[tr], x[va] if va.size else None, tuple(x.shape[1:]), decoder, bins)


def _denoiser(m: DiffusionModelSection, data: DiffusionData) -> tuple[Any, tuple[int, ...]]:
    from ..diffusion import MLPDenoiser, UNet

    learned = m.variance == "learned"
    kind = m.denoiser if m.denoiser != "auto" else ("unet" if data.images else "mlp")
    if kind == "mlp":
        dim = math.prod(data.shape)
        return MLPDenoiser(dim, hidden=m.hidden, depth=m.depth, time_dim=m.time_dim,
                           learned_variance=learned), (dim,)
    if not data.images or data.shape[1] != data.shape[2]:
        raise ShapeMismatchError(
            f"model.denoiser='unet' needs square images (n, C, S, S); the data has examples of "
            f"shape {data.shape}"
        )
    net = UNet(data.shape[1], channels=data.shape[0], base_channels=m.base_channels,
               channel_mults=m.channel_mults, learned_variance=learned)
    return net, data.shape


def build_ddpm(m: DiffusionModelSection, data: DiffusionData) -> Any:
    """The :class:`~ibkit.diffusion.DDPM` of section ``m`` for ``data`` (decoder from data)."""
    from ..diffusion import DDPM

    net, shape = _denoiser(m, data)
    decoder = m.decoder or data.decoder
    if decoder == "discretized":
        for name, part in (("training", data.train), ("validation", data.val)):
            if part is not None and (part.min() < -1.0 or part.max() > 1.0):
                raise InvalidParameterError(
                    f"model.decoder='discretized' needs data in [-1, 1]; the {name} data spans "
                    f"[{part.min():.4g}, {part.max():.4g}]"
                )
    return DDPM(net, m.schedule_obj(), prediction=m.prediction, variance=m.variance,
                loss=m.loss, decoder=decoder, bins=m.bins or data.bins, data_shape=shape)


def _as_model_input(x: np.ndarray, model: Any) -> np.ndarray:
    return x.reshape(len(x), *model.data_shape)


def run_diffusion_training(
    config: DiffusionRunConfig, run_dir: str | Path, *, resume: bool = False,
    progress: bool | None = None, plots: bool = True,
) -> dict[str, Any]:
    """Train the DDPM of ``config`` in ``run_dir``; return the run's summary dict.

    Raises
    ------
    IBKitError
        Bad config values, unusable data, a denoiser that does not fit the data's shape, an
        existing run without ``resume``, an incompatible checkpoint on resume — all before
        anything in ``run_dir`` is written or overwritten.
    """
    from ..nn import TrainConfig, Trainer

    train_dict = dict(config.train)
    if progress is not None:
        train_dict["progress"] = progress
    try:
        train_cfg = TrainConfig.from_dict(train_dict)
    except InvalidParameterError as err:
        raise InvalidParameterError(f"[train] {err}") from None
    data = prepare_diffusion_data(config.data)
    model = build_ddpm(config.model, data)
    run_dir = Path(run_dir)
    check_training_run_dir(run_dir, config.to_dict(), resume, ("model", "data"))
    val = None if data.val is None else _as_model_input(data.val, model)
    trainer = Trainer(model, _as_model_input(data.train, model), train_cfg, run_dir,
                      eval_data=val)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "config.json", {**config.to_dict(), "train": train_cfg.to_dict()})
    started = time.time()
    result = trainer.fit(resume=resume)
    summary = _summary(result, model, data, started)
    if plots:
        _plots(run_dir, model, data, config, train_cfg.seed)
    write_json(run_dir / "summary.json", summary)
    return summary


def _summary(result: Any, model: Any, data: DiffusionData, started: float) -> dict[str, Any]:
    def clean(d: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (d or {}).items() if not (isinstance(v, float) and math.isnan(v))}

    return {
        "kind": "ddpm",
        "step": result.step,
        "train": clean(result.metrics),
        "eval": clean(result.eval_metrics),
        "best_eval_loss": result.best_eval_loss,
        "samples_per_second": result.samples_per_second,
        "seconds": time.time() - started,
        "data_shape": list(model.data_shape),
        "decoder": model.decoder,
        "bins": model.bins,
        "T": model.num_timesteps,
        "parameters": sum(p.numel() for p in model.parameters()),
        "ibkit_version": __version__,
    }


def draw_samples(model: Any, n: int, *, seed: int, clip: bool) -> np.ndarray:
    r"""``n`` ancestral samples on the model's device, as float32 NumPy ``(n, *data_shape)``.

    .. math:: x_T \sim \mathcal N(0, I), \quad x_{t-1} \sim p_\theta(x_{t-1}|x_t)

    (see :meth:`~ibkit.diffusion.DDPM.sample`; in the data's units, [−1, 1] for images).
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    model.eval()
    return model.sample(n, generator=gen, clip_x0=clip).float().cpu().numpy()


def _plots(run_dir: Path, model: Any, data: DiffusionData, config: DiffusionRunConfig,
           seed: int) -> None:
    from ..plotting import new_figure, save_figure
    from ..plotting.training import plot_image_grid, plot_training_curves, read_metrics

    fig, _ = plot_training_curves(read_metrics(run_dir / "metrics.csv"))
    save_figure(fig, run_dir / "training_curves")
    x = draw_samples(model, config.n_samples_plot, seed=seed,
                     clip=config.model.clip_samples and data.images)
    buffer = io.BytesIO()
    np.save(buffer, x)
    write_bytes(run_dir / "samples.npy", buffer.getvalue())
    if data.images:
        grid = np.clip((x.reshape(len(x), *data.shape)[:, 0] + 1.0) / 2.0, 0.0, 1.0)
        fig, _ = plot_image_grid(grid, ncols=8, title=f"DDPM samples (T = {model.num_timesteps})")
        save_figure(fig, run_dir / "samples")
    elif data.shape == (2,):
        ref = data.val if data.val is not None else data.train
        fig, ax = new_figure(width=4.5, height=4.2)
        ax.scatter(ref[:, 0], ref[:, 1], s=3, alpha=0.4, label="data")
        ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.6, label="samples")
        ax.set_aspect("equal")
        ax.legend(frameon=False, markerscale=3)
        ax.set_title(f"{config.data.name}: samples vs held-out data")
        save_figure(fig, run_dir / "samples")


def load_run(run_dir: str | Path, *, checkpoint: str = "best",
             device: str = "cpu") -> tuple[DiffusionRunConfig, DiffusionData, Any, int]:
    """``(config, data, model, step)`` of a finished or interrupted run, weights loaded.

    ``checkpoint="best"`` falls back to ``last`` when the run has no ``best.pt``.
    """
    from ..nn.checkpoint import load_checkpoint

    check_choice(checkpoint, "checkpoint", ("best", "last"))
    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    if not path.is_file():
        raise DataFormatError(f"{str(run_dir)!r} is not a diffusion run folder (no config.json)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataFormatError(f"cannot read {str(path)!r}: {err}") from None
    config = DiffusionRunConfig.from_dict(raw)
    data = prepare_diffusion_data(config.data)
    model = build_ddpm(config.model, data)
    ckpt_path = run_dir / "checkpoints" / f"{checkpoint}.pt"
    if checkpoint == "best" and not ckpt_path.exists():
        ckpt_path = run_dir / "checkpoints" / "last.pt"
    ckpt = load_checkpoint(ckpt_path)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as err:
        raise DataFormatError(
            f"checkpoint {str(ckpt_path)!r} does not fit the run's model: {err}"
        ) from None
    return config, data, model.to(device), int(ckpt.get("step", 0))


def run_bound(
    run_dir: str | Path, *, n_examples: int | None = None, checkpoint: str = "best",
    batch_size: int = 1024, seed: int = 0, device: str = "cpu", out: str | Path | None = None,
    progress: bool = False, plots: bool = True,
) -> dict[str, Any]:
    r"""Every bound term L_0 … L_T on the run's held-out data; write CSV, JSON and plot.

    .. math:: \text{bits/dim} = \frac{1}{D\ln 2}\Big(L_0 + \sum_{t=2}^T L_{t-1} + L_T\Big)

    Evaluates the first ``n_examples`` validation examples (all by default; the training data
    when the run has none), with noise from a CPU generator seeded by ``seed``.
    """
    import torch

    from ..diffusion import vlb_terms
    from ..nn._train_config import resolve_device

    if n_examples is not None:
        n_examples = check_int(n_examples, "n_examples", minimum=2)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    dev = resolve_device(device)
    _, data, model, step = load_run(run_dir, checkpoint=checkpoint, device=str(dev))
    split = "validation" if data.val is not None else "training"
    x = data.val if data.val is not None else data.train
    x = torch.as_tensor(_as_model_input(x[:n_examples], model), device=dev)
    started = time.perf_counter()
    terms = vlb_terms(model, x, batch_size=batch_size, progress=progress,
                      generator=torch.Generator().manual_seed(seed))
    seconds = time.perf_counter() - started
    bpd, bpd_se = terms.total(bits_per_dim=True)
    nats, nats_se = terms.total()
    per = terms.mean(bits_per_dim=True)
    result = {
        "bits_per_dim": bpd, "bits_per_dim_stderr": bpd_se, "nats": nats, "nats_stderr": nats_se,
        "decoder_bits_per_dim": float(per[0]), "diffusion_bits_per_dim": float(per[1:-1].sum()),
        "prior_bits_per_dim": float(per[-1]), "n_examples": int(x.shape[0]), "split": split,
        "checkpoint": checkpoint, "step": step, "T": model.num_timesteps,
        "n_dims": model.n_dims, "decoder": terms.decoder, "seed": seed, "seconds": seconds,
        "ibkit_version": __version__,
    }
    with staged_dir(Path(out) if out is not None else Path(run_dir)) as tmp:
        write_csv(tmp / "bound_terms.csv", terms.table())
        write_json(tmp / "bound.json", result)
        if plots:
            from ..plotting import plot_vlb_terms, save_figure

            fig, _ = plot_vlb_terms(terms, title=f"bound terms at step {step}: "
                                    f"{bpd:.4f} ± {bpd_se:.4f} bits/dim")
            save_figure(fig, tmp / "bound_terms")
    return result

