"""Command configurations: frozen dataclasses that validate themselves and round-trip to JSON.

``Config.from_dict(cfg.to_dict()) == cfg`` for every config; unknown keys are refused with
:class:`~ibkit.exceptions.InvalidParameterError` (a typo in a config file is an error, not a
silently ignored option).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from .._validation import check_base, check_beta, check_choice, check_int, check_positive
from ..exceptions import InvalidParameterError

__all__ = [
    "DEVICES", "Config", "FiguresConfig", "IBConfig", "MeasureConfig", "RDConfig", "on_device",
]

DEVICES = ("cpu", "cuda")  # cpu: NumPy; cuda: torch tensors on the GPU

C = TypeVar("C", bound="Config")


class Config:
    """Mixin for frozen config dataclasses: ``to_dict/from_dict/to_json/from_json``."""

    command: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the fields (tuples become lists)."""
        out = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls: type[C], data: Mapping[str, Any]) -> C:
        """Build a config from a dict; missing keys take their defaults, unknown keys are errors."""
        if not isinstance(data, Mapping):
            got = type(data).__name__
            raise InvalidParameterError(f"{cls.__name__} needs a mapping; got {got}")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidParameterError(
                f"unknown {cls.__name__} key(s) {', '.join(map(repr, unknown))}; "
                f"known keys: {', '.join(sorted(names))}"
            )
        return cls(**data)

    def to_json(self) -> str:
        """Indented JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls: type[C], text: str) -> C:
        """Parse :meth:`to_json` output (invalid JSON raises InvalidParameterError)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InvalidParameterError(f"{cls.__name__} JSON is invalid: {err}") from None
        return cls.from_dict(data)

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


def on_device(array: Any, device: str) -> Any:
    """``array`` as the solvers should see it: NumPy for ``"cpu"``, a float64 CUDA tensor
    for ``"cuda"`` (refused with one line when torch or CUDA is missing)."""
    check_choice(device, "device", DEVICES)
    if device == "cpu":
        return array
    try:
        import torch
    except ImportError:
        message = "device 'cuda' needs torch: pip install 'ibkit[torch]'"
        raise InvalidParameterError(message) from None
    if not torch.cuda.is_available():
        raise InvalidParameterError("device 'cuda' was asked for but CUDA is not available here")
    return torch.as_tensor(np.asarray(array, dtype=np.float64), device="cuda")


def _optional_float(value: Any, name: str) -> float | None:
    return None if value is None else check_beta(value, name)


@dataclass(frozen=True)
class RDConfig(Config):
    """Configuration of ``ibkit rd``: a source, a β sweep and solver options.

    ``source`` is ``"binary"`` (Bernoulli(``p``), Hamming distortion), ``"gaussian"``
    (N(0, ``variance``) on ``grid`` points, squared error) or ``"file"`` (``px`` and
    ``distortion`` are paths). β values are in nats per unit of distortion. Give ``betas``
    explicitly, or ``beta_min``/``beta_max`` (``n_points`` values, log-spaced when
    ``beta_min > 0``), or neither for the automatic range of ``rd_curve``.
    """

    command: ClassVar[str] = "rd"
    SOURCES: ClassVar[tuple[str, ...]] = ("binary", "gaussian", "file")

    source: str = "binary"
    p: float = 0.3
    variance: float = 1.0
    grid: int = 1001
    px: str | None = None
    distortion: str | None = None
    n_points: int = 50
    beta_min: float | None = None
    beta_max: float | None = None
    betas: tuple[float, ...] | None = None
    tol: float = 1e-6
    max_iter: int = 100_000
    base: float = 2.0
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_choice(self.source, "source", self.SOURCES)
        check_choice(self.device, "device", DEVICES)
        p = float(check_beta(self.p, "p"))
        if p > 1:
            raise InvalidParameterError(f"p must lie in [0, 1]; got {p!r}")
        self._set("p", p)
        self._set("variance", check_positive(self.variance, "variance"))
        self._set("grid", check_int(self.grid, "grid", minimum=2))
        files = {"px": self.px, "distortion": self.distortion}
        if self.source == "file":
            missing = [k for k, v in files.items() if v is None]
            if missing:
                raise InvalidParameterError(f"source 'file' needs --{' and --'.join(missing)}")
        elif any(v is not None for v in files.values()):
            raise InvalidParameterError(
                "--px/--distortion are for your own files; "
                f"they conflict with source {self.source!r}"
            )
        self._set("n_points", check_int(self.n_points, "n_points", minimum=2))
        self._check_betas()
        self._set("tol", check_positive(self.tol, "tol"))
        self._set("max_iter", check_int(self.max_iter, "max_iter", minimum=1))
        self._set("base", check_base(self.base))

    def _check_betas(self) -> None:
        lo = _optional_float(self.beta_min, "beta_min")
        hi = _optional_float(self.beta_max, "beta_max")
        if (lo is None) != (hi is None):
            raise InvalidParameterError("beta_min and beta_max must be given together")
        if lo is not None and hi is not None and not lo < hi:
            raise InvalidParameterError(f"beta_min must be < beta_max; got {lo!r} and {hi!r}")
        self._set("beta_min", lo)
        self._set("beta_max", hi)
        if self.betas is None:
            return
        if lo is not None:
            raise InvalidParameterError("give either betas or beta_min/beta_max, not both")
        if isinstance(self.betas, (str, bytes)) or not hasattr(self.betas, "__iter__"):
            raise InvalidParameterError(f"betas must be a list of numbers; got {self.betas!r}")
        betas = tuple(check_beta(b, "betas") for b in self.betas)
        if not betas:
            raise InvalidParameterError("betas must not be empty")
        self._set("betas", betas)

    def beta_grid(self) -> np.ndarray | None:
        r"""The β values ``(n,)`` to sweep (nats per unit distortion), or ``None`` for
        ``rd_curve``'s automatic range.

        .. math:: \beta_i = \beta_{\min} (\beta_{\max}/\beta_{\min})^{i/(n-1)}
                  \ (\beta_{\min} > 0), \qquad
                  \beta_i = \beta_{\min} + (\beta_{\max} - \beta_{\min})\, i/(n-1)

        (an explicit ``betas`` list is returned as is).
        """
        if self.betas is not None:
            return np.asarray(self.betas, dtype=np.float64)
        if self.beta_min is None or self.beta_max is None:
            return None
        if self.beta_min > 0:
            return np.geomspace(self.beta_min, self.beta_max, self.n_points)
        return np.linspace(self.beta_min, self.beta_max, self.n_points)


