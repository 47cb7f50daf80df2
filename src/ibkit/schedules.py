r"""β(step) schedules: constant, monotonic warm-up, cyclical annealing and KL capacity.

A schedule is a ``Callable[[int], float]`` of the global (0-based) optimisation step, as in
optax: pure, cheap, plottable and testable against its closed form. Each one is a frozen
dataclass whose :meth:`~Schedule.to_dict` gives a JSON-able dict that
:func:`schedule_from_dict` turns back into an equal schedule, so configs and checkpoints can
store them. :func:`as_schedule` accepts a number (a :class:`Constant`), a dict or a schedule.

Pure Python: no NumPy, torch or matplotlib is needed to build or call a schedule.

References
----------
Bowman et al. (2016), "Generating sentences from a continuous space" (KL warm-up).
Fu et al. (2019), "Cyclical annealing schedule: a simple approach to mitigating KL vanishing",
NAACL.
Burgess et al. (2018), "Understanding disentangling in β-VAE" (controlled capacity C).
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ._validation import check_choice, check_int
from .exceptions import InvalidParameterError

__all__ = [
    "SHAPES",
    "Capacity",
    "Constant",
    "Cyclical",
    "Linear",
    "Schedule",
    "as_schedule",
    "capacity",
    "constant",
    "cyclical",
    "linear",
    "sample",
    "schedule_from_dict",
]

#: Shapes of the increasing part of a cyclical schedule.
SHAPES = ("linear", "sigmoid", "cosine")


def _real(value: Any, name: str) -> float:
    """``value`` as a finite float (bools and strings refused)."""
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a real number; got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise InvalidParameterError(f"{name} must be finite; got {out!r}")
    return out


def _step(step: Any) -> int:
    return check_int(step, "step", minimum=0)


def _ramp(step: int, delay: int, steps: int) -> float:
    """Fraction of the ramp done at ``step``: 0 before ``delay``, 1 after ``delay + steps``."""
    if step < delay:
        return 0.0
    if steps == 0 or step >= delay + steps:
        return 1.0
    return (step - delay) / steps


class Schedule(ABC):
    r"""A value as a function of the global step: ``schedule(step) -> float``.

    .. math:: \mathcal L_t = D + \beta(t)\, R

    Usually the weight β(t) on the rate R (a KL in nats per example) against the
    distortion D, so β is dimensionless; :class:`Capacity` gives a KL target C(t) in nats.
    """

    kind: ClassVar[str]

    @abstractmethod
    def __call__(self, step: int) -> float:
        """The value at 0-based global ``step`` (an int ≥ 0)."""

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., <parameters>}``, JSON-able; :func:`schedule_from_dict` inverts it."""
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class Constant(Schedule):
    r"""β(step) = ``value``. Build with :func:`constant`.

    .. math:: \beta(t) = \beta_0
    """

    kind: ClassVar[str] = "constant"
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _real(self.value, "value"))

    def __call__(self, step: int) -> float:
        _step(step)
        return self.value


@dataclass(frozen=True)
class Linear(Schedule):
    r"""Monotonic warm-up (KL annealing). Build with :func:`linear`.

    .. math:: \beta(t) = \beta_0 + (\beta_1 - \beta_0)\,
              \min\!\bigl(1, \max(0, t - t_d) / S\bigr)
    """

    kind: ClassVar[str] = "linear"
    start: float
    end: float
    steps: int
    delay: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _real(self.start, "start"))
        object.__setattr__(self, "end", _real(self.end, "end"))
        object.__setattr__(self, "steps", check_int(self.steps, "steps", minimum=0))
        object.__setattr__(self, "delay", check_int(self.delay, "delay", minimum=0))

    def __call__(self, step: int) -> float:
        frac = _ramp(_step(step), self.delay, self.steps)
        return self.start + (self.end - self.start) * frac


@dataclass(frozen=True)
class Capacity(Schedule):
    r"""KL capacity C(step) of Burgess et al. (2018), in nats. Build with :func:`capacity`.

    .. math:: C(t) = C_{\max} \min\!\bigl(1, \max(0, t - t_d) / S\bigr)
    """

    kind: ClassVar[str] = "capacity"
    max_capacity: float
    steps: int
    delay: int = 0

    def __post_init__(self) -> None:
        value = _real(self.max_capacity, "max_capacity")
        if value < 0:
            raise InvalidParameterError(f"max_capacity must be >= 0; got {value!r}")
        object.__setattr__(self, "max_capacity", value)
        object.__setattr__(self, "steps", check_int(self.steps, "steps", minimum=0))
        object.__setattr__(self, "delay", check_int(self.delay, "delay", minimum=0))

    def __call__(self, step: int) -> float:
        return self.max_capacity * _ramp(_step(step), self.delay, self.steps)


