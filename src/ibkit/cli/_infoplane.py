"""``ibkit infoplane RUN_DIR``: estimated and bounded I(X;Z), I(Z;Y) per checkpoint."""

from __future__ import annotations

import argparse

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit infoplane``."""
    from ..experiment.infoplane_run import infoplane

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows = infoplane(args.run, methods=methods, n_examples=args.n_examples, bins=args.bins,
                     seed=args.seed, plots=not args.no_plot)
    steps = sorted({r["step"] for r in rows})
    print(f"{args.run}: {len(steps)} checkpoints x {len(methods)} methods → infoplane.csv")
    return 0