@dataclass(frozen=True)
class MeasureConfig(Config):
    """Configuration of ``ibkit measure``: which file, which log base, normalise counts or not."""

    command: ClassVar[str] = "measure"

    file: str = ""
    base: float = 2.0
    normalize: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.file, str) or not self.file:
            raise InvalidParameterError(f"file must be a non-empty path; got {self.file!r}")
        self._set("base", check_base(self.base))
        if not isinstance(self.normalize, bool):
            raise InvalidParameterError(f"normalize must be true or false; got {self.normalize!r}")


@dataclass(frozen=True)
class FiguresConfig(Config):
    """Configuration of ``ibkit figures``: output folder and, optionally, which figures."""

    command: ClassVar[str] = "figures"

    out: str = "figures"
    only: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.out, str) or not self.out:
            raise InvalidParameterError(f"out must be a non-empty path; got {self.out!r}")
        if self.only is not None:
            if isinstance(self.only, str) or not all(isinstance(x, str) for x in self.only):
                raise InvalidParameterError(f"only must be a list of figure ids; got {self.only!r}")
            self._set("only", tuple(self.only))


@dataclass(frozen=True)
class IBConfig(Config):
    """Configuration of ``ibkit ib``: a joint (built-in or a file), |T|, a β sweep, options.

    ``joint`` is ``"clustered"`` (rows in ``n_groups`` noisy groups), ``"dirichlet"`` (a random
    joint) or ``"file"`` (``file`` is a .csv/.npy/.npz count or probability matrix, rows x).
    Without ``betas``, ``n_points`` values from β_c/2 to 300 β_c are used (β_c: the critical β).
    """

    command: ClassVar[str] = "ib"
    JOINTS: ClassVar[tuple[str, ...]] = ("clustered", "dirichlet", "file")

    joint: str = "clustered"
    file: str | None = None
    n_x: int = 24
    n_y: int = 12
    n_groups: int = 4
    seed: int = 0
    n_clusters: int = 4
    alpha: float = 1.0
    anneal: str = "forward"
    n_points: int = 30
    betas: tuple[float, ...] | None = None
    tol: float = 1e-10
    max_iter: int = 20_000
    base: float = 2.0
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_choice(self.joint, "joint", self.JOINTS)
        check_choice(self.device, "device", DEVICES)
        if (self.joint == "file") != (self.file is not None):
            raise InvalidParameterError("--file and joint 'file' go together (give --file PATH)")
        for name in ("n_x", "n_y", "n_groups", "n_clusters"):
            self._set(name, check_int(getattr(self, name), name, minimum=1))
        self._set("seed", check_int(self.seed, "seed", minimum=0))
        self._set("alpha", check_beta(self.alpha, "alpha"))
        check_choice(self.anneal, "anneal", ("forward", "reverse"))
        self._set("n_points", check_int(self.n_points, "n_points", minimum=2))
        if self.betas is not None:
            if isinstance(self.betas, (str, bytes)) or not hasattr(self.betas, "__iter__"):
                raise InvalidParameterError(f"betas must be a list of numbers; got {self.betas!r}")
            betas = tuple(check_beta(b, "betas") for b in self.betas)
            if not betas:
                raise InvalidParameterError("betas must not be empty")
            self._set("betas", betas)
        self._set("tol", check_positive(self.tol, "tol"))
        self._set("max_iter", check_int(self.max_iter, "max_iter", minimum=1))
        self._set("base", check_base(self.base))
