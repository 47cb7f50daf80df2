"""Experiment grids: expansion, run_point's atomic folders, retries, resume and collect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibkit.exceptions import IBKitError
from ibkit.experiment.grid import grid_from_dict, is_complete, load_grid, run_point
from ibkit.experiment.grid_collect import collect, collect_table
from ibkit.experiment.grid_exec import run_grid

RD_GRID = {
    "command": "rd",
    "retries": 1,
    "base": {"n_points": 4, "tol": 1e-8},
    "grid": {"p": [0.1, 0.3], "base": [2.0, 2.718281828459045]},
}


def _strip(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "seconds"}


def test_cartesian_product_and_explicit_runs():
    spec = grid_from_dict(RD_GRID)
    assert spec.command == "rd" and len(spec.points) == 4
    assert [p.params for p in spec.points][1] == {"p": 0.1, "base": 2.718281828459045}
    assert spec.points[3].config["p"] == 0.3 and spec.points[3].config["n_points"] == 4
    assert len({p.name for p in spec.points}) == 4
    runs = grid_from_dict({"command": "ib", "runs": [{"seed": 1}, {"seed": 2, "n_clusters": 3}],
                           "grid": {"alpha": [0.0, 1.0]}})
    assert [(p.config["seed"], p.config["alpha"]) for p in runs.points] == [
        (1, 0.0), (1, 1.0), (2, 0.0), (2, 1.0)]
    train = grid_from_dict({"command": "train", "base": {"kind": "vae"},
                            "grid": {"train.lr": [1e-3, 1e-2]}})
    assert [p.config["train"]["lr"] for p in train.points] == [1e-3, 1e-2]
    assert grid_from_dict(RD_GRID).points == spec.points  # names are stable (resume)


@pytest.mark.parametrize(
    "data, match",
    [
        ({"command": "frobnicate"}, "command"),
        ({"command": "rd", "grid": {"p": 0.3}}, "list"),
        ({"command": "rd", "grid": {"p": []}}, "list"),
        ({"command": "rd", "grid": {"q": [1]}}, "unknown"),
        ({"command": "rd", "grid": {"p": [0.3, 2.0]}}, "p must lie"),
        ({"command": "rd", "retries": -1}, "retries"),
        ({"command": "rd", "retry": 1}, "unknown grid key"),
        ({"command": "ib", "runs": [1, 2]}, "runs"),
        ({"command": "ib", "base": {"device": "tpu"}}, "device"),
    ],
)
def test_bad_grids_are_refused_before_running(data, match):
    with pytest.raises(IBKitError, match=match):
        grid_from_dict(data)


def test_load_grid_from_toml(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('command = "ib"\n[base]\nn_points = 3\n[grid]\nseed = [0, 1]\n')
    assert [p.config["seed"] for p in load_grid(path).points] == [0, 1]


def test_run_point_is_complete_and_clears_partial_runs(tmp_path):
    point = grid_from_dict(RD_GRID).points[0]
    run_dir = tmp_path / point.name
    run_dir.mkdir()
    (run_dir / "curve.csv").write_text("half a file")  # a killed earlier attempt
    summary = run_point("rd", point.config, run_dir)
    assert is_complete(run_dir) and summary["command"] == "rd"
    assert json.loads((run_dir / "config.json").read_text())["p"] == 0.1
    assert (run_dir / "curve.csv").read_text().startswith("beta,")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    assert _strip(run_point("rd", {}, run_dir)) == _strip(summary)  # complete: kept as is


def test_failing_point_is_retried_then_reported(tmp_path):
    spec = grid_from_dict({"command": "ib", "retries": 2, "base": {"n_points": 3},
                           "runs": [{"seed": 0}, {"joint": "file", "file": "missing.npy"}]})
    calls = []
    report = run_grid(spec, tmp_path, executor="serial",
                      progress=lambda *a: calls.append(a))
    bad = spec.points[1].name
    assert report.states == {spec.points[0].name: "done", bad: "failed"}
    assert report.attempts[bad] == 3 and "missing.npy" in report.errors[bad]
    status = json.loads((tmp_path / "grid_status.json").read_text())
    assert status["failed"] == 1 and status["points"][bad]["state"] == "failed"
    assert calls[-1] == (1, 0, 1, 2)
    assert not (tmp_path / bad).exists()


def test_resume_skips_complete_points(tmp_path):
    spec = grid_from_dict(RD_GRID)
    first = run_grid(spec, tmp_path, executor="serial")
    stamp = (tmp_path / spec.points[0].name / "summary.json").stat().st_mtime_ns
    again = run_grid(spec, tmp_path, executor="serial")
    assert first.count("done") == again.count("done") == 4 and again.skipped == 4
    assert (tmp_path / spec.points[0].name / "summary.json").stat().st_mtime_ns == stamp


def test_process_pool_matches_serial(tmp_path):
    spec = grid_from_dict(RD_GRID)
    run_grid(spec, tmp_path / "serial", executor="serial")
    report = run_grid(spec, tmp_path / "pool", executor="process", workers=2)
    assert report.count("done") == 4
    for point in spec.points:
        a, b = (tmp_path / k / point.name for k in ("serial", "pool"))
        assert (a / "curve.csv").read_bytes() == (b / "curve.csv").read_bytes()


def test_collect_table_csv_and_plots(tmp_path):
    spec = grid_from_dict(RD_GRID)
    run_grid(spec, tmp_path, executor="serial")
    command, rows = collect_table(tmp_path)
    assert command == "rd" and len(rows) == 4
    assert rows[1]["param.base"] == pytest.approx(2.718281828459045)
    assert rows[1]["summary.unit"] == "nats" and "summary.rate_range.1" in rows[1]
    written = collect(tmp_path, color_by="p")
    names = {Path(p).name for p in written}
    assert {"results.csv", "metric_vs_beta.png", "plane.svg"} <= names
    header = (tmp_path / "results.csv").read_text().splitlines()[0].split(",")
    assert "config.p" in header and "summary.max_certified_gap" in header
    with pytest.raises(IBKitError, match="color-by"):
        collect(tmp_path, color_by="nope")
    with pytest.raises(IBKitError, match="grid folder"):
        collect_table(tmp_path / "p0000-none")


def _exit_now(code: int) -> None:  # run in a pool worker: the process dies at once
    import os

    os._exit(code)


def test_process_pool_replaced_after_a_worker_dies():
    from concurrent.futures.process import BrokenProcessPool

    from ibkit.experiment.grid_exec import _Processes

    pool = _Processes(1)
    try:
        dead = pool.submit(_exit_now, 3)
        assert isinstance(dead.exception(timeout=60), BrokenProcessPool)
        assert pool.submit(abs, -2).result(timeout=60) == 2  # a fresh pool took over
    finally:
        pool.close()


@pytest.mark.slow
def test_train_point_runs_through_the_library(tmp_path):
    pytest.importorskip("torch")
    spec = grid_from_dict({"command": "train", "base": {"kind": "vae", "train": {
        "steps": 2, "batch_size": 16}}, "grid": {"model.latent_dim": [2]}})
    report = run_grid(spec, tmp_path, executor="serial")
    assert report.count("done") == 1
    run_dir = tmp_path / spec.points[0].name
    assert json.loads((run_dir / "config.json").read_text())["model"]["latent_dim"] == 2
    assert json.loads((run_dir / "summary.json").read_text())["step"] == 2
    _, rows = collect_table(tmp_path)
    assert rows[0]["summary.step"] == 2 and "summary.eval.rate_bits" in rows[0]
    assert {"plane.png", "metric_vs_beta.svg"} <= {p.name for p in collect(tmp_path)}


def test_stale_staging_of_a_killed_attempt_is_removed(tmp_path):
    spec = grid_from_dict(RD_GRID)
    stale = tmp_path / f".{spec.points[0].name}.abc123"
    (stale / "run").mkdir(parents=True)
    run_grid(spec, tmp_path, executor="serial")
    assert not stale.exists() and is_complete(tmp_path / spec.points[0].name)
