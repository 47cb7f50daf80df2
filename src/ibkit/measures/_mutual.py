"""Mutual information and conditional mutual information of joint pmfs."""

from __future__ import annotations

from typing import Any

from .._validation import as_pmf
from ._common import in_units, log0

__all__ = ["conditional_mutual_information", "mutual_information"]


def mutual_information(
    pxy: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Mutual information of a joint pmf ``pxy[..., x, y]`` (eq. 5–6).

    .. math:: I(X; Y) = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x) p(y)}
              = H(X) + H(Y) - H(X, Y)

    Rounding below zero is clipped to 0, so ``I >= 0`` always.

    Parameters
    ----------
    pxy : array_like, shape ``(..., n_x, n_y)``
        Joint pmf over the last two axes; leading axes are batch axes.
    base : float
        2 for bits (default), ``numpy.e`` for nats.

    Returns
    -------
    I : shape ``(...)``; ``0 <= I <= min(H(X), H(Y))``.

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, §2.4.
    """
    pxy, xp = as_pmf(pxy, name="pxy", event_ndim=2, tol=tol, normalize=normalize)
    px = xp.sum(pxy, axis=-1, keepdims=True)  # (..., n_x, 1)
    py = xp.sum(pxy, axis=-2, keepdims=True)  # (..., 1, n_y)
    log_ratio = log0(pxy, xp) - log0(px, xp) - log0(py, xp)  # log p(x,y)/(p(x)p(y)) where p > 0
    value = xp.sum(pxy * log_ratio, axis=(-2, -1))
    return in_units(xp.clip(value, min=0.0), base, xp)


def conditional_mutual_information(
    pxyz: Any, *, base: float = 2.0, tol: float | None = None, normalize: bool = False
) -> Any:
    r"""Conditional mutual information I(X;Y|Z) of a joint pmf ``pxyz[..., x, y, z]``.

    .. math:: I(X; Y | Z) = \sum_{x,y,z} p(x,y,z)
              \log \frac{p(z)\, p(x,y,z)}{p(x,z)\, p(y,z)}

    Parameters
    ----------
    pxyz : array_like, shape ``(..., n_x, n_y, n_z)``
        Joint pmf over the last three axes; leading axes are batch axes.

    Returns
    -------
    I : shape ``(...)``, ``>= 0``; zero iff X and Y are independent given Z.
    """
    pxyz, xp = as_pmf(pxyz, name="pxyz", event_ndim=3, tol=tol, normalize=normalize)
    pxz = xp.sum(pxyz, axis=-2, keepdims=True)  # (..., n_x, 1, n_z)
    pyz = xp.sum(pxyz, axis=-3, keepdims=True)  # (..., 1, n_y, n_z)
    pz = xp.sum(pyz, axis=-2, keepdims=True)  # (..., 1, 1, n_z)
    # In the log domain: the products p(z) p(x,y,z) and p(x,z) p(y,z) could underflow.
    log_ratio = log0(pxyz, xp) + log0(pz, xp) - log0(pxz, xp) - log0(pyz, xp)
    value = xp.sum(pxyz * log_ratio, axis=(-3, -2, -1))
    return in_units(xp.clip(value, min=0.0), base, xp)
