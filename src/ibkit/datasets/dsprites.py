r"""A procedural dSprites: the exact factor grid of dSprites, drawn by our own rasteriser.

dSprites (Matthey et al. 2017) holds 737,280 binary 64×64 images of one sprite, one image for
every combination of six latent factors, stored row-major (the last factor varies fastest):

====================  ====  =====================================
factor                size  values
====================  ====  =====================================
color                 1     1 (white; constant)
shape                 3     1 = square, 2 = ellipse, 3 = heart
scale                 6     linspace(0.5, 1, 6)
orientation           40    linspace(0, 2π, 40) radians
posX                  32    linspace(0, 1, 32)
posY                  32    linspace(0, 1, 32)
====================  ====  =====================================

so image ``i`` has latent classes ``c`` with :math:`i = \sum_k c_k b_k`,
``b = (737280, 245760, 40960, 1024, 32, 1)``. As in disentanglement_lib, the constant color
factor is kept in the ``latents_*`` metadata but left out of the factors the metrics see
(:attr:`ProceduralDSprites.factor_names`, five of them).

The images are not downloaded: each one is rasterised on demand, in NumPy, by testing every
pixel centre against the sprite's implicit shape (square, ellipse, or the heart curve
:math:`(u^2 + v^2 - 1)^3 \le u^2 v^3`), after undoing the sprite's rotation, scale and
translation. Nothing is cached, so the 737,280 images never sit in memory, and the same
factors always give the same image. The sprites resemble, but are not pixel-identical to,
the originals.

References
----------
Matthey, Higgins, Hassabis & Lerchner (2017), "dSprites: disentanglement testing sprites
dataset", github.com/deepmind/dsprites-dataset.
Locatello et al. (2019), "Challenging common assumptions in the unsupervised learning of
disentangled representations" (disentanglement_lib's ground-truth-data API).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validation import check_int
from ..exceptions import InvalidParameterError, ShapeMismatchError

__all__ = ["ProceduralDSprites"]

RESOLUTION = 64
UNIT = 12.0  # pixels per unit length at scale 1 (the largest sprite spans at most 26 pixels)
MARGIN = 16.0  # sprite centres range over [MARGIN, 64 − MARGIN] pixels, so no sprite is clipped
CHUNK = 256  # images rasterised at once: a few (CHUNK, 64, 64) float32 temporaries
_SQUARE_HALF_SIDE = 0.75
_ELLIPSE_AXES = (1.0, 0.5)  # semi-axes along the sprite's own u and v
_HEART_SIZE, _HEART_SHIFT = 0.8, 0.29  # shrink, and move the heart's centroid to the origin


def _membership(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which points (u, v), in sprite units (v up), lie inside shape 0, 1 or 2."""
    if shape == 0:  # square
        return np.maximum(np.abs(u), np.abs(v)) <= _SQUARE_HALF_SIDE
    if shape == 1:  # ellipse
        a, b = _ELLIPSE_AXES
        return (u / a) ** 2 + (v / b) ** 2 <= 1.0
    x, y = u / _HEART_SIZE, v / _HEART_SIZE + _HEART_SHIFT  # heart: lobes up, tip down
    return (x**2 + y**2 - 1.0) ** 3 - x**2 * y**3 <= 0.0


