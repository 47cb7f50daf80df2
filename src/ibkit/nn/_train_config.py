"""Settings of one training run (:class:`TrainConfig`) and device resolution."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .._validation import check_beta, check_choice, check_int, check_positive
from ..exceptions import IBKitError, InvalidParameterError

__all__ = ["TrainConfig", "resolve_device"]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; validated on construction, round-trips through a dict.

    Attributes
    ----------
    steps : optimisation steps in total (a resumed run may raise it to train further).
    batch_size : samples per step and per process.
    lr, optimizer, weight_decay : ``"adam"``, ``"adamw"`` or ``"sgd"`` with this learning rate
        and L2 / decoupled weight decay.
    grad_clip : clip the global gradient norm to this value (``None``: no clipping).
    eval_every, checkpoint_every : evaluate / write ``last.pt`` every so many steps (0: only at
        the end); log_every : log a training row every so many steps (≥ 1).
    seed : seeds torch, NumPy, Python ``random`` (``seed + rank``) and the data order.
    device : ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    num_workers : DataLoader worker processes (0: load in the training process).
    tensorboard : also write TensorBoard events (needs ``pip install ibkit[tensorboard]``).
    progress : show a tqdm progress bar (loss, rate, distortion, β).
    keep_checkpoints : also keep every checkpoint as ``checkpoints/step-<step>.pt`` (model
        weights and step only), e.g. for the information plane of training (``ibkit infoplane``).
    """

    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    grad_clip: float | None = None
    eval_every: int = 500
    log_every: int = 10
    checkpoint_every: int = 500
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    tensorboard: bool = False
    progress: bool = False
    keep_checkpoints: bool = False

    OPTIMIZERS: ClassVar[tuple[str, ...]] = ("adam", "adamw", "sgd")

    def __post_init__(self) -> None:
        ints = {"steps": 1, "batch_size": 1, "eval_every": 0, "log_every": 1,
                "checkpoint_every": 0, "seed": 0, "num_workers": 0}
        for name, minimum in ints.items():
            object.__setattr__(self, name, check_int(getattr(self, name), name, minimum))
        object.__setattr__(self, "lr", check_positive(self.lr, "lr"))
        check_choice(self.optimizer, "optimizer", self.OPTIMIZERS)
        object.__setattr__(self, "weight_decay", check_beta(self.weight_decay, "weight_decay"))
        if self.grad_clip is not None:
            object.__setattr__(self, "grad_clip", check_positive(self.grad_clip, "grad_clip"))
        for name in ("tensorboard", "progress", "keep_checkpoints"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"{name} must be true or false; got {getattr(self, name)!r}"
                )
        _parse_device(self.device)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Build from a dict; missing keys take their defaults, unknown keys are errors."""
        if not isinstance(data, Mapping):
            raise InvalidParameterError(f"TrainConfig needs a mapping; got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidParameterError(
                f"unknown TrainConfig key(s) {', '.join(map(repr, unknown))}; "
                f"known keys: {', '.join(sorted(names))}"
            )
        return cls(**data)


def _parse_device(device: Any) -> torch.device | None:
    if not isinstance(device, str) or not device:
        raise InvalidParameterError(f"device must be a string such as 'auto'; got {device!r}")
    if device == "auto":
        return None
    try:
        return torch.device(device)
    except (RuntimeError, ValueError):
        raise InvalidParameterError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N', 'mps', ...; got {device!r}"
        ) from None


def resolve_device(device: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; refuses a CUDA device that is not there."""
    parsed = _parse_device(device)
    if parsed is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise IBKitError(f"device {device!r} was asked for but CUDA is not available")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise IBKitError(
                f"device {device!r} does not exist ({torch.cuda.device_count()} CUDA device(s))"
            )
    return parsed
