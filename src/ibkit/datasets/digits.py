"""scikit-learn's handwritten digits: a co-occurrence matrix for the IB, and images (offline).

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
from .user_data import ArrayDataset

__all__ = ["DigitsData", "digits_cooccurrence", "digits_images"]

_N_PIXELS = 64  # 8×8 images
_MAX_GREY = 16.0  # grey levels run 0–16


@dataclass(frozen=True)
class DigitsData:
    r"""Digits as co-occurrence counts, their joint pmf and the true classes.

    .. math:: p(x, y) = \frac{n(x, y)}{\sum_{x', y'} n(x', y')}

    (x an image, y a pixel; p(x, y) unitless, the counts in grey levels 0–16).

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


def _checked_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (1797, 64) float64 grey levels 0–16 and (1797,) labels."""
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
    return counts, labels.astype(np.intp)


def _subset(n_total: int, n_samples: int | None, seed: Any) -> tuple[np.ndarray, str]:
    """Indices of a random subset of ``n_samples`` images (sorted), and a name for it."""
    if n_samples is None:
        return np.arange(n_total), "digits"
    n = check_int(n_samples, "n_samples", minimum=1)
    if n > n_total:
        raise InvalidParameterError(
            f"n_samples must be <= the number of digit images ({n_total}); got {n}"
        )
    if n == n_total:
        return np.arange(n_total), "digits"
    keep = np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))
    return keep, f"digits (random {n} of {n_total}, seed {seed})"


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
    counts, labels = _checked_digits()
    keep, name = _subset(counts.shape[0], n_samples, seed)
    counts, labels = counts[keep], labels[keep]
    return DigitsData(counts=counts, joint=counts / counts.sum(), labels=labels, name=name)


def digits_images(
    *, flatten: bool = True, n_samples: int | None = None, seed: Any = 0
) -> ArrayDataset:
    r"""scikit-learn's 8×8 handwritten digits as images in [0, 1] with their classes.

    .. math:: x = \text{grey level} / 16 \in \{0, 1/16, \dots, 1\}

    Parameters
    ----------
    flatten : bool
        ``x`` of shape ``(n, 64)`` (default) or ``(n, 8, 8)`` (row-major, as in
        ``load_digits().images``).
    n_samples : int, optional
        Keep a random subset of this many images (1 to 1797, without replacement, in their
        original order); default all 1797.
    seed : int or numpy Generator
        Seed of the subset (unused when ``n_samples`` is None); the same seed picks the same
        images as :func:`digits_cooccurrence`.

    Returns
    -------
    ArrayDataset
        ``x`` float32 of shape ``(n, 64)`` or ``(n, 8, 8)``, ``y`` int64 labels 0–9 of shape
        ``(n,)``.

    Raises
    ------
    ImportError
        scikit-learn is not installed.
    InvalidParameterError
        ``n_samples`` is not an integer between 1 and 1797, or ``flatten`` is not a bool.

    References
    ----------
    Alpaydin & Kaynak (1998), "Optical recognition of handwritten digits", UCI ML repository.
    """
    if not isinstance(flatten, (bool, np.bool_)):
        raise InvalidParameterError(f"flatten must be True or False; got {flatten!r}")
    counts, labels = _checked_digits()
    keep, name = _subset(counts.shape[0], n_samples, seed)
    x = (counts[keep] / _MAX_GREY).astype(np.float32)  # (n, 64) in [0, 1]
    if not flatten:
        x = x.reshape(-1, 8, 8)
    return ArrayDataset(x=x, y=labels[keep].astype(np.int64), name=name)
