"""Configuration of ``ibkit train`` and ``ibkit sweep-beta`` (no torch import).

A training run is described by three tables — the TOML file a user writes::

    kind = "beta-vae"            # vae | beta-vae | capacity-vae | beta-tcvae | vib

    [model]                      # options of ibkit.nn.build_model
    latent_dim = 10
    beta = {kind = "cyclical", total_steps = 2000, n_cycles = 4}

    [data]
    name = "digits"              # digits | dsprites | a .npy/.npz path
    val_fraction = 0.1

    [train]                      # ibkit.nn.TrainConfig
    steps = 2000
    batch_size = 64

``--set model.beta=8`` overrides any leaf. Unknown keys and wrong types are refused with the
dotted key in the message (:func:`~ibkit.experiment.toml_config.build_config`); ``[train]`` is
checked by :class:`ibkit.nn.TrainConfig` when the run starts (it needs torch).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError
from .toml_config import apply_overrides, build_config, load_toml

__all__ = [
    "BUILTIN_DATA",
    "MODEL_KINDS",
    "DataSection",
    "ModelSection",
    "TrainRunConfig",
    "check_data_section",
    "load_train_config",
]

MODEL_KINDS = ("vae", "beta-vae", "capacity-vae", "beta-tcvae", "vib")
BUILTIN_DATA = ("digits", "dsprites")


@dataclass(frozen=True)
class ModelSection:
    """Options of :func:`ibkit.nn.build_model` (``None``: the model's own default).

    ``beta`` and ``capacity`` are numbers or schedule tables (``{kind = "linear", ...}``, see
    :mod:`ibkit.schedules`); input shape, classes and dataset size come from the data.
    """

    latent_dim: int | None = None
    architecture: str = "mlp"
    likelihood: str = "bernoulli"
    hidden: tuple[int, ...] | None = None
    beta: float | dict | None = None
    gamma: float | None = None
    alpha: float = 1.0
    capacity: float | dict | None = None
    prior: str = "normal"
    n_components: int | None = None
    variance: str = "fixed"
    sigma: float = 1.0
    kl_samples: int = 1
    n_samples: int = 12

    def build_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``build_model`` (``None`` entries left out)."""
        out = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if "hidden" in out:
            out["hidden"] = tuple(out["hidden"])
        return out


@dataclass(frozen=True)
class DataSection:
    """Which data to train on and how to split it.

    ``name``: ``"digits"`` (scikit-learn's 8×8 digits with labels), ``"dsprites"`` (the
    procedural dSprites-like images, ``n_samples`` of them drawn with ``seed``; default 20000),
    or a path to a ``.npy``/``.npz`` file (``x`` and optional ``y``). ``val_fraction`` of the
    examples (a seeded permutation) is held out for evaluation.
    """

    name: str = "digits"
    n_samples: int | None = None
    val_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        check_data_section(self, BUILTIN_DATA)


def check_data_section(section: Any, builtin: Sequence[str]) -> None:
    """Validate the ``[data]`` fields shared by ``train`` and ``diffusion train``.

    ``name`` is one of ``builtin`` or a ``.npy``/``.npz`` path; ``n_samples`` ≥ 2 or None;
    ``val_fraction`` in [0, 1); ``seed`` ≥ 0.
    """
    name = section.name
    if not isinstance(name, str) or not name:
        raise InvalidParameterError(f"data.name must be a non-empty string; got {name!r}")
    if name not in builtin and Path(name).suffix not in {".npy", ".npz"}:
        raise InvalidParameterError(
            f"data.name must be one of {', '.join(builtin)} or a .npy/.npz path; got {name!r}"
        )
    if section.n_samples is not None:
        check_int(section.n_samples, "data.n_samples", minimum=2)
    v = section.val_fraction
    if not (isinstance(v, float) and math.isfinite(v) and 0.0 <= v < 1.0):
        raise InvalidParameterError(f"data.val_fraction must lie in [0, 1); got {v!r}")
    check_int(section.seed, "data.seed", minimum=0)


@dataclass(frozen=True)
class TrainRunConfig:
    """Everything one ``ibkit train`` run needs; round-trips through :meth:`to_dict`."""

    kind: str = "beta-vae"
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    train: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", MODEL_KINDS)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the run folder's ``config.json``)."""
        out = dataclasses.asdict(self)
        if out["model"]["hidden"] is not None:
            out["model"]["hidden"] = list(out["model"]["hidden"])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainRunConfig:
        """Inverse of :meth:`to_dict`; unknown keys and wrong types are refused."""
        return build_config(cls, data)

    def with_overrides(self, overrides: Sequence[str]) -> TrainRunConfig:
        """A copy with ``key.path=value`` overrides applied (validated again)."""
        return self.from_dict(apply_overrides(self.to_dict(), overrides))


def load_train_config(
    kind: str | None, path: str | Path | None = None, overrides: Sequence[str] = ()
) -> TrainRunConfig:
    """Defaults ← TOML file ``path`` ← ``overrides``; ``kind`` (the CLI's argument) wins.

    Raises
    ------
    InvalidParameterError
        Unknown keys, wrong types, a ``kind`` in the file that contradicts the command line.
    DataFormatError
        A missing or malformed TOML file.
    """
    data: dict[str, Any] = {} if path is None else load_toml(path)
    data = apply_overrides(data, overrides)
    if kind is not None:
        given = data.get("kind")
        if given is not None and given != kind:
            raise InvalidParameterError(
                f"the config file says kind = {given!r} but the command line asks for {kind!r}"
            )
        data["kind"] = kind
    return TrainRunConfig.from_dict(data)
