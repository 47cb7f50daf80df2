"""``ibkit ib``: an annealed IB curve with its bifurcations, written to a run folder.

The curve is computed first; only then are ``config.json``, ``curve.csv``,
``bifurcations.json``, ``summary.json`` and ``infoplane.png/svg`` written, through a staging
folder, so a failed run writes nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..experiment.config import IBConfig, on_device
from ..experiment.io import load_array, write_json, write_text
from ..experiment.runs import check_destination, default_run_dir, staged_dir
from ..plotting.rd import unit_label
from ._common import print_warnings, progress_callback, report_warnings

__all__ = ["config_from_args", "load_joint", "run"]


def config_from_args(args: argparse.Namespace) -> IBConfig:
    """Build the validated :class:`IBConfig` from parsed arguments."""
    joint = args.joint or ("file" if args.file is not None else "clustered")
    return IBConfig(
        joint=joint,
        file=args.file,
        n_x=args.n_x,
        n_y=args.n_y,
        n_groups=args.n_groups,
        seed=args.seed,
        n_clusters=args.n_clusters,
        alpha=args.alpha,
        anneal=args.anneal,
        n_points=args.n_points,
        betas=args.betas,
        tol=args.tol,
        max_iter=args.max_iter,
        base=args.base,
        device=args.device,
    )


def load_joint(cfg: IBConfig) -> tuple[np.ndarray, str]:
    """The joint p(x, y) the config names (a count file is normalised) and a description."""
    from ..datasets import clustered_joint, dirichlet_joint

    if cfg.joint == "clustered":
        joint = clustered_joint(cfg.n_x, cfg.n_y, cfg.n_groups, seed=cfg.seed)
        return joint, f"clustered joint {cfg.n_x}×{cfg.n_y}, {cfg.n_groups} groups"
    if cfg.joint == "dirichlet":
        return dirichlet_joint(
            cfg.n_x, cfg.n_y, seed=cfg.seed
        ), f"Dirichlet joint {cfg.n_x}×{cfg.n_y}"
    counts = load_array(cfg.file, name="joint")  # type: ignore[arg-type]
    if hasattr(counts, "toarray"):  # a scipy.sparse matrix from .npz
        counts = counts.toarray()
    from .._validation import as_pmf

    joint, _ = as_pmf(
        np.asarray(counts, dtype=np.float64),
        name=str(cfg.file),
        event_ndim=2,
        batch=False,
        normalize=True,
    )
    return joint, f"joint from {cfg.file}"


def _summary(
    cfg: IBConfig, name: str, pxy: np.ndarray, curve: Any, seconds: float, notes: list[str]
) -> dict[str, Any]:
    from ..ib import critical_beta
    from ..measures import mutual_information

    return {
        "command": "ib",
        "joint": name,
        "shape": list(pxy.shape),
        "n_clusters": cfg.n_clusters,
        "alpha": cfg.alpha,
        "unit": unit_label(cfg.base),
        "I_XY": float(mutual_information(pxy, base=cfg.base)),
        "critical_beta": critical_beta(pxy),
        "beta_range": [float(curve.beta[0]), float(curve.beta[-1])],
        "I_XT_max": float(np.max(curve.I_XT)),
        "I_TY_max": float(np.max(curve.I_TY)),
        "bifurcations": [vars(b) for b in curve.bifurcations],
        "seconds": round(seconds, 4),
        "warnings": notes,
        "ibkit_version": __version__,
    }


def _write_plot(folder: Path, curve: Any, i_xy: float, name: str) -> None:
    from ..plotting import plot_information_plane, save_figure

    fig, ax = plot_information_plane(curve)
    ax.axhline(i_xy, color="0.3", ls="--", lw=1.0)
    ax.set_title(f"IB curve, {name}", fontsize=10)
    save_figure(fig, folder / "infoplane")


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = check_destination(Path(args.out) if args.out is not None else default_run_dir("ib"))
    pxy, name = load_joint(cfg)
    pxy_device = on_device(pxy, cfg.device)  # a CUDA tensor for --device cuda
    from ..ib import ib_curve

    notes: list[str] = []
    started = time.perf_counter()
    total = cfg.n_points if cfg.betas is None else len(cfg.betas)
    with (
        progress_callback("β sweep", total=total, quiet=args.quiet) as callback,
        report_warnings(notes),
    ):
        curve = ib_curve(
            pxy_device,
            cfg.n_clusters,
            cfg.betas,
            alpha=cfg.alpha,
            anneal=cfg.anneal,
            n_points=cfg.n_points,
            tol=cfg.tol,
            max_iter=cfg.max_iter,
            seed=cfg.seed,
            base=cfg.base,
            callback=callback,
        )
    seconds = time.perf_counter() - started
    summary = _summary(cfg, name, pxy, curve, seconds, notes)
    with staged_dir(out) as folder:
        write_text(folder / "config.json", cfg.to_json())
        curve.to_csv(folder / "curve.csv")
        write_json(folder / "bifurcations.json", summary["bifurcations"])
        write_json(folder / "summary.json", summary)
        if not args.no_plot:
            _write_plot(folder, curve, summary["I_XY"], name)
    print_warnings(notes)
    print(
        f"{name}: |T| = {cfg.n_clusters}, {len(curve.beta)} β, I(T;Y) up to "
        f"{summary['I_TY_max']:.4g} of I(X;Y) = {summary['I_XY']:.4g} {summary['unit']}, "
        f"{len(curve.bifurcations)} bifurcation(s), {seconds:.2f} s"
    )
    print(f"wrote {out}")
    return 0
