"""Factor-level oracle representations on the dSprites factor grid (no images needed)."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit.datasets import ProceduralDSprites

N_ROWS = 1500  # rows of the i.i.d. factor sample the array-form oracles use
K = 5  # dSprites' factors: shape 3, scale 6, orientation 40, posX 32, posY 32


def rotation(k: int, seed: int = 1) -> np.ndarray:
    """A fixed random orthogonal matrix (k, k)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(k, k)))
    return q * np.sign(np.diag(r))


def representations(factors: np.ndarray) -> dict[str, np.ndarray]:
    """identity, random (independent of factors), duplicated, rotated (mixed) identity."""
    f = factors.astype(np.float64)
    standard = (f - f.mean(axis=0)) / f.std(axis=0)
    return {
        "identity": f,
        "random": np.random.default_rng(2).normal(size=f.shape),
        "duplicated": np.concatenate([f, f], axis=1),
        "rotated": standard @ rotation(f.shape[1]),
    }


@pytest.fixture(scope="session")
def dsprites() -> ProceduralDSprites:
    return ProceduralDSprites()


@pytest.fixture(scope="session")
def grid_sample(dsprites) -> np.ndarray:
    """N_ROWS factor rows drawn uniformly from the dSprites grid, (N_ROWS, 5)."""
    return dsprites.sample_factors(N_ROWS, np.random.default_rng(0))


@pytest.fixture(scope="session")
def reps(grid_sample) -> dict[str, np.ndarray]:
    return representations(grid_sample)


class FactorObservations:
    """The dSprites factor protocol whose 'observations' are the factor rows themselves,
    so a representation_fn can be a function of the factors (fast, no rendering)."""

    def __init__(self) -> None:
        self._ds = ProceduralDSprites()
        self.factor_names = self._ds.factor_names
        self.factor_sizes = self._ds.factor_sizes

    def sample_factors(self, n, rng=None):
        return self._ds.sample_factors(n, rng)

    def observations_from_factors(self, factors):
        return np.asarray(factors, dtype=np.float64)


@pytest.fixture(scope="session")
def factor_dataset() -> FactorObservations:
    return FactorObservations()
