"""Where the metrics get their samples: a ground-truth dataset encoded by a representation
function (``compute_*``), or a fixed pool of ``(codes, factors)`` rows (the array forms).

Two sampling schemes are needed besides i.i.d. rows:

* fixed-factor batches (FactorVAE): pick a factor k, draw ``batch`` factor rows that all
  share one value of factor k, the other factors varying freely;
* fixed-factor pairs (β-VAE): pick a factor k, draw ``batch`` pairs of rows, the two rows
  of a pair sharing the value of factor k.

From a dataset the rows are fresh draws of ``sample_factors`` with column k overwritten, as
in disentanglement_lib. From a pool they are drawn uniformly, with replacement, among the
pool rows with the required value; when the pool is an i.i.d. uniform sample of the factor
grid this has the same distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int
from ..exceptions import IBKitError, InvalidParameterError, ShapeMismatchError
from ._common import RepresentationFn

__all__ = ["GroundTruthSource", "PoolSource"]

CHUNK = 1024  # observations rendered and encoded at once


class GroundTruthSource:
    """Codes of a ground-truth dataset under a representation function.

    ``dataset`` follows the ground-truth protocol (``factor_sizes``, ``sample_factors(n, rng)``,
    ``observations_from_factors(factors)``); ``representation_fn`` maps a batch of
    observations ``(m, ...)`` to codes ``(m, d)`` (anything ``numpy.asarray`` accepts).
    """

    def __init__(self, representation_fn: RepresentationFn, dataset: Any, chunk: int = CHUNK):
        if not callable(representation_fn):
            raise InvalidParameterError(
                f"representation_fn must be callable; got {type(representation_fn).__name__}"
            )
        for attr in ("factor_sizes", "sample_factors", "observations_from_factors"):
            if not hasattr(dataset, attr):
                raise InvalidParameterError(
                    f"dataset must provide factor_sizes, sample_factors and "
                    f"observations_from_factors; {type(dataset).__name__} lacks {attr!r}"
                )
        self.representation_fn = representation_fn
        self.dataset = dataset
        self.chunk = check_int(chunk, "chunk", minimum=1)
        self.num_factors = len(dataset.factor_sizes)
        self._dim: int | None = None

    def encode(self, factors: np.ndarray) -> np.ndarray:
        """Codes ``(n, d)`` float64 of the observations of ``factors`` ``(n, K)``."""
        parts = []
        for start in range(0, factors.shape[0], self.chunk):
            rows = factors[start : start + self.chunk]
            obs = self.dataset.observations_from_factors(rows)
            parts.append(self._check(self.representation_fn(obs), rows.shape[0]))
        return np.concatenate(parts, axis=0)

    def _check(self, out: Any, m: int) -> np.ndarray:
        try:
            z = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise IBKitError(f"representation_fn must return numbers; got {type(out)}") from err
        if z.ndim != 2 or z.shape[0] != m or (self._dim is not None and z.shape[1] != self._dim):
            want = f"({m}, {self._dim if self._dim is not None else 'd'})"
            raise ShapeMismatchError(
                f"representation_fn must map {m} observations to codes of shape {want}; "
                f"got shape {z.shape}"
            )
        if not np.all(np.isfinite(z)):
            raise IBKitError("representation_fn returned non-finite codes (NaN or inf)")
        self._dim = z.shape[1]
        return z

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.dataset.sample_factors(n, rng), dtype=np.int64)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(codes (n, d), factors (n, K))`` of n i.i.d. draws."""
        factors = self.sample_factors(n, rng)
        return self.encode(factors), factors

    def fixed_batches(
        self, n_points: int, batch: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(k (n_points,), codes (n_points, batch, d))``: factor k fixed within a batch."""
        ks = rng.integers(0, self.num_factors, size=n_points)
        f = self.sample_factors(n_points * batch, rng).reshape(n_points, batch, -1)
        idx = np.arange(n_points)
        f[idx, :, ks] = f[idx, 0, ks][:, None]  # (n_points, batch)
        codes = self.encode(f.reshape(n_points * batch, -1))  # (n_points * batch, d)
        return ks, codes.reshape(n_points, batch, -1)

    def fixed_pairs(
        self, n_points: int, batch: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(k, codes1, codes2)``, codes ``(n_points, batch, d)``: pairs share factor k."""
        ks = rng.integers(0, self.num_factors, size=n_points)
        f1 = self.sample_factors(n_points * batch, rng).reshape(n_points, batch, -1)
        f2 = self.sample_factors(n_points * batch, rng).reshape(n_points, batch, -1)
        idx = np.arange(n_points)
        f2[idx, :, ks] = f1[idx, :, ks]  # (n_points, batch)
        z1 = self.encode(f1.reshape(n_points * batch, -1)).reshape(n_points, batch, -1)
        z2 = self.encode(f2.reshape(n_points * batch, -1)).reshape(n_points, batch, -1)
        return ks, z1, z2


class PoolSource:
    """Resampling from fixed, validated arrays ``codes (n, d)`` and ``factors (n, K)``."""

    def __init__(self, codes: np.ndarray, factors: np.ndarray):
        self.codes, self.factors = codes, factors
        self.num_factors = factors.shape[1]
        self._groups = [_groups(factors[:, k]) for k in range(self.num_factors)]

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rows = rng.integers(0, self.codes.shape[0], size=n)
        return self.codes[rows], self.factors[rows]

    def _same_value(self, k: int, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each row r, a uniformly drawn row with the same value of factor k."""
        order, values, starts, counts = self._groups[k]
        g = np.searchsorted(values, self.factors[rows, k])
        return order[starts[g] + rng.integers(0, counts[g])]

    def fixed_batches(
        self, n_points: int, batch: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        ks = rng.integers(0, self.num_factors, size=n_points)
        anchors = rng.integers(0, self.codes.shape[0], size=n_points)
        rows = np.empty((n_points, batch), dtype=np.int64)
        for k in range(self.num_factors):
            sel = np.flatnonzero(ks == k)
            rep = np.repeat(anchors[sel], batch)  # (len(sel) * batch,)
            rows[sel] = self._same_value(k, rep, rng).reshape(-1, batch)
        return ks, self.codes[rows]

    def fixed_pairs(
        self, n_points: int, batch: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ks = rng.integers(0, self.num_factors, size=n_points)
        rows1 = rng.integers(0, self.codes.shape[0], size=(n_points, batch))
        rows2 = np.empty_like(rows1)
        for k in range(self.num_factors):
            sel = np.flatnonzero(ks == k)
            rows2[sel] = self._same_value(k, rows1[sel].reshape(-1), rng).reshape(-1, batch)
        return ks, self.codes[rows1], self.codes[rows2]


def _groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by label, the distinct labels, and each label's start and count."""
    order = np.argsort(labels, kind="stable")
    values, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    return order, values, starts, counts
