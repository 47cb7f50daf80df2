"""Channel capacity by the Blahut–Arimoto algorithm, with certified upper and lower bounds."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from .._array import Array, get_namespace, log_base, xlogy
from .._fixed_point import StepResult, certified_iteration, normalize_log
from .._validation import as_pmf, check_base, check_int, check_positive
from ..exceptions import ConvergenceWarning, ShapeMismatchError

__all__ = ["CapacitySolution", "channel_capacity"]


@dataclass(frozen=True)
class CapacitySolution:
    """Capacity C = max_{p(x)} I(X;Y) of a channel, bracketed by certified bounds.

    Attributes
    ----------
    capacity : float
        I(X;Y) at ``input_pmf``: a lower bound on C (units of ``base``).
    upper_bound : float
        :math:`\\max_x D(p(y|x) \\| p(y))` at ``input_pmf``: an upper bound on C.
    input_pmf : array, shape ``(n_x,)``
        Capacity-achieving input (to within the gap).
    output_pmf : array, shape ``(n_y,)``
        The induced output distribution.
    iterations : int
    converged : bool
    base : float
    """

    capacity: float
    upper_bound: float
    input_pmf: Array
    output_pmf: Array
    iterations: int
    converged: bool
    base: float = 2.0

    @property
    def gap(self) -> float:
        """``upper_bound - capacity`` ≥ 0."""
        return self.upper_bound - self.capacity


class _CapacityMap:
    """r ← r e^{D(W_x‖q)} / Σ, with the objective -I(r) and the gap max_x D_x - I(r)."""

    def __init__(self, channel: Array, xp: Any) -> None:
        self.channel, self.xp = channel, xp

    def divergences(self, theta: Array) -> tuple[Array, Array]:
        xp = self.xp
        output = xp.exp(theta) @ self.channel  # (n_y,)
        safe = xp.where(output > 0, output, xp.ones_like(output))
        ratio = self.channel / safe[None, :]  # (n_x, n_y)
        return xp.sum(xlogy(self.channel, ratio, xp), axis=1), output  # D_x in nats

    def __call__(self, theta: Array) -> StepResult:
        xp = self.xp
        div, _ = self.divergences(theta)
        info = float(xp.sum(xp.exp(theta) * div))
        gap = max(float(xp.max(div)) - info, 0.0)
        return StepResult(normalize_log(theta + div, xp), -info, gap)


def channel_capacity(
    p_y_given_x: Any,
    *,
    tol: float = 1e-6,
    max_iter: int = 100_000,
    base: float = 2.0,
    accelerate: bool = False,
) -> CapacitySolution:
    r"""Capacity of a discrete memoryless channel by Blahut–Arimoto.

    .. math:: r_{t+1}(x) \propto r_t(x) \exp D\big(p(y|x) \,\|\, q_t(y)\big), \qquad
              I(r_t) \le C \le \max_x D\big(p(y|x) \,\|\, q_t(y)\big)

    Iteration stops when the certified bracket is narrower than ``tol`` (units of ``base``).

    Parameters
    ----------
    p_y_given_x : array_like, shape ``(n_x, n_y)``
        Channel matrix; each row a pmf.
    tol : float
        Width of the certified bracket at which to stop.
    accelerate : bool
        SQUAREM extrapolation of the BA map (monotone safeguarded). Off by default: on
        random 40×30 channels, whose optimal inputs are sparse, it took 1.4–3× more
        iterations than plain BA.

    Returns
    -------
    CapacitySolution

    References
    ----------
    Arimoto (1972), "An algorithm for computing the capacity of arbitrary discrete memoryless
    channels"; Blahut (1972).
    """
    xp = get_namespace(p_y_given_x)
    channel, _ = as_pmf(p_y_given_x, name="p_y_given_x", event_ndim=1, xp=xp)
    if channel.ndim != 2:
        raise ShapeMismatchError(
            f"p_y_given_x must be 2-D (n_x, n_y); got shape {tuple(channel.shape)}"
        )
    base = check_base(base)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    unit = log_base(base)
    n_x = int(channel.shape[0])
    step = _CapacityMap(channel, xp)
    theta = xp.zeros(n_x, dtype=channel.dtype) - math.log(n_x)
    res = certified_iteration(
        theta, step, tol=tol * unit, max_iter=max_iter, xp=xp, accelerate=accelerate
    )
    if not res.converged:
        warnings.warn(
            f"channel_capacity stopped at max_iter={max_iter} with bracket "
            f"{res.step.gap / unit:.3g} > tol={tol:g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    _, output = step.divergences(res.theta)
    info = -res.step.objective
    return CapacitySolution(
        capacity=info / unit,
        upper_bound=(info + res.step.gap) / unit,
        input_pmf=xp.exp(res.theta),
        output_pmf=output,
        iterations=res.evaluations,
        converged=res.converged,
        base=base,
    )
