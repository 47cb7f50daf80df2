"""Information Bottleneck benchmark: ibkit vs embo vs a plain NumPy eq. 16 vs dit.

Run from the repository root (needs ``embo`` and ``dit``; ``PYTHONPATH=src`` pins this
checkout's ibkit, whose path is printed first; ``OMP_NUM_THREADS=1`` keeps every method and the
GEMM bound on one core, as a multi-threaded BLAS on a shared 2-core machine is erratic)::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_ib.py  # |X| = 2000: ~4 min
    ... bench_ib.py --quick    # |X| = 400: ~30 s
    ... bench_ib.py --profile  # also cProfile one ibkit curve

One random joint (p(y|x) ~ Dirichlet(0.5), p(x) ~ Dirichlet(1), seed 0) and 20 β geometric
from β_c/2 to 30 β_c (ibkit's critical_beta), the same for every method, in one process. β
multiplies the KL in nats, exp(-β KL), as in ibkit and dit; embo's KL is in bits, so it gets
β·ln 2. ibkit: ``ib_curve`` (forward annealing) at tol 1e-10 (default) and 1e-6, with and
without (refine=0) its bisection of bifurcations. Plain NumPy eq. 16: two matrix products and
a max-shifted softmax with ib_curve's start, perturbation stream and stopping rule, tested
every iteration and without ibkit's Aitken Δ² jumps in the slow tails (so it needs more
iterations; ibkit's curve differs from it only where annealing is sensitive to the tolerance,
as it is when tol is 1e-11 instead of 1e-10). embo 1.1: ``InformationBottleneck.beta_iter``,
the per-β worker of its ``IB``, called directly (this β grid, no process pool) on p(x, y),
|T| = 50, its defaults (3 random restarts, <= 100 iterations, rtol 1e-3 on the cost). dit 2.3:
``InformationBottleneck`` (scipy.optimize on a ``dit.Distribution``) on the largest joint of
the same kind that did its 20 β within a minute on an idle 2-core machine, (|X|, |Y|, |T|) =
(32, 8, 8) in 48 s ((24, 6, 6): 33 s; (40, 10, 10): 130 s; --quick: (8, 4, 4), 9 s; it stops
after 60 s and reports the β it did), next to ibkit on it.

Curves are compared by I(T;Y) at equal I(X;T) (bits; the best I(T;Y) with I(X;T) <= v,
interpolated linearly on each method's monotone envelope, flat past its last point) and by
I(X;T) - β I(T;Y) at equal β. Iterations are counted by wrapping the solver ib_curve calls
(``solve_from``: grid points, then bisection probes), embo's encoder update, and in the NumPy
loop; ms/iter = total time / iterations (for ibkit it includes the per-solve work: the
information terms, the probes' split checks). ibkit rows, the NumPy rows and embo are each the
best of 3 (embo: 2) seeded runs, by wall time; each row also shows the process's CPU time,
the steadier figure on a busy shared machine, and the summary gives both ratios. ``÷GEMM``
divides it by the time of one iteration's two matrix products, (n_x × n_y)(n_y × n_t) for the
KL and (n_t × n_x)(n_x × n_y) for the decoder (4 n_x n_y n_t FLOPs). Not a unit test.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import time
import timeit
import warnings
from dataclasses import dataclass
from pathlib import Path

import dit
import embo
import embo.core
import numpy as np
from dit.rate_distortion.information_bottleneck import InformationBottleneck as DitIB

import ibkit
import ibkit.ib.curve as ib_curve_module
from ibkit.ib import critical_beta, ib_curve

LN2 = math.log(2.0)


@dataclass
class Row:
    label: str
    seconds: float  # the whole curve
    iterations: int  # 0: not an iterative method
    i_xt: np.ndarray  # bits, one per β (nan: failed)
    i_ty: np.ndarray
    note: str = ""
    cpu: float = math.nan  # process CPU seconds of the curve (less sensitive to a busy machine)


def random_joint(n_x: int, n_y: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n_y, 0.5), size=n_x) * rng.dirichlet(np.ones(n_x))[:, None]
    return p / p.sum()


def beta_grid(pxy: np.ndarray, n: int = 20) -> np.ndarray:
    beta_c = critical_beta(pxy)
    return np.geomspace(beta_c / 2, 30 * beta_c, n)


def run_ibkit(pxy, n_t, betas, tol: float, refine: int) -> Row:
    """ib_curve with its solver (``solve_from``) wrapped to count iterations (grid points
    first, then bisection probes)."""
    counts: list[int] = []
    inner = ib_curve_module.solve_from

    def counting(*args, **kwargs):
        sol = inner(*args, **kwargs)
        counts.append(sol.iterations)
        return sol

    ib_curve_module.solve_from = counting
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        c = ib_curve(pxy, n_t, betas, tol=tol, refine_bifurcations=refine, seed=0)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        ib_curve_module.solve_from = inner
    probes = counts[len(betas) :]
    note = f"{len(c.bifurcations)} bifurcations, {len(probes)} probes: {sum(probes)} iterations"
    label = f"ibkit ib_curve tol={tol:g} refine={refine}"
    return Row(label, seconds, sum(counts), c.I_XT, c.I_TY, note if refine else "", cpu)


def mutual_info_bits(joint: np.ndarray) -> float:
    a, b = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log(joint / (a * b)), 0.0)
    return max(float(terms.sum()), 0.0) / LN2


def run_numpy(pxy, n_t, betas, tol: float, max_iter: int = 20_000) -> Row:
    """Plain eq. 16, annealed like ib_curve (same start, perturbation stream, stop rule)."""
    t0, c0 = time.perf_counter(), time.process_time()
    px = pxy.sum(axis=1)
    py_x = pxy / px[:, None]
    neg_h = np.sum(py_x * np.log(np.where(py_x > 0, py_x, 1.0)), axis=1)  # -H(Y|x)
    rng, enc, total = np.random.default_rng(0), np.full((pxy.shape[0], n_t), 1.0 / n_t), 0
    i_xt, i_ty = [], []
    for beta in betas:
        enc = np.maximum(enc * (1 + 1e-3 * rng.uniform(-1, 1, size=enc.shape)), 1e-300)
        enc /= enc.sum(axis=1, keepdims=True)
        for _ in range(max_iter):
            total += 1
            pt = px @ enc
            dec = (enc.T @ pxy) / np.maximum(pt, 1e-300)[:, None]
            kl = neg_h[:, None] - py_x @ np.log(np.maximum(dec, 1e-300)).T
            with np.errstate(divide="ignore"):
                logits = np.log(pt) - beta * kl
            new = np.exp(logits - logits.max(axis=1, keepdims=True))  # log-sum-exp shift
            new /= new.sum(axis=1, keepdims=True)
            change, enc = np.max(np.abs(new - enc)), new
            if change <= tol:
                break
        i_xt.append(mutual_info_bits(px[:, None] * enc))
        i_ty.append(mutual_info_bits(enc.T @ pxy))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    label = f"numpy eq.16 tol={tol:g}"
    return Row(label, seconds, total, np.array(i_xt), np.array(i_ty), cpu=cpu)


def run_embo(pxy, n_t, betas, restarts: int = 3, iterations: int = 100) -> Row:
    """embo's per-β worker (what IB() maps over its pool) on p(x, y), β in its bit units."""
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    pyx_c, calls, update = pxy.T / px, [0], embo.core.p_mx_c

    def counting(*args):
        calls[0] += 1
        return update(*args)

    embo.core.p_mx_c = counting
    np.random.seed(0)  # noqa: NPY002 (embo draws its starts from the global state)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        worker = embo.InformationBottleneck.beta_iter
        out = [worker(1, b * LN2, px, py, pyx_c, n_t, restarts, iterations) for b in betas]
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        embo.core.p_mx_c = update
    label = f"embo restarts={restarts} iterations<={iterations}"
    i_xt, i_ty = (np.array([o[k] for o in out]) for k in (0, 1))
    return Row(label, seconds, calls[0], i_xt, i_ty, cpu=cpu)


