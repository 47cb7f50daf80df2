"""Figure 4: monotonic and cyclical β annealing schedules of the annealing VAE (§5.1).

The reference text's Figure 4 (taken from Fu et al. 2019) shows the two ways an annealing VAE
varies the β of the β-VAE objective (eq. 18) during training: a monotonic warm-up from 0 to 1,
and a cyclical schedule that repeats the warm-up M times. Recomputed here from
:mod:`ibkit.schedules`, with a third panel comparing the three ramp shapes of one cycle.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_csv
from ..schedules import Schedule, cyclical, linear, sample
from .record import FigureRecord

__all__ = ["ID", "TITLE", "make"]

ID = "fig4"
TITLE = "Figure 4 — monotonic and cyclical β annealing schedules"

TOTAL_STEPS = 1000  # T; the schedules are scale-free, only T/M and R matter
N_CYCLES = 4  # M
RATIO = 0.5  # R, fraction of each cycle spent increasing β
EQUATION = ("cyclical: β_t = f(τ) with τ = mod(t − 1, ⌈T/M⌉) / (T/M), f(τ) = τ/R for τ ≤ R, "
            "else 1; monotonic: one ramp (M = 1)")
START, STOP = 0.0, 1.0


def _schedules() -> dict[str, Schedule]:
    kw = {"ratio": RATIO, "start": START, "stop": STOP}
    return {
        "monotonic": linear(START, STOP, steps=int(RATIO * TOTAL_STEPS)),
        "cyclical_linear": cyclical(TOTAL_STEPS, N_CYCLES, shape="linear", **kw),
        "cyclical_sigmoid": cyclical(TOTAL_STEPS, N_CYCLES, shape="sigmoid", **kw),
        "cyclical_cosine": cyclical(TOTAL_STEPS, N_CYCLES, shape="cosine", **kw),
    }


def _panels(axes: tuple[Any, Any, Any], schedules: dict[str, Schedule], period: int) -> None:
    """(a) monotonic, (b) cyclical with cycle boundaries, (c) one cycle in the three shapes."""
    from ..plotting import plot_schedules

    ax_m, ax_c, ax_s = axes
    ylabel = r"$\beta_t$"
    plot_schedules(schedules["monotonic"], TOTAL_STEPS, ax_m, ylabel=ylabel, color="tab:blue")
    ax_m.set_title("(a) monotonic (KL warm-up)", fontsize=10)
    plot_schedules(schedules["cyclical_linear"], TOTAL_STEPS, ax_c, ylabel=ylabel, color="tab:red")
    ax_c.set_title(f"(b) cyclical, M = {N_CYCLES}, R = {RATIO:g}", fontsize=10)
    for cycle in range(1, N_CYCLES):
        ax_c.axvline(cycle * period, color="0.6", lw=0.8, ls=":")
    shapes = {shape: schedules[f"cyclical_{shape}"] for shape in ("linear", "sigmoid", "cosine")}
    plot_schedules(shapes, period, ax_s, ylabel=ylabel)
    ax_s.set_title("(c) one cycle, three ramp shapes", fontsize=10)
    for ax in (ax_m, ax_c, ax_s):
        ax.set_xlabel("training step t")
        ax.set_ylim(-0.05, 1.08)


def make(out: str | Path) -> FigureRecord:
    """Compute Figure 4 into ``out``: ``fig4.png``, ``fig4.svg`` and ``fig4_schedules.csv``."""
    from ..plotting import new_figure, save_figure

    started = time.perf_counter()
    out = Path(out)
    schedules = _schedules()
    steps = np.arange(TOTAL_STEPS)
    values = {name: sample(s, steps) for name, s in schedules.items()}
    period = cyclical(TOTAL_STEPS, N_CYCLES, RATIO).period  # ⌈T/M⌉
    fig, axes = new_figure(3, width=4.2, height=3.3)
    _panels(tuple(axes), schedules, period)
    images = [p.name for p in save_figure(fig, out / "fig4")]
    write_csv(out / "fig4_schedules.csv", {"step": steps.tolist(), **values})
    cyc = values["cyclical_linear"]
    numbers = {
        "total steps T": TOTAL_STEPS,
        "cycles M / ratio R / period ⌈T/M⌉": f"{N_CYCLES} / {RATIO:g} / {period}",
        "steps where β first reaches 1 (cyclical)": [
            int(c * period + np.argmax(cyc[c * period : (c + 1) * period] >= STOP))
            for c in range(N_CYCLES)
        ],
        "fraction of steps at β = 1 (monotonic, cyclical)": [
            float(np.mean(values["monotonic"] >= STOP)),
            float(np.mean(cyc >= STOP)),
        ],
        "mean β over training (monotonic, cyclical)": [
            round(float(np.mean(values["monotonic"])), 4),
            round(float(np.mean(cyc)), 4),
        ],
        "max |cyclical(M = 1) − monotonic|": float(
            np.max(np.abs(sample(cyclical(TOTAL_STEPS, 1, RATIO), steps) - values["monotonic"]))
        ),
    }
    caption = (
        "β schedules for the annealing VAE, which trains eq. (18), E_q[log p(x|z)] − β_t "
        "D_KL(q(z|x) ‖ p(z)), with a β_t that changes with the training step t instead of a "
        "constant β. (a) Monotonic annealing (KL warm-up): β_t = min(1, t / (R T)) rises "
        f"linearly from 0 to 1 over the first R T = {int(RATIO * TOTAL_STEPS)} of T = "
        f"{TOTAL_STEPS} steps and stays at 1, so the model first learns to reconstruct X and "
        "only then is the bottleneck on Z tightened. (b) Cyclical annealing (Fu et al. 2019): "
        "with τ = (t mod ⌈T/M⌉)/(T/M), β_t = g(τ/R) for τ < R and 1 otherwise, repeating the "
        f"warm-up M = {N_CYCLES} times with R = {RATIO:g}; each restart at β = 0 lets "
        "information flow back into Z, which counters KL vanishing (posterior collapse). (c) The "
        "ramp g of one cycle: linear g(u) = u, sigmoid g(u) = 1/(1 + e^−(12u−6)) and cosine "
        "g(u) = (1 − cos πu)/2, as in the authors' code. The cyclical schedule with M = 1 is "
        "the monotonic one; both spend the same fraction of training at β = 1."
    )
    files = (*images, "fig4_schedules.csv")
    return FigureRecord(ID, TITLE, caption, files, numbers, round(time.perf_counter() - started, 3))
