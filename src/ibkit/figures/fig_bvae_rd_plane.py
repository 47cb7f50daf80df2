r"""β-VAE on digits: the rate–distortion plane traced by a β sweep (eq. 18) [torch].

The reference text's β-VAE objective (eq. 18),

.. math:: \mathcal L_\beta = E_{q(z|x)}[\log p(x|z)] - \beta\,\mathrm{KL}(q(z|x)\,\|\,p(z)),

trades the rate R = E KL(q(z|x)‖p(z)) (an upper bound on I(X;Z)) against the distortion
D = −E log p(x|z). Each β gives one trained model, one point (R, D); Alemi et al. (2018)
call the set of such points the rate–distortion plane: at the optimum, −dD/dR = β, so larger
β moves along the curve towards R = 0 (the collapsed solution, whose decoder ignores z) and
β = 1 is the ELBO (eq. 17), the point where R + D is smallest.

The quick default (a one-hidden-layer MLP, 1000 steps per β on scikit-learn's 8×8 digits)
runs in about 15 s on one CPU core; torch is imported only inside :func:`make`.

References
----------
Higgins et al. (2017), "β-VAE: learning basic visual concepts with a constrained variational
framework", ICLR.
Alemi, Poole, Fischer, Dillon, Saurous & Murphy (2018), "Fixing a broken ELBO", ICML.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_csv
from .._validation import check_beta, check_choice, check_int
from ..datasets import digits_images
from ..exceptions import InvalidParameterError
from .record import FigureRecord

__all__ = ["BETAS", "ID", "STEPS", "TITLE", "digits_split", "make", "torch_missing",
           "train_quietly"]

ID = "bvae_rd_plane"
TITLE = "β-VAE rate–distortion plane on digits (eq. 18)"

BETAS = (0.25, 0.5, 1.0, 2.0, 4.0)  # below, at and above the ELBO's β = 1; 4 ≈ collapse
STEPS = 1000  # optimisation steps per β (batch 128: ~90 epochs of the 1437 training digits)
FULL_BETAS = (0.125, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 8.0)  # --full: a denser sweep
FULL_STEPS = 5000  # --full: ~450 epochs per β
EQUATION = "max over q(z|x), p(x|z) of  E log p(x|z) − β KL(q(z|x) ‖ p(z)),  i.e. minimise D + β R"
HIDDEN = (128,)  # encoder 64-128-2·8, decoder 8-128-64
LATENT = 8
BATCH = 128
TEST_FRACTION = 0.2
SEED = 0
ACTIVE_NATS = 0.01  # a latent dimension is "active" when its mean KL exceeds this


def digits_split(seed: int = SEED) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``((x_train, y_train), (x_test, y_test))``: the 1797 digits (``(n, 64)`` in [0, 1]),
    a seeded permutation with ``TEST_FRACTION`` held out."""
    data = digits_images(flatten=True)
    order = np.random.default_rng(seed).permutation(len(data.x))
    n_test = round(TEST_FRACTION * len(order))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return (data.x[train], data.y[train]), (data.x[test], data.y[test])


def train_quietly(model: Any, x: Any, y: Any = None, *, steps: int, batch_size: int = BATCH,
                  lr: float = 1e-3, seed: int = SEED) -> Any:
    """Minimise ``model(batch, step).loss`` with Adam on random minibatches; return the model.

    ``x`` (n, ...) and optional labels ``y`` (n,) are tensors or arrays; batch ``t`` is
    ``batch_size`` indices drawn uniformly with a generator seeded by ``seed``. A plain loop
    rather than :class:`ibkit.nn.Trainer`: these tiny MLPs need no checkpoints, and the
    trainer's per-example DataLoader collation would triple their time per step.
    """
    import torch

    xt = torch.as_tensor(x)  # (n, ...)
    yt = None if y is None else torch.as_tensor(y)  # (n,)
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, xt.shape[0], (batch_size,), generator=gen)  # (B,)
        batch = xt[idx] if yt is None else (xt[idx], yt[idx])
        loss = model(batch, step=step).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


