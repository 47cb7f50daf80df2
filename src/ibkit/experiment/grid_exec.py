"""Executors for experiment grids: in-process, local processes, or a Dask cluster.

:func:`run_grid` skips complete points (a folder with ``summary.json``), submits the rest to
the chosen executor, resubmits a failed point up to ``spec.retries`` more times, and records
every point's state in ``<grid_dir>/grid_status.json`` (rewritten atomically after each
event) so a failure is reported, never dropped. A worker that dies mid-run costs its point
one attempt (the process pool) or is rescheduled by Dask on another worker; either way the
point's folder is rebuilt from scratch, so results do not depend on where or how often a
point ran.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import write_json
from .._validation import check_choice, check_int
from .grid import GridPoint, GridSpec, is_complete, run_point

__all__ = ["EXECUTORS", "GridReport", "run_grid"]

EXECUTORS = ("process", "dask", "serial")
STATUS = "grid_status.json"

Progress = Callable[[int, int, int, int], None]  # (done, running, failed, total)


@dataclass
class GridReport:
    """Outcome of :func:`run_grid`: point name → state, attempts and last error."""

    grid_dir: Path
    states: dict[str, str] = field(default_factory=dict)  # done | failed | pending
    attempts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: int = 0  # complete before this call

    def count(self, state: str) -> int:
        return sum(s == state for s in self.states.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": len(self.states), "done": self.count("done"),
            "failed": self.count("failed"), "pending": self.count("pending"),
            "skipped": self.skipped,
            "points": {n: {"state": s, "attempts": self.attempts.get(n, 0),
                           "error": self.errors.get(n)} for n, s in self.states.items()},
        }

    def write(self) -> None:
        write_json(self.grid_dir / STATUS, self.to_dict())


class _Serial:
    """Runs each point in this process at submission (futures are already finished)."""

    workers = 1

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # recorded as the point's failure
            future.set_exception(err)
        return future

    def wait(self, futures: list[Any]) -> set[Any]:
        return {f for f in futures if f.done()}

    def close(self) -> None:
        pass


class _Processes:
    """A spawn-based process pool; a pool broken by a dead worker is replaced."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> cf.Future:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new()
            return self._pool.submit(fn, *args, **kwargs)

    def wait(self, futures: list[Any]) -> set[Any]:
        return set(cf.wait(futures, return_when=cf.FIRST_COMPLETED).done)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask ``Client``: on a scheduler address, on a given client, or a new LocalCluster."""

    def __init__(self, workers: int | None, scheduler: Any) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError(
                "the dask executor needs dask[distributed]: pip install 'ibkit[dist]'",
                name="distributed",
            ) from None
        self._own: list[Any] = []
        if scheduler is not None and not isinstance(scheduler, str):
            self.client = scheduler  # a Client the caller manages
        elif scheduler is not None:
            self.client = Client(scheduler)
            self._own = [self.client]
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            self.client = Client(cluster)
            self._own = [self.client, cluster]
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self.client.scheduler_info()["workers"].values()))
        self._n = 0

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._n += 1
        return self.client.submit(fn, *args, pure=False, key=f"ibkit-grid-{self._n}-{os.getpid()}",
                                  **kwargs)

    def wait(self, futures: list[Any]) -> set[Any]:
        from distributed import wait

        return set(wait(futures, return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        for obj in self._own:
            obj.close()


def _executor(kind: str, workers: int | None, scheduler: Any) -> Any:
    if kind == "serial":
        return _Serial()
    if kind == "process":
        return _Processes(workers or os.cpu_count() or 1)
    return _Dask(workers, scheduler)


def run_grid(
    spec: GridSpec, grid_dir: str | os.PathLike[str], *, executor: str = "process",
    workers: int | None = None, scheduler: Any = None, progress: Progress | None = None,
) -> GridReport:
    """Run every incomplete point of ``spec`` into ``grid_dir/<point name>``.

    Parameters
    ----------
    spec : GridSpec
        From :func:`~ibkit.experiment.grid.load_grid` or ``grid_from_dict``.
    grid_dir : path
        The grid's folder: ``grid.json``, ``grid_status.json`` and one folder per point.
    executor : {"process", "dask", "serial"}
        Local spawn processes (default), Dask distributed, or this process (for debugging).
    workers : int, optional
        Processes / LocalCluster workers (default: all cores).
    scheduler : str or distributed.Client, optional
        For ``"dask"``: a scheduler address such as ``"tcp://host:8786"`` or an existing
        client; default a new ``LocalCluster``.
    progress : callable, optional
        ``progress(done, running, failed, total)`` after every event.

    Returns
    -------
    GridReport
        Also written to ``grid_dir/grid_status.json``; failed points keep their last error.
    """
    check_choice(executor, "executor", EXECUTORS)
    if workers is not None:
        workers = check_int(workers, "workers", minimum=1)
    grid_dir = Path(grid_dir)
    grid_dir.mkdir(parents=True, exist_ok=True)
    write_json(grid_dir / "grid.json", spec.to_dict())
    report = GridReport(grid_dir)
    todo: list[GridPoint] = []
    for point in spec.points:
        done = is_complete(grid_dir / point.name)
        report.states[point.name] = "done" if done else "pending"
        report.skipped += done
        if not done:
            todo.append(point)
            for stale in grid_dir.glob(f".{point.name}.*"):  # staging of a killed attempt
                shutil.rmtree(stale, ignore_errors=True)
    report.write()
    if todo:
        runner = _executor(executor, workers, scheduler)
        try:
            _drive(runner, spec, grid_dir, todo, report, progress)
        finally:
            runner.close()
    _notify(progress, report, 0)
    return report


def _drive(runner: Any, spec: GridSpec, grid_dir: Path, todo: list[GridPoint],
           report: GridReport, progress: Progress | None) -> None:
    def submit(point: GridPoint) -> Any:
        report.attempts[point.name] = report.attempts.get(point.name, 0) + 1
        return runner.submit(run_point, spec.command, point.config, str(grid_dir / point.name),
                             plots=spec.plots)

    flying = {submit(p): p for p in todo}
    _notify(progress, report, min(len(flying), runner.workers))
    while flying:
        for future in runner.wait(list(flying)):
            point = flying.pop(future)
            error = future.exception()
            if error is None:
                report.states[point.name] = "done"
                report.errors.pop(point.name, None)
            else:
                report.errors[point.name] = f"{type(error).__name__}: {error}"
                if report.attempts[point.name] <= spec.retries:
                    flying[submit(point)] = point
                else:
                    report.states[point.name] = "failed"
        report.write()
        _notify(progress, report, min(len(flying), runner.workers))


def _notify(progress: Progress | None, report: GridReport, running: int) -> None:
    if progress is not None:
        progress(report.count("done"), running, report.count("failed"), len(report.states))
