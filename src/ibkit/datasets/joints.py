"""Built-in joint distributions p(x, y) for the IB solvers."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_positive

__all__ = ["clustered_joint", "dirichlet_joint"]


def clustered_joint(
    n_x: int = 24, n_y: int = 12, n_groups: int = 4, *, noise: float = 0.3, seed: int = 0
) -> np.ndarray:
    r"""A joint whose rows come in ``n_groups`` groups sharing a noisy prototype p(y|x).

    Each group's prototype is drawn from a sparse Dirichlet; each row mixes its prototype with
    ``noise`` of a row-specific Dirichlet draw; p(x) is uniform. IB recovers the groups, and the
    annealed curves split hierarchically (Figure 3). Returns an array of shape ``(n_x, n_y)``.

    .. math:: p(x, y) = \frac{1}{n_x}\big[(1 - \eta)\,\pi_{g(x)}(y) + \eta\, u_x(y)\big],
              \quad \pi_g \sim \mathrm{Dir}(\tfrac12 \mathbf 1),\ u_x \sim \mathrm{Dir}(\mathbf 1),
              \ g(x) = x \bmod G

    (η = ``noise``, G = ``n_groups``; a pmf, no units).
    """
    n_x, n_y = check_int(n_x, "n_x", minimum=1), check_int(n_y, "n_y", minimum=1)
    n_groups = check_int(n_groups, "n_groups", minimum=1)
    noise = check_positive(noise, "noise")
    rng = np.random.default_rng(seed)
    prototypes = rng.dirichlet(np.full(n_y, 0.5), size=n_groups)  # (n_groups, n_y)
    groups = np.arange(n_x) % n_groups
    rows = (1 - noise) * prototypes[groups] + noise * rng.dirichlet(np.ones(n_y), size=n_x)
    return rows / rows.sum() if n_x else rows


def dirichlet_joint(n_x: int, n_y: int, *, concentration: float = 1.0, seed: int = 0) -> np.ndarray:
    r"""A random joint p(x, y) ``(n_x, n_y)`` drawn from a symmetric Dirichlet.

    .. math:: \mathrm{vec}(p) \sim \mathrm{Dir}(c\,\mathbf 1_{n_x n_y}), \quad c =
              \text{concentration}
    """
    n_x, n_y = check_int(n_x, "n_x", minimum=1), check_int(n_y, "n_y", minimum=1)
    concentration = check_positive(concentration, "concentration")
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(n_x * n_y, concentration)).reshape(n_x, n_y)
