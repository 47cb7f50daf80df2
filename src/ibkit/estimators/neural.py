r"""[torch] Neural variational estimators of I(X;Y): MINE/DV, NWJ, InfoNCE, SMILE, JS.

A critic is trained on a training split by Adam; every ``eval_every`` steps the bound is
evaluated on a held-out split, training stops when it has not improved for ``patience``
evaluations, and the reported estimate is the held-out bound of the best critic (mean over
held-out batches of ``batch_size``; ``stderr`` is their spread over
:math:`\sqrt{\#\text{batches}}`).
Choosing the best of several held-out evaluations favours high values slightly.

InfoNCE cannot exceed :math:`\log B` (batch size ``B``); the ceiling is in the diagnostics.

References
----------
Poole et al. (2019), "On variational bounds of mutual information".
Belghazi et al. (2018), "MINE: Mutual information neural estimation".
Song & Ermon (2020), "Understanding the limitations of variational mutual information estimators".
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .._validation import check_choice, check_int, check_positive
from ..exceptions import InvalidParameterError
from ._critics import ConcatCritic, SeparableCritic, bound_value, training_loss
from ._result import MIEstimate, normal_ci
from ._samples import check_paired, to_base

__all__ = ["NEURAL_DEFAULTS", "neural_mi"]

NEURAL_DEFAULTS: dict[str, Any] = {
    "critic": "separable", "hidden": 128, "layers": 2, "embed": 32, "batch_size": 128,
    "steps": 2000, "lr": 5e-4, "clip": 5.0, "ema_rate": 0.01, "val_fraction": 0.2,
    "eval_every": 50, "patience": 10, "standardize": True, "seed": 0, "device": "cpu",
    "callback": None,
}


def _check(opts: dict[str, Any], n: int) -> None:
    check_choice(opts["critic"], "critic", ("separable", "concat"))
    for name in ("hidden", "layers", "embed", "batch_size", "steps", "eval_every", "patience"):
        check_int(opts[name], name, minimum=0 if name == "layers" else 1)
    for name in ("lr", "clip", "ema_rate", "val_fraction"):
        check_positive(opts[name], name)
    if not opts["val_fraction"] < 1:
        raise InvalidParameterError(f"val_fraction must be < 1; got {opts['val_fraction']!r}")
    n_val = round(n * opts["val_fraction"])
    if n_val < 2 or n - n_val < 2:
        raise InvalidParameterError(
            f"neural estimation needs at least 2 training and 2 held-out samples; got {n} samples "
            f"with val_fraction={opts['val_fraction']}"
        )


def _split(x: np.ndarray, y: np.ndarray, opts: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    rng = np.random.default_rng(opts["seed"])
    order = rng.permutation(x.shape[0])
    n_val = round(x.shape[0] * opts["val_fraction"])
    if opts["standardize"]:
        tr = order[n_val:]
        x = (x - x[tr].mean(0)) / np.where(x[tr].std(0) > 0, x[tr].std(0), 1.0)
        y = (y - y[tr].mean(0)) / np.where(y[tr].std(0) > 0, y[tr].std(0), 1.0)
    dev = torch.device(opts["device"])
    t = [torch.as_tensor(a, dtype=torch.float32, device=dev) for a in (x, y)]
    val, train = order[:n_val], order[n_val:]
    return t[0][train], t[1][train], t[0][val], t[1][val]


@torch.no_grad()
def _evaluate(critic: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, method: str,
              batch: int, clip: float) -> tuple[float, float, int]:
    """Mean and spread of the bound over held-out batches of ``batch`` pairs (nats)."""
    b = min(batch, x.shape[0])
    values = [
        float(bound_value(critic(x[i : i + b], y[i : i + b]), method, clip=clip))
        for i in range(0, x.shape[0] - b + 1, b)
    ]
    spread = float(np.std(values) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
    return float(np.mean(values)), spread, b


def _train(critic: torch.nn.Module, data: tuple[torch.Tensor, ...], method: str,
           opts: dict[str, Any]) -> tuple[dict[str, list[float]], int, int]:
    """Adam on the training split with early stopping on the held-out bound; loads the best."""
    xt, yt, xv, yv = data
    optim = torch.optim.Adam(critic.parameters(), lr=opts["lr"])
    gen = torch.Generator(device="cpu").manual_seed(opts["seed"])
    batch = min(opts["batch_size"], xt.shape[0])
    history: dict[str, list[float]] = {"step": [], "train": [], "held_out": []}
    best, best_state, best_step, bad, ema = -math.inf, None, 0, 0, {}
    callback: Callable[..., Any] | None = opts["callback"]
    for step in range(1, opts["steps"] + 1):
        idx = torch.randint(0, xt.shape[0], (batch,), generator=gen).to(xt.device)  # (B,)
        scores = critic(xt[idx], yt[idx])  # (B, B)
        loss = training_loss(scores, method, clip=opts["clip"], ema=ema, rate=opts["ema_rate"])
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        if step % opts["eval_every"] and step != opts["steps"]:
            continue
        train_value = float(bound_value(scores.detach(), method, clip=opts["clip"]))
        held, _, _ = _evaluate(critic, xv, yv, method, opts["batch_size"], opts["clip"])
        for key, v in zip(history, (step, train_value, held), strict=True):
            history[key].append(v)
        if callback is not None:
            callback(step, train_value, held)
        if math.isfinite(held) and held > best:
            best, best_state, best_step, bad = held, copy.deepcopy(critic.state_dict()), step, 0
        else:
            bad += 1
            if bad >= opts["patience"]:
                break
    if best_state is None:
        raise InvalidParameterError(
            f"training the {method!r} critic diverged (no finite held-out bound in {step} steps); "
            f"lower lr (got {opts['lr']!r}) or use method='infonce' or 'smile'"
        )
    critic.load_state_dict(best_state)
    return history, best_step, step


def neural_mi(x: Any, y: Any, *, method: str = "infonce", base: float = 2.0,
              **options: Any) -> MIEstimate:
    r"""Train a critic and return the held-out variational estimate of :math:`I(X;Y)`.

    .. math:: I(X;Y) \ge \mathbb E_{p(x,y)}[T] - \log \mathbb E_{p(x)p(y)}[e^{T}]\ \text{(DV)}

    and the other bounds of :func:`ibkit.estimators._critics.bound_value`.

    Parameters
    ----------
    x, y : array_like, shapes ``(n, d_x)`` and ``(n, d_y)`` (1-D inputs are one feature).
    method : ``"mine"``, ``"dv"``, ``"nwj"``, ``"infonce"``, ``"smile"`` or ``"js"``.
    base : 2 for bits (default), ``np.e`` for nats.
    **options : see :data:`NEURAL_DEFAULTS`: ``critic`` (``"separable"`` or ``"concat"``),
        network size, ``batch_size``, ``steps``, ``lr``, ``clip`` (SMILE's τ), ``ema_rate``
        (MINE), ``val_fraction``, ``eval_every``, ``patience``, ``seed``, ``device`` and
        ``callback(step, train_value, held_out_value)`` (values in nats).

    Returns
    -------
    MIEstimate with diagnostics ``history`` (step, train, held-out values in nats), ``best_step``,
    ``stopped_early`` and, for InfoNCE, ``ceiling`` = log(batch) in units of ``base``.
    """
    from .api import NEURAL_METHODS, _options

    check_choice(method, "method", NEURAL_METHODS)
    xs, ys = check_paired(x, y)
    opts = _options(method, options, NEURAL_DEFAULTS)
    _check(opts, xs.shape[0])
    torch.manual_seed(opts["seed"])
    xt, yt, xv, yv = _split(xs, ys, opts)
    kind = SeparableCritic if opts["critic"] == "separable" else ConcatCritic
    critic = kind(xs.shape[1], ys.shape[1], hidden=opts["hidden"], layers=opts["layers"],
                  embed=opts["embed"]).to(xt.device)
    history, best_step, step = _train(critic, (xt, yt, xv, yv), method, opts)
    value, spread, b_eval = _evaluate(critic, xv, yv, method, opts["batch_size"], opts["clip"])
    diagnostics: dict[str, Any] = {
        "history": history, "best_step": best_step, "steps_run": step,
        "stopped_early": step < opts["steps"], "critic": opts["critic"], "eval_batch": b_eval,
        "n_train": int(xt.shape[0]), "n_held_out": int(xv.shape[0]),
    }
    if method == "infonce":
        diagnostics["ceiling"] = to_base(math.log(b_eval), base)
    value, stderr = to_base(value, base), to_base(spread, base)
    return MIEstimate(value=value, stderr=stderr, method=method, base=base,
                      n_samples=int(xs.shape[0]), ci=normal_ci(value, stderr),
                      diagnostics=diagnostics)
