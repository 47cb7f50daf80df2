"""KSG mutual information: ibkit vs npeet-plus, infomeasure and scikit-learn, on the same samples.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_estimators.py            # N = 5000, 50000; d = 1, 2, 20
    PYTHONPATH=src python benchmarks/bench_estimators.py --quick    # N = 2000, 10000; d = 1, 2, 20

Every estimator computes KSG algorithm 1 (k = 3, max-norm, nats) on the same correlated
Gaussian samples (``d`` pairs, true MI 1 nat). The samples carry 1e-10 uniform noise once, so
ties are broken before anyone sees them; ibkit runs with ``jitter=0, standardize=False``.
infomeasure 0.6 (``approach="ksg"``: its ``KSGMIEstimator`` with ``ksg_id=1``, max-norm
``minkowski_p=inf``, ``normalize=False``) runs with ``noise_level=0`` (its default adds
1e-10 Gaussian noise) and ``base="e"``; it counts "distance < eps" as "<= nextafter(eps, -inf)"
where ibkit uses "<= eps·(1 - 1e-12)": the counts differ only for a marginal distance within a
relative 1e-12 below eps, which these samples do not have, so the estimates agree to rounding.
npeet-plus adds its own 1e-10 noise (which moves no neighbour count). scikit-learn's
``mutual_info_regression`` (scalar X and y only: d = 1) rescales and adds its own noise
(1e-10 relative, Gaussian), which can move a count or two: it is compared with ibkit's
``standardize=True`` and agrees to about 1e-7 nats. ibkit runs
on one thread (``workers=1``) and on all cores (``workers=-1``; the peers are single-threaded);
with numba installed (``ibkit[fast]``) its numba kernels run, else SciPy's cKDTree. All
estimators of a case are timed in alternating rounds (order reversed every other round), best
of ``--repeat``; ``÷ib 1t`` and ``÷ib all`` are each time over ibkit's 1-thread and all-thread
times. Peers missing from the
environment are skipped (infomeasure needs numba), and so is infomeasure at N = 50000, d = 20
unless ``--slow-peers`` (its Python loop over samples and single-threaded tree take ~20 min).
A last table times the neural InfoNCE estimator's training steps against a plain PyTorch loop
with the same critic. Not a unit test.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from collections.abc import Callable

import numpy as np

import ibkit
from ibkit.estimators import correlated_gaussian, estimate_mi


def _alternate(fns: dict[str, Callable[[], float]], repeat: int) -> dict[str, tuple[float, float]]:
    """Best time of each function over ``repeat`` rounds, the order reversed every other round."""
    best = {name: (math.nan, math.inf) for name in fns}
    for i in range(repeat):
        for name, fn in list(fns.items())[:: 1 if i % 2 == 0 else -1]:
            start = time.perf_counter()
            value = fn()
            best[name] = (value, min(best[name][1], time.perf_counter() - start))
    return best


def _peers(x: np.ndarray, y: np.ndarray, k: int, *, slow: bool) -> dict[str, Callable[[], float]]:
    peers: dict[str, Callable[[], float]] = {}
    try:
        import npeet_plus

        def npeet() -> float:
            np.random.seed(0)  # noqa: NPY002 (npeet-plus draws its noise from the global state)
            return float(npeet_plus.mi(x, y, k=k, base=math.e))

        peers["npeet-plus"] = npeet
    except ImportError:
        pass
    try:
        if not slow and x.shape[0] * x.shape[1] > 500_000:
            raise ImportError("infomeasure would take ~20 min here (--slow-peers runs it)")
        import infomeasure

        peers["infomeasure"] = lambda: float(infomeasure.mutual_information(
            x, y, approach="ksg", k=k, noise_level=0, base="e"))
    except ImportError:
        pass
    if x.shape[1] == 1 and y.shape[1] == 1:
        from sklearn.feature_selection import mutual_info_regression

        peers["sklearn"] = lambda: float(mutual_info_regression(
            x, y[:, 0], n_neighbors=k, random_state=0)[0])
    return peers


def run_case(n: int, d: int, k: int, repeat: int, slow: bool) -> list[tuple]:
    """One (N, d) case: ibkit on 1 thread and on all, and each peer, timed in alternating rounds."""
    rng = np.random.default_rng(0)
    x, y = correlated_gaussian(n, dim=d, mi=1.0, seed=n + d)
    x = x + 1e-10 * rng.random(x.shape)
    y = y + 1e-10 * rng.random(y.shape)

    def ours(workers: int, standardize: bool = False) -> Callable[[], float]:
        opts = {"jitter": 0, "standardize": False} if not standardize else {}
        return lambda: estimate_mi(x, y, method="ksg1", base=math.e, k=k, workers=workers,
                                   **opts).value

    fns = {"ibkit 1 thread": ours(1), "ibkit all threads": ours(-1)}
    if d == 1:  # the comparison for scikit-learn, which rescales the samples itself
        fns["ibkit std 1 thread"] = ours(1, standardize=True)
        fns["ibkit std all"] = ours(-1, standardize=True)
    fns.update(_peers(x, y, k, slow=slow))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the high-dimension warning, expected at d = 20
        fns["ibkit 1 thread"]()  # compile / load the numba kernels outside the timings
        best = _alternate(fns, repeat)
    rows = []
    for name, (value, seconds) in best.items():
        std = name == "sklearn" or "std" in name
        ref1, ref_all = (("ibkit std 1 thread", "ibkit std all") if std
                         else ("ibkit 1 thread", "ibkit all threads"))
        rows.append((n, d, name, value, seconds, seconds / best[ref1][1],
                     seconds / best[ref_all][1], value - best[ref1][0]))
    return rows


def bench_neural(steps: int, rounds: int = 3) -> list[tuple[str, float]]:
    """Training steps per second: ibkit's InfoNCE vs a plain loop with the same critic and data."""
    import torch

    from ibkit.estimators._critics import SeparableCritic, bound_value

    x, y = correlated_gaussian(20_000, dim=20, mi=4.0, seed=0)
    kw = {"hidden": 256, "layers": 2, "embed": 32}
    opts = {"steps": steps, "batch_size": 128, "eval_every": steps, "patience": 1, **kw}
    xt, yt = (torch.as_tensor(a, dtype=torch.float32) for a in (x, y))

    def ibkit_run() -> None:
        estimate_mi(x, y, method="infonce", **opts)

    def plain_run() -> None:
        torch.manual_seed(0)
        critic = SeparableCritic(20, 20, **kw)
        optim = torch.optim.Adam(critic.parameters(), lr=5e-4)
        for _ in range(steps):
            idx = torch.randint(0, 16_000, (128,))
            loss = -bound_value(critic(xt[idx], yt[idx]), "infonce")
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()

    best = {"ibkit infonce": math.inf, "plain PyTorch loop": math.inf}
    for i in range(rounds):  # alternate the two, best of `rounds` each
        for name, fn in list(best.items())[:: 1 if i % 2 == 0 else -1]:
            start = time.perf_counter()
            (ibkit_run if name.startswith("ibkit") else plain_run)()
            best[name] = min(fn, time.perf_counter() - start)
    return [(name, steps / seconds) for name, seconds in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 2000, 10000")
    parser.add_argument("--sizes", help="comma-separated N (overrides the defaults)")
    parser.add_argument("--dims", default="1,2,20", help="comma-separated d (default 1,2,20)")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--slow-peers", action="store_true",
                        help="also run infomeasure where N·d > 500000 (N = 50000, d = 20)")
    parser.add_argument("--neural-steps", type=int, default=300, help="0 skips the neural table")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [2000, 10_000] if args.quick else [5000, 50_000])
    from ibkit._jit import HAVE_NUMBA

    print(f"ibkit {ibkit.__version__} from {os.path.dirname(ibkit.__file__)}; "
          f"{os.cpu_count()} CPUs; backend {'numba' if HAVE_NUMBA else 'scipy'}; "
          f"KSG-1, k = {args.k}, nats, true MI 1 nat")
    print(f"{'N':>6} {'d':>3} {'estimator':<20} {'estimate':>14} {'seconds':>9} {'÷ib 1t':>7}"
          f" {'÷ib all':>7} {'Δ vs ibkit':>10}")
    summary = []
    for n in sizes:
        for d in (int(v) for v in args.dims.split(",")):
            rows = run_case(n, d, args.k, 1 if n * d > 500_000 else args.repeat, args.slow_peers)
            for n_, d_, name, value, seconds, ratio1, ratio_all, delta in rows:
                print(f"{n_:>6} {d_:>3} {name:<20} {value:>14.10f} {seconds:>9.4f} {ratio1:>7.1f}"
                      f" {ratio_all:>7.1f} {delta:>10.1e}", flush=True)
            peers = [row for row in rows if not row[2].startswith("ibkit")]
            if peers:
                best = min(peers, key=lambda row: row[4])
                delta = max(abs(row[7]) for row in peers)
                summary.append((n, d, best[2], best[4], best[5], best[6], delta))
    print("\nsummary: fastest peer computing the same estimate, time ÷ ibkit's (1 thread, all)")
    for n, d, peer, seconds, one, every, delta in summary:
        print(f"{n:>6} {d:>3} {peer:<12} {seconds:>9.4f} s  {one:>6.1f}x  {every:>6.1f}x"
              f"  max|Δ| {delta:.1e}")
    if args.neural_steps:
        print(f"\nneural (InfoNCE, separable critic 20-256-256-32, batch 128, CPU, "
              f"{args.neural_steps} steps)")
        for name, rate in bench_neural(args.neural_steps):
            print(f"  {name:<20} {rate:8.1f} steps/s")


if __name__ == "__main__":
    main()
