"""Checkpoints that let a run resume bit for bit: model, optimiser, position, every RNG state.

A checkpoint (``run_dir/checkpoints/last.pt`` and ``best.pt``) is a ``torch.save`` dict:

=================  ===========================================================================
``format``         ``"ibkit-checkpoint"`` and ``version``
``model``          ``state_dict()`` of the (unwrapped) model — includes any schedule state the
                   model keeps in buffers; ``model_class`` and ``param_shapes`` for checks
``schedule``       ``{attribute: schedule.to_dict()}`` of every schedule the model holds
``optimizer``      ``optimizer.state_dict()``
``step``           completed optimisation steps; ``epoch`` and ``position`` (batches of that
                   epoch already consumed) locate the next batch in the data order
``config``         ``TrainConfig.to_dict()``; ``n_train`` and ``world_size``
``rng``            one entry per rank: torch CPU, CUDA (all devices), NumPy, Python ``random``
``best_eval_loss`` the best evaluation loss so far (``None`` before any evaluation)
=================  ===========================================================================

Files are written atomically (temp file in the same folder, fsync, ``os.replace``), so a run
killed while saving leaves the previous checkpoint intact. :func:`load_checkpoint` reads with
``weights_only=True`` (no pickled code is executed) and :func:`check_compatible` refuses a
checkpoint made for another architecture or with different settings that shape the trajectory.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .._io import write_bytes
from ..exceptions import DataFormatError, IBKitError

__all__ = [
    "RESUME_KEYS",
    "capture_rng_state",
    "check_compatible",
    "load_checkpoint",
    "preserved_rng",
    "restore_rng_state",
    "save_checkpoint",
    "schedule_state",
]

FORMAT = "ibkit-checkpoint"
VERSION = 1
# Config keys that shape the optimisation trajectory; the others (steps, logging, device, ...)
# may change between an interrupted run and its resumption.
RESUME_KEYS = ("seed", "batch_size", "lr", "optimizer", "weight_decay", "grad_clip")


def capture_rng_state() -> dict[str, Any]:
    """Every RNG state of this process: torch CPU, all CUDA devices, NumPy, Python ``random``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),  # (624,) uint32 values
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "python": random.getstate(),
    }


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    npst = state["numpy"]
    keys = npst["keys"].numpy().astype(np.uint32)
    np.random.set_state((npst["kind"], keys, npst["pos"], npst["has_gauss"], npst["cached"]))  # noqa: NPY002
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))


@contextlib.contextmanager
def preserved_rng(seed: int | None = None) -> Iterator[None]:
    """Run a block (evaluation) without touching the training RNG streams.

    All states are saved on entry and restored on exit; with ``seed`` the block itself is seeded
    (torch, NumPy, Python), so its result does not depend on where in training it runs.
    """
    saved = capture_rng_state()
    try:
        if seed is not None:
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)  # noqa: NPY002
            random.seed(seed)
        yield
    finally:
        restore_rng_state(saved)


def param_shapes(model: nn.Module) -> dict[str, list[int]]:
    """``{name: shape}`` of every parameter and buffer in ``model.state_dict()``."""
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def model_class(model: nn.Module) -> str:
    """Qualified class name, ``module.Class``."""
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def schedule_state(model: nn.Module) -> dict[str, Any]:
    """``{"attr.path": schedule.to_dict()}`` for every schedule held by ``model`` or a submodule.

    Schedules (:mod:`ibkit.schedules`) are pure functions of the step, so this records which
    ones shaped the run; resuming with different schedules is refused.
    """
    out: dict[str, Any] = {}
    for prefix, module in model.named_modules():
        for name, value in vars(module).items():
            if callable(value) and hasattr(value, "to_dict") and not isinstance(value, nn.Module):
                out[f"{prefix}.{name}" if prefix else name] = value.to_dict()
    return out


def save_checkpoint(path: str | Path, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` (plus the format marker) to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **payload}, buffer)
    return write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, or not an ibkit checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"checkpoint {str(path)!r} does not exist; nothing to resume from")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError...
        raise DataFormatError(
            f"checkpoint {str(path)!r} cannot be read ({type(err).__name__}: {err})"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise DataFormatError(f"{str(path)!r} is not an ibkit checkpoint")
    if ckpt.get("version") != VERSION:
        raise DataFormatError(
            f"checkpoint {str(path)!r} has format version {ckpt.get('version')!r}; "
            f"this ibkit reads version {VERSION}"
        )
    return ckpt


def _shape_differences(saved: Mapping[str, list[int]], now: Mapping[str, list[int]]) -> list[str]:
    out = []
    missing = sorted(set(now) - set(saved))
    extra = sorted(set(saved) - set(now))
    if missing:
        out.append(f"model has tensors the checkpoint lacks: {', '.join(missing[:5])}")
    if extra:
        out.append(f"checkpoint has tensors the model lacks: {', '.join(extra[:5])}")
    for key in sorted(set(saved) & set(now)):
        if list(saved[key]) != list(now[key]):
            out.append(f"{key}: checkpoint shape {tuple(saved[key])} vs model {tuple(now[key])}")
    return out


def check_compatible(ckpt: Mapping[str, Any], *, model: nn.Module, config: Mapping[str, Any],
                     n_train: int, world_size: int, path: str | Path = "checkpoint") -> None:
    """Refuse to resume from a checkpoint made for another model, data or training settings.

    Raises
    ------
    IBKitError
        Naming every difference: model class, tensor names/shapes, schedules,
        :data:`RESUME_KEYS`, number of training samples, number of processes.
    """
    problems = []
    if ckpt.get("model_class") != model_class(model):
        problems.append(f"model class {ckpt.get('model_class')!r} vs {model_class(model)!r}")
    problems += _shape_differences(ckpt.get("param_shapes", {}), param_shapes(model))
    saved_sched, sched = ckpt.get("schedule") or {}, schedule_state(model)
    for key in sorted(set(saved_sched) | set(sched)):
        if saved_sched.get(key) != sched.get(key):
            problems.append(f"schedule {key}: checkpoint {saved_sched.get(key)!r} vs "
                            f"{sched.get(key)!r}")
    saved_cfg = ckpt.get("config", {})
    for key in RESUME_KEYS:
        if saved_cfg.get(key) != config.get(key):
            problems.append(
                f"config {key}: checkpoint {saved_cfg.get(key)!r} vs {config.get(key)!r}"
            )
    if ckpt.get("n_train") != n_train:
        problems.append(f"training samples: checkpoint {ckpt.get('n_train')!r} vs {n_train!r}")
    if ckpt.get("world_size") != world_size:
        problems.append(f"processes: checkpoint {ckpt.get('world_size')!r} vs {world_size!r}")
    if problems:
        raise IBKitError(
            f"cannot resume from {str(path)!r}: it is incompatible with this run ("
            + "; ".join(problems) + ")"
        )
