"""What one figure module returns: the files it wrote and the numbers worth reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FigureRecord"]


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
    """

    id: str
    title: str
    caption: str
    files: tuple[str, ...]
    numbers: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

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
        }
