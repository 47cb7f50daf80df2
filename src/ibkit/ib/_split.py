r"""Early decisions for the bisection probes of :func:`ibkit.ib.ib_curve`: does a cluster split?

A probe restarts the annealed solution below a bifurcation, perturbed, at a larger β. Its
clusters form groups of copies (decoders p(y|t) equal within ``merge_tol``); the spread

.. math:: s_k = \max_{g} \max_{t \in g} \| p_k(y|t) - \bar p_k(y|g) \|_\infty

measures, after k iterations, how far the copies of each group have moved apart. Near the
symmetric fixed point it evolves linearly, :math:`s_k \approx c\,\lambda^k`, where λ is the
leading eigenvalue of the iteration map on the splitting directions: λ < 1 while the solution
is stable, λ > 1 once it has lost stability (the second-order phase transition, §3.2). The
probe stops as soon as the spread exceeds ``merge_tol`` (a split by :func:`count_clusters`'
measure), or falls to rounding level, or as soon as its growth rate per ``lag`` checks has
settled (three successive ratios on the same side of 1 and agreeing within a small fraction
of their distance from 1), and reports that λ > 1 or λ < 1. Undecided probes (converged or out
of iterations) fall back to counting the clusters of the solution.

References
----------
Rose (1998), "Deterministic annealing for clustering, compression, classification,
regression, and related optimization problems", Proc. IEEE 86(11) (critical temperatures).
Zaslavsky & Tishby (2019), "Deterministic annealing and the evolution of information
bottleneck representations" (the IB's bifurcations as loss of stability).
"""

from __future__ import annotations

import array_api_compat
import numpy as np

from .._array import Array, to_numpy
from ._solution import IBSolution

__all__ = ["SplitProbe"]

_ROUNDING = 1e-12  # spreads below this have decayed to rounding error: no split
_LAG = 2  # checks between the two ends of one growth ratio


def copy_groups(solution: IBSolution, merge_tol: float, min_mass: float = 1e-8) -> list[np.ndarray]:
    """Index arrays of the used clusters whose decoders agree within ``merge_tol`` with the
    first of their group (as :func:`count_clusters` merges them); groups of one omitted."""
    marginal, decoder = to_numpy(solution.marginal), to_numpy(solution.decoder)
    heads: list[int] = []
    members: list[list[int]] = []
    for t in np.flatnonzero(marginal > min_mass):
        for head, group in zip(heads, members, strict=True):
            if np.max(np.abs(decoder[t] - decoder[head])) <= merge_tol:
                group.append(int(t))
                break
        else:
            heads.append(int(t))
            members.append([int(t)])
    return [np.array(g) for g in members if len(g) > 1]


def spread(decoder: Array, groups: list[Array]) -> float:
    """s: the largest max-norm distance of a member's p(y|t) from its group's mean (computed
    in the decoder's namespace and device; ``groups`` are index arrays there)."""
    xp = array_api_compat.array_namespace(decoder)
    values = []
    for g in groups:
        rows = xp.take(decoder, g, axis=0)  # (k, n_y)
        values.append(float(xp.max(xp.abs(rows - xp.mean(rows, axis=0)))))  # one read each
    return max(values, default=0.0)


class SplitProbe:
    """A monitor for :func:`run_iterations`; ``split`` is True, False or None (undecided)."""

    def __init__(self, solution: IBSolution, merge_tol: float) -> None:
        xp = array_api_compat.array_namespace(solution.decoder)
        dev = array_api_compat.device(solution.decoder)
        self.groups = [xp.asarray(g, device=dev) for g in copy_groups(solution, merge_tol)]
        self.merge_tol = merge_tol
        self.base = spread(solution.decoder, self.groups)  # the start's own spread
        self.history: list[float] = []
        self.split: bool | None = None

    def reset(self) -> SplitProbe:
        self.history, self.split = [], None
        return self

    def __call__(self, iteration: int, marginal: Array, decoder: Array) -> bool:
        if not self.groups:  # no copies: nothing can split
            self.split = False
            return True
        s = spread(decoder, self.groups)  # on the device: no copy of the decoder
        self.history.append(s)
        if s > self.merge_tol:
            self.split = True
        elif s < _ROUNDING:
            self.split = False
        elif len(self.history) > 3 * _LAG:
            self.split = self._settled_rate()
        return self.split is not None

    def _settled_rate(self) -> bool | None:
        """True / False once the growth ratio has settled above / below 1, else None."""
        h = self.history
        r2, r1, r0 = (h[-1 - k * _LAG] / h[-1 - (k + 1) * _LAG] for k in range(3))
        distance = abs(r2 - 1.0)
        same_side = (r2 > 1) == (r1 > 1) == (r0 > 1)
        settled = abs(r2 - r1) <= 0.05 * distance and abs(r1 - r0) <= 0.1 * distance
        if not (same_side and settled and distance > 0):
            return None
        if r2 > 1 and h[-1] <= 2 * self.base:  # growing back to the start's own split
            return None
        return r2 > 1
