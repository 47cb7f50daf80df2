r"""Variational Information Bottleneck on digits: the information plane over β [torch].

The VIB classifier (Alemi et al. 2017) minimises

.. math:: \text{CE} + \beta\,E_x \mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I)),

a variational bound on the IB Lagrangian β·I(Z;X) − I(Z;Y) (up to the constant H(Y)): the
KL is an upper bound on I(Z;X) (compression) and H(Y) − CE a lower bound on I(Z;Y)
(relevance). One classifier per β gives one point of the
information plane; the CSV also holds the held-out error with S = 12 posterior samples
averaged (and with one), and the error under FGSM perturbations
(:func:`ibkit.nn.adversarial.fgsm_error`).

The quick default (MLP 64-128-128-2·32, 1000 steps per β) runs in about 20–30 s on one CPU
core; torch is imported only inside :func:`make`.

References
----------
Alemi, Fischer, Dillon & Murphy (2017), "Deep variational information bottleneck", ICLR.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_csv
from .._validation import check_choice
from .fig_bvae_rd_plane import _check_options, digits_split, torch_missing, train_quietly
from .record import FigureRecord

__all__ = ["BETAS", "FGSM_EPS", "ID", "STEPS", "TITLE", "make"]

ID = "vib_infoplane"
TITLE = "VIB information plane I(Z;X)–I(Z;Y) on digits (Alemi et al. 2017)"

BETAS = (0.0, 1e-3, 1e-2, 1e-1, 1.0)  # none, the paper's range, strong, collapse
STEPS = 1000  # Adam steps per β, batch 100 (~70 epochs of the 1438 training digits)
FULL_BETAS = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 1.0)  # --full: a denser sweep
FULL_STEPS = 5000  # --full: ~350 epochs per β
EQUATION = "min  E[−log q(y|z)] + β KL(p(z|x) ‖ r(z)),  a variational bound on −I(Z;Y) + β I(Z;X)"
HIDDEN = (128, 128)  # the paper's 1024-1024 scaled to 8×8 inputs
LATENT = 32  # K (paper: 256)
BATCH = 100
N_SAMPLES = 12  # S, as in the paper
FGSM_EPS = 0.1  # L∞ size of the FGSM step, pixels in [0, 1]
SEED = 0


def _evaluate(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Held-out bounds (bits), errors with S and 1 samples, FGSM error."""
    import torch

    from ..nn.adversarial import fgsm_error

    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    ln2 = math.log(2.0)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(SEED)
        terms = model((xt, yt))
        err = float((model.predict(xt, N_SAMPLES) != yt).double().mean())
        err1 = float((model.predict(xt, 1) != yt).double().mean())
    return {
        "I_ZX_upper_bound_bits": float(terms.rate) / ln2,
        "I_ZY_lower_bound_bits": float(terms.extra["I_ZY_lower_bound"]) / ln2,
        "H_Y_bits": float(terms.extra["H_Y"]) / ln2,
        "test_error": err,
        "test_error_1sample": err1,
        "fgsm_error": fgsm_error(model, xt, yt, FGSM_EPS, n_samples=N_SAMPLES, seed=SEED),
    }


def _sweep(betas: list[float], steps: int) -> list[dict[str, float]]:
    import torch

    from ..nn import build_model

    (x_train, y_train), (x_test, y_test) = digits_split()
    rows = []
    with torch.random.fork_rng(devices=[]):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny MLPs: one thread is fastest and deterministic
        try:
            for beta in betas:
                torch.manual_seed(SEED)
                model = build_model("vib", input_shape=64, n_classes=10, latent_dim=LATENT,
                                    hidden=HIDDEN, beta=beta, n_samples=N_SAMPLES)
                train_quietly(model, x_train, y_train, steps=steps, batch_size=BATCH)
                rows.append({"beta": beta, **_evaluate(model, x_test, y_test)})
        finally:
            torch.set_num_threads(threads)
    return rows


def _panels(rows: list[dict[str, float]], betas: list[float], steps: int) -> Any:
    from ..plotting import new_figure
    from ..plotting.training import plot_vib_information_plane

    fig, (ax_i, ax_e) = new_figure(2, width=5.0, height=3.9)
    plot_vib_information_plane([r["I_ZX_upper_bound_bits"] for r in rows],
                               [r["I_ZY_lower_bound_bits"] for r in rows], betas, ax_i,
                               h_y_bits=rows[0]["H_Y_bits"])
    ax_i.set_xscale("symlog", linthresh=1.0)
    ax_i.set_xlim(left=0.0)
    ax_i.set_title(f"(a) information plane, {steps} steps per β", fontsize=10)
    pos = np.arange(len(betas))
    for key, label in (("test_error", f"clean, S = {N_SAMPLES}"),
                       ("test_error_1sample", "clean, S = 1"),
                       ("fgsm_error", f"FGSM ε = {FGSM_EPS:g}, S = {N_SAMPLES}")):
        ax_e.plot(pos, [r[key] for r in rows], "o-", label=label)
    ax_e.axhline(0.9, color="grey", ls=":", lw=0.9, label="chance (10 classes)")
    ax_e.set_xticks(pos, [f"{b:g}" for b in betas])
    ax_e.set_xlabel("β")
    ax_e.set_ylabel("held-out error")
    ax_e.set_yscale("log")
    ax_e.legend(fontsize=8)
    ax_e.set_title("(b) test error per β", fontsize=10)
    return fig


