"""Run folders: where a command writes, and how it writes all its files or none.

A command computes everything first and writes its outputs into a hidden staging folder beside
the destination (:func:`staged_dir`); only when every file is complete are they moved into
place with ``os.replace``. An error or interrupt leaves the destination as it was: no partial
files, no empty run folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import IBKitError, InvalidParameterError

__all__ = [
    "check_destination",
    "check_training_run_dir",
    "create_run_dir",
    "default_run_dir",
    "staged_dir",
]

RUNS_ROOT = Path("runs")


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not kind.replace("-", "").replace("_", "").isalnum():
        raise InvalidParameterError(f"kind must be a short name like 'rd'; got {kind!r}")
    return kind


def default_run_dir(kind: str, *, root: str | os.PathLike[str] = RUNS_ROOT) -> Path:
    """``<root>/<kind>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, … appended if that exists."""
    stem = f"{_check_kind(kind)}-{time.strftime('%Y%m%d-%H%M%S')}"
    path = Path(root) / stem
    n = 2
    while path.exists():
        path = Path(root) / f"{stem}-{n}"
        n += 1
    return path


def check_destination(path: Path) -> Path:
    """Return ``path`` if it is a folder or can be created; refuse early otherwise.

    Raises :class:`InvalidParameterError` when ``path`` or its nearest existing ancestor is a
    file, and :class:`PermissionError` when that ancestor is not writable, so a command fails
    before it computes anything rather than after.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidParameterError(f"output path {str(path)!r} exists and is not a directory")
    ancestor = (
        path
        if path.exists()
        else next((p for p in path.absolute().parents if p.exists()), Path("/"))
    )
    if not ancestor.is_dir():
        raise InvalidParameterError(
            f"cannot create output folder {str(path)!r}: {str(ancestor)!r} is not a directory"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(ancestor))
    return path


def create_run_dir(out: str | os.PathLike[str] | None, kind: str) -> Path:
    """Create and return the run folder: ``out`` if given, else :func:`default_run_dir`.

    An existing folder is reused (files with the same names are replaced atomically); an
    existing *file* at ``out`` is refused with :class:`InvalidParameterError`, and a folder
    that cannot be created raises :class:`OSError`. Nothing is refused silently.
    """
    path = default_run_dir(kind) if out is None else check_destination(Path(out))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def staged_dir(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty staging folder; on success move its contents into ``destination``.

    The staging folder is created beside ``destination`` (same file system, so the final
    moves are atomic renames). On any exception the staging folder is deleted and
    ``destination`` is left untouched (it is not even created).

    Examples
    --------
    >>> with staged_dir("runs/rd-1") as tmp:          # doctest: +SKIP
    ...     (tmp / "curve.csv").write_text("...")     # all-or-nothing
    """
    destination = check_destination(Path(destination))
    parent = destination.parent
    created = [p for p in (parent, *parent.parents) if not p.exists()]
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".staging", dir=parent))
    try:
        yield staging
        _move_contents(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # only the (empty) parents this call created, innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)


def _move_contents(staging: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for source in sorted(staging.rglob("*")):
        if source.is_dir():
            continue
        target = destination / source.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def check_training_run_dir(
    run_dir: Path, config: Mapping[str, Any], resume: bool, keys: Sequence[str]
) -> None:
    """Refuse to start a training run that would overwrite or mismatch an existing one.

    Fresh start: ``run_dir`` must be missing or empty. ``resume``: ``checkpoints/last.pt`` must
    exist, and the ``keys`` of ``config`` (e.g. model and data) must equal those in the run's
    ``config.json``. Raises :class:`IBKitError` before anything is written.
    """
    if resume:
        if not (run_dir / "checkpoints" / "last.pt").exists():
            raise IBKitError(f"--resume: {str(run_dir)!r} has no checkpoints/last.pt to resume")
        path = run_dir / "config.json"
        if path.exists():
            old = json.loads(path.read_text(encoding="utf-8"))
            for key in keys:
                if old.get(key) != config[key]:
                    raise IBKitError(
                        f"--resume: the run's config.json has a different {key!r} "
                        f"({old.get(key)!r}); resume with the same config"
                    )
        return
    if run_dir.exists() and any(run_dir.iterdir()):
        raise IBKitError(
            f"run folder {str(run_dir)!r} is not empty; use --resume to continue it or "
            "choose another --out"
        )
