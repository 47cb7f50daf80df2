"""The frozen result of an Information Bottleneck solve and the information it reports."""

from __future__ import annotations

from dataclasses import dataclass

from .._array import Array

__all__ = ["IBSolution"]


@dataclass(frozen=True)
class IBSolution:
    r"""A stationary point of the (generalised) IB functional. Information in units of ``base``.

    .. math:: \mathcal L = H(T) - \alpha H(T|X) - \beta I(T;Y), \qquad
              p(t|x) \propto \exp\big((\log p(t) - \beta D_{KL}[p(y|x)\,\|\,p(y|t)])
              / \alpha\big)

    (β dimensionless, multiplying the relevance I(T;Y); the KL in nats).

    Attributes
    ----------
    encoder : array, shape ``(n_x, n_t)``
        p(t|x), rows sum to 1.
    marginal : array, shape ``(n_t,)``
        p(t) = Σ_x p(x) p(t|x).
    decoder : array, shape ``(n_t, n_y)``
        p(y|t) = Σ_x p(t|x) p(x, y) / p(t) (rows of unused clusters are p(y)).
    I_XT, I_TY, H_T : float
        Compression I(X;T), relevance I(T;Y) and the entropy of the representation H(T).
    objective : float
        H(T) - α H(T|X) - β I(T;Y) (for α = 1 this is I(X;T) - β I(T;Y), eq. 13).
    beta, alpha : float
        Trade-off parameter and generalisation parameter (α = 1: IB, α = 0: DIB).
    iterations : int
    converged : bool
    base : float
    """

    encoder: Array
    marginal: Array
    decoder: Array
    I_XT: float
    I_TY: float
    H_T: float
    objective: float
    beta: float
    alpha: float
    iterations: int
    converged: bool
    base: float = 2.0

    @property
    def n_effective(self) -> int:
        """Number of clusters with p(t) > 1e-12."""
        return int(sum(float(v) > 1e-12 for v in self.marginal))
