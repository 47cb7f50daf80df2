"""The core (measures, rate_distortion, datasets) works where torch and matplotlib are missing.

A fresh interpreter installs a meta-path finder that makes ``import torch`` and
``import matplotlib`` (and their submodules) raise ImportError, then imports the core and
runs it. A fresh process is needed: in this one torch may already be imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import sys

    BLOCKED = {"torch", "matplotlib"}


    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked in this test")
            return None


    sys.meta_path.insert(0, Blocker())
    for blocked in BLOCKED:  # the blocker itself must work
        try:
            __import__(blocked)
        except ImportError:
            pass
        else:
            raise SystemExit(f"the blocker let {blocked} through")

    import ibkit as ib
    import ibkit.datasets
    import ibkit.estimators
    import ibkit.measures
    import ibkit.metrics
    import ibkit.rate_distortion
    import ibkit.schedules
    from ibkit.rate_distortion import blahut_arimoto, hamming

    i = ib.mutual_information([[0.5, 0.0], [0.0, 0.5]])
    assert abs(float(i) - 1.0) < 1e-12, i
    assert abs(float(ib.measures.entropy([0.25] * 4)) - 2.0) < 1e-12

    sol = blahut_arimoto([0.7, 0.3], hamming(2), 1.0)
    assert 0.0 <= sol.rate <= 1.0 and 0.0 <= sol.distortion <= 0.3 + 1e-9, sol

    x = [0.1, 0.5, 0.2, 0.9, 0.4, 0.7]
    assert abs(ib.estimate_mi(x, x[::-1], method="ksg").value) < 10
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("core-ok")
    """
)


def test_core_imports_and_runs_without_torch_and_matplotlib():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.stdout.strip().endswith("core-ok")
