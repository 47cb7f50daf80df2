r"""Procedural 2-D toy data for diffusion models: two moons and a ring of Gaussians (NumPy only).

Both generators are seeded, return float32 arrays of shape ``(n, 2)`` scaled to roughly unit
variance per coordinate, and need nothing beyond NumPy.

References
----------
Pedregosa et al. (2011), scikit-learn ``make_moons`` (the same two half-circles).
Grathwohl et al. (2019), "FFJORD" (the ring of eight Gaussians as a standard 2-D benchmark).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_positive

__all__ = ["TOY2D", "gaussian_mixture_2d", "toy2d", "two_moons"]


def _rng(seed: Any) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def two_moons(n: int, *, noise: float = 0.05, seed: Any = 0) -> np.ndarray:
    r"""Two interleaved half-circles with isotropic Gaussian noise, centred and scaled.

    .. math:: x = (\cos\theta, \sin\theta)\ \text{or}\ (1 - \cos\theta,\ \tfrac12 - \sin\theta),
              \quad \theta \sim U[0, \pi],\ \text{then}\ x \leftarrow 2(x - c) + \sigma\varepsilon

    Parameters
    ----------
    n : int
        Number of points (≥ 1); the two moons get ``⌈n/2⌉`` and ``⌊n/2⌋``.
    noise : float
        Standard deviation σ of the added noise, in the output's units (> 0).
    seed : int or numpy Generator

    Returns
    -------
    ndarray of float32, shape ``(n, 2)``
        The points in a random order, centred at the origin: x₁ within about ±3, x₂ within
        about ±1.6.
    """
    n = check_int(n, "n", minimum=1)
    noise = check_positive(noise, "noise")
    rng = _rng(seed)
    n_upper = (n + 1) // 2
    theta = rng.uniform(0.0, np.pi, size=n)  # (n,)
    upper = np.stack([np.cos(theta), np.sin(theta)], axis=1)  # (n, 2)
    lower = np.stack([1.0 - np.cos(theta), 0.5 - np.sin(theta)], axis=1)  # (n, 2)
    x = np.where((np.arange(n) < n_upper)[:, None], upper, lower)  # (n, 2)
    x = 2.0 * (x - np.array([0.5, 0.25])) + noise * rng.standard_normal((n, 2))
    return x[rng.permutation(n)].astype(np.float32)


def gaussian_mixture_2d(
    n: int, *, n_components: int = 8, radius: float = 2.0, std: float = 0.1, seed: Any = 0
) -> np.ndarray:
    r"""Equal-weight Gaussians with means evenly spaced on a circle.

    .. math:: x = r(\cos\tfrac{2\pi k}{K}, \sin\tfrac{2\pi k}{K}) + s\,\varepsilon,\quad
              k \sim U\{0, \dots, K - 1\}

    Parameters
    ----------
    n : int
        Number of points (≥ 1).
    n_components : int
        K ≥ 1.
    radius, std : float
        r and s (> 0), in the output's units.
    seed : int or numpy Generator

    Returns
    -------
    ndarray of float32, shape ``(n, 2)``
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(n_components, "n_components", minimum=1)
    radius = check_positive(radius, "radius")
    std = check_positive(std, "std")
    rng = _rng(seed)
    comp = rng.integers(0, k, size=n)  # (n,)
    angle = 2.0 * np.pi * comp / k
    means = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return (means + std * rng.standard_normal((n, 2))).astype(np.float32)


TOY2D = {"moons": two_moons, "gaussian-mixture": gaussian_mixture_2d}


def toy2d(name: str, n: int, *, seed: Any = 0) -> np.ndarray:
    """The named toy data set (``"moons"`` or ``"gaussian-mixture"``), shape ``(n, 2)``.

    A dispatcher: the formulas are those of :func:`two_moons` and :func:`gaussian_mixture_2d`.
    """
    return TOY2D[check_choice(name, "name", tuple(TOY2D))](n, seed=seed)
