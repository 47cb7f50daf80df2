"""``ibkit rd``: an R(D) curve by Blahut–Arimoto, written to a run folder.

The curve is computed first; only then are ``config.json``, ``curve.csv``, ``summary.json``,
``rd.png`` and ``rd.svg`` written, through a staging folder, so a failed run writes nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..experiment.config import RDConfig, on_device
from ..experiment.io import load_array, write_json, write_text
from ..experiment.runs import check_destination, default_run_dir, staged_dir
from ..plotting.rd import unit_label
from ._common import print_warnings, progress_callback, report_warnings

__all__ = ["closed_form_for", "config_from_args", "load_source", "run"]

CLOSED_FORM_MIN_D = 0.01  # Gaussian: compare with ½log(σ²/D) only where D ≥ 0.01 σ² (D ≫ h²)


def config_from_args(args: argparse.Namespace) -> RDConfig:
    """Build the validated :class:`RDConfig` from parsed arguments."""
    own_files = args.px is not None or args.distortion is not None
    source = args.source or ("file" if own_files else "binary")
    return RDConfig(
        source=source,
        p=args.p,
        variance=args.variance,
        grid=args.grid,
        px=args.px,
        distortion=args.distortion,
        n_points=args.n_points,
        beta_min=args.beta_min,
        beta_max=args.beta_max,
        betas=args.betas,
        tol=args.tol,
        max_iter=args.max_iter,
        base=args.base,
        device=args.device,
    )


def load_source(cfg: RDConfig) -> Any:
    """The :class:`~ibkit.datasets.RDSource` the config names (user files are loaded here)."""
    from ..datasets import RDSource, binary_source, gaussian_source

    if cfg.source == "binary":
        return binary_source(cfg.p)
    if cfg.source == "gaussian":
        return gaussian_source(cfg.variance, n_points=cfg.grid)
    px = load_array(cfg.px, name="px")  # type: ignore[arg-type]
    d = load_array(cfg.distortion, name="distortion")  # type: ignore[arg-type]
    return RDSource(px, d, np.arange(px.shape[0], dtype=np.float64), f"p(x) from {cfg.px}")


def closed_form_for(cfg: RDConfig, source: Any) -> tuple[Any, float] | None:
    """``(R(D) callable in units of cfg.base, smallest D where it applies)`` or ``None``."""
    from ..rate_distortion import binary_hamming_rd, gaussian_mse_rd

    if cfg.source == "binary":
        return (lambda d: binary_hamming_rd(cfg.p, d, base=cfg.base)), 0.0
    if cfg.source == "gaussian":
        variance = source.variance  # the grid's own variance, not the nominal σ²
        return (lambda d: gaussian_mse_rd(variance, d, base=cfg.base)), CLOSED_FORM_MIN_D * variance
    return None


def _summary(cfg: RDConfig, source: Any, curve: Any, seconds: float, notes: list[str]) -> dict:
    gap = np.asarray(curve.gap, dtype=np.float64)
    converged = np.asarray(curve.converged, dtype=bool)
    summary: dict[str, Any] = {
        "command": "rd",
        "source": source.name,
        "n_points": int(np.size(curve.rate)),
        "base": cfg.base,
        "unit": unit_label(cfg.base),
        "beta_range": [float(np.min(curve.beta)), float(np.max(curve.beta))],
        "rate_range": [float(np.min(curve.rate)), float(np.max(curve.rate))],
        "distortion_range": [float(np.min(curve.distortion)), float(np.max(curve.distortion))],
        "max_certified_gap": float(np.max(gap)),
        "all_converged": bool(converged.all()),
        "not_converged": int((~converged).sum()),
        "total_iterations": int(np.sum(curve.iterations)),
        "seconds": round(seconds, 4),
        "warnings": notes,
        "ibkit_version": __version__,
    }
    reference = closed_form_for(cfg, source)
    if reference is not None:
        r_of_d, d_min = reference
        d = np.asarray(curve.distortion, dtype=np.float64)
        keep = d >= d_min if d_min > 0 else np.ones_like(d, dtype=bool)
        if keep.any():
            err = np.abs(np.asarray(curve.rate)[keep] - r_of_d(d[keep]))
            summary["closed_form_max_abs_error"] = float(err.max())
            summary["closed_form_domain"] = f"D >= {d_min:g}"
    return summary


def _write_plot(folder: Path, cfg: RDConfig, source: Any, curve: Any) -> None:
    from ..plotting import plot_rd_curve, save_figure

    reference = closed_form_for(cfg, source)
    closed = None if reference is None else reference[0]
    label = f"Blahut–Arimoto ({len(curve.rate)} β)"
    fig, ax = plot_rd_curve(curve, closed_form=closed, label=label)
    ax.set_title(f"R(D) of {source.name}")
    save_figure(fig, folder / "rd")


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = check_destination(Path(args.out) if args.out is not None else default_run_dir("rd"))
    source = load_source(cfg)
    px, distortion = on_device(source.px, cfg.device), on_device(source.distortion, cfg.device)
    from ..rate_distortion import rd_curve

    notes: list[str] = []
    started = time.perf_counter()
    betas = cfg.beta_grid()
    total = cfg.n_points if betas is None else len(betas)
    with (
        progress_callback("β sweep", total=total, quiet=args.quiet) as callback,
        report_warnings(notes),
    ):
        curve = rd_curve(
            px,
            distortion,
            betas,
            n_points=cfg.n_points,
            tol=cfg.tol,
            max_iter=cfg.max_iter,
            base=cfg.base,
            callback=callback,
            # CNM's Newton step solves an NNLS on the host; on an accelerator use BA with
            # SQUAREM, whose iteration is matrix products only and stays on the device.
            method="cnm" if cfg.device == "cpu" else "squarem",
        )
    seconds = time.perf_counter() - started
    summary = _summary(cfg, source, curve, seconds, notes)
    with staged_dir(out) as folder:
        write_text(folder / "config.json", cfg.to_json())
        curve.to_csv(folder / "curve.csv")
        write_json(folder / "summary.json", summary)
        if not args.no_plot:
            _write_plot(folder, cfg, source, curve)
    print_warnings(notes)
    unit = summary["unit"]
    print(
        f"{source.name}: {summary['n_points']} points, R from {summary['rate_range'][0]:.4g} "
        f"to {summary['rate_range'][1]:.4g} {unit}, max certified gap "
        f"{summary['max_certified_gap']:.2g} {unit}, {seconds:.2f} s"
    )
    print(f"wrote {out}")
    return 0
