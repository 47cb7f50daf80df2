"""Information Bottleneck solvers (NumPy / array-API core; no torch import)."""

from ._solution import IBSolution
from .agglomerative import AgglomerativeIBResult, agglomerative_ib
from .batched import IBBatchSolution, information_bottleneck_batch
from .bottleneck import information_bottleneck
from .critical import critical_beta, maximal_correlation
from .curve import Bifurcation, IBCurve, count_clusters, ib_curve
from .families import InformationCurves, information_curves
from .gaussian import GaussianIBCurve, GaussianIBSolution, gaussian_ib, gaussian_ib_curve
from .sequential import SequentialIBResult, sequential_ib

_ESTIMATORS = {"InformationBottleneck", "SequentialIB"}


def __getattr__(name: str):  # scikit-learn is imported only when an estimator is asked for
    if name in _ESTIMATORS:
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AgglomerativeIBResult",
    "Bifurcation",
    "GaussianIBCurve",
    "GaussianIBSolution",
    "IBBatchSolution",
    "IBCurve",
    "IBSolution",
    "InformationBottleneck",
    "InformationCurves",
    "SequentialIB",
    "SequentialIBResult",
    "agglomerative_ib",
    "count_clusters",
    "critical_beta",
    "gaussian_ib",
    "gaussian_ib_curve",
    "ib_curve",
    "information_bottleneck",
    "information_bottleneck_batch",
    "information_curves",
    "maximal_correlation",
    "sequential_ib",
]
