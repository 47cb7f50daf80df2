"""Figure 5 (KL per timestep under four noise schedules): files, CSV against closed forms."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from ibkit.diffusion import get_schedule
from ibkit.figures import FIGURE_MODULES, get_figure
from ibkit.figures.report import render_index

NAMES = {"cosine": "cosine", "linear": "linear", "sqrt_linear": "scaled_linear", "sqrt": "sqrt"}


@pytest.fixture(scope="module")
def fig5(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig5")
    return out, get_figure("fig5").make(out)


def _columns(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) if r[k] else np.nan for r in rows]) for k in rows[0]}


def test_fig5_is_registered_after_fig4():
    ids = list(FIGURE_MODULES)
    assert ids.index("fig5") == ids.index("fig4") + 1
    assert get_figure("fig5").ID == "fig5"


def test_fig5_writes_png_svg_and_csv(fig5):
    out, record = fig5
    assert record.files == ("fig5.png", "fig5.svg", "fig5_kl_curves.csv")
    assert {p.name for p in out.iterdir()} == set(record.files)
    assert (out / "fig5.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "fig5.svg").read_text()
    assert "eq. (19)" in record.caption and record.seconds < 30
    assert '<img src="fig5.png"' in render_index([record])


def test_fig5_data_follow_the_closed_forms(fig5):
    out, record = fig5
    cols = _columns(out / "fig5_kl_curves.csv")
    assert cols["t"].tolist() == list(range(1, 1001))
    for key, name in NAMES.items():
        sched = get_schedule(name, 1000)
        np.testing.assert_allclose(cols[f"{key}_log_snr"], sched.log_snr, rtol=1e-12)
        # binary images in {−1, 1}: ‖x_0‖² = D, so the marginal KL is −½ log2(1 − ᾱ_t) per dim
        want = -0.5 * np.log1p(-sched.alphas_cumprod) / math.log(2)
        np.testing.assert_allclose(cols[f"{key}_marginal_kl"], want, rtol=1e-9, atol=1e-15)
        info, post = cols[f"{key}_information"], cols[f"{key}_posterior_kl"]
        assert np.isnan(post[0])
        np.testing.assert_allclose(post[1:], info[:-1] - info[1:], rtol=1e-9, atol=1e-15)
        assert np.all(cols[f"{key}_marginal_kl"] >= info) and np.all(np.diff(info) < 0)
    numbers = record.numbers
    assert numbers["max telescoping error |Σ L_{t−1} − (I_1 − I_T)| [bits/dim]"] < 1e-12
    assert numbers[
        "Gaussian oracle (s² = 1): max |Σ_k L_k − (h(x_0) + KL(q(x_T) ‖ N))| [nats]"
    ] < 1e-9


def test_fig5_needs_no_torch(tmp_path):
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == "torch":
                    raise ImportError(name)
        sys.meta_path.insert(0, Blocker())
        from ibkit.figures import get_figure
        record = get_figure("fig5").make({str(tmp_path)!r})
        assert not [m for m in sys.modules if m.startswith("torch")]
        print(len(record.files))
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=180, check=False)
    assert res.returncode == 0 and res.stdout.strip() == "3", res.stderr
