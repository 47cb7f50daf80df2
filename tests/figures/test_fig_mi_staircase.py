"""The MI-estimator calibration staircase: files, numbers, behaviour without torch.

Run with small settings (two levels, few samples, a 40-step InfoNCE); the truth is known in
closed form, I(X;Y) = −(d/2) ln(1 − ρ²) nats.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import numpy as np
import pytest

from ibkit.exceptions import InvalidParameterError
from ibkit.figures import FIGURE_MODULES, get_figure

SMALL = {"dim": 1, "levels": (0.5, 2.0), "n": 600, "repeats": 2, "steps": 40, "batch": 64}


@pytest.fixture()
def small(monkeypatch):
    module = get_figure("mi_staircase")
    monkeypatch.setitem(module.SETTINGS, "quick", SMALL)
    return module


def test_registered_last():
    assert list(FIGURE_MODULES)[-1] == "mi_staircase"


def test_writes_files_and_ksg_is_calibrated_in_one_dimension(small, tmp_path):
    pytest.importorskip("torch")
    record = small.make(tmp_path)
    expected = {"mi_staircase.png", "mi_staircase.svg", "mi_staircase.csv",
                "mi_staircase_infonce.csv"}
    assert set(record.files) == expected == {p.name for p in tmp_path.iterdir()}
    with open(tmp_path / "mi_staircase.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ksg = [r for r in rows if r["method"] == "ksg1"]
    assert len(ksg) == 4 and {r["method"] for r in rows} == {"ksg1", "ksg2", "infonce"}
    # one dimension, N = 600: KSG is within 0.15 nats of the truth (its std is ~0.05 here)
    for r in ksg:
        assert float(r["estimate_nats"]) == pytest.approx(float(r["true_mi_nats"]), abs=0.15)
    infonce = [float(r["estimate_nats"]) for r in rows if r["method"] == "infonce"]
    assert all(v <= math.log(64) + 1e-9 for v in infonce)  # the log B ceiling
    assert record.numbers["InfoNCE ceiling log B [nats]"] == pytest.approx(math.log(64))
    assert abs(record.numbers["KSG1 bias at 0.5 nats"]) < 0.15


def test_seeded(small, tmp_path):
    a = small.make(tmp_path / "a")
    b = small.make(tmp_path / "b")
    assert a.numbers == b.numbers
    np.testing.assert_array_equal(
        np.loadtxt(tmp_path / "a" / "mi_staircase.csv", delimiter=",", skiprows=1,
                   usecols=(0, 1, 3)),
        np.loadtxt(tmp_path / "b" / "mi_staircase.csv", delimiter=",", skiprows=1,
                   usecols=(0, 1, 3)),
    )


def test_bad_quality(tmp_path):
    with pytest.raises(InvalidParameterError, match="quality"):
        get_figure("mi_staircase").make(tmp_path, quality="draft")


def test_without_torch_only_the_knn_estimators_run(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from ibkit.figures import get_figure\n"
        "m = get_figure('mi_staircase')\n"
        f"m.SETTINGS['quick'] = {SMALL!r}\n"
        f"r = m.make({str(tmp_path)!r})\n"
        "assert 'mi_staircase_infonce.csv' not in r.files, r.files\n"
        "assert 'PyTorch is not installed' in r.caption\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
