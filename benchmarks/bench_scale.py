"""Scaling ibkit: grids on Dask workers, batched β solvers, and the IB iteration on a GPU.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_scale.py            # all three parts
    PYTHONPATH=src python benchmarks/bench_scale.py --quick    # smaller grid and sweeps
    PYTHONPATH=src python benchmarks/bench_scale.py --part batched
    PYTHONPATH=src python benchmarks/bench_scale.py --part gpu --device cpu --quick  # smoke

(i) **Grid throughput.** The same grid of CPU-bound ``ib`` points (annealed curves on a
random 300×40 joint) on a Dask ``LocalCluster`` with 1 and 2 single-threaded worker processes;
the workers are started and warmed up (ibkit imported) before the clock starts, so the time is
the grid's own. Prints runs per second and the speed-up of 2 workers over 1 (ideal: 2.0 on
two free cores).

(ii) **Batched β.** ``blahut_arimoto_batch`` against a loop of ``blahut_arimoto(method="ba")``
(the same plain BA, so equal results) and ``information_bottleneck_batch`` against a loop of
``information_bottleneck`` (same start and tol; both take the same Δ² jumps per β, so the
same iterations), on NumPy, best of ``--repeat``.

(iii) **GPU.** When CUDA is present: one IB iteration (eq. 16, float64) at |X| ∈ {2000,
20000}, |Y| = |T| = 100, as ``information_bottleneck`` on a CUDA tensor and on NumPy (tol =
1e-300 so none stops early); the time per iteration is the difference between runs of 2n and
n iterations (n = 50), divided by n, so setup and validation cancel. One iteration is two
matrix products of 2·|X|·|Y|·|T| FLOPs each; the "matmul bound" is the time the device's own
float64 GEMMs take for those two products at the same shapes, and the ratio says how close
the iteration runs to it. Without CUDA the part prints a message and is skipped;
``--device cpu`` runs the same code on CPU torch (a smoke test: ``--part gpu --device cpu
--quick --sizes 2000``). Not a unit test.
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
    same = all(int(batch.iterations[i]) == s.iterations for i, s in enumerate(loop))
    print(f"    IB  |X| = {n_x}, |Y| = {n_y}, |T| = {n_t}, {n_ib} β: batch {t_batch:.3f} s, "
          f"loop {t_loop:.3f} s, speed-up {t_loop / t_batch:.1f}x, max |ΔI(T;Y)| {err:.1e} bits, "
          f"same iterations per β: {same} ({sum(s.iterations for s in loop)} in all)")


def _iteration_time(solve: Callable[[int], None], iters: int, repeat: int) -> float:
    """Seconds per iteration: (best time of 2n iterations - best of n) / n, so validation,
    setup and the final information terms cancel."""
    solve(4)  # warm-up (kernels, allocator)
    one, two = (_best(lambda k=k: solve(k), repeat) for k in (iters, 2 * iters))
    return max(two - one, 1e-12) / iters


def _matmul_bound(th: Any, device: str, n_x: int, n_y: int, n_t: int, repeat: int) -> float:
    """Seconds the device's own float64 GEMMs take for one iteration's two products:
    score (n_x, n_y)(n_y, n_t) and joint (n_t, n_x)(n_x, n_y)."""
    a = th.rand(n_x, n_y, dtype=th.float64, device=device)
    b = th.rand(n_y, n_t, dtype=th.float64, device=device)
    c = th.rand(n_t, n_x, dtype=th.float64, device=device)
    sync = th.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def gemm() -> None:
        for _ in range(50):
            a @ b
            c @ a
        sync()

    gemm()
    return _best(gemm, repeat) / 50


def _device_case(th: Any, device: str, n_x: int, iters: int, repeat: int) -> None:
    n_y = n_t = 100
    pxy = dirichlet_joint(n_x, n_y, seed=0)
    flops = 4.0 * n_x * n_y * n_t  # two products of 2·|X|·|Y|·|T| each
    sync = th.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    rows = {}
    for name, data in (("device", th.as_tensor(pxy, device=device)), ("numpy", pxy)):

        def solve(k: int, data: object = data) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                information_bottleneck(data, 20.0, n_t, seed=0, tol=1e-300, max_iter=k)
            sync()

        rows[name] = _iteration_time(solve, iters, repeat)
    bound = _matmul_bound(th, device, n_x, n_y, n_t, repeat)
    print(f"    |X| = {n_x:5d}: torch on {device} {rows['device'] * 1e6:9.1f} µs/iter, "
          f"NumPy CPU {rows['numpy'] * 1e6:9.1f} µs/iter "
          f"(speed-up {rows['numpy'] / rows['device']:.1f}x); {device} matmul bound "
          f"{bound * 1e6:.1f} µs ({flops / bound / 1e9:.0f} GFLOP/s), iteration at "
          f"{bound / rows['device']:.0%} of it")


def part_gpu(quick: bool, device: str, sizes: list[int], repeat: int) -> None:
    try:
        import torch
    except ImportError:
        print("(iii) device: skipped (torch is not installed)")
        return
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("(iii) GPU: skipped (no CUDA device on this machine; --device cpu runs the same "
              "code on CPU torch)")
        return
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else "CPU torch"
    print(f"(iii) IB iteration, float64, |Y| = |T| = 100, torch on {device} ({where}) against "
          f"NumPy on the CPU, best of {repeat}")
    for n_x in sizes:
        _device_case(torch, device, n_x, 5 if quick else 50, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part", choices=("grid", "batched", "gpu", "all"), default="all")
    parser.add_argument("--device", default="cuda",
                        help="torch device of part (iii): cuda (default) or cpu (a smoke test)")
    parser.add_argument("--sizes", default="2000,20000", help="|X| values of part (iii)")
    args = parser.parse_args()
    print(f"ibkit {ibkit.__version__} from {os.path.dirname(ibkit.__file__)}")
    if args.part in ("grid", "all"):
        part_grid(args.quick)
    if args.part in ("batched", "all"):
        part_batched(args.quick, args.repeat)
    if args.part in ("gpu", "all"):
        part_gpu(args.quick, args.device, [int(v) for v in args.sizes.split(",")], args.repeat)


if __name__ == "__main__":
    main()