def run_dit(pxy, n_t, betas, budget: float = 60.0) -> Row:
    """dit's optimiser, one call per β, stopping once ``budget`` seconds have passed."""
    n_x, n_y = pxy.shape
    d = dit.Distribution([(x, y) for x in range(n_x) for y in range(n_y)], pxy.ravel().tolist())
    solve, out = DitIB.functional(), []
    np.random.seed(0)  # noqa: NPY002 (so does dit's optimiser)
    t0 = time.perf_counter()
    for b in betas:
        late = time.perf_counter() - t0 > budget
        out.append((math.nan, math.nan) if late else solve(d, float(b), bound=n_t))
    seconds = time.perf_counter() - t0
    i_xt, i_ty = (np.array([o[k] for o in out], dtype=float) for k in (0, 1))
    return Row(f"dit InformationBottleneck bound={n_t}", seconds, 0, i_xt, i_ty)


def envelope(row: Row) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(row.i_xt) & np.isfinite(row.i_ty)
    order = np.argsort(row.i_xt[ok])
    return row.i_xt[ok][order], np.maximum.accumulate(row.i_ty[ok][order])


def at(row: Row, levels: np.ndarray) -> np.ndarray:
    """Best I(T;Y) with I(X;T) <= level: interpolated, flat past the curve's last point."""
    return np.interp(levels, *envelope(row))


