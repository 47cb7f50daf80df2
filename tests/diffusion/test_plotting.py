"""The diffusion plotting helpers draw what they are given (Agg backend, no files)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
torch = pytest.importorskip("torch")

from ibkit.diffusion import VLBTerms, get_schedule, kl_curves  # noqa: E402
from ibkit.exceptions import InvalidParameterError  # noqa: E402
from ibkit.plotting import plot_kl_curves, plot_log_snr, plot_vlb_terms  # noqa: E402


def test_plot_helpers_draw_one_line_per_input():
    x = np.random.default_rng(0).uniform(-1, 1, size=(40, 6))
    scheds = [get_schedule(n, 100) for n in ("cosine", "sqrt")]
    curves = [kl_curves(s, x) for s in scheds]
    _, ax = plot_kl_curves(curves, kind="posterior", logy=True, title="p")
    assert [ln.get_label() for ln in ax.get_lines()] == ["cosine", "sqrt"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), curves[0].posterior)
    assert "bits/dim" in ax.get_ylabel() and ax.get_yscale() == "log"
    _, ax2 = plot_log_snr({"a": scheds[0]})
    np.testing.assert_array_equal(ax2.get_lines()[0].get_ydata(), scheds[0].log_snr)
    terms = VLBTerms(nats=np.abs(np.random.default_rng(1).normal(size=(10, 101))) + 0.1,
                     n_dims=6, decoder="continuous")
    _, ax3 = plot_vlb_terms(terms)
    np.testing.assert_allclose(ax3.get_lines()[0].get_ydata(), terms.mean(bits_per_dim=True)[1:])
    with pytest.raises(InvalidParameterError, match="kind must be one of"):
        plot_kl_curves(curves, kind="rate")
    with pytest.raises(InvalidParameterError, match="empty"):
        plot_kl_curves({})
    import matplotlib.pyplot as plt

    plt.close("all")
