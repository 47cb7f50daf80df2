"""Every script in ``examples/`` runs to completion with small settings (``--quick``).

Each runs in a fresh interpreter from a temporary folder, as a user would run it, and its
output is checked for the numbers it promises.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TORCH = ("beta_vae_cyclical.py", "diffusion_bound.py")

CASES = {
    "digits_ib.py": (["--n-samples", "300", "--n-clusters", "4"], "I(X;Y) ="),
    "rd_custom_distortion.py": (["--quick", "--out", "out"], "R [bits]"),
    "representation_mi.py": (["--quick"], "I(T;Y) by miller-madow"),
    "beta_vae_cyclical.py": (["--quick", "--out", "run"], "active latent units"),
    "diffusion_bound.py": (["--quick"], "bits/dim"),
}


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(CASES)


@pytest.mark.slow  # ~25 s for the five scripts on 2 slow cores
@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name, tmp_path):
    if name in TORCH:
        pytest.importorskip("torch")
    args, expected = CASES[name]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", str(EXAMPLES / name), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]
    if name == "rd_custom_distortion.py":
        assert (tmp_path / "out" / "rd_custom.csv").is_file()
    if name == "beta_vae_cyclical.py":
        assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