def min_gap(a: Row, b: Row, n: int = 400) -> tuple[float, float]:
    """min over I(X;T) in [0, the larger reach] of I_a(T;Y) - I_b(T;Y) (bits), and where."""
    levels = np.linspace(0, max(np.nanmax(a.i_xt), np.nanmax(b.i_xt)), n)
    gaps = at(a, levels) - at(b, levels)
    return float(gaps.min()), float(levels[np.argmin(gaps)])


def compare(rows: list[Row], ref: Row, betas: np.ndarray) -> None:
    """I(T;Y) gap at equal I(X;T), and the excess of I(X;T) - β I(T;Y) at equal β (> 0: worse)."""
    print(f"  vs {ref.label}: min I(T;Y) gap at equal I(X;T), worst objective excess at equal β")
    for r in rows:
        excess = np.nanmax(r.i_xt - betas * r.i_ty - (ref.i_xt - betas * ref.i_ty))
        gap, where = min_gap(r, ref)
        print(f"    {r.label:<36} {gap:+.2e} bits (at {where:.2f}); {excess:+.2e} bits")


def gemm_bound(n_x: int, n_y: int, n_t: int) -> tuple[float, str]:
    rng = np.random.default_rng(0)
    a, b = rng.random((n_x, n_y)), rng.random((n_y, n_t))
    c, d = rng.random((n_x, n_t)).T, rng.random((n_x, n_y))
    t_kl = min(timeit.repeat(lambda: a @ b, number=20, repeat=15)) / 20
    t_dec = min(timeit.repeat(lambda: c @ d, number=20, repeat=15)) / 20
    flops = 4.0 * n_x * n_y * n_t
    return t_kl + t_dec, (
        f"GEMM bound: ({n_x}x{n_y})({n_y}x{n_t}) {t_kl * 1e3:.3f} ms + ({n_t}x{n_x})"
        f"({n_x}x{n_y}) {t_dec * 1e3:.3f} ms = {(t_kl + t_dec) * 1e3:.3f} ms for "
        f"{flops / 1e6:.0f} MFLOP ({flops / (t_kl + t_dec) / 1e9:.1f} GFLOP/s; best of 15x20)"
    )


def print_table(rows: list[Row], bound: float | None, n_beta: int) -> None:
    hi = max(np.nanmax(r.i_xt) for r in rows)
    levels = np.floor(np.linspace(0, hi, 7)[1:] * 100) / 100
    head = "".join(f"{f'I_TY@{v:g}':>10}" for v in levels)
    print(
        f"\n{'method':<36}{'s/curve':>9}{'cpu s':>8}{'iters':>7}{'ms/iter':>9}{'÷GEMM':>7}"
        f"{'ok':>6}{head}"
    )
    for r in rows:
        t_it = r.seconds / r.iterations if r.iterations else math.nan
        ratio = f"{t_it / bound:7.1f}" if bound and r.iterations else f"{'-':>7}"
        ok = int(np.sum(np.isfinite(r.i_xt) & np.isfinite(r.i_ty)))
        vals = "".join(f"{v:>10.4f}" for v in at(r, levels))
        iters = r.iterations if r.iterations else "-"
        print(
            f"{r.label:<36}{r.seconds:>9.2f}{r.cpu:>8.2f}{iters:>7}{t_it * 1e3:>9.3f}{ratio}"
            f"{f'{ok}/{n_beta}':>6}{vals}"
        )
    print(
        "(s/curve: wall time; cpu s: the process's CPU time; I_TY@v: best I(T;Y) with "
        "I(X;T) <= v bits, interpolated; ok: finite curve points)"
    )


