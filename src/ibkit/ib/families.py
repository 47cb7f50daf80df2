"""The family of IB curves over several cardinalities of T, with envelope (Figure 3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import measures
from .._validation import as_pmf, check_int
from ..exceptions import InvalidParameterError
from .curve import IBCurve, ib_curve

__all__ = ["InformationCurves", "information_curves"]


@dataclass(frozen=True)
class InformationCurves:
    r"""Annealed curves for several |T|, their upper envelope, and the I(X;Y) bound.

    .. math:: \text{envelope} = \{(I_{XT}, I_{TY}) : \nexists\,(I'_{XT}, I'_{TY}),\
              I'_{XT} \le I_{XT},\ I'_{TY} > I_{TY}\} \le I(X;Y)

    (the Pareto front of all curves' points, arrays of equal length; values in the curves'
    ``base`` units, as ``I_XY`` and ``H_X``).
    """

    curves: dict[int, IBCurve]
    envelope_I_XT: np.ndarray
    envelope_I_TY: np.ndarray
    I_XY: float
    H_X: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: each curve's :meth:`IBCurve.to_dict`, the envelope, I(X;Y), H(X)."""
        return {
            "curves": {str(k): c.to_dict() for k, c in self.curves.items()},
            "envelope": {"I_XT": self.envelope_I_XT.tolist(), "I_TY": self.envelope_I_TY.tolist()},
            "I_XY": self.I_XY,
            "H_X": self.H_X,
        }


def _upper_envelope(points_x: np.ndarray, points_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto front: the points with no other point at ≤ I(X;T) and > I(T;Y)."""
    order = np.lexsort((-points_y, points_x))
    xs, ys, best = [], [], -np.inf
    for i in order:
        if points_y[i] > best + 1e-12:
            xs.append(points_x[i])
            ys.append(points_y[i])
            best = points_y[i]
    return np.array(xs), np.array(ys)


def information_curves(
    pxy: Any,
    cardinalities: Sequence[int] = (2, 3, 4),
    betas: Any = None,
    **options: Any,
) -> InformationCurves:
    r"""IB curves :math:`I(T;Y)` against :math:`I(X;T)` for each |T| in ``cardinalities``.

    Each curve comes from :func:`ib_curve` (forward annealing, same ``betas`` and options).
    Curves for larger |T| coincide with smaller ones up to their bifurcations and then lie
    above them; the envelope is their upper Pareto front, bounded by I(X;Y) (the data of
    Figure 3 of the reference text). Information in units of ``options.get("base", 2)``.
    """
    pxy, _ = as_pmf(pxy, name="pxy", event_ndim=2, batch=False)
    sizes = [check_int(k, "cardinalities", minimum=1) for k in cardinalities]
    if not sizes:
        raise InvalidParameterError("cardinalities must hold at least one |T|; got none")
    curves = {k: ib_curve(pxy, k, betas, **options) for k in dict.fromkeys(sizes)}
    all_x = np.concatenate([c.I_XT for c in curves.values()])
    all_y = np.concatenate([c.I_TY for c in curves.values()])
    env_x, env_y = _upper_envelope(all_x, all_y)
    base = options.get("base", 2.0)
    return InformationCurves(
        curves=curves,
        envelope_I_XT=env_x,
        envelope_I_TY=env_y,
        I_XY=float(measures.mutual_information(pxy, base=base)),
        H_X=float(measures.entropy(np.sum(np.asarray(pxy), axis=1), base=base)),
    )
