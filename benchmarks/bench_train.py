"""Training throughput: ibkit's ``Trainer`` vs a plain PyTorch loop vs pythae, on one β-VAE.

Run from the repository root (needs ``pythae``, not an ibkit dependency: ``pip install pythae``;
``PYTHONPATH=src`` pins this checkout's ibkit, whose path is printed first)::

    PYTHONPATH=src python benchmarks/bench_train.py              # both cases, 3 rounds
    PYTHONPATH=src python benchmarks/bench_train.py --quick      # smoke run, ~1 min
    PYTHONPATH=src python benchmarks/bench_train.py --case digits --threads 2 --rounds 5
    PYTHONPATH=src python benchmarks/bench_train.py --profile    # + cProfile of ibkit's fit
    PYTHONPATH=src python benchmarks/bench_train.py --case dsprites --rounds 5 --no-log10

A full run is ~15 min on 2 loaded cores (digits ~2 min; dSprites ~0.15-0.3 s a step).

Two cases, each the same network, data tensor, batch size (64), optimiser (Adam, lr 1e-4) and
number of steps for every contestant:

* ``digits``: a tiny MLP β-VAE (β = 4, Bernoulli) on scikit-learn's 8×8 digits, 64-128-128-10
  encoder and 10-128-128-64 decoder, on the first 1792 = 28 × 64 images (so every epoch is 28
  full batches for everyone);
* ``dsprites``: the fully connected β-VAE of Higgins et al. (2017), 4096-1200-1200-10 encoder and
  10-1200-1200-1200-4096 Bernoulli decoder, on 4096 = 64 × 64 procedural dSprites images
  (``ibkit.datasets.ProceduralDSprites``, a fixed random subset rendered once into memory
  before any timing).

Contestants (all given the same in-memory float32 tensor):

* ``plain``: ibkit's model (``build_model("beta-vae", architecture="mlp", ...)``) in a
  hand-written loop: a ``torch.randperm`` per epoch, ``x[idx]`` batches,
  ``loss = model(batch, step).loss; zero_grad; loss.backward(); opt.step()``. Nothing else.
* ``ibkit``: the same model in ``ibkit.nn.Trainer(...).fit()`` with ``progress=False``,
  ``eval_every=0`` and ``checkpoint_every=0`` (no evaluation data, so no evaluation at all;
  ``last.pt`` written once, at the end) and ``log_every=steps`` (one ``metrics.csv`` row, at
  the end). Per step it still does: a ``DataLoader`` over its seeded ``EpochBatchSampler``
  (one loader per epoch), ``to_device``, the ``LossTerms`` type check, the step/epoch
  bookkeeping and the ``log_every``/``eval_every``/``checkpoint_every`` tests.
* ``ibkit-log10``: the same with the default ``log_every=10`` (informational, no target):
  ``LossTerms.scalars()`` (one ``float()`` per term and per latent dimension), a row in memory
  and ``metrics.csv`` rewritten at most every 2 s.
* ``pythae``: pythae 0.1.2's ``BetaVAE`` (``reconstruction_loss="bce"``, β = 4) whose
  ``BaseEncoder``/``BaseDecoder`` wrap copies of the very ``nn.Sequential`` stacks of ibkit's
  model (same layers, same initial weights; the decoder adds the sigmoid pythae's BCE needs),
  trained by its ``BaseTrainer`` without its tqdm bar and console printer (callbacks only
  ``TrainingCallback``), ``steps_saving=None``, ``steps_predict=None``, no evaluation set.
  Per step it still does: a shuffling ``DataLoader`` that fetches and collates 64 single items,
  ``loss.item()`` with a NaN test; per epoch a ``deepcopy`` of the model when the training loss
  improved (``keep_best_on_train``); at the end ``save_model`` (``model.pt`` and cloudpickled
  encoder/decoder).

Both ibkit models check each batch (shape, dtype, finite, in [0, 1]: one ``aminmax`` and one
``.tolist()`` per step) inside ``forward``, so that cost is in ``plain`` and ``ibkit`` alike.

Timing: ``fit()`` / ``train()`` / the loop only (building models, datasets and trainers is
not timed); samples/s = steps × 64 / time, three ways: wall time of the whole call (end-of-run
writes included), wall time without the end-of-run writes (ibkit's ``_finish``, pythae's
``save_model``: a fixed cost per run, ~1.5 s for the 14.2 M-parameter model's 170 MB
``last.pt``, that shrinks relative to longer runs), and this process's CPU time
(``time.process_time``; with one torch thread it is the work done, the steadiest measure when
other processes load the machine). A warm-up run of every contestant (one epoch) comes first
and is not timed. Rounds alternate the contestants (the order rotates every round); the table
gives the best and the median round, and the ratios (with met / not met) are the median over
rounds of the per-round ratio, best/best beside it. ``torch.set_num_threads(--threads)``
(default 1) holds for all. ``--profile`` adds a cProfile of one ibkit fit (``log_every=10``)
with a table of what the ``Trainer`` adds around forward/backward/step. Not a unit test.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import logging
import math
import os
import platform
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from pythae.data.datasets import BaseDataset
from pythae.models import BetaVAE as PythaeBetaVAE
from pythae.models import BetaVAEConfig
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseEncoder
from pythae.trainers import BaseTrainer, BaseTrainerConfig
from pythae.trainers.training_callbacks import CallbackHandler, TrainingCallback
from torch import nn

import ibkit
from ibkit.datasets import ProceduralDSprites, digits_images
from ibkit.nn import TrainConfig, Trainer, build_model

BATCH = 64
LR = 1e-4
BETA = 4.0
LATENT = 10


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    hidden: tuple[int, ...] | None  # None: ibkit's default 1200-1200 / 1200-1200-1200
    epochs: int
    quick_epochs: int


CASES = {
    "digits": Case("digits", "tiny MLP β-VAE, sklearn digits 8×8 (1792 images)",
                   (128, 128), epochs=60, quick_epochs=8),
    "dsprites": Case("dsprites", "4096-1200-1200-10 / 10-1200-1200-1200-4096 β-VAE, "
                     "dSprites 64×64 (4096 images)", None, epochs=2, quick_epochs=1),
}


# -- data ---------------------------------------------------------------------------------------
def load_data(case: str) -> torch.Tensor:
    """The case's training tensor, float32 in [0, 1]: (1792, 64) or (4096, 64, 64)."""
    if case == "digits":
        x = digits_images(flatten=True).x[: 28 * BATCH]  # (1792, 64)
    else:
        ds = ProceduralDSprites()
        idx = np.sort(np.random.default_rng(0).choice(len(ds), size=64 * BATCH, replace=False))
        x = ds[idx]  # (4096, 64, 64), rendered once here
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def ibkit_model(case: Case, x: torch.Tensor, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return build_model("beta-vae", input_shape=tuple(x.shape[1:]), architecture="mlp",
                       hidden=case.hidden, latent_dim=LATENT, beta=BETA)


# -- pythae -------------------------------------------------------------------------------------
class _Encoder(BaseEncoder):
    def __init__(self, net: nn.Sequential) -> None:
        BaseEncoder.__init__(self)
        self.net = net

    def forward(self, x: torch.Tensor) -> ModelOutput:
        mean, log_var = self.net(x.reshape(x.shape[0], -1)).chunk(2, dim=-1)  # (B, D) each
        return ModelOutput(embedding=mean, log_covariance=log_var)


class _Decoder(BaseDecoder):
    def __init__(self, net: nn.Sequential, shape: tuple[int, ...]) -> None:
        BaseDecoder.__init__(self)
        self.net, self.shape = net, shape

    def forward(self, z: torch.Tensor) -> ModelOutput:
        probs = torch.sigmoid(self.net(z)).reshape(z.shape[0], *self.shape)  # (B, *shape)
        return ModelOutput(reconstruction=probs)


def pythae_model(case: Case, x: torch.Tensor, seed: int) -> PythaeBetaVAE:
    """pythae's BetaVAE around copies of ibkit's encoder/decoder stacks (same init weights)."""
    ref = ibkit_model(case, x, seed)
    shape = tuple(x.shape[1:])
    config = BetaVAEConfig(input_dim=shape, latent_dim=LATENT, reconstruction_loss="bce",
                           beta=BETA)
    encoder = _Encoder(copy.deepcopy(ref.encoder.net))
    decoder = _Decoder(copy.deepcopy(ref.decoder.net.net), shape)
    return PythaeBetaVAE(config, encoder=encoder, decoder=decoder)


class _QuietTrainer(BaseTrainer):
    """pythae's BaseTrainer without its tqdm progress bar and console metric printer."""

    def _setup_callbacks(self) -> None:
        self.callbacks = [TrainingCallback()]
        self.callback_handler = CallbackHandler(callbacks=self.callbacks, model=self.model)


def linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


# -- contestants: each returns (timed seconds, of which end-of-run writes) -----------------------
def _timed(fn: Callable[..., object], box: list[float]) -> Callable[..., object]:
    """``fn`` that also appends its wall time to ``box`` (to split off end-of-run writes)."""

    def wrapper(*args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            box.append(time.perf_counter() - t0)

    return wrapper


class _Clock:
    """Wall time (``perf_counter``) and this process's CPU time (``process_time``) together."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


Timing = tuple[float, float, float]  # (wall s, CPU s, wall s of end-of-run writes)


def run_plain(case: Case, x: torch.Tensor, epochs: int, seed: int) -> Timing:
    model = ibkit_model(case, x, seed)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    n, step = x.shape[0], 0
    with _Clock() as clock:
        for _ in range(epochs):
            perm = torch.randperm(n)  # (n,)
            for i in range(0, n, BATCH):
                loss = model(x[perm[i : i + BATCH]], step).loss  # batch (64, ...)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
    return clock.wall, clock.cpu, 0.0


def _ibkit_trainer(case: Case, x: torch.Tensor, epochs: int, seed: int, run_dir: Path,
                   log_every: int | None) -> Trainer:
    steps = epochs * (x.shape[0] // BATCH)
    config = TrainConfig(steps=steps, batch_size=BATCH, lr=LR, eval_every=0, checkpoint_every=0,
                         log_every=log_every or steps, seed=seed, device="cpu", progress=False)
    return Trainer(ibkit_model(case, x, seed), x, config, run_dir)


def run_ibkit(case: Case, x: torch.Tensor, epochs: int, seed: int,
              log_every: int | None = None) -> Timing:
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        trainer = _ibkit_trainer(case, x, epochs, seed, Path(tmp) / "run", log_every)
        end: list[float] = []
        trainer._finish = _timed(trainer._finish, end)  # final last.pt + metrics.csv
        with _Clock() as clock:
            trainer.fit()
        return clock.wall, clock.cpu, sum(end)


def run_pythae(case: Case, x: torch.Tensor, epochs: int, seed: int) -> Timing:
    model = pythae_model(case, x, seed)
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        config = BaseTrainerConfig(output_dir=tmp, per_device_train_batch_size=BATCH,
                                   per_device_eval_batch_size=BATCH, num_epochs=epochs,
                                   learning_rate=LR, seed=seed, no_cuda=True,
                                   steps_saving=None, steps_predict=None)
        trainer = _QuietTrainer(model=model, train_dataset=BaseDataset(x, torch.zeros(len(x))),
                                training_config=config)
        end: list[float] = []
        trainer.save_model = _timed(trainer.save_model, end)  # final_model/ at the end
        with _Clock() as clock:
            trainer.train()
        return clock.wall, clock.cpu, sum(end)


CONTESTANTS: dict[str, Callable[[Case, torch.Tensor, int, int], Timing]] = {
    "plain": run_plain,
    "ibkit": run_ibkit,
    "pythae": run_pythae,
    "ibkit-log10": lambda c, x, e, s: run_ibkit(c, x, e, s, log_every=10),
}


# -- driver -------------------------------------------------------------------------------------
@dataclass
class Result:
    """Per contestant, one entry per round: samples/s by wall time (whole call and without the
    end-of-run writes) and by this process's CPU time, and the end-of-run seconds."""

    samples: int
    rates: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    end_seconds: dict[str, list[float]] = field(default_factory=dict)

    KINDS: ClassVar[dict[str, str]] = {
        "wall": "wall, whole call", "loop": "wall w/o end writes", "cpu": "CPU time"}

    def add(self, name: str, timing: Timing) -> None:
        wall, cpu, end = timing
        got = self.rates.setdefault(name, {kind: [] for kind in self.KINDS})
        got["wall"].append(self.samples / wall)
        got["loop"].append(self.samples / (wall - end))
        got["cpu"].append(self.samples / cpu)
        self.end_seconds.setdefault(name, []).append(end)

    def ratio(self, a: str, b: str, kind: str) -> tuple[float, float]:
        """(median over rounds of the per-round ratio a/b, best a / best b)."""
        ra, rb = self.rates[a][kind], self.rates[b][kind]
        paired = statistics.median(u / v for u, v in zip(ra, rb, strict=True))
        return paired, max(ra) / max(rb)


def bench_case(case: Case, x: torch.Tensor, epochs: int, rounds: int,
               names: list[str]) -> Result:
    ref, pyt = ibkit_model(case, x, 0), pythae_model(case, x, 0)
    n_params = sum(p.numel() for p in ref.parameters())
    same = (linear_shapes(ref.encoder) == linear_shapes(pyt.encoder)
            and linear_shapes(ref.decoder) == linear_shapes(pyt.decoder))
    steps = epochs * (x.shape[0] // BATCH)
    print(f"\n== {case.name}: {case.title}")
    print(f"   data {tuple(x.shape)} float32, batch {BATCH}, {steps} steps ({epochs} epochs), "
          f"Adam lr {LR:g}, β {BETA:g}, {n_params:,} parameters")
    print(f"   encoder {linear_shapes(ref.encoder)}\n   decoder {linear_shapes(ref.decoder)}")
    print(f"   pythae's encoder/decoder have the same Linear shapes: {same}")
    if not same:
        raise SystemExit("pythae's network differs from ibkit's; not comparable")
    for name in names:  # warm-up, one epoch each, not timed
        CONTESTANTS[name](case, x, 1, 0)
    result = Result(samples=steps * BATCH)
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        line = []
        for name in order:
            result.add(name, CONTESTANTS[name](case, x, epochs, r + 1))
            line.append(f"{name} {result.rates[name]['wall'][-1]:,.0f}")
        print(f"   round {r + 1}: " + ", ".join(line) + " samples/s (wall)   "
              f"load avg {os.getloadavg()[0]:.1f}")
    print(f"\n   samples/s, best / median of {rounds} rounds; ms/step = median wall time")
    print(f"   {'':<13}{'wall':>17}{'w/o end writes':>17}{'CPU time':>17}"
          f"{'ms/step':>9}{'end s':>7}")
    for name in names:
        cells = "".join(f"{max(v):>9,.0f}{statistics.median(v):>8,.0f}"
                        for v in result.rates[name].values())
        ms = 1e3 * BATCH / statistics.median(result.rates[name]["wall"])
        end = statistics.median(result.end_seconds[name])
        print(f"   {name:<13}{cells}{ms:>9.2f}{end:>7.2f}")
    return result


def report_targets(name: str, res: Result) -> list[str]:
    lines = []
    for other, target in (("plain", 0.95), ("pythae", 1.0)):
        for kind, label in Result.KINDS.items():
            med, best = res.ratio("ibkit", other, kind)
            ok = "met" if med >= target else "NOT met"
            lines.append(f"  {name:<9} ibkit/{other:<7} {label:<20} median {med:5.3f} "
                         f"(best/best {best:5.3f})  target >= {target:g}: {ok}")
    for kind, label in Result.KINDS.items() if "ibkit-log10" in res.rates else ():
        med, best = res.ratio("ibkit-log10", "plain", kind)
        lines.append(f"  {name:<9} ibkit-log10/plain {label:<20} median {med:5.3f} "
                     f"(best/best {best:5.3f})  informational")
    return lines


# What ibkit's Trainer adds around the model's forward/backward and the optimiser step:
# (label, file suffix, function name); cumulative times from cProfile.
_OVERHEAD = (
    ("DataLoader iteration (next batch)", "dataloader.py", "__next__"),
    ("DataLoader per epoch (make_loader)", "data.py", "make_loader"),
    ("EpochBatchSampler per epoch", "data.py", "__init__"),
    ("to_device", "data.py", "to_device"),
    ("_after_step (log/eval/ckpt tests)", "trainer.py", "_after_step"),
    ("  of which LossTerms.scalars()", "terms.py", "scalars"),
    ("  of which MetricsLog.add (CSV)", "_metrics_log.py", "add"),
    ("end: _finish (last.pt + CSV)", "trainer.py", "_finish"),
    ("start: MetricsLog.start (empty CSV)", "_metrics_log.py", "start"),
    ("start: ddp.setup / teardown", "distributed.py", "setup"),
    ("model: check_features (aminmax+sync)", "_checks.py", "check_features"),
    ("model: forward (all of it)", "vae.py", "forward"),
    ("backward", "_tensor.py", "backward"),
    ("optimizer.step", "optimizer.py", "wrapper"),
)


def profile_ibkit(case: Case, x: torch.Tensor, epochs: int) -> None:
    """cProfile one ibkit fit (log_every=10, as by default) and print where its time goes."""
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        trainer = _ibkit_trainer(case, x, epochs, 0, Path(tmp) / "run", log_every=10)
        prof = cProfile.Profile()
        prof.enable()
        trainer.fit()
        prof.disable()
    stats = pstats.Stats(prof)
    steps = epochs * (x.shape[0] // BATCH)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n-- cProfile of ibkit fit on {case.name}, {steps} steps, log_every=10: "
          f"{total:.2f} s under the profiler --")
    print(f"   {'where':<40}{'calls':>7}{'cum s':>9}{'µs/step':>10}{'% of fit':>9}")
    for label, suffix, func in _OVERHEAD:
        hits = [(nc, ct) for (path, _, fn), (_, nc, _, ct, _) in stats.stats.items()  # type: ignore[attr-defined]
                if path.endswith(suffix) and fn == func]
        if hits:
            calls, cum = sum(h[0] for h in hits), sum(h[1] for h in hits)
            print(f"   {label:<40}{calls:>7}{cum:>9.3f}{1e6 * cum / steps:>10.1f}"
                  f"{100 * cum / total:>8.1f}%")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    text = out.getvalue()
    print(f"\n   top 15 by own time:\n{text[text.find('   ncalls'):]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and 2 rounds")
    parser.add_argument("--case", choices=["digits", "dsprites", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=None, help="default 3 (--quick: 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for everyone")
    parser.add_argument("--profile", action="store_true", help="also cProfile ibkit's fit")
    parser.add_argument("--no-log10", action="store_true",
                        help="leave out the informational ibkit-log10 contestant")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("pythae"):
            logging.getLogger(name).setLevel(logging.WARNING)
    rounds = args.rounds or (2 if args.quick else 3)
    print(f"ibkit {ibkit.__version__} from {Path(ibkit.__file__).parent}")
    print(f"torch {torch.__version__}, pythae {metadata.version('pythae')}, "
          f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"{os.cpu_count()} logical CPUs; load avg {os.getloadavg()[0]:.2f}; device cpu")
    print(f"torch threads {torch.get_num_threads()} (all contestants), "
          f"interop {torch.get_num_interop_threads()}, rounds {rounds}")
    cases = ["digits", "dsprites"] if args.case == "both" else [args.case]
    results = {}
    for name in cases:
        case = CASES[name]
        x = load_data(name)
        epochs = case.quick_epochs if args.quick else case.epochs
        names = [n for n in CONTESTANTS if not (args.no_log10 and n == "ibkit-log10")]
        results[name] = bench_case(case, x, epochs, rounds, names)
        if args.profile:
            profile_ibkit(case, x, epochs)
    print("\nTargets (ibkit >= 0.95x plain and >= 1x pythae samples/s, median of rounds):")
    for name, res in results.items():
        print("\n".join(report_targets(name, res)))
    if not all(math.isfinite(v) for res in results.values() for kinds in res.rates.values()
               for r in kinds.values() for v in r):
        raise SystemExit("non-finite timing")


if __name__ == "__main__":
    main()
