"""Scaling ibkit: grids on Dask workers, batched β solvers, and the IB iteration on a GPU.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_scale.py            # all three parts
    PYTHONPATH=src python benchmarks/bench_scale.py --quick    # smaller grid and sweeps
    PYTHONPATH=src python benchmarks/bench_scale.py --part batched

(i) **Grid throughput.** The same grid of CPU-bound ``ib`` points (annealed curves on a
random 300×40 joint) on a Dask ``LocalCluster`` with 1 and 2 single-threaded worker processes;
the workers are started and warmed up (ibkit imported) before the clock starts, so the time is
the grid's own. Prints runs per second and the speed-up of 2 workers over 1 (ideal: 2.0 on
two free cores).

(ii) **Batched β.** ``blahut_arimoto_batch`` against a loop of ``blahut_arimoto(method="ba")``
(the same plain BA, so equal results) and ``information_bottleneck_batch`` against a loop of
``information_bottleneck`` (same start and tol; the loop uses its Δ² extrapolation), on NumPy,
best of ``--repeat``.

(iii) **GPU.** When CUDA is present: one IB iteration (eq. 16, float64) at |X| ∈ {2000,
20000}, |Y| = |T| = 100, as ``information_bottleneck`` on a CUDA tensor and on NumPy, 200
iterations each (tol = 1e-300 so none stops early). One iteration is two matrix products of
2·|X|·|Y|·|T| FLOPs each; the "matmul bound" is the time the device's own float64 GEMM takes
for those FLOPs at the same shapes, and the ratio says how close the iteration runs to it.
Without CUDA the part prints a message and is skipped. Not a unit test.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ibkit
from ibkit.datasets import dirichlet_joint
from ibkit.exceptions import ConvergenceWarning
from ibkit.ib import information_bottleneck, information_bottleneck_batch
from ibkit.rate_distortion import blahut_arimoto, blahut_arimoto_batch


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _warm(_: int) -> int:
    import ibkit.experiment.grid  # noqa: F401  (imports numpy, ibkit in the worker)

    return os.getpid()


def part_grid(quick: bool) -> None:
    from distributed import Client, LocalCluster

    from ibkit.experiment.grid import grid_from_dict
    from ibkit.experiment.grid_exec import run_grid

    n_points = 6 if quick else 12
    spec = grid_from_dict({
        "command": "ib", "retries": 0,
        "base": {"joint": "dirichlet", "n_x": 300, "n_y": 40, "n_points": 25, "n_clusters": 8},
        "grid": {"seed": list(range(n_points))},
    })
    print(f"(i) grid of {n_points} ib points (300×40 Dirichlet joint, |T| = 8, 25 β each)")
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            client.gather(client.map(_warm, range(4 * workers), pure=False))
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                report = run_grid(spec, tmp, executor="dask", scheduler=client)
                times[workers] = time.perf_counter() - start
        assert report.count("done") == n_points
        print(f"    {workers} worker(s): {times[workers]:6.2f} s, "
              f"{n_points / times[workers]:5.2f} runs/s")
    print(f"    speed-up 2 vs 1 workers: {times[1] / times[2]:.2f}x (ideal 2.00x; "
          f"{os.cpu_count()} cores, shared)")


def part_batched(quick: bool, repeat: int) -> None:
    rng = np.random.default_rng(0)
    n, n_beta = (100, 32) if quick else (200, 64)
    px = rng.dirichlet(np.ones(n))
    d = 4.0 * rng.random((n, n))
    betas = np.geomspace(0.5, 50, n_beta)
    print(f"(ii) batched β, NumPy, best of {repeat}")

    def loop_rd() -> list:
        return [blahut_arimoto(px, d, b, method="ba", tol=1e-7) for b in betas]

    t_batch = _best(lambda: blahut_arimoto_batch(px, d, betas, tol=1e-7), repeat)
    t_loop = _best(loop_rd, repeat)
    batch, loop = blahut_arimoto_batch(px, d, betas, tol=1e-7), loop_rd()
    err = max(abs(batch.rate[i] - s.rate) for i, s in enumerate(loop))
    print(f"    BA  |X| = |X̂| = {n}, {n_beta} β: batch {t_batch:.3f} s, loop {t_loop:.3f} s, "
          f"speed-up {t_loop / t_batch:.1f}x, max |ΔR| {err:.1e} bits, "
          f"iterations {int(np.sum(batch.iterations))}")
    n_x, n_y, n_t, n_ib = (200, 40, 8, 16) if quick else (500, 50, 10, 32)
    pxy = dirichlet_joint(n_x, n_y, seed=0)
    ib_betas = np.geomspace(1, 200, n_ib)

    def loop_ib() -> list:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return [information_bottleneck(pxy, b, n_t, seed=0, tol=1e-9) for b in ib_betas]

    t_batch = _best(lambda: information_bottleneck_batch(pxy, ib_betas, n_t, seed=0, tol=1e-9),
                    repeat)
    t_loop = _best(loop_ib, repeat)
    batch, loop = information_bottleneck_batch(pxy, ib_betas, n_t, seed=0, tol=1e-9), loop_ib()
    err = max(abs(batch.I_TY[i] - s.I_TY) for i, s in enumerate(loop))
    print(f"    IB  |X| = {n_x}, |Y| = {n_y}, |T| = {n_t}, {n_ib} β: batch {t_batch:.3f} s, "
          f"loop {t_loop:.3f} s, speed-up {t_loop / t_batch:.1f}x, max |ΔI(T;Y)| {err:.1e} bits")


def _gpu_case(th: Any, n_x: int, iters: int) -> None:
    n_y = n_t = 100
    pxy = dirichlet_joint(n_x, n_y, seed=0)
    flops = 4.0 * n_x * n_y * n_t  # two products of 2·|X|·|Y|·|T| each
    rows = {}
    for device in ("cuda", "cpu"):
        data = th.as_tensor(pxy, device="cuda") if device == "cuda" else pxy

        def solve(data: object = data, device: str = device) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                information_bottleneck(data, 20.0, n_t, seed=0, tol=1e-300, max_iter=iters)
            if device == "cuda":
                th.cuda.synchronize()

        solve()  # warm-up (kernels, allocator)
        rows[device] = _best(solve, 3) / iters
    a = th.rand(n_x, n_y, dtype=th.float64, device="cuda")
    b = th.rand(n_y, n_t, dtype=th.float64, device="cuda")
    c = th.rand(n_t, n_x, dtype=th.float64, device="cuda")

    def gemm() -> None:
        for _ in range(50):
            a @ b
            c @ a
        th.cuda.synchronize()

    gemm()
    bound = _best(gemm, 3) / 50
    print(f"    |X| = {n_x:5d}: GPU {rows['cuda'] * 1e6:8.1f} µs/iter, "
          f"CPU {rows['cpu'] * 1e6:9.1f} µs/iter ({rows['cpu'] / rows['cuda']:.1f}x); "
          f"matmul bound {bound * 1e6:.1f} µs "
          f"({flops / bound / 1e9:.0f} GFLOP/s), iteration at {bound / rows['cuda']:.0%} of it")


def part_gpu(quick: bool) -> None:
    try:
        import torch
    except ImportError:
        print("(iii) GPU: skipped (torch is not installed)")
        return
    if not torch.cuda.is_available():
        print("(iii) GPU: skipped (no CUDA device on this machine)")
        return
    print(f"(iii) IB iteration, float64, |Y| = |T| = 100, on {torch.cuda.get_device_name()}")
    for n_x in (2000, 20000):
        _gpu_case(torch, n_x, 50 if quick else 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part", choices=("grid", "batched", "gpu", "all"), default="all")
    args = parser.parse_args()
    print(f"ibkit {ibkit.__version__} from {os.path.dirname(ibkit.__file__)}")
    if args.part in ("grid", "all"):
        part_grid(args.quick)
    if args.part in ("batched", "all"):
        part_batched(args.quick, args.repeat)
    if args.part in ("gpu", "all"):
        part_gpu(args.quick)


if __name__ == "__main__":
    main()
