"""Arrays as training data: in-memory arrays and the user's own ``.npy`` / ``.npz`` files.

:func:`load_dataset` reads the file with :func:`ibkit.experiment.io.load_array` (no pickles; any
unreadable, non-numeric or empty file becomes a :class:`~ibkit.exceptions.DataFormatError`
naming the file) and :func:`array_dataset` checks the content: finite values, at least one
sample, integer labels, one label per sample.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataFormatError

__all__ = ["X_KEYS", "Y_KEYS", "ArrayDataset", "array_dataset", "load_dataset"]

X_KEYS = ("x", "data")  # .npz keys read as the samples
Y_KEYS = ("y", "labels")  # .npz keys read as the labels


@dataclass(frozen=True)
class ArrayDataset:
    """Samples and optional integer labels, validated.

    Attributes
    ----------
    x : ndarray of float32, shape ``(n, ...)``
        Finite samples, one per row (a 1-D input is read as ``(n, 1)``).
    y : ndarray of int64, shape ``(n,)``, or None
        Class labels.
    name : str
        Where the data came from, for messages and reports.
    """

    x: np.ndarray
    y: np.ndarray | None = None
    name: str = "data"

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample, ``x.shape[1:]``."""
        return tuple(int(s) for s in self.x.shape[1:])

    @property
    def n_classes(self) -> int | None:
        """``max(y) + 1`` (labels are 0-based class indices), or None without labels."""
        return None if self.y is None else int(self.y.max()) + 1


def _numeric(arr: Any, what: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataFormatError(f"{what} must hold numbers; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise DataFormatError(f"{what} must hold real numbers; got dtype {arr.dtype}")
    if arr.size == 0:
        raise DataFormatError(f"{what} must not be empty; got shape {arr.shape}")
    return arr


def _check_finite(arr: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(arr)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = arr[where].item()
        raise DataFormatError(f"{what} must be finite; got {value!r} at index {where}")


def array_dataset(x: Any, y: Any = None, *, name: str = "data") -> ArrayDataset:
    """Validate samples ``x`` (n, ...) and optional labels ``y`` (n,) into an :class:`ArrayDataset`.

    Raises
    ------
    DataFormatError
        ``x`` is empty, 0-d, non-numeric (object, string, complex) or holds NaN/inf, or does
        not fit in float32; ``y`` is not a 1-D array of n non-negative integers.
    """
    xs = _numeric(x, f"{name}: x")
    if xs.ndim == 0:
        raise DataFormatError(f"{name}: x must have a sample axis; got a scalar {xs!r}")
    _check_finite(xs, f"{name}: x")
    biggest = float(np.max(np.abs(xs)))
    if biggest > float(np.finfo(np.float32).max):
        raise DataFormatError(
            f"{name}: x must fit in float32 (|x| <= 3.4e38); got a value of magnitude {biggest!r}"
        )
    x32 = xs.astype(np.float32)
    if x32.ndim == 1:
        x32 = x32[:, None]
    labels = None if y is None else _labels(y, int(x32.shape[0]), name)
    return ArrayDataset(x=x32, y=labels, name=name)


def _labels(y: Any, n: int, name: str) -> np.ndarray:
    ys = _numeric(y, f"{name}: labels")
    if ys.ndim != 1 or ys.shape[0] != n:
        raise DataFormatError(
            f"{name}: labels must have shape ({n},), one per sample; got shape {ys.shape}"
        )
    _check_finite(ys, f"{name}: labels")
    if not np.all(ys == np.round(ys)) or np.any(ys < 0):
        bad = ys[(ys != np.round(ys)) | (ys < 0)][0].item()
        raise DataFormatError(f"{name}: labels must be non-negative integers; got {bad!r}")
    return ys.astype(np.int64)


def load_dataset(path: str | os.PathLike[str]) -> ArrayDataset:
    """Load samples (and labels) from a ``.npy`` or ``.npz`` file.

    A ``.npy`` holds the samples only. An ``.npz`` holds the samples under key ``x`` or
    ``data`` (or as its only array) and optional labels under ``y`` or ``labels``.
    Delimited text (``.csv``, ``.txt``, ``.tsv``) is read as samples without labels.

    Returns
    -------
    ArrayDataset
        ``x`` float32 of shape ``(n, ...)``, ``y`` int64 of shape ``(n,)`` or None.

    Raises
    ------
    DataFormatError
        Naming the file: missing, unreadable, of another type, pickled objects or strings,
        empty, NaN or inf, ambiguous or missing keys, labels that are not one integer per
        sample.
    """
    from ..experiment.io import load_array

    path = Path(path)
    name = f"data file {str(path)!r}"
    if path.suffix.lower() != ".npz":
        return array_dataset(load_array(path, name="data"), name=name)
    x_key, y_key = _npz_keys(path, name)
    x = load_array(path, name="data", key=x_key)
    y = None if y_key is None else load_array(path, name="data", key=y_key)
    return array_dataset(x, y, name=name)


def _npz_keys(path: Path, name: str) -> tuple[str | None, str | None]:
    """Which arrays of the archive hold the samples and the labels."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataFormatError(f"{name} is not a valid .npz file ({err})") from None
    xs = [k for k in X_KEYS if k in keys]
    ys = [k for k in Y_KEYS if k in keys]
    if len(xs) > 1 or len(ys) > 1:
        raise DataFormatError(f"{name} is ambiguous: it holds both {xs or ys}; keep one")
    if not xs:
        if len(keys) == 1 and not ys:
            return keys[0], None
        raise DataFormatError(
            f"{name} has no samples array: expected key 'x' or 'data'; it has {keys}"
        )
    return xs[0], (ys[0] if ys else None)
