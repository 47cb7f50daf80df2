"""The ``ibkit`` command line: outputs, run folders, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import ibkit
from ibkit.cli import main
from ibkit.rate_distortion import binary_hamming_rd

JOINT = np.array([[0.25, 0.25], [0.10, 0.40]])


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ibkit: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


# --- ibkit measure ---------------------------------------------------------------------------


@pytest.fixture
def joint_csv(tmp_path):
    path = tmp_path / "joint.csv"
    path.write_text("y0,y1\n0.25,0.25\n0.10,0.40\n")
    return path


def test_measure_table_from_csv(capsys, joint_csv):
    code, out, err = run_cli(capsys, "measure", joint_csv)
    assert code == 0 and err == ""
    rows = dict(line.split() for line in out.splitlines()[2:])
    assert set(rows) == {"H(X)", "H(Y)", "H(X,Y)", "H(Y|X)", "H(X|Y)", "I(X;Y)"}
    assert float(rows["H(X)"]) == pytest.approx(1.0, abs=1e-6)
    assert float(rows["I(X;Y)"]) == pytest.approx(float(ibkit.mutual_information(JOINT)), abs=1e-6)
    assert "[bits]" in out


def test_measure_json_from_npy_in_nats(capsys, tmp_path):
    np.save(tmp_path / "joint.npy", JOINT)
    code, out, _ = run_cli(capsys, "measure", tmp_path / "joint.npy", "--json", "--base", "e")
    assert code == 0
    doc = json.loads(out)
    assert doc["unit"] == "nats" and doc["shape"] == [2, 2]
    m = doc["measures"]
    assert m["I(X;Y)"] == pytest.approx(float(ibkit.mutual_information(JOINT, base=math.e)))
    assert m["H(X,Y)"] == pytest.approx(m["H(X)"] + m["H(Y|X)"])  # chain rule
    assert m["I(X;Y)"] == pytest.approx(m["H(Y)"] - m["H(Y|X)"])  # eq. 6


def test_measure_pmf_and_3d_counts(capsys, tmp_path):
    (tmp_path / "p.csv").write_text("0.5\n0.25\n0.25\n")
    code, out, _ = run_cli(capsys, "measure", tmp_path / "p.csv", "--json")
    assert code == 0 and json.loads(out)["measures"] == {"H(X)": pytest.approx(1.5)}
    counts = np.arange(1.0, 9.0).reshape(2, 2, 2)
    np.save(tmp_path / "c.npy", counts)
    code, out, _ = run_cli(capsys, "measure", tmp_path / "c.npy", "--normalize", "--json")
    m = json.loads(out)["measures"]
    p = counts / counts.sum()
    assert m["I(X;Y|Z)"] == pytest.approx(float(ibkit.conditional_mutual_information(p)))
    assert m["H(X,Y,Z)"] == pytest.approx(float(ibkit.entropy(p.ravel())))


def test_version(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"ibkit {ibkit.__version__}"


# --- ibkit rd --------------------------------------------------------------------------------


def test_rd_binary_writes_run_folder_matching_closed_form(capsys, tmp_path):
    out_dir = tmp_path / "run"
    code, out, err = run_cli(
        capsys, "rd", "--source", "binary", "--p", "0.3", "--n-points", "12", "--out", out_dir
    )
    assert code == 0, err
    names = {p.name for p in out_dir.iterdir()}
    assert names == {"config.json", "curve.csv", "summary.json", "rd.png", "rd.svg"}
    assert str(out_dir) in out
    config = json.loads((out_dir / "config.json").read_text())
    assert config["source"] == "binary" and config["p"] == 0.3
    with open(out_dir / "curve.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    d = np.array([float(r["distortion"]) for r in rows])
    r = np.array([float(r["rate"]) for r in rows])
    # every point is within its certified gap (tol 1e-6 bits) of the exact curve
    np.testing.assert_allclose(r, binary_hamming_rd(0.3, d), atol=1e-5)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["all_converged"] and summary["closed_form_max_abs_error"] < 1e-5
    assert summary["unit"] == "bits"


def test_rd_user_files_and_explicit_betas(capsys, tmp_path):
    np.savetxt(tmp_path / "px.csv", [0.5, 0.3, 0.2], delimiter=",")
    np.save(tmp_path / "d.npy", 1.0 - np.eye(3, 2))  # |X̂| = 2 ≠ |X| = 3
    out_dir = tmp_path / "run"
    code, _, err = run_cli(
        capsys,
        "rd",
        "--px",
        tmp_path / "px.csv",
        "--distortion",
        tmp_path / "d.npy",
        "--betas",
        "0.5,1,2,4",
        "--out",
        out_dir,
        "--no-plot",
        "--base",
        "e",
    )
    assert code == 0, err
    assert {p.name for p in out_dir.iterdir()} == {"config.json", "curve.csv", "summary.json"}
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["n_points"] == 4 and summary["unit"] == "nats"
    assert "closed_form_max_abs_error" not in summary


# --- errors: one line, exit 2, nothing written ------------------------------------------------


@pytest.fixture
def bad_files(tmp_path):
    (tmp_path / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    (tmp_path / "words.csv").write_text("0.5,abc\n")
    (tmp_path / "negative.csv").write_text("0.7,-0.1,0.4\n")
    (tmp_path / "counts.csv").write_text("3,1\n")
    np.save(tmp_path / "four_d.npy", np.full((1, 1, 1, 2), 0.5))
    (tmp_path / "px.csv").write_text("0.5,0.5\n")
    (tmp_path / "d3.csv").write_text("0,1\n1,0\n1,1\n")
    (tmp_path / "a_file").write_text("in the way")
    return tmp_path


ERROR_CASES = [
    (["measure", "{d}/missing.csv"], "does not exist"),
    (["measure", "{d}/corrupt.npy"], "corrupt.npy"),
    (["measure", "{d}/words.csv"], "'abc' is not a number"),
    (["measure", "{d}/negative.csv"], "non-negative"),
    (["measure", "{d}/counts.csv"], "--normalize"),
    (["measure", "{d}/four_d.npy"], "got shape (1, 1, 1, 2)"),
    (["measure", "{d}/px.csv", "--base", "1"], "argument --base"),
    (["measure"], "required"),
    ([], "required"),
    (["frobnicate"], "invalid choice"),
    (["rd", "--source", "poisson", "--out", "{d}/out"], "invalid choice: 'poisson'"),
    (["rd", "--beta-min", "-1", "--beta-max", "2", "--out", "{d}/out"], "beta_min must be >= 0"),
    (["rd", "--betas", "1,x", "--out", "{d}/out"], "argument --betas"),
    (["rd", "--p", "1.5", "--out", "{d}/out"], "p must lie in [0, 1]"),
    (["rd", "--tol", "0", "--out", "{d}/out"], "tol must be > 0"),
    (["rd", "--px", "{d}/px.csv", "--out", "{d}/out"], "needs --distortion"),
    (
        ["rd", "--px", "{d}/px.csv", "--distortion", "{d}/d3.csv", "--out", "{d}/out"],
        "distortion must have 2 rows",
    ),
    (
        ["rd", "--px", "{d}/negative.csv", "--distortion", "{d}/d3.csv", "--out", "{d}/out"],
        "non-negative",
    ),
    (["rd", "--source", "gaussian", "--grid", "1", "--out", "{d}/out"], "grid must be >= 2"),
    (["rd", "--out", "{d}/a_file"], "not a directory"),
    (["rd", "--out", "{d}/a_file/run"], "is not a directory"),
    (["figures", "--only", "fig99", "--out", "{d}/out"], "unknown figure 'fig99'"),
    (["figures", "--out", "{d}/a_file"], "not a directory"),
]


@pytest.mark.parametrize(
    ("argv", "message"),
    ERROR_CASES,
    ids=[" ".join(argv[:3]) or "(none)" for argv, _ in ERROR_CASES],
)
def test_errors_are_one_line_exit_2_and_write_nothing(capsys, bad_files, argv, message):
    before = sorted(p.name for p in bad_files.iterdir())
    code, out, err = run_cli(capsys, *[a.format(d=bad_files) for a in argv])
    assert_one_line_error(code, err, message)
    assert out == ""
    assert sorted(p.name for p in bad_files.iterdir()) == before  # no out/, no staging folder


# --- a real process: entry point, no traceback, no torch ---------------------------------------

BLOCK = "import sys; sys.modules['torch'] = None; sys.modules['tensorflow'] = None; "


def _subprocess(code, *args, cwd):
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_measure_and_rd_never_import_torch(tmp_path, joint_csv):
    script = BLOCK + (
        "from ibkit.cli import main; "
        "rc = main(sys.argv[1:]); "
        "assert 'torch' not in {m.split('.')[0] for m, v in sys.modules.items() if v}; "
        "sys.exit(rc)"
    )
    proc = _subprocess(script, "measure", joint_csv, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "I(X;Y)" in proc.stdout
    proc = _subprocess(script, "rd", "--n-points", "4", "--out", tmp_path / "run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "run" / "rd.png").is_file()


def test_console_error_in_a_real_process_has_no_traceback(tmp_path):
    proc = _subprocess(
        "import sys; from ibkit.cli import main; sys.exit(main(sys.argv[1:]))",
        "measure",
        "missing.npy",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["ibkit: error: input file 'missing.npy' does not exist"]
    assert proc.stdout == ""
