"""scikit-learn's handwritten digits as an image × pixel co-occurrence matrix (offline).

The 1797 8×8 digit images of :func:`sklearn.datasets.load_digits` ship inside scikit-learn. Each
image x is read as a bag of pixels y ∈ {0, …, 63} whose count n(x, y) is the pixel's grey level
(0–16): p(x, y) = n(x, y) / N and p(y|x) is the image's normalised intensity profile. The IB
then clusters images by the pixels they share, and the digit class is the hidden label the
clusters should recover (Slonim & Tishby's documents × words, with pixels for words).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int
from ..exceptions import DataFormatError, InvalidParameterError

__all__ = ["DigitsData", "digits_cooccurrence"]

_N_PIXELS = 64  # 8×8 images


@dataclass(frozen=True)
class DigitsData:
    """Digits as co-occurrence counts, their joint pmf and the true classes.

    Attributes
    ----------
    counts : ndarray of float64, shape ``(n_images, 64)``
        Pixel intensities (0–16) read as co-occurrence counts n(x, y); every row is non-zero,
        some pixel columns (the image border) are all zero.
    joint : ndarray of float64, shape ``(n_images, 64)``
        p(x, y) = counts / counts.sum().
    labels : ndarray of int, shape ``(n_images,)``
        Digit class (0–9) of each image.
    name : str
        A short description for reports.
    """

    counts: np.ndarray
    joint: np.ndarray
    labels: np.ndarray
    name: str

    @property
    def n_classes(self) -> int:
        """Number of distinct digit classes present."""
        return int(np.unique(self.labels).size)


def _load_digits() -> Any:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "the digits data set ships with scikit-learn, which is not installed; install it "
            "with: pip install 'ibkit[sklearn]'"
        ) from None
    return load_digits()


def digits_cooccurrence(*, n_samples: int | None = None, seed: Any = 0) -> DigitsData:
    r"""Load scikit-learn's digits as an image × pixel co-occurrence matrix.

    .. math:: p(x, y) = n(x, y) / \sum_{x', y'} n(x', y'),
              \quad n(x, y) = \text{grey level of pixel } y \text{ in image } x

    Parameters
    ----------
    n_samples : int, optional
        Keep a random subset of this many images (1 to 1797, drawn without replacement from
        ``seed``, kept in their original order); default all 1797.
    seed : int or numpy Generator
        Seed of the subset (unused when ``n_samples`` is None).

    Returns
    -------
    DigitsData
        ``counts`` and ``joint`` of shape ``(n_images, 64)``, ``labels`` of shape
        ``(n_images,)``.

    Raises
    ------
    ImportError
        scikit-learn is not installed.
    DataFormatError
        The data scikit-learn returned is not 64 non-negative pixel columns with a label each.
    InvalidParameterError
        ``n_samples`` is not an integer between 1 and the number of images.

    References
    ----------
    Alpaydin & Kaynak (1998), "Optical recognition of handwritten digits", UCI ML repository.
    """
    bunch = _load_digits()
    counts = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target)
    if (
        counts.ndim != 2
        or counts.shape[1] != _N_PIXELS
        or labels.shape != (counts.shape[0],)
        or not np.all(np.isfinite(counts))
        or np.any(counts < 0)
        or np.any(counts.sum(axis=1) <= 0)
    ):
        raise DataFormatError(
            "sklearn.datasets.load_digits returned unexpected data: expected non-negative "
            f"(n, {_N_PIXELS}) pixel counts with no blank image and (n,) labels; got data "
            f"{counts.shape} and target {labels.shape}"
        )
    n_total = counts.shape[0]
    name = "digits"
    if n_samples is not None:
        n = check_int(n_samples, "n_samples", minimum=1)
        if n > n_total:
            raise InvalidParameterError(
                f"n_samples must be <= the number of digit images ({n_total}); got {n}"
            )
        if n < n_total:
            keep = np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))
            counts, labels = counts[keep], labels[keep]
            name = f"digits (random {n} of {n_total}, seed {seed})"
    return DigitsData(
        counts=counts, joint=counts / counts.sum(), labels=labels.astype(np.intp), name=name
    )
