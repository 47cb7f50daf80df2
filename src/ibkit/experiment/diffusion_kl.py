"""``ibkit diffusion kl-curves``: KL-versus-timestep curves of noise schedules, no training.

NumPy only (plus matplotlib for the plot): the curves of :func:`ibkit.diffusion.kl_curves` for
several schedules on one data set, as a CSV, a JSON summary and a three-panel plot, all staged
and moved into the output folder together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import write_csv, write_json
from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError
from .runs import staged_dir

__all__ = ["KL_DATA", "kl_curve_data", "run_kl_curves"]


KL_DATA = ("digits", "dsprites", "gaussian")


def kl_curve_data(name: str, n_examples: int, seed: int = 0) -> np.ndarray:
    r"""``(n, D)`` float64 data for :func:`run_kl_curves`: digits or dSprites in [−1, 1]
    (D = 64 or 4096), or standard Gaussian vectors (D = 64).

    .. math:: x = 2u - 1,\ u \in [0, 1]\ \text{(images)}, \qquad
              x \sim \mathcal N(0, I_{64})\ \text{(gaussian)}
    """
    from ..datasets import ProceduralDSprites, digits_images

    check_choice(name, "data", KL_DATA)
    n = check_int(n_examples, "n_examples", minimum=2)
    if name == "digits":
        x = digits_images(n_samples=min(n, 1797), seed=seed).x  # (n, 64) in [0, 1]
        return 2.0 * x.astype(np.float64) - 1.0
    if name == "dsprites":
        _, img = ProceduralDSprites().sample(n, seed)  # (n, 64, 64) in {0, 1}
        return 2.0 * img.reshape(n, -1).astype(np.float64) - 1.0
    return np.random.default_rng(seed).standard_normal((n, 64))


def run_kl_curves(
    schedules: list[str], out: str | Path, *, T: int = 1000, data: str = "digits",
    n_examples: int = 512, seed: int = 0, plots: bool = True,
) -> dict[str, Any]:
    r"""KL-versus-t curves (no training) of several schedules on one data set, into ``out``.

    .. math:: E\,\mathrm{KL}(q(x_t|x_0)\,\|\,\mathcal N(0, I)),\quad I_G(x_0; x_t),\quad
              L^{\rm lin}_{t-1} = I_G(x_0;x_{t-1}) - I_G(x_0;x_t)

    in bits per dimension (:func:`~ibkit.diffusion.kl_curves`). Writes ``kl_curves.csv``
    (column ``t`` and four columns per schedule), ``kl_curves.json`` and
    ``kl_curves.png``/``.svg``; every schedule is built before anything is written.
    """
    from ..diffusion import covariance_spectrum, get_schedule, kl_curves

    if not schedules:
        raise InvalidParameterError("schedules must name at least one noise schedule")
    names = list(dict.fromkeys(schedules))
    built = {name: get_schedule(name, T) for name in names}
    x = kl_curve_data(data, n_examples, seed)
    lam = covariance_spectrum(x)
    curves = {k: kl_curves(s, x, spectrum=lam) for k, s in built.items()}
    big_t = check_int(T, "T", minimum=1)
    cols: dict[str, list[Any]] = {"t": list(range(1, big_t + 1))}
    for k, c in curves.items():
        cols[f"{k}_log_snr"] = built[k].log_snr.tolist()
        cols[f"{k}_marginal_kl"] = c.marginal.tolist()
        cols[f"{k}_information"] = c.information.tolist()
        cols[f"{k}_posterior_kl"] = ["", *c.posterior.tolist()]  # defined for t ≥ 2
    summary = {
        "schedules": names, "T": big_t, "data": data, "n_examples": int(x.shape[0]),
        "n_dims": int(x.shape[1]), "seed": seed, "units": "bits/dim",
        "sum_posterior_kl": {k: float(c.posterior.sum()) for k, c in curves.items()},
        "alpha_bar_T": {k: float(s.alphas_cumprod[-1]) for k, s in built.items()},
        "ibkit_version": __version__,
    }
    with staged_dir(out) as tmp:
        write_csv(tmp / "kl_curves.csv", cols)
        write_json(tmp / "kl_curves.json", summary)
        if plots:
            _plot_kl(tmp / "kl_curves", built, curves, data)
    return summary


def _plot_kl(stem: Path, schedules: dict[str, Any], curves: dict[str, Any], data: str) -> None:
    from ..plotting import new_figure, plot_kl_curves, plot_log_snr, save_figure

    fig, axes = new_figure(3, width=4.6)
    plot_log_snr(schedules, axes[0], title="log SNR_t")
    plot_kl_curves(curves, axes[1], kind="marginal", title=f"{data}: E KL(q(x_t|x_0) ‖ N(0, I))")
    axes[1].set_yscale("log")
    plot_kl_curves(curves, axes[2], kind="posterior", logy=True,
                   title="per-step bottleneck L_{t−1}")
    save_figure(fig, stem)
