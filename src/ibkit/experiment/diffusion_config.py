"""Configuration of ``ibkit diffusion train`` (no torch import).

A diffusion run is three tables, as for ``ibkit train``::

    [model]
    schedule = "cosine"          # any name of ibkit.diffusion.available_schedules()
    T = 1000
    schedule_options = {}        # e.g. {beta_start = 1e-4, beta_end = 0.02} for "linear"
    prediction = "eps"           # eps | x0 | v
    variance = "fixed_small"     # fixed_small | fixed_large | learned
    loss = "simple"              # simple | vlb | hybrid
    denoiser = "auto"            # auto (MLP for vectors, U-Net for images) | mlp | unet

    [data]
    name = "digits"              # moons | gaussian-mixture | digits | dsprites | a .npy/.npz
    downscale = 1                # dsprites: average-pool 64×64 by this factor (2 → 32×32)

    [train]                      # ibkit.nn.TrainConfig
    steps = 3000

``--set model.T=200`` overrides any leaf; unknown keys and wrong types are refused with the
dotted key in the message. The noise schedule is built (NumPy only) when the config is, so an
unknown schedule, ``T < 1`` or a β outside (0, 1) is refused before anything runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError
from .toml_config import apply_overrides, build_config, load_toml
from .train_config import check_data_section

__all__ = [
    "DIFFUSION_DATA",
    "DiffusionDataSection",
    "DiffusionModelSection",
    "DiffusionRunConfig",
    "load_diffusion_config",
]

DIFFUSION_DATA = ("moons", "gaussian-mixture", "digits", "dsprites")
_PREDICTIONS = ("eps", "x0", "v")
_VARIANCES = ("fixed_small", "fixed_large", "learned")
_LOSSES = ("simple", "vlb", "hybrid")
_DECODERS = ("continuous", "discretized")
_DENOISERS = ("auto", "mlp", "unet")


@dataclass(frozen=True)
class DiffusionModelSection:
    """The DDPM and its denoiser (``None``: chosen from the data, see :mod:`.diffusion_run`).

    ``decoder`` defaults to ``"discretized"`` for digits (``bins`` 17) and dSprites
    (``bins = downscale² + 1``, the levels of an average-pooled binary image), and to
    ``"continuous"`` otherwise. ``hidden``/``depth``/``time_dim`` size the MLP denoiser,
    ``base_channels``/``channel_mults`` the U-Net.
    """

    schedule: str = "cosine"
    T: int = 1000
    schedule_options: dict = field(default_factory=dict)
    prediction: str = "eps"
    variance: str = "fixed_small"
    loss: str = "simple"
    decoder: str | None = None
    bins: int | None = None
    denoiser: str = "auto"
    hidden: int = 128
    depth: int = 3
    time_dim: int = 64
    base_channels: int = 32
    channel_mults: tuple[int, ...] | None = None
    clip_samples: bool = True

    def __post_init__(self) -> None:
        from ..diffusion import get_schedule

        check_int(self.T, "model.T", minimum=1)
        get_schedule(self.schedule, self.T, **self.schedule_options)  # refuses bad names and β
        check_choice(self.prediction, "model.prediction", _PREDICTIONS)
        check_choice(self.variance, "model.variance", _VARIANCES)
        check_choice(self.loss, "model.loss", _LOSSES)
        if self.decoder is not None:
            check_choice(self.decoder, "model.decoder", _DECODERS)
        if self.bins is not None:
            check_int(self.bins, "model.bins", minimum=2)
        check_choice(self.denoiser, "model.denoiser", _DENOISERS)
        for name in ("hidden", "depth", "base_channels"):
            check_int(getattr(self, name), f"model.{name}", minimum=1)
        check_int(self.time_dim, "model.time_dim", minimum=2)
        for m in self.channel_mults or ():
            check_int(m, "model.channel_mults", minimum=1)

    def schedule_obj(self) -> Any:
        """The :class:`~ibkit.diffusion.NoiseSchedule` of this section."""
        from ..diffusion import get_schedule

        return get_schedule(self.schedule, self.T, **self.schedule_options)


@dataclass(frozen=True)
class DiffusionDataSection:
    """Which data to train on and how to split it.

    ``name``: ``"moons"`` / ``"gaussian-mixture"`` (procedural 2-D points, default 4000),
    ``"digits"`` (scikit-learn's 8×8 digits scaled to [−1, 1], all 1797 by default),
    ``"dsprites"`` (procedural dSprites in [−1, 1], default 4000 images, average-pooled by
    ``downscale``), or a ``.npy``/``.npz`` file of vectors ``(n, d)`` or images ``(n, H, W)``
    / ``(n, C, H, W)`` used as they are. ``val_fraction`` of the examples is held out.
    """

    name: str = "digits"
    n_samples: int | None = None
    val_fraction: float = 0.1
    seed: int = 0
    downscale: int = 1

    def __post_init__(self) -> None:
        check_data_section(self, DIFFUSION_DATA)
        factor = check_int(self.downscale, "data.downscale", minimum=1)
        if factor > 1 and self.name != "dsprites":
            raise InvalidParameterError(
                f"data.downscale applies to dsprites only; got {factor} for {self.name!r}"
            )
        if 64 % factor:
            raise InvalidParameterError(f"data.downscale must divide 64; got {factor}")


@dataclass(frozen=True)
class DiffusionRunConfig:
    """Everything one ``ibkit diffusion train`` run needs; round-trips through :meth:`to_dict`.

    ``n_samples_plot``: how many samples the run draws for its sample grid (images) or scatter
    (2-D data) at the end.
    """

    model: DiffusionModelSection = field(default_factory=DiffusionModelSection)
    data: DiffusionDataSection = field(default_factory=DiffusionDataSection)
    train: dict = field(default_factory=dict)
    n_samples_plot: int = 64

    def __post_init__(self) -> None:
        check_int(self.n_samples_plot, "n_samples_plot", minimum=1)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the run folder's ``config.json``)."""
        out = dataclasses.asdict(self)
        if out["model"]["channel_mults"] is not None:
            out["model"]["channel_mults"] = list(out["model"]["channel_mults"])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiffusionRunConfig:
        """Inverse of :meth:`to_dict`; unknown keys and wrong types are refused."""
        data = {k: v for k, v in data.items() if k != "kind"}  # config.json may carry it
        return build_config(cls, data)

    def with_overrides(self, overrides: Sequence[str]) -> DiffusionRunConfig:
        """A copy with ``key.path=value`` overrides applied (validated again)."""
        return self.from_dict(apply_overrides(self.to_dict(), overrides))


def load_diffusion_config(
    path: str | Path | None = None, overrides: Sequence[str] = ()
) -> DiffusionRunConfig:
    """Defaults ← TOML file ``path`` ← ``overrides`` (``--set key=value``).

    Raises
    ------
    InvalidParameterError
        Unknown keys, wrong types, an unknown schedule, ``T < 1``, β outside (0, 1).
    DataFormatError
        A missing or malformed TOML file.
    """
    data: dict[str, Any] = {} if path is None else load_toml(path)
    return DiffusionRunConfig.from_dict(apply_overrides(data, overrides))
