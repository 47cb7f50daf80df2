"""``ibkit sweep-beta``: one trained model per β, and the plane they trace [torch].

β-VAE family: the rate–distortion plane (Alemi et al. 2018, "Fixing a broken ELBO"), rate
R = E KL(q(z|x)‖p(z)) against distortion D = −E log p(x|z). VIB: the information plane, the
upper bound on I(Z;X) against the lower bound H(Y) − CE on I(Z;Y) (Alemi et al. 2017). All in
bits, measured on the held-out split when there is one.

Each model lives in ``OUT/beta-<β>/``; a finished run (``summary.json`` present) is reused, an
interrupted one resumed, so re-running the same command completes a partial sweep.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._io import write_csv
from .._validation import check_beta
from ..exceptions import InvalidParameterError
from .train_config import TrainRunConfig

__all__ = ["SWEEP_KINDS", "run_beta_sweep", "sweep_row"]

SWEEP_KINDS = ("beta-vae", "beta-tcvae", "vib")
LN2 = math.log(2.0)


def sweep_row(beta: float, summary: dict[str, Any]) -> dict[str, float]:
    r"""The sweep table's row for one finished run (eval metrics, else the last train row).

    .. math:: I_\mathrm{bits} = I_\mathrm{nats} / \ln 2

    for the VIB's ``I_ZY_lower_bound`` and ``H_Y``; ``rate_bits`` and ``distortion_bits`` are
    copied (β multiplies the rate in the trained loss D + βR).
    """
    m = summary.get("eval") or summary.get("train") or {}
    row = {"beta": beta, "rate_bits": m.get("rate_bits", math.nan),
           "distortion_bits": m.get("distortion_bits", math.nan)}
    if "elbo_bits" in m:
        row["elbo_bits"] = m["elbo_bits"]
    if "I_ZY_lower_bound" in m:
        row["I_ZY_lower_bound_bits"] = m["I_ZY_lower_bound"] / LN2
        row["H_Y_bits"] = m.get("H_Y", math.nan) / LN2
    for key in ("test_error", "test_error_1sample", "accuracy"):
        if key in m:
            row[key] = m[key]
    return row


def run_beta_sweep(
    config: TrainRunConfig, betas: Sequence[float], out: str | Path, *,
    progress: bool | None = None, plots: bool = True,
) -> list[dict[str, float]]:
    r"""Train ``config`` once per β in ``betas`` under ``out``; write ``sweep.csv`` and a plot.

    .. math:: \min_\theta\ D(\theta) + \beta R(\theta) \quad \text{for each } \beta

    (β dimensionless, R and D reported in bits).

    Returns the table's rows (one per β, in the order given).
    """
    from .train_run import run_training

    if config.kind not in SWEEP_KINDS:
        raise InvalidParameterError(
            f"sweep-beta sweeps the β of {', '.join(SWEEP_KINDS)}; got kind {config.kind!r}"
        )
    betas = [check_beta(b, "betas") for b in betas]
    if not betas or len(set(betas)) != len(betas):
        raise InvalidParameterError(f"betas must be distinct and non-empty; got {betas!r}")
    runs = [(b, config.with_overrides([f"model.beta={b!r}"])) for b in betas]  # validate all
    out = Path(out)
    rows = []
    for beta, cfg in runs:
        run_dir = out / f"beta-{beta:g}"
        summary_path = run_dir / "summary.json"
        if summary_path.exists():
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        else:
            resume = (run_dir / "checkpoints" / "last.pt").exists()
            summary = run_training(cfg, run_dir, resume=resume, progress=progress, plots=plots)
        rows.append(sweep_row(beta, summary))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    write_csv(out / "sweep.csv", {k: [row.get(k, math.nan) for row in rows] for k in keys})
    if plots:
        _plot(out, rows, config.kind)
    return rows


def _plot(out: Path, rows: list[dict[str, float]], kind: str) -> None:
    from ..plotting import save_figure
    from ..plotting.training import plot_rate_distortion_plane, plot_vib_information_plane

    betas = [r["beta"] for r in rows]
    if kind == "vib":
        fig, _ = plot_vib_information_plane(
            [r["rate_bits"] for r in rows], [r["I_ZY_lower_bound_bits"] for r in rows], betas,
            h_y_bits=rows[0].get("H_Y_bits"),
        )
        save_figure(fig, out / "information_plane")
    else:
        fig, _ = plot_rate_distortion_plane(
            [r["rate_bits"] for r in rows], [r["distortion_bits"] for r in rows], betas,
            label=kind,
        )
        save_figure(fig, out / "rate_distortion_plane")