def _shape_value(shape: str, u: float) -> float:
    """The increasing shape g(u) on u ∈ [0, 1] (Fu et al.'s reference implementation)."""
    if shape == "linear":
        return u
    if shape == "sigmoid":
        return 1.0 / (1.0 + math.exp(-(12.0 * u - 6.0)))
    return 0.5 - 0.5 * math.cos(math.pi * u)


@dataclass(frozen=True)
class Cyclical(Schedule):
    r"""Cyclical annealing of Fu et al. (2019). Build with :func:`cyclical`.

    .. math:: \tau = \frac{t \bmod \lceil T/M \rceil}{T/M}, \qquad
              \beta_t = \begin{cases} \beta_0 + (\beta_1 - \beta_0)\, g(\tau / R) & \tau < R \\
              \beta_1 & \tau \ge R \end{cases}
    """

    kind: ClassVar[str] = "cyclical"
    total_steps: int
    n_cycles: int = 4
    ratio: float = 0.5
    start: float = 0.0
    stop: float = 1.0
    shape: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_steps", check_int(self.total_steps, "total_steps", 1))
        object.__setattr__(self, "n_cycles", check_int(self.n_cycles, "n_cycles", minimum=1))
        if self.n_cycles > self.total_steps:
            raise InvalidParameterError(
                f"n_cycles must be <= total_steps ({self.total_steps}); got {self.n_cycles}"
            )
        ratio = _real(self.ratio, "ratio")
        if not 0.0 < ratio <= 1.0:
            raise InvalidParameterError(f"ratio must lie in (0, 1]; got {ratio!r}")
        object.__setattr__(self, "ratio", ratio)
        object.__setattr__(self, "start", _real(self.start, "start"))
        object.__setattr__(self, "stop", _real(self.stop, "stop"))
        check_choice(self.shape, "shape", SHAPES)

    @property
    def period(self) -> int:
        """Length of one cycle in steps, ⌈T/M⌉ (the last cycle may be cut short at T)."""
        return -(-self.total_steps // self.n_cycles)

    def __call__(self, step: int) -> float:
        step = _step(step)
        if step >= self.total_steps:
            return self.stop
        tau = (step % self.period) / (self.total_steps / self.n_cycles)
        if tau >= self.ratio:
            return self.stop
        g = _shape_value(self.shape, tau / self.ratio)
        return self.start + (self.stop - self.start) * g


def constant(value: float) -> Constant:
    r"""β(step) = ``value`` for every step (dimensionless weight of the rate).

    .. math:: \beta(t) = \beta_0
    """
    return Constant(value)


def linear(start: float, end: float, steps: int, delay: int = 0) -> Linear:
    r"""Monotonic warm-up (KL annealing): ``start`` until ``delay``, then linear to ``end``.

    .. math:: \beta(t) = \beta_0 + (\beta_1 - \beta_0)\,
              \min\!\bigl(1, \max(0, t - t_d) / S\bigr)

    Parameters
    ----------
    start, end : float
        β₀ before and during the delay, β₁ from step ``delay + steps`` on (finite; ``end <
        start`` gives a decreasing ramp).
    steps : int
        S ≥ 0, the ramp length in steps; 0 switches from ``start`` to ``end`` at ``delay``.
    delay : int
        t_d ≥ 0, steps held at ``start`` before the ramp begins.

    References
    ----------
    Bowman et al. (2016), "Generating sentences from a continuous space", CoNLL.
    """
    return Linear(start, end, steps, delay)


def cyclical(
    total_steps: int,
    n_cycles: int = 4,
    ratio: float = 0.5,
    start: float = 0.0,
    stop: float = 1.0,
    shape: str = "linear",
) -> Cyclical:
    r"""Cyclical annealing (Fu et al. 2019, eq. 4): M ramps from ``start`` to ``stop``.

    With T = ``total_steps``, M = ``n_cycles``, R = ``ratio`` and the 0-based step t (the
    paper's t − 1),

    .. math:: \tau = \frac{t \bmod \lceil T/M \rceil}{T/M}, \qquad
              \beta_t = \begin{cases} \beta_0 + (\beta_1 - \beta_0)\, g(\tau / R) & \tau < R \\
              \beta_1 & \tau \ge R \end{cases}

    so within each cycle β rises during the first fraction R and stays at β₁ = ``stop`` for
    the rest. For t ≥ T (training past the planned length) β stays at β₁. (The paper puts
    τ = R on the rising branch; that only matters for the sigmoid, whose g(1) ≈ 0.9975, and
    the reference code's floating-point accumulation decides that one step either way; here β
    is β₁ from τ = R on.) The shape g on u ∈ [0, 1) is that of the authors' reference code:

    - ``"linear"``: g(u) = u;
    - ``"sigmoid"``: g(u) = 1 / (1 + exp(−(12u − 6))), i.e. the logistic on [−6, 6]; it is
      not rescaled, so g(0) ≈ 0.0025 and g(u → 1) ≈ 0.9975 (β jumps to β₁ after the ramp);
    - ``"cosine"``: g(u) = (1 − cos πu) / 2.

    Parameters
    ----------
    total_steps : int
        T ≥ 1, planned number of training steps.
    n_cycles : int
        M, 1 ≤ M ≤ T. M = 1 is a monotonic schedule that ramps over the first R·T steps.
    ratio : float
        R ∈ (0, 1], fraction of each cycle spent increasing β.
    start, stop : float
        β₀ and β₁ (finite).
    shape : {"linear", "sigmoid", "cosine"}
        The increasing function g.

    References
    ----------
    Fu, Li, Liu, Gao, Celikyilmaz & Carin (2019), "Cyclical annealing schedule: a simple
    approach to mitigating KL vanishing", NAACL; code at github.com/haofuml/cyclical_annealing.
    """
    return Cyclical(total_steps, n_cycles, ratio, start, stop, shape)


def capacity(max_capacity: float, steps: int, delay: int = 0) -> Capacity:
    r"""Controlled KL capacity C(step) rising linearly from 0 to C_max nats.

    .. math:: C(t) = C_{\max} \min\!\bigl(1, \max(0, t - t_d) / S\bigr)

    The capacity-controlled β-VAE minimises −E log p(x|z) + γ |KL(q(z|x)‖p(z)) − C(t)|.

    Parameters
    ----------
    max_capacity : float
        C_max ≥ 0, in nats.
    steps : int
        S ≥ 0, steps over which C rises (0: C_max from ``delay`` on).
    delay : int
        t_d ≥ 0, steps held at C = 0 first.

    References
    ----------
    Burgess et al. (2018), "Understanding disentangling in β-VAE", arXiv:1804.03599.
    """
    return Capacity(max_capacity, steps, delay)


_KINDS: dict[str, type[Schedule]] = {
    cls.kind: cls for cls in (Constant, Linear, Cyclical, Capacity)
}


def schedule_from_dict(d: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` output (unknown keys are refused)."""
    if not isinstance(d, Mapping):
        raise InvalidParameterError(f"schedule must be a dict with a 'kind'; got {d!r}")
    params = dict(d)
    kind = params.pop("kind", None)
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidParameterError(
            f"schedule kind must be one of {', '.join(map(repr, _KINDS))}; got {kind!r}"
        )
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise InvalidParameterError(
            f"unknown parameter(s) {unknown} for a {kind!r} schedule; expected {sorted(names)}"
        )
    try:
        return cls(**params)
    except TypeError as err:  # a required parameter is missing
        raise InvalidParameterError(f"bad {kind!r} schedule {d!r}: {err}") from None


def as_schedule(value: Any) -> Schedule:
    """A schedule from a schedule (returned as is), a real number (constant) or a dict."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, Mapping):
        return schedule_from_dict(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(value)
    raise InvalidParameterError(
        f"schedule must be a number, a dict or a Schedule; got {type(value).__name__} {value!r}"
    )


def sample(schedule: Any, steps: int | Iterable[int]) -> Any:
    r"""Values of ``schedule`` at ``steps`` (an int n means steps 0, …, n − 1), for plotting.

    .. math:: y_i = \beta(t_i)

    Returns
    -------
    ndarray of float64, shape ``(n_steps,)``.
    """
    import numpy as np

    schedule = as_schedule(schedule)
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        steps = range(check_int(steps, "steps", minimum=0))
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise InvalidParameterError(f"steps must be an int or a sequence of ints; got {steps!r}")
    return np.array([schedule(s) for s in steps], dtype=np.float64)
