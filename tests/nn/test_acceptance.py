"""Acceptance experiments of issue 4, §6: annealing schedules against collapse, and VIB on digits.

Every experiment trains tiny MLPs on scikit-learn's 8×8 digits with fixed seeds, one thread
(deterministic on CPU), and a plain Adam loop on random minibatches
(:func:`ibkit.figures.fig_bvae_rd_plane.train_quietly`). The whole file takes ~1–2 min on two
cores. Thresholds sit well inside the values measured (quoted next to each assertion, seed 0;
seeds 1 and 2 were checked by hand for the schedule experiment).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ibkit import schedules  # noqa: E402
from ibkit.datasets import digits_images  # noqa: E402
from ibkit.figures.fig_bvae_rd_plane import train_quietly  # noqa: E402
from ibkit.nn import build_model, fgsm_error  # noqa: E402

pytestmark = pytest.mark.slow
LN2 = math.log(2.0)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------- (a) schedules vs collapse
# β-VAE, Bernoulli pixels on all 1797 grey-level digits, MLP 64-128-2·8 / 8-128-64, batch 128,
# 2000 Adam steps (lr 1e-3). On these data the collapse threshold is near β ≈ 3 bits/bit: a
# sweep of constant β gave rates 1.6 (β=2), 0.7 (β=2.5), 0.08 (β=3), 0.01 (β=3.5) bits.
# Schedules: linear warm-up 0 → B over the first half, cyclical 0 → B (M = 4, R = 0.5, so B is
# reached at 7/8 of training and held for the last 250 steps).
VAE_STEPS = 2000


def _train_vae(beta, steps=VAE_STEPS, seed=0):
    x = torch.as_tensor(digits_images(flatten=True).x)  # (1797, 64) in [0, 1]
    torch.manual_seed(seed)
    model = build_model("beta-vae", input_shape=64, latent_dim=8, hidden=(128,), beta=beta)
    train_quietly(model, x, steps=steps, batch_size=128, seed=seed)
    with torch.no_grad():
        terms = model(x, step=steps)
    return {
        "rate": float(terms.rate) / LN2,  # bits
        "active": int((terms.rate_per_dim > 0.01).sum()),  # dims with mean KL > 0.01 nats
        "objective": (float(terms.distortion) + model.weight(steps) * float(terms.rate)) / LN2,
    }


@pytest.fixture(scope="module")
def near_threshold():
    b = 3.0
    return {
        "constant": _train_vae(b),
        "warm-up": _train_vae(schedules.linear(0.0, b, VAE_STEPS // 2)),
        "cyclical": _train_vae(schedules.cyclical(VAE_STEPS, n_cycles=4, ratio=0.5, stop=b)),
    }


def test_schedules_keep_more_rate_than_a_constant_beta_near_the_threshold(near_threshold):
    # measured (seeds 0 / 1 / 2): constant 0.08 / 0.07 / 0.08 bits, 1 / 2 / 1 active dims;
    # warm-up 0.23 / 0.22 / 0.20 bits, 3 / 2 / 2; cyclical 0.45 / 0.40 / 0.39 bits, 3 / 3 / 3.
    const, warm, cyc = (near_threshold[k] for k in ("constant", "warm-up", "cyclical"))
    assert const["rate"] < 0.15  # the constant-β run has (almost) collapsed
    assert warm["rate"] > 2.0 * const["rate"] and cyc["rate"] > 4.0 * const["rate"]
    assert cyc["rate"] > 0.25
    assert warm["active"] >= const["active"] and cyc["active"] > const["active"]


def test_schedules_do_not_beat_the_objective_they_only_change_the_path():
    # Why the effect above is modest: with a factorised decoder the collapsed code is the
    # *optimum* of eq. 18 for β above the threshold (a continuous, second-order transition,
    # no hysteresis), not a trap of the optimiser. At B = 8 every run collapses, whichever
    # schedule; measured rates 0.00 bits and 0 active dims for all three.
    b, steps = 8.0, 1000
    runs = [_train_vae(b, steps), _train_vae(schedules.linear(0.0, b, steps // 2), steps),
            _train_vae(schedules.cyclical(steps, n_cycles=4, ratio=0.5, stop=b), steps)]
    for run in runs:
        assert run["rate"] < 0.05 and run["active"] == 0
    objectives = [r["objective"] for r in runs]
    assert max(objectives) - min(objectives) < 0.2  # the same collapsed optimum (bits)


# --------------------------------------------------------------------------- (b) VIB on digits
# VIB (Alemi et al. 2017) on digits: a seeded 1200 / 597 train / test split, MLP 64-128-128-2·32,
# softmax decoder, batch 100, 1500 Adam steps (lr 1e-3), S = 12 samples averaged at test time.
VIB_STEPS = 1500
VIB_BETAS = (0.0, 1e-3, 1e-2, 1.0)


@pytest.fixture(scope="module")
def vib_runs():
    data = digits_images(flatten=True)
    order = np.random.default_rng(0).permutation(len(data.x))
    test, train = order[:597], order[597:]
    x_tr, y_tr = torch.as_tensor(data.x[train]), torch.as_tensor(data.y[train])
    x_te, y_te = torch.as_tensor(data.x[test]), torch.as_tensor(data.y[test])
    out = {}
    for beta in VIB_BETAS:
        torch.manual_seed(0)
        model = build_model("vib", input_shape=64, n_classes=10, latent_dim=32,
                            hidden=(128, 128), beta=beta, n_samples=12)
        train_quietly(model, x_tr, y_tr, steps=VIB_STEPS, batch_size=100, seed=0)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(1)
            terms = model((x_te, y_te))
            err = float((model.predict(x_te) != y_te).double().mean())
            err1 = float((model.predict(x_te, 1) != y_te).double().mean())
        out[beta] = {
            "rate": float(terms.rate) / LN2,  # upper bound on I(Z;X), bits
            "error": err,  # S = 12
            "error_1": err1,  # S = 1
            "fgsm": fgsm_error(model, x_te, y_te, 0.1),  # ε = 0.1 on pixels in [0, 1]
        }
    return out


def test_vib_moderate_beta_generalises_better_than_beta_zero(vib_runs):
    # measured test error (S = 12): β=0 0.0369 (22 of 597), 1e-3 0.0235, 1e-2 0.0201 (12 of 597)
    assert vib_runs[1e-2]["error"] <= vib_runs[0.0]["error"] - 0.008
    assert vib_runs[1e-3]["error"] < vib_runs[0.0]["error"]


def test_vib_rate_falls_with_beta(vib_runs):
    # measured I(Z;X) bound: 1058 (β=0: nothing limits it), 39.7, 14.7, 0.12 bits
    rates = [vib_runs[b]["rate"] for b in VIB_BETAS]
    assert rates[0] > 5 * rates[1] and rates[1] > 1.5 * rates[2] and rates[3] < 0.5


def test_vib_moderate_beta_is_more_robust_to_fgsm(vib_runs):
    # measured FGSM error at ε = 0.1: β=0 0.73, 1e-3 0.60, 1e-2 0.49
    assert vib_runs[1e-2]["fgsm"] <= vib_runs[0.0]["fgsm"] - 0.1
    assert vib_runs[1e-3]["fgsm"] < vib_runs[0.0]["fgsm"]


def test_vib_collapses_at_beta_one(vib_runs):
    # measured: rate 0.12 bits, single-sample error 0.84 (chance 0.90), S = 12 error 0.59.
    # Averaging 12 samples reads up to 12× the single-sample information, so the S = 12 error
    # stays well below chance; the single-sample error obeys Fano's bound with I(Z;Y) ≤ rate.
    run = vib_runs[1.0]
    assert run["rate"] < 0.5
    assert run["error_1"] > 0.7 and run["error"] > 0.4
    pe = run["error_1"]
    h_pe = -pe * math.log2(pe) - (1 - pe) * math.log2(1 - pe)
    assert h_pe + pe * math.log2(9) >= math.log2(10) - run["rate"] - 0.05  # Fano (H(Y)≈log2 10)


# ------------------------------------------- (c) a strong (autoregressive) decoder at β = 1
# The literature's setting (Bowman et al. 2016; Fu et al. 2019): a decoder that can model x
# without z, at β = 1. Digits binarised at 0.5 (on the grey levels the MADE decoder reads the
# previous pixels' grey values, which leave z nothing to add: every run, scheduled or not, ends
# at 0.00 bits, e.g. MADE 512, lr 1e-2, 1000 steps), encoder MLP 64-128-2·8, MADE decoder with
# one masked layer of 512 (z added to it and to the logits), batch 128, 2000 Adam steps at
# lr 2e-2 (a fast decoder, which is what starves the encoder). Schedules end at β = 1: warm-up
# 0 → 1 over the first half, cyclical M = 4, R = 0.5.
# Measured (seeds 0 / 1 / 2), rate in bits and active dims (mean KL > 0.01 nats):
#   constant 0.55 / 1.16 / 1.40 bits, 1 / 2 / 1 dims (negative ELBO 17.4 / 17.3 / 17.5 bits);
#   warm-up  7.38 / 6.97 / 7.50 bits, 8 / 8 / 8      (19.3 / 19.3 / 19.4);
#   cyclical 7.36 / 7.11 / 7.25 bits, 8 / 8 / 8      (19.0 / 19.0 / 18.8).
# So the constant-β run nearly collapses (a trap of the optimiser: the decoder learns x first)
# and both schedules keep ~7 bits in all 8 dims — at a *worse* training ELBO (about 2 bits): on
# these 1797 images the near-collapsed code with a memorising decoder scores better, so the
# schedules avoid collapse without improving the objective. With lr 1e-2 the constant run keeps
# 0.9–1.8 bits (seeds 0–2, 1000 steps) against 7.5–7.8 for the schedules; at lr 3e-2 it reaches
# 0.06 bits for seed 0 but 1.83 for seed 1.
AR_STEPS = 2000


def _train_ar(beta, seed=0):
    from ibkit.nn import BetaVAE, MADEDecoder, MLPEncoder

    x = (torch.as_tensor(digits_images(flatten=True).x) > 0.5).float()  # (1797, 64) binary
    torch.manual_seed(seed)
    model = BetaVAE(MLPEncoder(64, 8, (128,)), MADEDecoder(8, 64, (512,)), beta=beta)
    train_quietly(model, x, steps=AR_STEPS, batch_size=128, lr=2e-2, seed=seed)
    with torch.no_grad():
        terms = model(x, step=AR_STEPS)
    return {
        "rate": float(terms.rate) / LN2,  # bits
        "active": int((terms.rate_per_dim > 0.01).sum()),
        "neg_elbo": -float(terms.elbo) / LN2,  # bits
    }


def test_schedules_avoid_collapse_with_an_autoregressive_decoder_at_beta_one():
    const = _train_ar(1.0)
    warm = _train_ar(schedules.linear(0.0, 1.0, AR_STEPS // 2))
    cyc = _train_ar(schedules.cyclical(AR_STEPS, n_cycles=4, ratio=0.5, stop=1.0))
    assert const["rate"] < 1.0 and const["active"] <= 2  # measured 0.55 bits, 1 dim
    for run in (warm, cyc):  # measured 7.38 / 7.36 bits, 8 dims each
        assert run["rate"] > 5.0 and run["active"] == 8
        assert run["rate"] > 5.0 * const["rate"]
