"""Figure creation and atomic saving (PNG + SVG) on the Agg backend."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from .._io import write_bytes

__all__ = ["matplotlib_pyplot", "new_figure", "save_figure"]

DEFAULT_FORMATS = ("png", "svg")


def matplotlib_pyplot() -> Any:
    """Import ``matplotlib.pyplot`` on the Agg backend, with a clear error if it is missing."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib; install it with: pip install 'ibkit[plot]'"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def new_figure(ncols: int = 1, *, width: float = 5.0, height: float = 3.8) -> tuple[Any, Any]:
    """A new figure with ``ncols`` axes side by side, ``width`` inches per panel."""
    plt = matplotlib_pyplot()
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained")
    return fig, axes


def save_figure(
    fig: Any,
    stem: str | os.PathLike[str],
    *,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    dpi: int = 150,
    close: bool = True,
) -> list[Path]:
    """Write ``fig`` to ``stem.png`` and ``stem.svg`` atomically; return the paths written.

    Every format is rendered into memory first, so a rendering error writes nothing; each
    file is then written with a temp file + rename. SVGs carry no timestamp, so re-running on
    the same data gives identical files.
    """
    plt = matplotlib_pyplot()
    stem = Path(stem)
    rendered = {}
    for fmt in formats:
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else None
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
        rendered[stem.with_name(f"{stem.name}.{fmt}")] = buffer.getvalue()
    if close:
        plt.close(fig)
    return [write_bytes(path, data) for path, data in rendered.items()]
