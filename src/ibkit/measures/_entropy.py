"""Entropy, joint entropy, conditional entropy and cross entropy of discrete pmfs."""

from __future__ import annotations

from typing import Any

from .._array import entropy_terms, xlogy
from .._validation import as_pmf
from ._common import in_units, pmf_pair

__all__ = ["conditional_entropy", "cross_entropy", "entropy", "joint_entropy"]


def entropy(p: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False) -> Any:
    r"""Shannon entropy of a pmf (eq. 1 of the reference text).

    .. math:: H(X) = -\sum_x p(x) \log p(x), \qquad 0 \log 0 = 0

    Parameters
    ----------
    p : array_like, shape ``(..., n)``
        pmf over the last axis; leading axes are batch axes.
    base : float
        Logarithm base: 2 gives bits (default), ``numpy.e`` gives nats.
    tol : float, optional
        Allowed deviation of each sum from 1; default ``sqrt(eps)`` of the dtype.
    normalize : bool
        Treat ``p`` as non-negative counts and normalise them first.

    Returns
    -------
    H : shape ``(...)``, in the input's array type; ``0 <= H <= log |X|``.

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, §2.1.
    """
    p, xp = as_pmf(p, name="p", tol=tol, normalize=normalize)
    return in_units(xp.sum(entropy_terms(p, xp), axis=-1), base, xp)


def joint_entropy(
    pxy: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Joint entropy of a joint pmf ``pxy[..., x, y]`` (eq. 2).

    .. math:: H(X, Y) = -\sum_{x, y} p(x, y) \log p(x, y)

    Parameters
    ----------
    pxy : array_like, shape ``(..., n_x, n_y)``
        Joint pmf over the last two axes; leading axes are batch axes.

    Returns
    -------
    H : shape ``(...)``.
    """
    pxy, xp = as_pmf(pxy, name="pxy", event_ndim=2, tol=tol, normalize=normalize)
    return in_units(xp.sum(entropy_terms(pxy, xp), axis=(-2, -1)), base, xp)


def conditional_entropy(
    pxy: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Conditional entropy H(Y|X) of a joint pmf ``pxy[..., x, y]`` (eq. 3).

    .. math:: H(Y|X) = -\sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)} = H(X, Y) - H(X)

    Computed in the direct form, which is non-negative term by term.
    For H(X|Y) pass the transpose ``pxy.swapaxes(-1, -2)``.

    Parameters
    ----------
    pxy : array_like, shape ``(..., n_x, n_y)``
        Joint pmf; axis -2 is the conditioning variable X, axis -1 is Y.

    Returns
    -------
    H : shape ``(...)``.
    """
    pxy, xp = as_pmf(pxy, name="pxy", event_ndim=2, tol=tol, normalize=normalize)
    px = xp.sum(pxy, axis=-1, keepdims=True)
    safe_px = xp.where(px > 0, px, xp.ones_like(px))
    cond = pxy / safe_px  # (..., n_x, n_y): p(y|x)
    return in_units(-xp.sum(xlogy(pxy, cond, xp), axis=(-2, -1)), base, xp)


def cross_entropy(
    p: Any, q: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Cross entropy of ``q`` relative to ``p``.

    .. math:: H(p, q) = -\sum_x p(x) \log q(x) = H(p) + D_{KL}(p \| q)

    It is ``inf`` where ``p`` puts mass outside the support of ``q``.

    Parameters
    ----------
    p, q : array_like, shape ``(..., n)``
        pmfs over the same alphabet; batch axes broadcast.

    Returns
    -------
    H : shape ``broadcast(...)``.
    """
    p, q, xp = pmf_pair(p, q, tol=tol, normalize=normalize)
    outside = xp.any((p > 0) & (q == 0), axis=-1)
    value = -xp.sum(xlogy(p, q, xp), axis=-1)
    return in_units(xp.where(outside, xp.inf, value), base, xp)