def make(out: str | Path, *, steps: int | None = None, betas: Sequence[float] | None = None,
         quality: str = "quick") -> FigureRecord:
    """Train one VIB per β on digits; write ``vib_infoplane.{png,svg}`` and ``.csv``.

    Parameters
    ----------
    out : output folder.
    steps : optimisation steps per β (default: ``STEPS``, or ``FULL_STEPS`` for ``"full"``).
    betas : the β values (≥ 2 distinct, ≥ 0; default ``BETAS``, or ``FULL_BETAS``).
    quality : ``"quick"`` (default) or ``"full"`` (publication quality: more β, longer runs).
    """
    full = check_choice(quality, "quality", ("quick", "full")) == "full"
    steps = (FULL_STEPS if full else STEPS) if steps is None else steps
    betas = (FULL_BETAS if full else BETAS) if betas is None else betas
    from ..plotting import save_figure

    started = time.perf_counter()
    steps, betas = _check_options(steps, betas)
    skipped = torch_missing(ID, TITLE)
    if skipped is not None:
        return skipped
    out = Path(out)
    rows = _sweep(betas, steps)
    images = [p.name for p in save_figure(_panels(rows, betas, steps), out / ID)]
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    write_csv(out / f"{ID}.csv", cols)
    best = min(rows, key=lambda r: r["test_error"])

    def per_beta(key: str, fmt: str) -> str:
        return ", ".join(format(r[key], fmt) for r in rows)

    numbers: dict[str, Any] = {
        "β values": ", ".join(f"{b:g}" for b in betas),
        "I(Z;X) upper bound per β [bits]": per_beta("I_ZX_upper_bound_bits", ".2f"),
        "I(Z;Y) lower bound per β [bits]": per_beta("I_ZY_lower_bound_bits", ".3f"),
        f"test error per β (S = {N_SAMPLES})": per_beta("test_error", ".4f"),
        "test error per β (S = 1)": per_beta("test_error_1sample", ".4f"),
        f"FGSM error per β (ε = {FGSM_EPS:g})": per_beta("fgsm_error", ".4f"),
        "β of the lowest test error": best["beta"],
    }
    first, last = rows[0], rows[-1]
    caption = (
        "The Variational Information Bottleneck (Alemi et al. 2017) trains a stochastic encoder "
        "q(z|x) and a softmax decoder q(y|z) with loss CE + β KL(q(z|x) ‖ N(0, I)): the KL is a "
        "variational upper bound on I(Z;X) and H(Y) − CE a lower bound on I(Z;Y), so each β is "
        "one point of the IB information plane (a) — the neural counterpart of the IB curves "
        "of Figure 3. Held-out digits (20 %), bits. Raising β compresses: the I(Z;X) bound "
        f"falls from {first['I_ZX_upper_bound_bits']:.0f} bits (β = {betas[0]:g}) to "
        f"{last['I_ZX_upper_bound_bits']:.2f} bits (β = {betas[-1]:g}), where the code has "
        f"collapsed (I(Z;Y) ≥ {last['I_ZY_lower_bound_bits']:.2f} bits, single-sample error "
        f"{last['test_error_1sample']:.2f}, chance 0.9). (b) Test error with S = {N_SAMPLES} "
        f"posterior samples averaged (as in the paper), with one sample, and under an FGSM "
        f"attack of size ε = {FGSM_EPS:g} on the averaged predictive log-probability: the "
        f"lowest clean error, {best['test_error']:.3f}, is at β = {best['beta']:g} against "
        f"{first['test_error']:.3f} at β = {betas[0]:g}. Quick setting: MLP "
        f"64-{'-'.join(map(str, HIDDEN))}-2·{LATENT}, {steps} Adam steps per β, batch {BATCH}, "
        f"seed {SEED}; one seed, so differences of one or two test digits are noise."
    )
    files = (*images, f"{ID}.csv")
    return FigureRecord(ID, TITLE, caption, files, numbers, round(time.perf_counter() - started, 3))
