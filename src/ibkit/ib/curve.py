"""Information curves by deterministic annealing, with the bifurcations found on the way."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import array_api_compat
import numpy as np

from .._array import Array, get_namespace, to_numpy
from .._io import write_csv
from .._validation import as_pmf, check_base, check_beta, check_choice, check_int, check_positive
from ..exceptions import ConvergenceWarning, InvalidParameterError
from ._iterative import IBState, Monitor
from ._solution import IBSolution
from ._split import SplitProbe
from .bottleneck import solve_from
from .critical import critical_beta

__all__ = ["Bifurcation", "IBCurve", "count_clusters", "ib_curve"]

Callback = Callable[[int, int, IBSolution], None]


@dataclass(frozen=True)
class Bifurcation:
    """Where the number of distinct clusters grows along a forward-annealed curve.

    ``beta`` is the dimensionless trade-off β (multiplying I(T;Y)) of the split; ``n_before``,
    ``n_after`` the :func:`count_clusters` below and above it.
    """

    beta: float  # first β (after refinement) at which the annealed solution splits
    n_before: int
    n_after: int


@dataclass(frozen=True)
class IBCurve:
    r"""An annealed IB curve: arrays of shape ``(n_points,)``, sorted by increasing β.

    .. math:: \text{objective} = H(T) - \alpha H(T|X) - \beta I(T;Y)

    ``I_XT``, ``I_TY``, ``H_T`` and ``objective`` are in units of ``base`` (2: bits);
    ``n_effective`` counts the distinct clusters at each β; ``encoders`` (optional) holds each
    p(t|x) of shape ``(n_x, n_clusters)``.
    """

    beta: np.ndarray
    I_XT: np.ndarray
    I_TY: np.ndarray
    H_T: np.ndarray
    n_effective: np.ndarray
    objective: np.ndarray
    n_clusters: int
    alpha: float = 1.0
    base: float = 2.0
    bifurcations: tuple[Bifurcation, ...] = ()
    encoders: tuple[Array, ...] | None = field(default=None, repr=False)

    def columns(self) -> dict[str, np.ndarray]:
        """The per-β arrays ``(n_points,)`` by name (``beta``, ``I_XT``, ... ``objective``)."""
        return {
            "beta": self.beta,
            "I_XT": self.I_XT,
            "I_TY": self.I_TY,
            "H_T": self.H_T,
            "n_effective": self.n_effective,
            "objective": self.objective,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able lists of :meth:`columns` plus ``n_clusters``, ``alpha``, ``base``, splits."""
        out: dict[str, Any] = {k: v.tolist() for k, v in self.columns().items()}
        out.update(n_clusters=self.n_clusters, alpha=self.alpha, base=self.base)
        out["bifurcations"] = [vars(b) for b in self.bifurcations]
        return out

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`columns` to ``path`` (atomic), one row per β; returns the path."""
        return write_csv(path, self.columns())


def count_clusters(solution: IBSolution, *, merge_tol: float = 1e-3, min_mass: float = 1e-8) -> int:
    r"""Distinct clusters: used ones (p(t) > ``min_mass``) whose decoders p(y|t) differ by more
    than ``merge_tol`` (max-norm) from every earlier distinct one.

    .. math:: n = \#\{t : p(t) > m,\ \max_y |p(y|t) - p(y|t')| > \epsilon\
              \forall\,\text{earlier distinct } t'\}

    ``solution.marginal``: ``(n_t,)``; ``solution.decoder``: ``(n_t, n_y)``.
    """
    marginal = to_numpy(solution.marginal)
    decoder = to_numpy(solution.decoder)
    distinct: list[np.ndarray] = []
    for t in np.flatnonzero(marginal > min_mass):
        if all(np.max(np.abs(decoder[t] - d)) > merge_tol for d in distinct):
            distinct.append(decoder[t])
    return len(distinct)


def _perturbed(encoder: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative noise so that identical clusters can split (symmetry breaking)."""
    noisy = encoder * (1.0 + scale * rng.uniform(-1.0, 1.0, size=encoder.shape))
    noisy = np.maximum(noisy, 1e-300)
    return noisy / noisy.sum(axis=1, keepdims=True)


class _Annealer:
    """Solves at one β from the previous encoder (perturbed), with fixed options; the
    problem's fixed data (p(x), p(y|x), ...) are computed once for the whole curve."""

    def __init__(self, pxy: Array, n_t: int, opts: dict[str, Any], rng: np.random.Generator):
        self.pxy, self.n_t, self.opts, self.rng = pxy, n_t, opts, rng
        self.xp = get_namespace(pxy)
        self.state = IBState(pxy, self.xp)

    def solve(
        self, beta: float, encoder: np.ndarray, *, probe: Monitor | None = None
    ) -> IBSolution:
        """One warm-started solve. A bisection ``probe`` (a monitor that stops the iterations
        once it can tell whether a cluster splits) runs looser and silences the critical
        slowing-down near the transition itself."""
        init = self.xp.asarray(  # on pxy's device (a CUDA tensor stays there)
            _perturbed(encoder, self.opts["perturbation"], self.rng),
            device=array_api_compat.device(self.pxy),
        )
        tol, max_iter = self.opts["tol"], self.opts["max_iter"]
        if probe is not None:
            tol, max_iter = max(tol, 1e-8), min(max_iter, 5_000)
        alpha, base = self.opts["alpha"], self.opts["base"]
        sol = solve_from(self.state, [init], beta, alpha, tol, max_iter, base, probe)
        if probe is None and not sol.converged:
            warnings.warn(
                f"ib_curve stopped at max_iter={max_iter} (beta={beta:g}, alpha={alpha:g}); "
                f"the encoder still moves by more than tol={tol:g}",
                ConvergenceWarning,
                stacklevel=4,
            )
        return sol


