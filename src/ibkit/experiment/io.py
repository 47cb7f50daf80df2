"""Reading arrays from user files and writing results atomically.

The writers are re-exported from :mod:`ibkit._io` (temp file + ``os.replace``), so every file an
experiment writes is either complete or absent. :func:`load_array` turns any user file that
cannot be read as a numeric array into a :class:`~ibkit.exceptions.DataFormatError` that names
the path, never a NumPy traceback.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .._io import atomic_open, write_bytes, write_csv, write_json, write_text
from ..exceptions import DataFormatError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "atomic_open",
    "load_array",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_text",
]

SUPPORTED_SUFFIXES = (".npy", ".npz", ".csv", ".txt", ".tsv")
_SPARSE_KEYS = {"format", "shape", "data"}  # what scipy.sparse.save_npz always stores


def load_array(
    path: str | os.PathLike[str], *, name: str = "file", key: str | None = None
) -> np.ndarray:
    """Load a numeric array from ``.npy``, ``.npz`` or delimited text (``.csv``/``.txt``/``.tsv``).

    Parameters
    ----------
    path : path-like
        The file. Text files may be comma- or whitespace-separated, with ``#`` comments and an
        optional header row of non-numeric column names (skipped).
    name : str
        What the file holds (``"px"``, ``"distortion"``); used in error messages.
    key : str, optional
        For an ``.npz`` holding several arrays, which one to load. A file written by
        ``scipy.sparse.save_npz`` is densified; a file holding one array needs no key.

    Returns
    -------
    ndarray of float64 (at least 1-D).

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, corrupt, of an unsupported kind, empty or non-numeric.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DataFormatError(f"{_what(path, name)} {what}")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataFormatError(
            f"{_what(path, name)} has unsupported type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        if suffix == ".npy":
            arr = _load_npy(path, name)
        elif suffix == ".npz":
            arr = _load_npz(path, name, key)
        else:
            arr = _load_text(path, name)
    except OSError as err:
        raise DataFormatError(f"cannot read {_what(path, name)}: {err.strerror or err}") from None
    return _as_numeric(arr, path, name)


def _what(path: Path, name: str) -> str:
    return f"{name} file {str(path)!r}"


def _load_npy(path: Path, name: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as err:
        raise DataFormatError(f"{_what(path, name)} is not a valid .npy file ({err})") from None


def _load_npz(path: Path, name: str, key: str | None) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            if _SPARSE_KEYS <= set(keys):
                return _densify(path, name)
            if key is None:
                if len(keys) != 1:
                    raise DataFormatError(
                        f"{_what(path, name)} holds {len(keys)} arrays {keys}; "
                        "say which one to load"
                    )
                key = keys[0]
            if key not in keys:
                raise DataFormatError(f"{_what(path, name)} has no array {key!r}; it has {keys}")
            return archive[key]
    except (ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataFormatError(f"{_what(path, name)} is not a valid .npz file ({err})") from None


def _densify(path: Path, name: str) -> np.ndarray:
    import scipy.sparse

    try:
        matrix = scipy.sparse.load_npz(path)
    except (ValueError, KeyError) as err:
        raise DataFormatError(f"{_what(path, name)} is not a valid sparse .npz ({err})") from None
    return np.asarray(matrix.toarray())


def _load_text(path: Path, name: str) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(f"{_what(path, name)} is not a UTF-8 text file") from None
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln]
    if not numbered:
        raise DataFormatError(f"{_what(path, name)} holds no numbers")
    rows = [(i, _split(ln)) for i, ln in numbered]
    if not _is_numeric_row(rows[0][1]):  # a header row of column names
        rows = rows[1:]
        if not rows:
            raise DataFormatError(f"{_what(path, name)} holds a header but no numbers")
    width = len(rows[0][1])
    values = []
    for lineno, cells in rows:
        if len(cells) != width:
            raise DataFormatError(
                f"{_what(path, name)}, line {lineno}: expected {width} values, got {len(cells)}"
            )
        try:
            values.append([float(c) for c in cells])
        except ValueError:
            bad = next(c for c in cells if not _is_float(c))
            raise DataFormatError(
                f"{_what(path, name)}, line {lineno}: {bad!r} is not a number"
            ) from None
    arr = np.asarray(values, dtype=np.float64)
    return arr[:, 0] if width == 1 else (arr[0] if len(rows) == 1 else arr)


def _split(line: str) -> list[str]:
    if "," in line:
        return [c.strip() for c in line.split(",")]
    return line.replace(";", " ").split()


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_numeric_row(cells: list[str]) -> bool:
    return any(_is_float(c) for c in cells)


def _as_numeric(arr: np.ndarray, path: Path, name: str) -> np.ndarray:
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataFormatError(f"{_what(path, name)} holds {arr.dtype} data, not numbers")
    if np.iscomplexobj(arr):
        raise DataFormatError(f"{_what(path, name)} holds complex numbers")
    if arr.size == 0:
        raise DataFormatError(f"{_what(path, name)} holds an empty array {arr.shape}")
    return np.atleast_1d(np.asarray(arr, dtype=np.float64))