def torch_missing(fig_id: str, title: str) -> FigureRecord | None:
    """A file-less record saying the figure needs torch, or None when torch is installed.

    Lets ``ibkit figures`` make every other figure on an installation without the extra.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        return None
    caption = ("Not computed: this figure trains neural networks and needs PyTorch "
               "(pip install ibkit[torch]).")
    return FigureRecord(fig_id, title, caption, (), {"computed": False}, 0.0)


def _check_options(steps: int, betas: Sequence[float]) -> tuple[int, list[float]]:
    steps = check_int(steps, "steps", minimum=1)
    betas = [check_beta(b, "betas") for b in betas]
    if len(betas) < 2 or len(set(betas)) != len(betas):
        raise InvalidParameterError(f"betas must hold at least two distinct values; got {betas}")
    return steps, sorted(betas)


def _evaluate(model: Any, x: np.ndarray) -> dict[str, float]:
    """Rate, distortion (bits, test-set means) and active units of a trained β-VAE."""
    import torch

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(SEED)
        terms = model(torch.as_tensor(x), step=0)
    ln2 = math.log(2.0)
    return {
        "rate_bits": float(terms.rate) / ln2,
        "distortion_bits": float(terms.distortion) / ln2,
        "neg_elbo_bits": -float(terms.elbo) / ln2,
        "active_units": int((terms.rate_per_dim > ACTIVE_NATS).sum()),
    }


def _sweep(betas: list[float], steps: int) -> list[dict[str, float]]:
    import torch

    from ..nn import build_model

    (x_train, _), (x_test, _) = digits_split()
    rows = []
    with torch.random.fork_rng(devices=[]):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny MLPs: one thread is fastest and deterministic
        try:
            for beta in betas:
                torch.manual_seed(SEED)
                model = build_model("beta-vae", input_shape=64, latent_dim=LATENT, hidden=HIDDEN,
                                    beta=beta)
                train_quietly(model, x_train, steps=steps)
                rows.append({"beta": beta, **_evaluate(model, x_test)})
        finally:
            torch.set_num_threads(threads)
    return rows


def make(out: str | Path, *, steps: int | None = None, betas: Sequence[float] | None = None,
         quality: str = "quick") -> FigureRecord:
    """Train one β-VAE per β on digits; write ``bvae_rd_plane.{png,svg}`` and ``.csv``.

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
    from ..plotting.training import plot_rate_distortion_plane

    started = time.perf_counter()
    steps, betas = _check_options(steps, betas)
    skipped = torch_missing(ID, TITLE)
    if skipped is not None:
        return skipped
    out = Path(out)
    rows = _sweep(betas, steps)
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    fig, ax = plot_rate_distortion_plane(cols["rate_bits"], cols["distortion_bits"], betas)
    ax.set_title(f"β-VAE on digits (test split), {steps} steps per β", fontsize=10)
    images = [p.name for p in save_figure(fig, out / ID)]
    write_csv(out / f"{ID}.csv", cols)
    best = min(rows, key=lambda r: r["neg_elbo_bits"])
    numbers: dict[str, Any] = {
        "β values": ", ".join(f"{b:g}" for b in betas),
        "rate per β [bits]": ", ".join(f"{r['rate_bits']:.2f}" for r in rows),
        "distortion per β [bits]": ", ".join(f"{r['distortion_bits']:.2f}" for r in rows),
        "active latent dims per β": ", ".join(str(r["active_units"]) for r in rows),
        "rate non-increasing in β": bool(np.all(np.diff(cols["rate_bits"]) <= 0.05)),
        "β of the best −ELBO (R + D)": best["beta"],
    }
    caption = (
        "Rate–distortion plane of the β-VAE objective (eq. 18), L_β = E log p(x|z) − β "
        "KL(q(z|x) ‖ p(z)): one model per β, each a point (R, D) with rate R = E KL(q(z|x) ‖ "
        "N(0, I)) ≥ I(X;Z) and distortion D = −E log p(x|z) (Bernoulli pixels), both in bits "
        f"on the {TEST_FRACTION:.0%} held-out digits (Alemi et al. 2018, \"Fixing a broken "
        "ELBO\"). At the optimum of eq. 18 the slope −dD/dR equals β, so raising β slides the "
        "model down the rate axis: the rate falls from "
        f"{rows[0]['rate_bits']:.1f} bits (β = {betas[0]:g}) to {rows[-1]['rate_bits']:.2f} "
        f"bits (β = {betas[-1]:g}) while the distortion rises from "
        f"{rows[0]['distortion_bits']:.1f} to {rows[-1]['distortion_bits']:.1f} bits; the "
        f"active latent dimensions (mean KL > {ACTIVE_NATS} nats) go from "
        f"{rows[0]['active_units']} to {rows[-1]['active_units']} of {LATENT}. Large β ends in "
        "posterior collapse (R ≈ 0: the decoder draws the mean digit). The dotted line R + D = "
        "const through the best model is the ELBO's iso-line (eq. 17 is β = 1). Quick setting: "
        f"MLP 64-{'-'.join(map(str, HIDDEN))}-{LATENT}, {steps} Adam steps per β, batch "
        f"{BATCH}, seed {SEED}; the points are not fully converged, so they lie slightly above "
        "the true R–D curve."
    )
    files = (*images, f"{ID}.csv")
    return FigureRecord(ID, TITLE, caption, files, numbers, round(time.perf_counter() - started, 3))
