"""``ibkit grid GRID.toml``: many runs of one command, on local processes or a Dask cluster.

Also holds the sub-parsers of ``ibkit grid`` and ``ibkit collect`` (argparse only at import
time; the executors and Dask are imported when the command runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_grid_parsers", "run"]


def add_grid_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``grid`` and ``collect`` to the ``ibkit`` sub-parsers."""
    g = sub.add_parser(
        "grid",
        help="run a grid of rd/ib/train/diffusion configs (local processes or Dask)",
        description="Expand GRID.toml (command, [base], [grid] key = [values] and/or [[runs]], "
        "retries) into one run folder per point under --out. Complete points are skipped, "
        "failed ones retried and reported in grid_status.json.",
    )
    g.add_argument("grid_file", metavar="GRID.toml", help="the grid description")
    g.add_argument("--out", metavar="DIR", help="grid folder (default runs/grid-<timestamp>)")
    g.add_argument("--executor", choices=("process", "dask", "serial"), default="process",
                   help="local processes (default), Dask distributed, or this process")
    g.add_argument("--workers", type=int, help="processes / LocalCluster workers (all cores)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://host:8786 (implies --executor dask)")
    g.add_argument("--dry-run", action="store_true", help="list the points and exit")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    c = sub.add_parser(
        "collect",
        help="one table (CSV, Parquet) and standard plots of a grid's runs",
        description="Read every complete run of GRID_DIR into results.csv (and results.parquet "
        "when pyarrow is installed): flattened config keys plus summary metrics; draw "
        "metric-vs-beta and rate-distortion plane plots coloured by --color-by.",
    )
    c.add_argument("grid_dir", metavar="GRID_DIR", help="a folder made by ibkit grid")
    c.add_argument("--color-by", metavar="KEY", help="config key for colours (default: first "
                   "grid key)")
    c.add_argument("--no-plot", action="store_true", help="only the table")


def _bar(total: int, quiet: bool) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="grid", unit="run", file=sys.stderr,
                disable=True if quiet else None, dynamic_ncols=True)


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit grid``."""
    from ..experiment.grid import load_grid
    from ..experiment.runs import check_destination, default_run_dir

    spec = load_grid(args.grid_file)
    out = check_destination(Path(args.out) if args.out else default_run_dir("grid"))
    if args.dry_run:
        for point in spec.points:
            print(point.name, point.params)
        print(f"{len(spec.points)} {spec.command} points → {out}")
        return 0
    from ..experiment.grid_exec import run_grid

    executor = "dask" if args.scheduler else args.executor
    bar = _bar(len(spec.points), args.quiet)

    def progress(done: int, running: int, failed: int, total: int) -> None:
        if bar is not None:
            bar.set_postfix(done=done, running=running, failed=failed, refresh=False)
            bar.update(done + failed - bar.n)

    try:
        report = run_grid(spec, out, executor=executor, workers=args.workers,
                          scheduler=args.scheduler, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    failed = report.count("failed")
    print(f"grid {spec.command}: {report.count('done')} done ({report.skipped} already), "
          f"{failed} failed of {len(spec.points)} → {out}")
    for name, error in report.errors.items():
        if report.states[name] == "failed":
            print(f"ibkit: error: {name} failed after {report.attempts[name]} attempt(s): "
                  f"{' '.join(error.split())}", file=sys.stderr)
    return 1 if failed else 0
