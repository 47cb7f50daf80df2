"""Argument parsing for ``ibkit``: one sub-parser per command, errors as exceptions."""

from __future__ import annotations

import argparse
import math

from .. import __version__
from ..exceptions import IBKitError
from ._grid import add_grid_parsers

__all__ = ["UsageError", "build_parser", "parse_base", "parse_float_list"]


class UsageError(IBKitError):
    """A malformed command line (unknown option, bad value, missing command)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parse_base(text: str) -> float:
    """``"2"`` → 2.0 (bits), ``"e"`` → e (nats), ``"10"`` → 10.0."""
    if text.strip().lower() in {"e", "nat", "nats"}:
        return math.e
    message = f"base must be 2, e or another positive number other than 1; got {text!r}"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(message) from None
    if not (math.isfinite(value) and value > 0 and value != 1):
        raise argparse.ArgumentTypeError(message)
    return value


def parse_float_list(text: str) -> list[float]:
    """``"0.5,1,2"`` → ``[0.5, 1.0, 2.0]`` (commas or spaces)."""
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        message = f"expected numbers separated by commas; got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def _add_measure(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "measure",
        help="information measures of a pmf or joint pmf in a .csv/.npy file",
        description="Print H(X), H(Y), H(X,Y), H(Y|X), H(X|Y), I(X;Y) (and I(X;Y|Z) for a 3-D "
        "joint) of the distribution in FILE. Rows index X, columns Y, the third axis Z.",
    )
    p.add_argument("file", metavar="FILE", help="pmf (1-D), joint p[x,y] (2-D) or p[x,y,z] (3-D)")
    p.add_argument("--base", type=parse_base, default=2.0, help="2 for bits (default), e for nats")
    p.add_argument("--normalize", action="store_true", help="treat FILE as counts and normalise")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_rd(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rd",
        help="rate-distortion curve by Blahut-Arimoto, written to a run folder",
        description="Sweep beta (nats per unit of distortion; it multiplies d inside exp(-beta d)) "
        "and write config.json, curve.csv, summary.json, rd.png and rd.svg to --out.",
    )
    src = p.add_argument_group("source (a built-in one, or your own files)")
    src.add_argument(
        "--source",
        choices=("binary", "gaussian"),
        default=None,
        help="built-in source (default: binary)",
    )
    src.add_argument("--p", type=float, default=0.3, help="P(X=1) of the binary source")
    src.add_argument("--variance", type=float, default=1.0, help="variance of the Gaussian source")
    src.add_argument("--grid", type=int, default=1001, help="grid points of the Gaussian source")
    src.add_argument("--px", metavar="FILE", help="source pmf p(x), shape (n_x,)")
    src.add_argument("--distortion", metavar="FILE", help="distortion matrix, shape (n_x, n_xhat)")
    sweep = p.add_argument_group("beta sweep (default: automatic range from D_max to D_min)")
    sweep.add_argument("--n-points", type=int, default=50, help="number of beta values")
    sweep.add_argument("--beta-min", type=float, help="smallest beta (with --beta-max)")
    sweep.add_argument("--beta-max", type=float, help="largest beta (with --beta-min)")
    sweep.add_argument("--betas", type=parse_float_list, help="explicit list, e.g. 0.5,1,2,4")
    solver = p.add_argument_group("solver and output")
    solver.add_argument("--tol", type=float, default=1e-6, help="certified gap per point, in units")
    solver.add_argument("--max-iter", type=int, default=100_000, help="iterations per point")
    solver.add_argument("--base", type=parse_base, default=2.0, help="2 for bits (default), e")
    solver.add_argument("--out", metavar="DIR", help="run folder (default runs/rd-<timestamp>)")
    solver.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (NumPy, default) or cuda (torch on the GPU; BA with SQUAREM)")
    solver.add_argument("--no-plot", action="store_true", help="skip rd.png/rd.svg")
    solver.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_ib(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ib",
        help="annealed Information Bottleneck curve with bifurcations, written to a run folder",
        description="Trace I(T;Y) against I(X;T) by deterministic annealing over beta and write "
        "config.json, curve.csv, bifurcations.json, summary.json, infoplane.png/svg to --out.",
    )
    data = p.add_argument_group("joint p(x, y) (a built-in one, or your own file)")
    data.add_argument(
        "--joint",
        choices=("clustered", "dirichlet"),
        default=None,
        help="built-in joint (default: clustered)",
    )
    data.add_argument("--file", metavar="FILE", help="counts or joint, rows x (.csv/.npy/.npz)")
    data.add_argument("--n-x", type=int, default=24, help="rows of the built-in joint")
    data.add_argument("--n-y", type=int, default=12, help="columns of the built-in joint")
    data.add_argument("--n-groups", type=int, default=4, help="row groups of 'clustered'")
    data.add_argument("--seed", type=int, default=0, help="seed of the joint and the noise")
    solver = p.add_argument_group("solver, sweep and output")
    solver.add_argument("--n-clusters", type=int, default=4, help="|T| (default 4)")
    solver.add_argument("--alpha", type=float, default=1.0, help="1: IB, 0: deterministic IB")
    solver.add_argument("--anneal", choices=("forward", "reverse"), default="forward")
    solver.add_argument("--n-points", type=int, default=30, help="number of beta values")
    solver.add_argument("--betas", type=parse_float_list, help="explicit increasing list")
    solver.add_argument("--tol", type=float, default=1e-10, help="encoder change to stop at")
    solver.add_argument("--max-iter", type=int, default=20_000, help="iterations per beta")
    solver.add_argument("--base", type=parse_base, default=2.0, help="2 for bits (default), e")
    solver.add_argument("--out", metavar="DIR", help="run folder (default runs/ib-<timestamp>)")
    solver.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (NumPy, default) or cuda (torch on the GPU)")
    solver.add_argument("--no-plot", action="store_true", help="skip infoplane.png/svg")
    solver.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_figures(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "figures",
        help="recompute the reference text's figures with an index.html (the main job)",
        description="Recompute every figure of the reference text into DIR: PNG/SVG plots, "
        "CSV data, figures.json and an index.html that shows them. Figures already complete "
        "in DIR (same quality and ibkit version) are reused, so an interrupted run resumes.",
    )
    p.add_argument("--out", metavar="DIR", default="figures", help="output folder (figures/)")
    p.add_argument("--only", metavar="ID", nargs="+", help="only these figure ids (e.g. fig2)")
    p.add_argument("--list", action="store_true", help="list the available figures and exit")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--quick", dest="quality", action="store_const", const="quick",
                   help="minutes on 2 CPU cores (the default)")
    q.add_argument("--full", dest="quality", action="store_const", const="full",
                   help="publication quality: more beta points, longer training")
    p.set_defaults(quality="quick")
    p.add_argument("--force", action="store_true",
                   help="recompute every figure (default: reuse the complete ones in DIR)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=("vae", "beta-vae", "capacity-vae", "beta-tcvae", "vib"),
                   help="which model")
    p.add_argument("--config", metavar="FILE.toml", help="TOML file with [model] [data] [train]")
    p.add_argument("--set", metavar="KEY=VALUE", action="append",
                   help="override one config value, e.g. --set train.steps=500 (repeatable)")
    p.add_argument("--no-plot", action="store_true", help="skip the plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a VAE, beta-VAE, capacity-VAE, beta-TCVAE or VIB classifier",
        description="Train a neural bottleneck into a run folder: config.json, metrics.csv, "
        "checkpoints/last.pt and best.pt, summary.json and plots. Data: [data] name = digits | "
        "dsprites | a .npy/.npz file. Interrupted runs continue with --resume.",
    )
    _add_train_options(p)
    p.add_argument("--out", metavar="DIR", help="run folder (default runs/<kind>-<timestamp>)")
    p.add_argument("--resume", action="store_true", help="continue from DIR/checkpoints/last.pt")


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep-beta",
        help="train one model per beta; rate-distortion plane (VAE) or information plane (VIB)",
        description="Train one model per beta (in DIR/beta-<value>/, resumable: finished runs are "
        "kept) and write sweep.csv plus the rate-distortion plane (VAEs) or the information plane "
        "I(Z;X)-I(Z;Y) (VIB).",
    )
    _add_train_options(p)
    p.add_argument("--betas", type=parse_float_list, required=True, help="e.g. 0.5,1,2,4,8")
    p.add_argument("--out", metavar="DIR", help="sweep folder (default runs/sweep-<kind>-<time>)")


def _add_diffusion(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diffusion",
        help="DDPMs as a time-varying bottleneck: train, bound, kl-curves",
        description="Train a DDPM (train), evaluate its bound per timestep (bound), or draw the "
        "KL-versus-t curves of noise schedules without training (kl-curves).",
    )
    dsub = p.add_subparsers(dest="diffusion_command", metavar="{train,bound,kl-curves}",
                            required=True)
    t = dsub.add_parser(
        "train", help="train a DDPM into a run folder",
        description="Train a DDPM: config.json, metrics.csv, checkpoints/last.pt and best.pt, "
        "summary.json, samples.npy and plots. [data] name = moons | gaussian-mixture | digits | "
        "dsprites | a .npy/.npz file; [model] schedule, T, prediction, variance, loss, denoiser.",
    )
    t.add_argument("--config", metavar="FILE.toml", help="TOML file with [model] [data] [train]")
    t.add_argument("--set", metavar="KEY=VALUE", action="append",
                   help="override one config value, e.g. --set model.T=200 (repeatable)")
    t.add_argument("--out", metavar="DIR", help="run folder (default runs/ddpm-<timestamp>)")
    t.add_argument("--resume", action="store_true", help="continue from DIR/checkpoints/last.pt")
    t.add_argument("--no-plot", action="store_true", help="skip the plots and samples")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    b = dsub.add_parser(
        "bound", help="every term of the bound of a trained DDPM on held-out data",
        description="Evaluate L_0 ... L_T (eq. 19) on the run's validation data and write "
        "bound_terms.csv, bound.json and bound_terms.png/svg to RUN_DIR (or --out).",
    )
    b.add_argument("run_dir", metavar="RUN_DIR", help="a folder made by ibkit diffusion train")
    b.add_argument("--n-examples", type=int, help="first N validation examples (default all)")
    b.add_argument("--checkpoint", choices=("best", "last"), default="best")
    b.add_argument("--batch-size", type=int, default=1024,
                   help="(example, t) pairs per denoiser call (1024; more on a GPU)")
    b.add_argument("--seed", type=int, default=0, help="seed of the noise draws")
    b.add_argument("--device", default="cpu", help="cpu (default), cuda, auto, ...")
    b.add_argument("--out", metavar="DIR", help="output folder (default RUN_DIR)")
    b.add_argument("--no-plot", action="store_true", help="skip bound_terms.png/svg")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    k = dsub.add_parser(
        "kl-curves", help="KL-versus-t curves of noise schedules (no training)",
        description="Write kl_curves.csv, kl_curves.json and kl_curves.png/svg: log SNR, "
        "E KL(q(x_t|x_0) || N(0, I)) and the per-step terms L_t-1 of each schedule.",
    )
    k.add_argument("--schedules", default="cosine,linear",
                   help="comma-separated names, e.g. cosine,linear,scaled_linear,sqrt")
    k.add_argument("--T", type=int, default=1000, help="diffusion steps (default 1000)")
    k.add_argument("--data", choices=("digits", "dsprites", "gaussian"), default="digits")
    k.add_argument("--n-examples", type=int, default=512, help="examples for the covariance")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--out", metavar="DIR", help="output folder (default runs/kl-curves-<time>)")
    k.add_argument("--no-plot", action="store_true", help="skip kl_curves.png/svg")


def _add_mi_benchmark(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mi-benchmark",
        help="MI estimators on the correlated-Gaussian staircase (bias, variance, MSE)",
        description="Run MI estimators on correlated Gaussians (true MI stepped over --levels "
        "nats, plus the cubic transform y -> y^3) and write estimates.csv, table.csv (bias, "
        "variance, MSE per level), training.csv, summary.json and staircase.png/svg to --out.",
    )
    p.add_argument("--methods", default="ksg,infonce", help="comma-separated, e.g. ksg,nwj,smile")
    p.add_argument("--dim", type=int, default=20, help="dimension of X and of Y (default 20)")
    p.add_argument("--levels", type=parse_float_list, default=[2.0, 4.0, 6.0, 8.0, 10.0],
                   help="true MI levels in nats (default 2,4,6,8,10)")
    p.add_argument("--n-samples", type=int, default=5000, help="samples per level and repeat")
    p.add_argument("--repeats", type=int, default=3, help="independent samples per level")
    p.add_argument("--steps", type=int, default=1000, help="training steps of neural methods")
    p.add_argument("--batch-size", type=int, default=128, help="batch of neural methods")
    p.add_argument("--no-cubic", action="store_true", help="skip the cubic transform")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="DIR", help="run folder (default runs/mi-benchmark-<time>)")
    p.add_argument("--no-plot", action="store_true", help="skip staircase.png/svg")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="disentanglement metrics of a trained VAE run on its ground-truth data",
        description="Compute beta-VAE, FactorVAE, MIG, DCI, SAP, modularity and explicitness for "
        "a run trained on dsprites (representation: the posterior mean) and write metrics.json, "
        "metrics.png/svg and eval_traversals.png/svg into RUN_DIR; with --compare, tabulate "
        "several evaluated runs (compare.csv, compare.png/svg: metrics against beta beside rate "
        "and distortion).",
    )
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folder(s) of ibkit train")
    p.add_argument("--compare", action="store_true", help="tabulate and plot several runs")
    p.add_argument("--out", metavar="DIR", help="--compare output folder (default: beside runs)")
    p.add_argument("--n-samples", type=int, default=10_000,
                   help="ground-truth draws (10000 as disentanglement_lib; β-VAE and FactorVAE "
                        "then encode ~2M observations, minutes on a CPU; 2000 for a quick look)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws and classifiers")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--dci-estimators", type=int, default=100,
                   help="boosting stages of DCI (100 as in disentanglement_lib)")
    p.add_argument("--jobs", type=int, default=0,
                   help="threads for DCI's classifiers (default: all cores; values do not change)")
    p.add_argument("--no-plot", action="store_true", help="skip the plots")


def _add_infoplane(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infoplane",
        help="information plane of training: estimated I(X;Z), I(Z;Y) beside the bounds",
        description="For every kept checkpoint of an ibkit train run (train.keep_checkpoints = "
        "true; else the last one) estimate I(X;Z) and I(Z;Y) on held-out data with the binning "
        "estimator of Shwartz-Ziv & Tishby (2017), KSG and/or InfoNCE, beside the model's own "
        "variational bounds; write infoplane.csv and infoplane.png/svg into RUN_DIR.",
    )
    p.add_argument("run", metavar="RUN_DIR", help="run folder of ibkit train")
    p.add_argument("--methods", default="binned,ksg", help="binned,ksg,infonce (comma list)")
    p.add_argument("--n-examples", type=int, default=1000, help="held-out examples (1000)")
    p.add_argument("--bins", type=int, default=30, help="bins per latent dimension (binned)")
    p.add_argument("--seed", type=int, default=0, help="seed of z ~ q(z|x) and the estimators")
    p.add_argument("--no-plot", action="store_true", help="skip infoplane.png/svg")


def build_parser() -> argparse.ArgumentParser:
    """The ``ibkit`` argument parser (errors raise :class:`UsageError`)."""
    parser = _Parser(
        prog="ibkit",
        description="The Information Bottleneck principle, computable end to end.",
    )
    parser.add_argument("--version", action="version", version=f"ibkit {__version__}")
    commands = ("{measure,rd,ib,figures,train,sweep-beta,evaluate,infoplane,diffusion,"
                "mi-benchmark,grid,collect}")
    sub = parser.add_subparsers(dest="command", metavar=commands, required=True)
    _add_measure(sub)
    _add_rd(sub)
    _add_ib(sub)
    _add_figures(sub)
    _add_train(sub)
    _add_sweep(sub)
    _add_evaluate(sub)
    _add_infoplane(sub)
    _add_diffusion(sub)
    _add_mi_benchmark(sub)
    add_grid_parsers(sub)
    return parser
