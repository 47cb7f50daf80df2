"""What one figure module returns: the files it wrote and the numbers worth reading.

A record is also the figure's *completion marker*: ``ibkit figures`` writes it atomically to
``<id>.record.json`` after every file of the figure, so an interrupted run knows which figures
are complete (record present, files present, same configuration) and recomputes only the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .._io import write_json

__all__ = ["QUALITIES", "FigureRecord", "load_record", "record_path", "save_record"]

#: ``"quick"`` (default: minutes on a laptop) or ``"full"`` (publication quality).
QUALITIES = ("quick", "full")


@dataclass(frozen=True)
class FigureRecord:
    """One recomputed figure.

    Attributes
    ----------
    id : str
        Registry id, e.g. ``"fig2"``.
    title : str
        Short title shown as the report's heading.
    caption : str
        What the figure shows and how it was computed (plain text).
    files : tuple of str
        Files written, relative to the output folder; the first ``.png`` is the one shown.
    numbers : dict
        Key numbers (name → value) for the report's table, e.g. errors against closed forms.
    seconds : float
        Wall-clock time to compute and write the figure.
    equation : str
        The equation the figure illustrates (plain text, shown above the caption).
    config : dict
        How it was made: ``quality``, ``ibkit_version`` and ``command``; a figure is reused by
        a later run only when its ``quality`` and ``ibkit_version`` match.
    """

    id: str
    title: str
    caption: str
    files: tuple[str, ...]
    numbers: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    equation: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def image(self) -> str | None:
        """The PNG to show in the report (the first one in ``files``)."""
        return next((f for f in self.files if f.endswith(".png")), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (``files`` as a list)."""
        return {
            "id": self.id,
            "title": self.title,
            "caption": self.caption,
            "files": list(self.files),
            "numbers": dict(self.numbers),
            "seconds": self.seconds,
            "equation": self.equation,
            "config": dict(self.config),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FigureRecord:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["files"] = tuple(kwargs.get("files", ()))
        return cls(**kwargs)


def record_path(out: str | Path, fig_id: str) -> Path:
    """Where the record of figure ``fig_id`` lives: ``out/<id>.record.json``."""
    return Path(out) / f"{fig_id}.record.json"


def save_record(out: str | Path, record: FigureRecord) -> Path:
    """Write ``record`` atomically to :func:`record_path` (the figure's completion marker)."""
    return write_json(record_path(out, record.id), record.to_dict())


def load_record(out: str | Path, fig_id: str) -> FigureRecord | None:
    """The saved record of ``fig_id`` if it exists, parses and all its files exist; else None."""
    path = record_path(out, fig_id)
    try:
        record = FigureRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if record.id != fig_id or not all((Path(out) / f).is_file() for f in record.files):
        return None
    return record
