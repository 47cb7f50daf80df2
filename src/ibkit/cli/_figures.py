"""``ibkit figures``: recompute the reference text's figures with an HTML report (main job).

Everything is computed into a staging folder beside ``--out`` and moved into place only when
every figure, ``figures.json`` and ``index.html`` are complete.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from ..experiment.config import FiguresConfig
from ..experiment.io import write_json, write_text
from ..experiment.runs import check_destination, staged_dir
from ._common import print_warnings, report_warnings

__all__ = ["run"]


def _progress(quiet: bool) -> Callable[[int, int, Any], None]:
    def callback(index: int, total: int, record: Any) -> None:
        if not quiet and sys.stderr.isatty():
            print(
                f"[{index + 1}/{total}] {record.id}: {record.title} ({record.seconds:.1f} s)",
                file=sys.stderr,
            )

    return callback


def run(args: argparse.Namespace) -> int:
    from ..figures import available, get_figure, make_figures
    from ..figures.report import write_index

    if args.list:
        for fig_id, title in available():
            print(f"{fig_id}\t{title}")
        return 0
    cfg = FiguresConfig(out=args.out, only=args.only)
    out = check_destination(Path(cfg.out))
    ids = list(cfg.only) if cfg.only is not None else None
    for fig_id in ids or ():
        get_figure(fig_id)  # refuse unknown ids before any work
    notes: list[str] = []
    started = time.perf_counter()
    with staged_dir(out) as folder, report_warnings(notes):
        records = make_figures(folder, ids, callback=_progress(args.quiet))
        write_text(folder / "config.json", cfg.to_json())
        write_json(
            folder / "figures.json",
            {
                "ibkit_version": __version__,
                "seconds": round(time.perf_counter() - started, 3),
                "warnings": notes,
                "figures": [r.to_dict() for r in records],
            },
        )
        write_index(folder, records)
    print_warnings(notes)
    for record in records:
        print(f"{record.id}: {', '.join(record.files)} ({record.seconds:.2f} s)")
    print(f"wrote {out / 'index.html'}")
    return 0
