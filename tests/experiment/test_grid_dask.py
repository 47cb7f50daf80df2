"""A grid on a 2-worker Dask LocalCluster survives a worker killed mid-grid."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from ibkit.experiment.grid import grid_from_dict
from ibkit.experiment.grid_exec import run_grid

distributed = pytest.importorskip("distributed")

# Six CPU-bound ib points of about half a second each: long enough that a worker is busy
# when the first point finishes, short enough for the default suite.
GRID = {
    "command": "ib",
    "retries": 2,
    "base": {"n_x": 200, "n_y": 40, "n_points": 30, "n_clusters": 6},
    "grid": {"seed": [0, 1, 2, 3, 4, 5]},
}


def _curve(path):
    return np.loadtxt(path / "curve.csv", delimiter=",", skiprows=1)


@pytest.mark.slow
def test_worker_killed_mid_grid_still_completes_identically(tmp_path):
    spec = grid_from_dict(GRID)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    killed: list[int] = []

    def kill_a_busy_worker(done: int, running: int, failed: int, total: int) -> None:
        if done < 1 or killed:
            return
        processing = client.processing()  # worker address → keys it is running now
        busy = [w for w, keys in processing.items() if keys] or list(processing)
        pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
        os.kill(pid, signal.SIGKILL)  # the worker process dies at once; its nanny restarts it
        killed.append(pid)

    try:
        report = run_grid(spec, tmp_path / "dask", executor="dask", scheduler=client,
                          progress=kill_a_busy_worker)
        pids_after = set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
    assert killed and killed[0] not in pids_after  # the process really died
    assert report.count("done") == len(spec.points) and report.count("failed") == 0
    serial = run_grid(spec, tmp_path / "serial", executor="serial")
    assert serial.count("done") == len(spec.points)
    for point in spec.points:
        a, b = (tmp_path / k / point.name for k in ("dask", "serial"))
        np.testing.assert_allclose(_curve(a), _curve(b), rtol=0, atol=1e-12)
        assert (a / "config.json").read_bytes() == (b / "config.json").read_bytes()
        assert (a / "bifurcations.json").read_bytes() == (b / "bifurcations.json").read_bytes()


@pytest.mark.slow
def test_cli_grid_on_a_scheduler_address(capsys, tmp_path):
    from tests.cli.test_cli import run_cli

    grid = tmp_path / "g.toml"
    grid.write_text('command = "rd"\n[base]\nn_points = 3\n[grid]\np = [0.1, 0.2, 0.3]\n')
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        code, stdout, err = run_cli(capsys, "grid", grid, "--out", tmp_path / "o",
                                    "--scheduler", cluster.scheduler_address, "--quiet")
    assert code == 0, err
    assert "3 done (0 already), 0 failed of 3" in stdout