class ProceduralDSprites:
    """dSprites' 737,280 images, rasterised on demand from their factor indices.

    Indexing (``ds[i]``, ``ds[a:b]``, ``ds[[i, j]]``) follows dSprites' own image order and
    gives float32 images in {0, 1} of shape ``(64, 64)`` or ``(n, 64, 64)``; an index outside
    ``[-len, len)`` raises IndexError, as for any sequence.

    The ground-truth-data API of the disentanglement metrics: :attr:`factor_names`,
    :attr:`factor_sizes`, :meth:`sample_factors`, :meth:`observations_from_factors`,
    :meth:`sample`, and :meth:`index_from_factors` / :meth:`factors_from_index`.
    """

    factor_names: tuple[str, ...] = ("shape", "scale", "orientation", "posX", "posY")
    factor_sizes: tuple[int, ...] = (3, 6, 40, 32, 32)
    latents_names: tuple[str, ...] = ("color", *factor_names)
    latents_sizes: tuple[int, ...] = (1, *factor_sizes)
    shape_names: tuple[str, ...] = ("square", "ellipse", "heart")
    image_shape: tuple[int, int] = (RESOLUTION, RESOLUTION)

    def __init__(self) -> None:
        sizes = np.array(self.latents_sizes)
        #: dSprites' ``latents_bases``: image index = latents_classes @ latents_bases.
        self.latents_bases = np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]])
        self._factor_bases = self.latents_bases[1:]

    @property
    def num_factors(self) -> int:
        """Number of (non-constant) factors of variation, 5."""
        return len(self.factor_sizes)

    def __len__(self) -> int:
        return int(np.prod(self.latents_sizes))

    def __repr__(self) -> str:
        return f"ProceduralDSprites({len(self)} images of {RESOLUTION}x{RESOLUTION})"

    def __iter__(self) -> Iterator[np.ndarray]:
        for start in range(0, len(self), CHUNK):
            yield from self[start : start + CHUNK]

    def __getitem__(self, index: Any) -> np.ndarray:
        n = len(self)
        if isinstance(index, slice):
            indices = np.arange(*index.indices(n))
        elif isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            if not -n <= index < n:
                raise IndexError(f"index must lie in [-{n}, {n}); got {index}")
            return self.observations_from_factors(self.factors_from_index(int(index) % n))[0]
        else:
            indices = np.asarray(index)
            if indices.dtype == bool or not np.issubdtype(indices.dtype, np.integer):
                raise InvalidParameterError(
                    f"index must be an int, a slice or an array of ints; got {index!r}"
                )
            if indices.size and not (-n <= indices.min() and indices.max() < n):
                bad = indices[(indices < -n) | (indices >= n)].flat[0]
                raise IndexError(f"index must lie in [-{n}, {n}); got {bad}")
            indices = indices % n
        flat = indices.reshape(-1)
        images = self.observations_from_factors(self.factors_from_index(flat))
        return images.reshape(*indices.shape, *self.image_shape)

    # -- factors and indices ---------------------------------------------------------------

    def check_factors(self, factors: Any) -> np.ndarray:
        """Validate factor indices: an integer array of shape ``(n, 5)`` within the grid."""
        arr = np.asarray(factors)
        if arr.ndim != 2 or arr.shape[1] != self.num_factors:
            raise ShapeMismatchError(
                f"factors must have shape (n, {self.num_factors}) (columns "
                f"{', '.join(self.factor_names)}); got shape {arr.shape}"
            )
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise InvalidParameterError(f"factors must be integers; got dtype {arr.dtype}")
        if not np.issubdtype(arr.dtype, np.integer):
            if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
                raise InvalidParameterError(f"factors must be integers; got dtype {arr.dtype}")
        arr = arr.astype(np.intp)
        for k, (name, size) in enumerate(zip(self.factor_names, self.factor_sizes, strict=True)):
            bad = (arr[:, k] < 0) | (arr[:, k] >= size)
            if np.any(bad):
                raise InvalidParameterError(
                    f"factor {name!r} (column {k}) must lie in [0, {size - 1}]; "
                    f"got {int(arr[bad, k][0])} at row {int(np.argmax(bad))}"
                )
        return arr

    def index_from_factors(self, factors: Any) -> np.ndarray:
        r"""Image index of each row of factors, shape ``(n,)``: ``factors @ bases[1:]``.

        .. math:: i = \sum_{k=1}^{5} f_k\, b_k, \qquad b_k = \prod_{k' > k} s_{k'}

        (:math:`s_k` = ``factor_sizes``; mixed-radix, dSprites' image order).
        """
        return self.check_factors(factors) @ self._factor_bases

    def factors_from_index(self, index: Any) -> np.ndarray:
        r"""Factor indices, shape ``(n, 5)``, of image indices (an int or an array of ints).

        .. math:: f_k = \lfloor i / b_k \rfloor \bmod s_k
        """
        idx = np.atleast_1d(np.asarray(index))
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or idx.dtype == bool:
            raise InvalidParameterError(f"index must be an int or a 1-D int array; got {index!r}")
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            bad = idx[(idx < 0) | (idx >= len(self))][0]
            raise InvalidParameterError(f"index must lie in [0, {len(self) - 1}]; got {bad}")
        return np.stack(
            [(idx // b) % s for b, s in zip(self._factor_bases, self.factor_sizes, strict=True)],
            axis=1,
        ).astype(np.intp)

    def latents_classes(self, factors: Any) -> np.ndarray:
        """dSprites' ``latents_classes``, shape ``(n, 6)``: a zero color column, then factors."""
        arr = self.check_factors(factors)
        return np.concatenate([np.zeros((arr.shape[0], 1), dtype=np.intp), arr], axis=1)

    def latents_values(self, factors: Any) -> np.ndarray:
        """dSprites' ``latents_values``, shape ``(n, 6)``: color 1, shape 1–3, scale,
        orientation (radians), posX, posY."""
        arr = self.check_factors(factors)
        grids = _value_grids()
        cols = [np.ones(arr.shape[0])] + [grids[k][arr[:, k]] for k in range(self.num_factors)]
        return np.stack(cols, axis=1)

    # -- sampling and rendering ------------------------------------------------------------

    def sample_factors(self, n: int, rng: Any = None) -> np.ndarray:
        r"""``n`` factor rows drawn uniformly and independently, shape ``(n, 5)``, int.

        .. math:: f_k \sim \mathcal U\{0, \dots, s_k - 1\}\ \text{independently}

        ``rng`` is a :class:`numpy.random.Generator`, a seed, or None (fresh entropy).
        """
        n = check_int(n, "n", minimum=0)
        rng = np.random.default_rng(rng)
        return np.stack([rng.integers(0, s, size=n) for s in self.factor_sizes], axis=1).astype(
            np.intp
        )

    def sample(self, n: int, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """``(factors (n, 5), images (n, 64, 64))`` for ``n`` uniformly drawn factor rows."""
        factors = self.sample_factors(n, rng)
        return factors, self.observations_from_factors(factors)

    def observations_from_factors(self, factors: Any) -> np.ndarray:
        """Rasterise the images of ``factors`` (shape ``(n, 5)``): float32 ``(n, 64, 64)``."""
        values = self.latents_values(factors)  # (n, 6)
        out = np.zeros((values.shape[0], *self.image_shape), dtype=np.float32)
        for start in range(0, values.shape[0], CHUNK):
            out[start : start + CHUNK] = _rasterise(values[start : start + CHUNK])
        return out


def _value_grids() -> list[np.ndarray]:
    """The value of every factor index (dSprites' ``latents_possible_values``, color omitted)."""
    return [
        np.array([1.0, 2.0, 3.0]),
        np.linspace(0.5, 1.0, 6),
        np.linspace(0.0, 2.0 * np.pi, 40),
        np.linspace(0.0, 1.0, 32),
        np.linspace(0.0, 1.0, 32),
    ]


def _rasterise(values: np.ndarray) -> np.ndarray:
    r"""Binary images of the sprites described by ``values`` (rows of ``latents_values``).

    Pixel (row i, column j) has centre (x, y) = (j + ½, i + ½); the sprite centre is
    (c_x, c_y) = m + (64 − 2m)·(posX, posY), with m the margin. A pixel is on when its centre,
    in the sprite's frame (rotated by −θ, divided by s·unit, v pointing up),

    .. math:: u = \frac{\cos\theta\, \Delta x - \sin\theta\, \Delta y}{s\, \mathrm{unit}}, \quad
              v = \frac{-\sin\theta\, \Delta x - \cos\theta\, \Delta y}{s\, \mathrm{unit}}

    with Δx = x − c_x, Δy = y − c_y, lies inside the shape. Returns ``(n, 64, 64)`` float32.
    """
    centres = np.arange(RESOLUTION, dtype=np.float64) + 0.5  # (64,)
    shape = values[:, 1].astype(np.intp) - 1  # (n,) 0, 1, 2
    size = (values[:, 2] * UNIT)[:, None, None]  # (n, 1, 1) pixels per sprite unit
    theta = values[:, 3][:, None, None]  # (n, 1, 1) radians, counter-clockwise on screen
    span = RESOLUTION - 2.0 * MARGIN
    dx = centres[None, None, :] - (MARGIN + span * values[:, 4])[:, None, None]  # (n, 1, 64)
    dy = centres[None, :, None] - (MARGIN + span * values[:, 5])[:, None, None]  # (n, 64, 1)
    cos, sin = np.cos(theta), np.sin(theta)
    u = (cos * dx - sin * dy) / size  # (n, 64, 64)
    v = (-sin * dx - cos * dy) / size  # (n, 64, 64)
    out = np.zeros(u.shape, dtype=np.float32)
    for k in range(3):
        rows = shape == k
        if np.any(rows):
            out[rows] = _membership(k, u[rows], v[rows])
    return out
