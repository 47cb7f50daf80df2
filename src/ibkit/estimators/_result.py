"""Frozen results of the sample-based estimators."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntropyEstimate", "MIEstimate", "normal_ci"]

Z95 = 1.959963984540054  # standard normal 97.5 % quantile


@dataclass(frozen=True)
class MIEstimate:
    r"""An estimate of I(X;Y) from samples, in units of ``base`` (2: bits, e: nats).

    .. math:: \hat I \approx \mathbb E_{p(x,y)} \log_b \frac{p(x,y)}{p(x)\,p(y)}, \qquad
              \mathrm{ci} = \hat I \pm 1.96\,\mathrm{se}\ \text{(asymptotic, where given)}

    ``stderr`` is the standard error where the method gives one (``nan`` otherwise), ``ci`` a
    ``(low, high)`` interval where the method gives one (``None`` otherwise); ``diagnostics``
    holds method-specific numbers (counts, neighbour statistics, training history, ...).
    """

    value: float
    stderr: float
    method: str
    base: float
    n_samples: int
    ci: tuple[float, float] | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """``"bits"``, ``"nats"`` or ``"log<base> units"``."""
        return _unit(self.base)

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class EntropyEstimate:
    r"""An estimate of H(X) (discrete) or h(X) (differential) from samples, in units of ``base``.

    .. math:: H(X) = -\sum_x p(x) \log_b p(x), \qquad h(X) = -\int p(x) \log_b p(x)\,dx
    """

    value: float
    stderr: float
    method: str
    base: float
    n_samples: int
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """``"bits"``, ``"nats"`` or ``"log<base> units"``."""
        return _unit(self.base)

    def __float__(self) -> float:
        return float(self.value)


def _unit(base: float) -> str:
    if base == 2:
        return "bits"
    if math.isclose(base, math.e):
        return "nats"
    return f"log{base:g} units"


def normal_ci(value: float, stderr: float) -> tuple[float, float] | None:
    r"""The asymptotic 95 % interval :math:`\hat I \pm 1.96\,\mathrm{se}` (``None`` without se)."""
    if not math.isfinite(stderr):
        return None
    return (value - Z95 * stderr, value + Z95 * stderr)
