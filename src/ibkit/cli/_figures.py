"""``ibkit figures``: recompute the reference text's figures with an HTML report (main job).

Figures are computed straight into ``--out``; each one's record (``<id>.record.json``) is
written atomically after its files, so an interrupted run resumes where it stopped: figures
whose record and files exist with the same quality and ibkit version are reused, the rest are
recomputed (``--force`` recomputes everything). ``figures.json`` and ``index.html`` are
written last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import __version__
from ..experiment.config import FiguresConfig
from ..experiment.io import write_json
from ..experiment.runs import check_destination
from ._common import print_warnings, report_warnings

__all__ = ["run"]


def command_line(out: str, quality: str, only: list[str] | None) -> str:
    """The command that reproduces this run, e.g. ``ibkit figures --out figures --quick``."""
    words = ["ibkit", "figures", "--out", out, f"--{quality}"]
    if only:
        words += ["--only", *only]
    return shlex.join(words)


@contextlib.contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Any]:
    """A callback for :func:`ibkit.figures.make_figures` driving one tqdm bar on stderr."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the plot extra
        tqdm = None
    bar = None
    if tqdm is not None:
        bar = tqdm(total=total, unit="fig", file=sys.stderr, disable=True if quiet else None,
                   dynamic_ncols=True, bar_format="{l_bar}{bar}| {n}/{total} [{elapsed}]{postfix}")

    def callback(event: str, index: int, total: int, fig_id: str, record: Any) -> None:
        if bar is None:
            return
        if event == "start":
            bar.set_description(f"figures: {fig_id}")
            return
        note = "reused" if event == "skipped" else f"{record.seconds:.1f} s"
        bar.set_postfix_str(f"{fig_id} {note}", refresh=False)
        bar.update(1)

    try:
        yield callback
    finally:
        if bar is not None:
            bar.close()


def run(args: argparse.Namespace) -> int:
    from ..figures import available, get_figure, make_figures
    from ..figures.report import write_index

    if args.list:
        for fig_id, title in available():
            print(f"{fig_id}\t{title}")
        return 0
    quality = getattr(args, "quality", None) or "quick"
    cfg = FiguresConfig(out=args.out, only=args.only)
    out = check_destination(Path(cfg.out))
    ids = list(cfg.only) if cfg.only is not None else None
    for fig_id in ids or ():
        get_figure(fig_id)  # refuse unknown ids before any work
    command = command_line(cfg.out, quality, ids)
    notes: list[str] = []
    started = time.perf_counter()
    total = len(ids) if ids is not None else len(available())
    with report_warnings(notes), _progress(total, args.quiet) as callback:
        records = make_figures(out, ids, quality=quality, force=getattr(args, "force", False),
                               command=command, callback=callback)
    seconds = round(time.perf_counter() - started, 3)
    write_json(out / "config.json", {**json.loads(cfg.to_json()), "quality": quality})
    write_json(
        out / "figures.json",
        {
            "ibkit_version": __version__,
            "command": command,
            "quality": quality,
            "seconds": seconds,
            "warnings": notes,
            "figures": [r.to_dict() for r in records],
        },
    )
    write_index(out, records, command=command, quality=quality, seconds=seconds)
    print_warnings(notes)
    for record in records:
        print(f"{record.id}: {', '.join(record.files)} ({record.seconds:.2f} s)")
    print(f"wrote {out / 'index.html'} ({seconds:.1f} s)")
    return 0
