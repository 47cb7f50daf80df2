"""``ibkit evaluate RUN_DIR`` and ``ibkit evaluate --compare RUN_DIR...``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit evaluate``."""
    from ..experiment.evaluate_run import compare_runs, evaluate_run

    if args.compare:
        out = Path(args.out) if args.out else Path(args.runs[0]).parent / "compare"
        rows = compare_runs(args.runs, out, plots=not args.no_plot)
        print(f"compared {len(rows)} runs → {out}")
        return 0
    if len(args.runs) != 1:
        from ._parser import UsageError

        raise UsageError("evaluate takes one RUN_DIR (or several with --compare)")
    result = evaluate_run(args.runs[0], n_samples=args.n_samples, seed=args.seed,
                          checkpoint=args.checkpoint, dci_estimators=args.dci_estimators,
                          plots=not args.no_plot, n_jobs=args.jobs or os.cpu_count() or 1,
                          progress=True)
    values = result["metrics"]
    shown = ", ".join(f"{k}={values[k]:.3f}" for k in ("mig", "dci.disentanglement", "sap",
                                                       "factor_vae.accuracy") if k in values)
    print(f"{args.runs[0]}: {shown} → metrics.json")
    return 0
