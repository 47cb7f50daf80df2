r"""``ibkit infoplane RUN_DIR``: the information plane of training, estimated and bounded [torch].

For every kept checkpoint of an ``ibkit train`` run (``train.keep_checkpoints = true``; else
the last one), on ``n_examples`` held-out inputs x with labels y (when the data has them):

* the model's own variational bounds: the rate :math:`E\,KL(q(z|x)\|p(z)) \ge I(X;Z)` and, for
  VIB, :math:`H(Y) - CE \le I(Z;Y)`;
* ``binned`` — Shwartz-Ziv & Tishby (2017): the posterior mean μ(x) cut into ``bins``
  equal-width bins per dimension; as μ is a deterministic function of x (each held-out x is
  distinct), :math:`I(X;Z) = H(\mathrm{bin}(\mu))`, and :math:`I(Z;Y)` is the plug-in MI of
  the binned codes with y;
* ``ksg`` — KSG-1 between the flattened x and one posterior sample z ~ q(z|x) for I(X;Z)
  (high-dimensional x: a rough, downward-biased estimate; ibkit warns), and between z and
  y's one-hot code for I(Z;Y);
* ``infonce`` — the InfoNCE lower bound with a small critic on the same pairs.

All in bits. Writes ``infoplane.csv`` (one row per checkpoint and method) and
``infoplane.png/svg`` (trajectories coloured by step), atomically.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_csv
from .._validation import check_choice, check_int
from ..exceptions import DataFormatError
from .runs import staged_dir

__all__ = ["INFOPLANE_METHODS", "infoplane"]

INFOPLANE_METHODS = ("binned", "ksg", "infonce")
LN2 = math.log(2.0)


def _checkpoints(run_dir: Path) -> list[Path]:
    folder = run_dir / "checkpoints"
    kept = sorted(folder.glob("step-*.pt"), key=lambda p: int(re.sub(r"\D", "", p.stem)))
    if kept:
        return kept
    last = folder / "last.pt"
    if not last.is_file():
        raise DataFormatError(f"{str(run_dir)!r} has no checkpoints (run ibkit train first)")
    return [last]


def _eval_arrays(data: Any, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    source = data.val if data.val is not None else data.train
    if isinstance(source, tuple):
        x, y = source
        return np.asarray(x[:n], dtype=np.float32), np.asarray(y[:n])
    return np.asarray(source[: min(n, len(source))], dtype=np.float32), None


def _model_terms(model: Any, x: np.ndarray, y: np.ndarray | None) -> dict[str, float]:
    import torch

    batch: Any = torch.as_tensor(x)
    if y is not None:
        batch = (batch, torch.as_tensor(y))
    with torch.no_grad():
        scalars = model(batch).scalars()
    out = {"bound_I_XZ_bits": scalars["rate_bits"]}
    if "I_ZY_lower_bound" in scalars:
        out["bound_I_ZY_bits"] = scalars["I_ZY_lower_bound"] / LN2
    return out


def _estimates(method: str, x: np.ndarray, mean: np.ndarray, z: np.ndarray,
               y: np.ndarray | None, bins: int, seed: int) -> tuple[float, float]:
    from ..estimators import bin_samples, estimate_mi

    if method == "binned":
        codes = bin_samples(mean, bins=bins)
        i_xz = estimate_mi(codes, np.arange(len(codes)), method="plugin").value
        i_zy = math.nan if y is None else estimate_mi(codes, y, method="plugin").value
        return i_xz, i_zy
    options: dict[str, Any] = {"seed": seed} if method == "ksg" else {"seed": seed, "steps": 300}
    flat = x.reshape(len(x), -1).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the high-dimension warning is documented above
        i_xz = estimate_mi(flat, z, method=method, **options).value
        if y is None:
            return i_xz, math.nan
        onehot = np.eye(int(y.max()) + 1)[y]
        return i_xz, estimate_mi(z, onehot, method=method, **options).value


def infoplane(
    run_dir: str | Path, *, methods: Sequence[str] = ("binned", "ksg"), n_examples: int = 1000,
    bins: int = 30, seed: int = 0, plots: bool = True,
) -> list[dict[str, float]]:
    r"""Estimate I(X;Z), I(Z;Y) per checkpoint beside the model's bounds; write CSV and plot.

    .. math:: \text{binned: } \hat I(X;Z) = \hat H(\mathrm{bin}(\mu(x))),\
              \hat I(Z;Y) = \hat I(\mathrm{bin}(\mu(x)); y); \qquad
              \text{ksg/neural: } z = \mu(x) + \sigma(x)\,\varepsilon

    on the first ``n_examples`` evaluation rows (each x its own symbol, so the binned I(X;Z)
    is the plug-in entropy of the ``bins``-per-dimension codes of the encoder mean). Returns
    one row per (checkpoint, method), all informations in bits, beside the model's own
    ``bound_I_XZ_bits`` (the rate, an upper bound) and ``bound_I_ZY_bits`` (VIB's lower bound).
    """
    import torch

    from ..nn.checkpoint import load_checkpoint
    from .evaluate_run import load_train_run
    from .train_run import prepare_data

    methods = [check_choice(m, "methods", INFOPLANE_METHODS) for m in methods]
    n = check_int(n_examples, "n_examples", minimum=10)
    run_dir = Path(run_dir)
    config, model = load_train_run(run_dir, checkpoint="last")
    x, y = _eval_arrays(prepare_data(config.data, needs_labels=config.kind == "vib"), n)
    rows = []
    for path in _checkpoints(run_dir):
        ckpt = load_checkpoint(path)
        model.load_state_dict(ckpt["model"])
        model.eval()
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            mean_t, log_var = model.encode(torch.as_tensor(x))
            eps = torch.randn(mean_t.shape, generator=generator, dtype=mean_t.dtype)
            z = (mean_t + torch.exp(0.5 * log_var) * eps).double().numpy()
        mean = mean_t.double().numpy()
        base = {"step": int(ckpt.get("step", 0)), **_model_terms(model, x, y)}
        for method in methods:
            i_xz, i_zy = _estimates(method, x, mean, z, y, bins, seed)
            rows.append({**base, "method": method, "I_XZ_bits": i_xz, "I_ZY_bits": i_zy})
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with staged_dir(run_dir) as stage:
        write_csv(stage / "infoplane.csv", {k: [r.get(k, math.nan) for r in rows] for k in keys})
        if plots:
            _plot(stage, rows, y is not None)
    return rows


def _plot(folder: Path, rows: list[dict[str, Any]], labelled: bool) -> None:
    from ..plotting import new_figure, save_figure

    fig, ax = new_figure(width=6.0)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    bound_rows = [r for r in rows if r["method"] == methods[0]]
    series = [(m, [r for r in rows if r["method"] == m]) for m in methods]
    if labelled and "bound_I_ZY_bits" in bound_rows[0]:
        series.append(("variational bounds", [
            {"I_XZ_bits": r["bound_I_XZ_bits"], "I_ZY_bits": r["bound_I_ZY_bits"],
             "step": r["step"]} for r in bound_rows]))
    for label, part in series:
        xs = [r["I_XZ_bits"] for r in part]
        ys = [r["I_ZY_bits"] if labelled else r["step"] for r in part]
        ax.plot(xs, ys, "-", lw=1, alpha=0.6)
        points = ax.scatter(xs, ys, c=[r["step"] for r in part], cmap="viridis", s=18)
        ax.annotate(label, (xs[-1], ys[-1]), textcoords="offset points", xytext=(4, 4),
                    fontsize=8)
    fig.colorbar(points, ax=ax, label="training step")
    ax.set_xlabel("I(X;Z) (bits)")
    ax.set_ylabel("I(Z;Y) (bits)" if labelled else "training step")
    ax.grid(alpha=0.3)
    save_figure(fig, folder / "infoplane")