def _auto_betas(pxy: Array, n_points: int) -> np.ndarray:
    beta_c = critical_beta(pxy)
    if not math.isfinite(beta_c):
        return np.geomspace(0.1, 100.0, n_points)
    return np.geomspace(beta_c / 2.0, beta_c * 300.0, n_points)


def ib_curve(
    pxy: Any,
    n_clusters: int,
    betas: Any = None,
    *,
    anneal: str = "forward",
    alpha: float = 1.0,
    n_points: int = 40,
    perturbation: float = 1e-3,
    merge_tol: float = 1e-3,
    refine_bifurcations: int = 12,
    restarts: int = 0,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    seed: Any = None,
    base: float = 2.0,
    keep_encoders: bool = False,
    callback: Callback | None = None,
) -> IBCurve:
    r"""Trace the IB curve (I(X;T), I(T;Y)) by deterministic annealing over β.

    At each β of the grid it solves (eq. 13 for α = 1; β multiplies I(T;Y), in bits with
    ``base=2``)

    .. math:: \min_{p(t|x)}\ H(T) - \alpha H(T|X) - \beta I(T;Y)

    Forward annealing starts from the trivial one-cluster solution at the smallest β and
    warm-starts each β from the previous encoder with a small multiplicative perturbation,
    so that clusters split when the current solution loses stability (a second-order phase
    transition of the IB functional, §3.2 and Figure 3). Reverse annealing starts from a
    random hard clustering at the largest β and lowers β. Where the number of distinct
    clusters grows between two grid points, the β of the split is refined by bisection
    (``refine_bifurcations`` halvings) and reported in ``bifurcations``. Each bisection probe
    restarts the annealed solution below the split, perturbed, at the middle β and stops as
    soon as the spread between its copies of a cluster exceeds ``merge_tol`` or grows or
    decays at a settled rate (the solution has lost, or kept, its stability); undecided
    probes count the clusters of their solution.

    Parameters
    ----------
    pxy : array_like, shape ``(n_x, n_y)``
        Joint pmf.
    n_clusters : int
        Cardinality |T|.
    betas : array_like, optional
        Increasing β grid. Default: ``n_points`` geometric points from β_c/2 to 300 β_c
        (β_c = :func:`critical_beta`), then ``n_points // 2`` more at the midpoints of the
        largest steps of the curve in the information plane (where it changes fast).
    anneal : {"forward", "reverse"}
    perturbation : float
        Relative size of the symmetry-breaking noise added at each step.
    merge_tol : float
        Clusters whose decoders p(y|t) agree within this max-norm count as one.
    restarts : int
        Random-start solves per β besides the annealed one; the lower objective is kept (the
        trivial solution can stop being globally optimal before it loses stability).

    Returns
    -------
    IBCurve

    References
    ----------
    Tishby, Pereira & Bialek (2000); Slonim (2002), PhD thesis, ch. 3 (deterministic
    annealing); Rose (1998), "Deterministic annealing for clustering...".
    """
    pxy, _ = as_pmf(pxy, name="pxy", event_ndim=2, batch=False)
    n_t = check_int(n_clusters, "n_clusters", minimum=1)
    anneal = check_choice(anneal, "anneal", ("forward", "reverse"))
    opts = {
        "alpha": check_beta(alpha, "alpha"),
        "perturbation": check_positive(perturbation, "perturbation"),
        "tol": check_positive(tol, "tol"),
        "max_iter": check_int(max_iter, "max_iter", minimum=1),
        "base": check_base(base),
    }
    merge_tol = check_positive(merge_tol, "merge_tol")
    refine = check_int(refine_bifurcations, "refine_bifurcations", minimum=0)
    auto = betas is None
    grid = _beta_grid(pxy, betas, check_int(n_points, "n_points", minimum=2))
    restarts = check_int(restarts, "restarts", minimum=0)
    annealer = _Annealer(pxy, n_t, opts, np.random.default_rng(seed))
    solutions = _sweep(annealer, grid, anneal, restarts, callback)
    if auto:  # refine where the curve moves fast: midpoints of the steepest steps
        grid, solutions = _refine_grid(annealer, grid, solutions, n_points // 2, restarts)
    counts = np.array([count_clusters(s, merge_tol=merge_tol) for s in solutions])
    bifurcations = _bifurcations(grid, solutions, counts, annealer, merge_tol, refine)
    return IBCurve(
        beta=grid,
        I_XT=np.array([s.I_XT for s in solutions]),
        I_TY=np.array([s.I_TY for s in solutions]),
        H_T=np.array([s.H_T for s in solutions]),
        n_effective=counts,
        objective=np.array([s.objective for s in solutions]),
        n_clusters=n_t,
        alpha=opts["alpha"],
        base=opts["base"],
        bifurcations=bifurcations,
        encoders=tuple(s.encoder for s in solutions) if keep_encoders else None,
    )


def _better(annealer: _Annealer, beta: float, sol: IBSolution, restarts: int) -> IBSolution:
    """The annealed solution, or a random restart's if that has a lower objective."""
    for _ in range(restarts):
        start = annealer.rng.dirichlet(np.ones(annealer.n_t), size=int(annealer.pxy.shape[0]))
        other = annealer.solve(beta, start)
        if other.objective < sol.objective - 1e-12:
            sol = other
    return sol


def _sweep(
    annealer: _Annealer, grid: np.ndarray, anneal: str, restarts: int, callback: Callback | None
) -> list[IBSolution]:
    order = grid if anneal == "forward" else grid[::-1]
    encoder = _start_encoder(int(annealer.pxy.shape[0]), annealer.n_t, anneal, annealer.rng)
    solutions: list[IBSolution] = []
    for index, beta in enumerate(order):
        sol = _better(annealer, float(beta), annealer.solve(float(beta), encoder), restarts)
        encoder = to_numpy(sol.encoder)
        solutions.append(sol)
        if callback is not None:
            callback(index, len(order), sol)
    return solutions[::-1] if anneal == "reverse" else solutions


def _refine_grid(
    annealer: _Annealer,
    grid: np.ndarray,
    solutions: list[IBSolution],
    budget: int,
    restarts: int,
) -> tuple[np.ndarray, list[IBSolution]]:
    """Insert the geometric midpoints of the ``budget`` largest steps in the information plane,
    each solved from its left neighbour (forward annealing continues through it)."""
    xt = np.array([s.I_XT for s in solutions])
    ty = np.array([s.I_TY for s in solutions])
    steps = np.hypot(np.diff(xt) / max(np.ptp(xt), 1e-12), np.diff(ty) / max(np.ptp(ty), 1e-12))
    chosen = sorted(np.argsort(steps)[::-1][:budget])
    new_grid, new_solutions = [grid[0]], [solutions[0]]
    for i in range(1, len(grid)):
        if i - 1 in chosen and steps[i - 1] > 0:
            mid = math.sqrt(grid[i - 1] * grid[i]) if grid[i - 1] > 0 else grid[i] / 2
            start = to_numpy(solutions[i - 1].encoder)
            new_grid.append(mid)
            new_solutions.append(_better(annealer, mid, annealer.solve(mid, start), restarts))
        new_grid.append(grid[i])
        new_solutions.append(solutions[i])
    return np.array(new_grid), new_solutions


def _beta_grid(pxy: Array, betas: Any, n_points: int) -> np.ndarray:
    if betas is None:
        return _auto_betas(pxy, n_points)
    values = np.atleast_1d(np.asarray(betas, dtype=object)).ravel()
    grid = np.array([check_beta(b, "betas") for b in values], dtype=float)
    if grid.size == 0:
        raise InvalidParameterError("betas must hold at least one value; got an empty sequence")
    if np.any(np.diff(grid) <= 0):
        raise InvalidParameterError(f"betas must be strictly increasing; got {grid.tolist()}")
    return grid


def _start_encoder(n_x: int, n_t: int, anneal: str, rng: np.random.Generator) -> np.ndarray:
    if anneal == "forward":
        return np.full((n_x, n_t), 1.0 / n_t)  # the trivial solution; noise breaks symmetry
    hard = np.zeros((n_x, n_t))
    hard[np.arange(n_x), rng.integers(0, n_t, size=n_x)] = 1.0
    return 0.9 * hard + 0.1 / n_t


def _bifurcations(
    grid: np.ndarray,
    solutions: list[IBSolution],
    counts: np.ndarray,
    annealer: _Annealer,
    merge_tol: float,
    refine: int,
) -> tuple[Bifurcation, ...]:
    found = []
    for i in np.flatnonzero(np.diff(counts) > 0):
        lo, hi = float(grid[i]), float(grid[i + 1])
        start = to_numpy(solutions[i].encoder)
        monitor = SplitProbe(solutions[i], merge_tol)
        for _ in range(refine):
            mid = math.sqrt(lo * hi) if lo > 0 else hi / 2.0
            probe = annealer.solve(mid, start, probe=monitor.reset())
            split = monitor.split
            if split is None:  # converged or out of iterations: count the clusters
                split = count_clusters(probe, merge_tol=merge_tol) > counts[i]
            if split:
                hi = mid
            else:
                lo = mid
        found.append(Bifurcation(beta=hi, n_before=int(counts[i]), n_after=int(counts[i + 1])))
    return tuple(found)
