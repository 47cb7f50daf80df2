"""Certified fixed-point iteration with SQUAREM extrapolation.

The Blahut–Arimoto maps are EM-type maps on the simplex: monotone in a convex objective but
linearly (often very slowly) convergent in their tail. SQUAREM (Varadhan & Roland 2008,
scheme S3) extrapolates two map steps along a squared secant and keeps the step only if the
objective does not get worse, so it inherits the plain map's monotone convergence while
cutting the iteration count by one to two orders of magnitude on ill-conditioned problems.

The iteration runs on ``theta = log(weights)`` so extrapolated points stay positive; entries
are floored at ``LOG_FLOOR`` so ``-inf`` never enters the secant arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._array import Array, logsumexp

__all__ = ["LOG_FLOOR", "FixedPointResult", "StepResult", "certified_iteration"]

LOG_FLOOR = -700.0  # exp(-700) ≈ 1e-304: still a normal float64


@dataclass(frozen=True)
class StepResult:
    """One evaluation of the map F at ``theta``.

    ``objective`` must not increase along plain map steps; ``gap`` is a certified bound on the
    sub-optimality of the point ``theta`` itself (not of F(theta)).
    """

    next_theta: Array
    objective: float
    gap: float


@dataclass(frozen=True)
class FixedPointResult:
    """The last evaluated point whose certificate is known, and the run's bookkeeping."""

    theta: Array
    step: StepResult
    evaluations: int
    converged: bool


def normalize_log(theta: Array, xp: Any) -> Array:
    r"""Shift ``theta`` so that ``exp(theta)`` sums to 1, and floor it at ``LOG_FLOOR``.

    .. math:: \theta_i \leftarrow \max\Big(\theta_i - \log \sum_j e^{\theta_j},\
              \text{LOG\_FLOOR}\Big)

    (along axis 0; log-probabilities in nats, shape kept).
    """
    theta = theta - logsumexp(theta, axis=0, xp=xp)
    return xp.clip(theta, min=LOG_FLOOR)


def _extrapolate(theta0: Array, theta1: Array, theta2: Array, xp: Any) -> tuple[Array, float]:
    r = theta1 - theta0
    v = theta2 - 2.0 * theta1 + theta0
    r_norm = math.sqrt(float(xp.sum(r * r)))
    v_norm = math.sqrt(float(xp.sum(v * v)))
    if v_norm == 0.0 or not math.isfinite(r_norm / v_norm):
        return theta2, -1.0
    alpha = min(-r_norm / v_norm, -1.0)
    return theta0 - 2.0 * alpha * r + alpha * alpha * v, alpha


def certified_iteration(
    theta: Array,
    step: Callable[[Array], StepResult],
    *,
    tol: float,
    max_iter: int,
    xp: Any,
    accelerate: bool = True,
) -> FixedPointResult:
    """Iterate ``step`` from ``theta`` until its certified gap is ≤ ``tol``.

    Parameters
    ----------
    theta : array, shape ``(n,)``
        Normalised log-weights to start from.
    step : callable
        The map F; returns the next point, the objective and the certified gap at its input.
    tol : float
        Stop as soon as an evaluated point has ``gap <= tol``.
    max_iter : int
        Budget of map evaluations (each costs one plain iteration).
    accelerate : bool
        Use SQUAREM extrapolation (default) or plain fixed-point steps.

    Returns
    -------
    FixedPointResult with the best certified point; ``converged`` is False if the budget ran out.
    """
    evaluations = 0

    def evaluate(point: Array) -> StepResult:
        nonlocal evaluations
        evaluations += 1
        return step(point)

    current = evaluate(theta)
    while True:
        if current.gap <= tol or evaluations >= max_iter:
            return FixedPointResult(theta, current, evaluations, current.gap <= tol)
        theta1 = current.next_theta
        second = evaluate(theta1)
        if not accelerate or second.gap <= tol or evaluations >= max_iter:
            theta, current = theta1, second
            continue
        jumped, alpha = _extrapolate(theta, theta1, second.next_theta, xp)
        theta, current = _accept_or_fallback(jumped, alpha, theta, theta1, second, evaluate, xp)


def _accept_or_fallback(
    jumped: Array,
    alpha: float,
    theta0: Array,
    theta1: Array,
    second: StepResult,
    evaluate: Callable[[Array], StepResult],
    xp: Any,
) -> tuple[Array, StepResult]:
    """Keep the extrapolated point if its objective is no worse than F(theta0)'s; else back off."""
    for _ in range(3):
        candidate = normalize_log(jumped, xp)
        trial = evaluate(candidate)
        improved = math.isfinite(trial.objective) and trial.objective <= second.objective
        if improved or alpha == -1.0:  # alpha = -1 is two plain steps: monotone by construction
            return candidate, trial
        alpha = (alpha - 1.0) / 2.0
        r = theta1 - theta0
        v = second.next_theta - 2.0 * theta1 + theta0
        jumped = theta0 - 2.0 * alpha * r + alpha * alpha * v
    theta2 = second.next_theta
    return theta2, evaluate(theta2)
