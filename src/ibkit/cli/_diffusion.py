"""``ibkit diffusion train|bound|kl-curves``: DDPMs as a time-varying bottleneck (§5.2).

``train`` trains a DDPM from a TOML config into a run folder (resumable with ``--resume``);
``bound`` evaluates every term of the variational bound of a trained run on held-out data
(bits/dim and the per-t table); ``kl-curves`` draws the KL-versus-t curves of noise schedules
without training. Config, data and model are validated before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exceptions import InvalidParameterError
from ..experiment.runs import check_destination, default_run_dir

__all__ = ["run"]


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else (True if sys.stderr.isatty() else None)


def _train(args: argparse.Namespace) -> int:
    from ..experiment.diffusion_config import load_diffusion_config
    from ..experiment.diffusion_run import run_diffusion_training

    config = load_diffusion_config(args.config, args.set or [])
    out = check_destination(Path(args.out) if args.out else default_run_dir("ddpm"))
    summary = run_diffusion_training(config, out, resume=args.resume, progress=_progress(args),
                                     plots=not args.no_plot)
    ev = summary.get("eval") or summary.get("train") or {}
    parts = [f"{k}={ev[k]:.4g}" for k in ("loss", "mse", "bits_per_dim") if k in ev]
    print(f"ddpm on {config.data.name}: {summary['step']} steps; " + ", ".join(parts)
          + f" → {out}")
    return 0


def _bound(args: argparse.Namespace) -> int:
    from ..experiment.diffusion_run import run_bound

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise InvalidParameterError(f"RUN_DIR {str(run_dir)!r} is not a folder")
    out = check_destination(Path(args.out)) if args.out else None
    res = run_bound(run_dir, n_examples=args.n_examples, checkpoint=args.checkpoint,
                    batch_size=args.batch_size, seed=args.seed, device=args.device, out=out,
                    progress=bool(_progress(args)), plots=not args.no_plot)
    print(f"bound at step {res['step']} ({res['checkpoint']}.pt) on {res['n_examples']} "
          f"{res['split']} examples: {res['bits_per_dim']:.4f} ± {res['bits_per_dim_stderr']:.4f}"
          f" bits/dim (L_0 {res['decoder_bits_per_dim']:.4f}, Σ L_t "
          f"{res['diffusion_bits_per_dim']:.4f}, L_T {res['prior_bits_per_dim']:.2e})"
          f" → {out or run_dir}")
    return 0


def _kl_curves(args: argparse.Namespace) -> int:
    from ..experiment.diffusion_kl import run_kl_curves

    names = [s.strip() for s in args.schedules.split(",") if s.strip()]
    out = check_destination(Path(args.out) if args.out else default_run_dir("kl-curves"))
    summary = run_kl_curves(names, out, T=args.T, data=args.data, n_examples=args.n_examples,
                            seed=args.seed, plots=not args.no_plot)
    sums = ", ".join(f"{k} {v:.4f}" for k, v in summary["sum_posterior_kl"].items())
    print(f"kl-curves on {args.data} (T = {args.T}): Σ_t L_t-1 [bits/dim] {sums} → {out}")
    return 0


_COMMANDS = {"train": _train, "bound": _bound, "kl-curves": _kl_curves}


def run(args: argparse.Namespace) -> int:
    """Handler of ``ibkit diffusion``: dispatch on the sub-command."""
    return _COMMANDS[args.diffusion_command](args)