def best_of(repeat: int, solve, *args) -> Row:
    """The best wall (and CPU) time of ``repeat`` identical (seeded) runs."""
    runs = [solve(*args) for _ in range(repeat)]
    if len({r.iterations for r in runs}) > 1:
        raise RuntimeError(f"{runs[0].label}: the seeded runs differ")
    runs[0].seconds = min(r.seconds for r in runs)
    runs[0].cpu = min(r.cpu for r in runs)
    return runs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="|X| = 400 and a smaller dit joint")
    parser.add_argument("--profile", action="store_true", help="cProfile one ibkit curve")
    args = parser.parse_args()
    t_start, repeat = time.perf_counter(), 3
    n_x, n_y, n_t = (400 if args.quick else 2000), 50, 50
    print(
        f"ibkit {ibkit.__version__} from {Path(ibkit.__file__).parent}; embo {embo.__version__}; "
        f"dit {dit.__version__}; numpy {np.__version__}; {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    pxy = random_joint(n_x, n_y)
    betas = beta_grid(pxy)
    print(
        f"\n=== random joint |X|={n_x} |Y|={n_y}, |T|={n_t}, {len(betas)} beta in "
        f"[{betas[0]:.3g}, {betas[-1]:.3g}] (beta_c = {critical_beta(pxy):.3g}), "
        f"I(X;Y) = {mutual_info_bits(pxy):.4f} bits"
    )
    bound, line = gemm_bound(n_x, n_y, n_t)
    print(line)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_ibkit(pxy, n_t, betas[:3], 1e-10, 0)  # warm-up
        run_numpy(pxy, n_t, betas[:3], 1e-10)
        rows = [best_of(repeat, run_ibkit, pxy, n_t, betas, tol, 0) for tol in (1e-10, 1e-6)]
        rows.append(best_of(repeat, run_ibkit, pxy, n_t, betas, 1e-10, 12))  # the defaults
        rows += [best_of(repeat, run_numpy, pxy, n_t, betas, tol) for tol in (1e-10, 1e-6)]
        rows.append(best_of(2, run_embo, pxy, n_t, betas))
    bound_after, line = gemm_bound(n_x, n_y, n_t)
    bound = min(bound, bound_after)  # a busy machine only slows it down
    print(f"{line} (again, after; the smaller is used)")
    print_table(rows, bound, len(betas))
    print(f"  {rows[2].label}: {rows[2].note}")
    embo_row, ib_rows = rows[-1], [r for r in rows if r.label.startswith("ibkit")]
    compare(rows[:-1], embo_row, betas)

    nx_d, ny_d, nt_d = (8, 4, 4) if args.quick else (32, 8, 8)
    small = random_joint(nx_d, ny_d)
    b_small = beta_grid(small)
    print(f"\n=== dit-sized joint |X|={nx_d} |Y|={ny_d}, |T|={nt_d}, same kind of beta grid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small_rows = [best_of(repeat, run_ibkit, small, nt_d, b_small, 1e-10, 0)]
        small_rows.append(run_dit(small, nt_d, b_small))
    print_table(small_rows, None, len(b_small))
    compare(small_rows[:1], small_rows[1], b_small)
    print(f"  dit / ibkit time: {small_rows[1].seconds / small_rows[0].seconds:.0f}x")

    if args.profile:
        print("\n=== cProfile of ibkit ib_curve tol=1e-10 refine=0 (top 12 by own time)")
        prof = cProfile.Profile()
        prof.runcall(ib_curve, pxy, n_t, betas, refine_bifurcations=0, seed=0)
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)

    print("\n=== Summary")
    fair = [r for r in ib_rows if min_gap(r, embo_row)[0] >= -1e-3]
    best = min(fair or ib_rows, key=lambda r: r.seconds)
    ratio = embo_row.seconds / best.seconds
    defaults = rows[2]
    ratio_d, gap_d = embo_row.seconds / defaults.seconds, min_gap(defaults, embo_row)[0]
    print(
        f"TARGET >= 10x faster than embo at an equal or better curve (I(T;Y) within 1e-3 bits): "
        f"{'MET' if fair and ratio >= 10 else 'NOT MET'}: {ratio:.1f}x ({embo_row.label} "
        f"{embo_row.seconds:.1f} s; {best.label} {best.seconds:.2f} s, I(T;Y) gap "
        f"{min_gap(best, embo_row)[0]:+.1e} bits; CPU time: {embo_row.cpu / best.cpu:.1f}x)"
    )
    print(
        f"  with ib_curve's defaults (tol=1e-10, refine=12): "
        f"{'MET' if gap_d >= -1e-3 and ratio_d >= 10 else 'NOT MET'}: {ratio_d:.1f}x "
        f"({defaults.seconds:.2f} s, I(T;Y) gap {gap_d:+.1e} bits; CPU time: "
        f"{embo_row.cpu / defaults.cpu:.1f}x)"
    )
    print("TARGET ibkit time per iteration within 2x of the GEMM time for the same FLOPs:")
    for r in ib_rows:
        ms, x = r.seconds / r.iterations * 1e3, r.seconds / r.iterations / bound
        print(
            f"  {r.label:<36} {ms:.3f} ms/iter = {x:.2f}x: {'met' if x <= 2 else 'NOT met'} "
            f"(CPU time: {r.cpu / r.iterations * 1e3:.3f} ms/iter = "
            f"{r.cpu / r.iterations / bound:.2f}x)"
        )
    print(
        f"\n(total wall time {time.perf_counter() - t_start:.0f} s; quick={args.quick}; "
        f"load average {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
