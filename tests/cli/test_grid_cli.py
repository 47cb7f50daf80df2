"""``ibkit grid`` / ``ibkit collect`` and the ``--device`` option of ``ibkit rd`` / ``ibkit ib``."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import assert_one_line_error, run_cli

GRID = """command = "rd"
retries = 1
[base]
n_points = 4
[grid]
p = [0.2, 0.4]
[[runs]]
tol = 1e-6
[[runs]]
tol = 1e-9
"""


def test_grid_then_collect(capsys, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text(GRID)
    out = tmp_path / "grid"
    code, stdout, _ = run_cli(capsys, "grid", grid, "--out", out, "--executor", "serial",
                              "--quiet")
    assert code == 0 and "4 done (0 already), 0 failed of 4" in stdout
    code, stdout, _ = run_cli(capsys, "grid", grid, "--out", out, "--executor", "serial",
                              "--quiet")
    assert code == 0 and "4 done (4 already)" in stdout
    code, stdout, _ = run_cli(capsys, "collect", out, "--color-by", "tol")
    assert code == 0 and "results.csv" in stdout and "plane.png" in stdout
    assert len((out / "results.csv").read_text().splitlines()) == 5


def test_dry_run_lists_points(capsys, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text(GRID)
    code, stdout, _ = run_cli(capsys, "grid", grid, "--out", tmp_path / "o", "--dry-run")
    assert code == 0 and "4 rd points" in stdout and not (tmp_path / "o").exists()


def test_failed_points_exit_1_with_one_line_each(capsys, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text('command = "ib"\nretries = 0\n[base]\njoint = "file"\n'
                    'file = "nowhere.npy"\nn_points = 3\n')
    code, _, err = run_cli(capsys, "grid", grid, "--out", tmp_path / "o", "--executor",
                           "serial", "--quiet")
    assert code == 1 and "failed after 1 attempt(s)" in err and "nowhere.npy" in err
    status = json.loads((tmp_path / "o" / "grid_status.json").read_text())
    assert status["failed"] == 1


@pytest.mark.parametrize("text, fragment", [
    ('command = "frobnicate"\n', "command"),
    ('command = "rd"\n[grid]\np = [2.0]\n', "p must lie"),
    ("command = \n", "not valid TOML"),
])
def test_bad_grid_files_are_one_line_errors(capsys, tmp_path, text, fragment):
    grid = tmp_path / "g.toml"
    grid.write_text(text)
    code, _, err = run_cli(capsys, "grid", grid, "--out", tmp_path / "o")
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "o").exists()


def test_collect_of_a_non_grid_folder(capsys, tmp_path):
    code, _, err = run_cli(capsys, "collect", tmp_path)
    assert_one_line_error(code, err, "grid.json")


@pytest.mark.parametrize("command", ["rd", "ib"])
def test_device_cuda_refused_without_cuda(capsys, tmp_path, command):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run_cli(capsys, command, "--device", "cuda", "--out", tmp_path / "o")
    assert_one_line_error(code, err, "cuda", "not available")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["rd", "ib"])
def test_device_is_recorded_in_the_config(capsys, tmp_path, command):
    out = tmp_path / "o"
    code, _, _ = run_cli(capsys, command, "--device", "cpu", "--n-points", "3", "--out", out,
                         "--no-plot", "--quiet")
    assert code == 0 and json.loads((out / "config.json").read_text())["device"] == "cpu"


@pytest.mark.gpu
@pytest.mark.parametrize("command", ["rd", "ib"])
def test_device_cuda_matches_cpu(capsys, tmp_path, command):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    runs = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / device
        code, _, err = run_cli(capsys, command, "--device", device, "--n-points", "6", "--out",
                               out, "--no-plot", "--quiet")
        assert code == 0, err
        runs[device] = json.loads((out / "summary.json").read_text())
    key = "rate_range" if command == "rd" else "I_TY_max"
    assert runs["cuda"][key] == pytest.approx(runs["cpu"][key], abs=1e-6)
