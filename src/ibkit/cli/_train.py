"""``ibkit train KIND`` and ``ibkit sweep-beta KIND``: neural bottlenecks from a TOML config.

Config, data and model are validated before anything is written; training writes through the
trainer (atomic ``metrics.csv`` and checkpoints), so an interrupted run resumes with
``--resume`` and ends with the same parameters as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..experiment.runs import check_destination, default_run_dir
from ..experiment.train_config import load_train_config

__all__ = ["run", "run_sweep"]


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else (True if sys.stderr.isatty() else None)


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit train``."""
    from ..experiment.train_run import run_training

    config = load_train_config(args.kind, args.config, args.set or [])
    out = check_destination(Path(args.out) if args.out else default_run_dir(args.kind))
    summary = run_training(config, out, resume=args.resume, progress=_progress(args),
                           plots=not args.no_plot)
    print(_one_line_summary(summary, out))
    return 0


def _one_line_summary(summary: dict[str, Any], out: Path) -> str:
    ev = summary.get("eval") or summary.get("train") or {}
    parts = [f"{k}={ev[k]:.4g}" for k in ("rate_bits", "distortion_bits", "elbo_bits",
                                            "test_error", "accuracy") if k in ev]
    return f"{summary['kind']}: {summary['step']} steps; " + ", ".join(parts) + f" → {out}"


def run_sweep(args: argparse.Namespace) -> int:
    """Handler of ``ibkit sweep-beta``."""
    from ..experiment.sweep import run_beta_sweep

    config = load_train_config(args.kind, args.config, args.set or [])
    out = check_destination(Path(args.out) if args.out else default_run_dir("sweep-" + args.kind))
    table = run_beta_sweep(config, args.betas, out, progress=_progress(args),
                           plots=not args.no_plot)
    print(f"sweep-beta {args.kind}: {len(table)} models → {out}")
    return 0
