"""``ibkit collect GRID_DIR``: every run of a grid as one table, plus the standard plots."""

from __future__ import annotations

import argparse

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit collect``."""
    from ..experiment.grid_collect import collect

    written = collect(args.grid_dir, color_by=args.color_by, plots=not args.no_plot)
    for path in written:
        print(f"wrote {path}")
    return 0
