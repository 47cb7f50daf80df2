"""``ibkit mi-benchmark``: MI estimators on the correlated-Gaussian staircase.

For each transform (Gaussian, cubic), each true MI level and each repeat, the chosen estimators
run on fresh samples; the run folder gets ``config.json``, ``estimates.csv`` (one row per
estimate), ``table.csv`` (bias, variance, MSE per method and level), ``training.csv`` (held-out
estimate over training steps of the neural methods), ``summary.json`` and ``staircase.png/svg``.
Everything is computed first and written through a staging folder, so a failed run writes nothing.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import write_csv
from .._validation import check_int
from ..exceptions import InvalidParameterError
from ..experiment.io import write_json
from ..experiment.runs import check_destination, default_run_dir, staged_dir
from ._common import print_warnings, report_warnings

__all__ = ["run"]


def _methods(text: str) -> list[str]:
    from ..estimators import MI_METHODS

    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in MI_METHODS]
    if not methods or unknown:
        raise InvalidParameterError(
            f"--methods must be a comma-separated list of {', '.join(MI_METHODS)}; got {text!r}"
        )
    return methods


def _estimate(x: Any, y: Any, method: str, args: argparse.Namespace, seed: int) -> tuple:
    from ..estimators import NEURAL_METHODS, estimate_mi

    if method in NEURAL_METHODS:
        est = estimate_mi(x, y, method=method, base=math.e, steps=args.steps,
                          batch_size=args.batch_size, seed=seed, patience=10**9,
                          eval_every=max(1, args.steps // 50))
        return est.value, est.diagnostics["history"]
    return estimate_mi(x, y, method=method, base=math.e).value, None


def _bar(total: int, quiet: bool) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the plot extra
        return None
    return tqdm(total=total, desc="MI staircase", unit="estimate", file=sys.stderr,
                disable=True if quiet else None, leave=False, dynamic_ncols=True)


def _collect(args: argparse.Namespace, methods: list[str]) -> tuple[dict, dict]:
    from ..estimators import correlated_gaussian

    rows: dict[str, list] = {k: [] for k in
                             ("transform", "true_mi", "repeat", "method", "estimate", "seconds")}
    curves: dict[str, list] = {k: [] for k in
                               ("transform", "true_mi", "repeat", "method", "step", "held_out")}
    transforms = ["gaussian"] + ([] if args.no_cubic else ["cubic"])
    bar = _bar(len(transforms) * len(args.levels) * args.repeats * len(methods), args.quiet)
    for transform in transforms:
        for level in args.levels:
            for rep in range(args.repeats):
                seed = args.seed + 1000 * rep + int(level * 10)
                x, y = correlated_gaussian(args.n_samples, dim=args.dim, mi=level,
                                           cubic=transform == "cubic", seed=seed)
                for method in methods:
                    start = time.perf_counter()
                    value, history = _estimate(x, y, method, args, seed)
                    if bar is not None:
                        bar.update()
                    for key, v in zip(rows, (transform, level, rep, method, value,
                                             time.perf_counter() - start), strict=True):
                        rows[key].append(v)
                    pairs = zip(history["step"], history["held_out"], strict=True) if history \
                        else ()
                    for step, held in pairs:
                        for key, v in zip(curves, (transform, level, rep, method, step, held),
                                          strict=True):
                            curves[key].append(v)
    if bar is not None:
        bar.close()
    return rows, curves


def _table(rows: dict[str, list]) -> dict[str, list]:
    table: dict[str, list] = {k: [] for k in ("transform", "method", "true_mi", "mean", "bias",
                                              "variance", "mse", "repeats")}
    keys = sorted({(t, m, lv) for t, m, lv in zip(rows["transform"], rows["method"],
                                                    rows["true_mi"], strict=True)})
    est = np.asarray(rows["estimate"], dtype=np.float64)
    for t, m, lv in keys:
        mask = [(a, b, c) == (t, m, lv) for a, b, c in
                zip(rows["transform"], rows["method"], rows["true_mi"], strict=True)]
        v = est[np.asarray(mask)]
        values = (t, m, lv, float(v.mean()), float(v.mean() - lv), float(v.var()),
                  float(np.mean((v - lv) ** 2)), int(v.size))
        for key, val in zip(table, values, strict=True):
            table[key].append(val)
    return table


def _plot(folder: Path, rows: dict, curves: dict, args: argparse.Namespace) -> None:
    from ..plotting import new_figure, save_figure

    transforms = sorted(set(rows["transform"]), reverse=True)  # gaussian first
    fig, axes = new_figure(len(transforms), width=6.0)
    axes = np.atleast_1d(axes)
    span = args.steps
    for ax, transform in zip(axes, transforms, strict=True):
        for i, level in enumerate(args.levels):
            ax.plot([i * span, (i + 1) * span], [level, level], color="black", lw=1.5)
        for method in dict.fromkeys(rows["method"]):
            pts = [(i * span + s, h) for t, lv, r, m, s, h in zip(*curves.values(), strict=True)
                   if t == transform and m == method and r == 0
                   for i in [args.levels.index(lv)]]
            if pts:
                ax.plot(*zip(*pts, strict=True), lw=1, label=method)
                continue
            xs, ys = [], []
            for t, lv, r, m, e in zip(rows["transform"], rows["true_mi"], rows["repeat"],
                                      rows["method"], rows["estimate"], strict=True):
                if t == transform and m == method and r == 0:
                    i = args.levels.index(lv)
                    xs += [i * span, (i + 1) * span, math.nan]
                    ys += [e, e, math.nan]
            ax.plot(xs, ys, lw=1.5, ls="--", label=method)
        ax.set_xlabel("training step (levels side by side)")
        ax.set_ylabel("MI estimate (nats)")
        ax.set_title(f"{transform}, d = {args.dim}, N = {args.n_samples}")
        ax.set_ylim(-0.5, 1.5 * max(args.levels))  # a diverging bound must not hide the rest
        ax.legend(fontsize=8)
    save_figure(fig, folder / "staircase")


def run(args: argparse.Namespace) -> int:
    methods = _methods(args.methods)
    for name in ("dim", "n_samples", "steps", "batch_size", "repeats"):
        check_int(getattr(args, name), f"--{name.replace('_', '-')}", minimum=1)
    if any(not (lv > 0 and math.isfinite(lv)) for lv in args.levels):
        raise InvalidParameterError(f"--levels must be positive numbers; got {args.levels}")
    out = check_destination(Path(args.out) if args.out else default_run_dir("mi-benchmark"))
    notes: list[str] = []
    started = time.perf_counter()
    with report_warnings(notes):
        rows, curves = _collect(args, methods)
    table = _table(rows)
    config = {k: v for k, v in vars(args).items() if k != "command"}
    summary = {"command": "mi-benchmark", "methods": methods, "unit": "nats",
               "seconds": round(time.perf_counter() - started, 3), "warnings": notes,
               "mse": dict(zip((f"{t}/{m}/{lv:g}" for t, m, lv in zip(
                   table["transform"], table["method"], table["true_mi"], strict=True)),
                   table["mse"], strict=True)),
               "ibkit_version": __version__}
    with staged_dir(out) as folder:
        write_json(folder / "config.json", {**config, "methods": methods})
        write_csv(folder / "estimates.csv", rows)
        write_csv(folder / "table.csv", table)
        write_csv(folder / "training.csv", curves)
        write_json(folder / "summary.json", summary)
        if not args.no_plot:
            _plot(folder, rows, curves, args)
    print_warnings(notes)
    for t, m, lv, b, mse in zip(table["transform"], table["method"], table["true_mi"],
                                table["bias"], table["mse"], strict=True):
        print(f"{t:8s} {m:12s} I={lv:5.2f} nats  bias {b:+.3f}  mse {mse:.4f}")
    print(f"wrote {out}")
    return 0
