"""Noise schedules: closed forms, posterior algebra, properties, torch export, bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ibkit.diffusion import (
    ARRAY_NAMES,
    NoiseSchedule,
    available_schedules,
    cosine_alpha_bar,
    get_schedule,
    schedule_from_dict,
    sigmoid_alpha_bar,
    sqrt_alpha_bar,
)
from ibkit.exceptions import InvalidParameterError


@pytest.mark.parametrize("name", available_schedules())
@pytest.mark.parametrize("T", [1, 50, 1000])
def test_every_schedule_is_valid(name, T):
    if name == "linear" and 1 < T <= 20:  # β_T = 0.02·1000/T ≥ 1: refused by definition
        with pytest.raises(InvalidParameterError, match="beta_"):
            get_schedule(name, T)
        return
    s = get_schedule(name, T)
    assert s.T == T and s.name == name
    assert np.all((s.betas > 0) & (s.betas < 1))
    assert np.all(np.diff(s.snr) < 0)  # SNR strictly decreasing
    assert np.all(np.diff(s.alphas_cumprod) < 0)
    for key in ARRAY_NAMES:
        arr = getattr(s, key)
        assert arr.shape == (T,) and arr.dtype == np.float64 and np.all(np.isfinite(arr))
        assert not arr.flags.writeable


def test_linear_endpoints_scale_with_T():
    for T in (1000, 250):
        b = get_schedule("linear", T).betas
        assert b[0] == pytest.approx(1e-4 * 1000 / T, rel=1e-12)
        assert b[-1] == pytest.approx(0.02 * 1000 / T, rel=1e-12)
        np.testing.assert_allclose(np.diff(b), np.diff(b)[0], rtol=1e-9)


def test_scaled_linear_is_linear_in_sqrt_beta():
    b = get_schedule("scaled_linear", 1000).betas
    assert b[0] == pytest.approx(0.00085) and b[-1] == pytest.approx(0.012)
    np.testing.assert_allclose(np.diff(np.sqrt(b)), np.diff(np.sqrt(b))[0], rtol=1e-9)


@pytest.mark.parametrize("T", [10, 1000])
def test_cosine_alpha_bar_matches_formula(T):
    s = get_schedule("cosine", T)
    t = np.arange(1, T + 1)
    f = np.cos((t / T + 0.008) / 1.008 * np.pi / 2) ** 2 / np.cos(0.008 / 1.008 * np.pi / 2) ** 2
    clipped = s.betas >= 0.999
    assert clipped[-1] and clipped.sum() == 1  # only the last step hits the clip
    np.testing.assert_allclose(s.alphas_cumprod[:-1], f[:-1], rtol=1e-10)
    np.testing.assert_allclose(cosine_alpha_bar(t / T), f * cosine_alpha_bar(0.0), rtol=1e-12)


def test_sqrt_and_sigmoid_alpha_bar_formulas():
    T = 200
    u = np.arange(1, T + 1) / T
    s = get_schedule("sqrt", T)
    want = (1 - np.sqrt(u + 1e-4)) / (1 - math.sqrt(1e-4))
    np.testing.assert_allclose(s.alphas_cumprod[:-1], want[:-1], rtol=1e-9)
    np.testing.assert_allclose(sqrt_alpha_bar(u), 1 - np.sqrt(u + 1e-4))
    g = get_schedule("sigmoid_alpha_bar", T)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    want = (sig(3) - sig(6 * u - 3)) / (sig(3) - sig(-3))
    np.testing.assert_allclose(g.alphas_cumprod[:-1], want[:-1], rtol=1e-9)
    np.testing.assert_allclose(sigmoid_alpha_bar(u), want, rtol=1e-12)


def test_sigmoid_on_beta_and_log_snr():
    T = 100
    b = get_schedule("sigmoid", T).betas
    z = np.linspace(-6, 6, T)
    np.testing.assert_allclose(b, 1e-4 + (0.02 - 1e-4) / (1 + np.exp(-z)), rtol=1e-12)
    s = get_schedule("log_snr", T, log_snr_max=8.0, log_snr_min=-6.0)
    np.testing.assert_allclose(s.log_snr, 8.0 - 14.0 * np.arange(1, T + 1) / T, atol=1e-9)


def test_posterior_matches_direct_gaussian_algebra():
    # x_{t−1} = √ᾱ_{t−1} x0 + √(1−ᾱ_{t−1}) e1, x_t = √α_t x_{t−1} + √β_t e2: condition on x_t.
    s = get_schedule("cosine", 300)
    ab, ab_prev, a = s.alphas_cumprod, s.alphas_cumprod_prev, s.alphas
    cov = np.sqrt(a) * (1 - ab_prev)  # Cov(x_{t−1}, x_t | x0)
    var_t = a * (1 - ab_prev) + s.betas  # Var(x_t | x0) built step by step
    np.testing.assert_allclose(var_t, 1 - ab, rtol=1e-10)
    coef2 = cov / var_t
    coef1 = np.sqrt(ab_prev) - coef2 * np.sqrt(ab)
    post_var = (1 - ab_prev) - cov**2 / var_t
    np.testing.assert_allclose(s.posterior_mean_coef2, coef2, rtol=1e-10)
    np.testing.assert_allclose(s.posterior_mean_coef1, coef1, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(s.posterior_variance, post_var, rtol=1e-7, atol=1e-15)
    assert s.posterior_variance[0] == 0.0
    assert s.posterior_log_variance_clipped[0] == pytest.approx(np.log(s.posterior_variance[1]))
    np.testing.assert_allclose(s.snr, ab / (1 - ab), rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(1e-6, 0.999)))
def test_any_valid_betas_give_a_consistent_schedule(betas):
    s = NoiseSchedule(betas)
    assert np.all(np.diff(s.log_snr) < 0)
    assert np.all(s.posterior_variance <= s.betas * (1 + 1e-12))
    np.testing.assert_allclose(s.alphas_cumprod, np.cumprod(1 - betas), rtol=1e-9)
    np.testing.assert_allclose(
        s.sqrt_alphas_cumprod**2 + s.sqrt_one_minus_alphas_cumprod**2, 1.0, rtol=1e-12
    )


def test_dict_round_trip():
    import json

    for sched in (get_schedule("cosine", 30, s=0.01), NoiseSchedule([0.1, 0.2], name="mine")):
        again = schedule_from_dict(json.loads(json.dumps(sched.to_dict())))
        assert again.name == sched.name
        np.testing.assert_array_equal(again.betas, sched.betas)
    with pytest.raises(InvalidParameterError, match="must have a 'name'"):
        schedule_from_dict({"T": 3})


def test_to_torch_is_exact_and_lazy():
    torch = pytest.importorskip("torch")
    s = get_schedule("linear", 100)
    t64 = s.to_torch(dtype=torch.float64)
    assert set(t64) == set(ARRAY_NAMES)
    np.testing.assert_array_equal(t64["snr"].numpy(), s.snr)
    assert s.to_torch()["betas"].dtype == torch.float32


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: get_schedule("quadratic", 10), "unknown noise schedule 'quadratic'"),
        (lambda: get_schedule("cosine", 0), "T must be >= 1; got 0"),
        (lambda: get_schedule("cosine", 2.5), "T must be an integer"),
        (lambda: get_schedule("linear", 10), r"beta_6 = 1\.11"),
        (lambda: get_schedule("linear", 100, beta_end=300.0), "open interval"),
        (lambda: get_schedule("linear", 100, beta_start=-1.0), "beta_start must be > 0"),
        (lambda: get_schedule("cosine", 100, bogus=1), "unknown option"),
        (lambda: get_schedule("cosine", 100, max_beta=1.5), "max_beta"),
        (lambda: get_schedule("log_snr", 100, log_snr_min=5.0, log_snr_max=1.0), "log_snr_min"),
        (lambda: get_schedule("sigmoid_alpha_bar", 10, start=2.0, end=1.0), "start < end"),
        (lambda: NoiseSchedule([0.1, 1.0]), r"beta_2 = 1\.0"),
        (lambda: NoiseSchedule([0.1, float("nan")]), "beta_2 = nan"),
        (lambda: NoiseSchedule([]), "non-empty"),
    ],
)
def test_bad_input_is_refused(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_numpy_parts_import_without_torch():
    script = textwrap.dedent(
        """
        import importlib.abc, sys
        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in {"torch", "matplotlib"}:
                    raise ImportError(name)
        sys.meta_path.insert(0, Blocker())
        import numpy as np
        from ibkit.diffusion import get_schedule, gaussian_oracle, kl_curves
        s = get_schedule("cosine", 50)
        o = gaussian_oracle(s, 2.0)
        c = kl_curves(s, np.random.default_rng(0).normal(size=(20, 3)))
        assert abs(o.terms.sum() - o.total) < 1e-9 and c.marginal.shape == (50,)
        assert not [m for m in sys.modules if m.startswith("torch")]
        print("ok")
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
