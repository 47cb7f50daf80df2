"""β(step) schedules against their closed forms, Fu et al.'s reference code, and properties."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibkit.exceptions import InvalidParameterError
from ibkit.schedules import (
    SHAPES,
    Capacity,
    Constant,
    Cyclical,
    Linear,
    as_schedule,
    capacity,
    constant,
    cyclical,
    linear,
    sample,
    schedule_from_dict,
)
from tests.strategies import FAST


def _fu_reference(n_iter, start, stop, n_cycle, ratio, shape):
    """Fu et al.'s ``frange_cycle_{linear,sigmoid,cosine}`` (github.com/haofuml/cyclical_annealing),
    transcribed loop for loop as an independent peer."""
    out = np.ones(n_iter) * (stop if shape == "linear" else 1.0)
    period = n_iter / n_cycle
    step = (stop - start) / (period * ratio)
    for c in range(n_cycle):
        v, i = start, 0
        while v <= stop and int(i + c * period) < n_iter:
            if shape == "linear":
                out[int(i + c * period)] = v
            elif shape == "sigmoid":
                out[int(i + c * period)] = 1.0 / (1.0 + np.exp(-(v * 12.0 - 6.0)))
            else:
                out[int(i + c * period)] = 0.5 - 0.5 * math.cos(v * math.pi)
            v += step
            i += 1
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("n_iter", "n_cycle", "ratio"), [(400, 4, 0.5), (1000, 5, 0.8), (90, 3, 1)]
)
def test_cyclical_matches_reference_implementation(shape, n_iter, n_cycle, ratio):
    # Integer periods T/M, where the paper's ⌈T/M⌉ and the code's T/M agree. The code
    # accumulates v += step in floating point, hence the 1e-9 tolerance.
    # At τ = R exactly the sigmoid's reference value (g(1) ≈ 0.9975 or 1) depends on that
    # rounding; there ours is exactly `stop`.
    ours = sample(cyclical(n_iter, n_cycle, ratio, shape=shape), n_iter)
    ref = _fu_reference(n_iter, 0.0, 1.0, n_cycle, ratio, shape)
    period = n_iter // n_cycle
    boundary = (np.arange(n_iter) % period) == round(ratio * period)
    np.testing.assert_allclose(ours[~boundary], ref[~boundary], atol=1e-9)
    assert np.all(ours[boundary] == 1.0)
    assert np.all(np.isclose(ref[boundary], 1.0) | np.isclose(ref[boundary], 1 / (1 + np.exp(-6))))


def test_cyclical_closed_form_at_chosen_steps():
    # T = 1000, M = 4, R = 0.5: period 250, ramp over the first 125 steps of each cycle.
    sched = cyclical(1000, n_cycles=4, ratio=0.5, start=0.1, stop=2.1)
    assert sched.period == 250
    assert sched(0) == pytest.approx(0.1)
    assert sched(50) == pytest.approx(0.1 + 2.0 * 50 / 125)
    assert sched(125) == pytest.approx(2.1)
    assert sched(126) == sched(249) == 2.1
    assert sched(250) == pytest.approx(0.1)
    assert sched(250 + 100) == pytest.approx(0.1 + 2.0 * 100 / 125)
    assert sched(999) == 2.1 and sched(10**6) == 2.1  # after T: stays at stop
    sig = cyclical(1000, 4, 0.5, shape="sigmoid")
    assert sig(25) == pytest.approx(1 / (1 + math.exp(-(12 * 0.2 - 6))))
    cos = cyclical(1000, 4, 0.5, shape="cosine")
    assert cos(25) == pytest.approx((1 - math.cos(math.pi * 0.2)) / 2)
    assert cos(62) == pytest.approx((1 - math.cos(math.pi * 62 / 125)) / 2)


def test_cyclical_with_non_integer_period_follows_the_paper():
    # T = 10, M = 3: τ = (t mod ⌈10/3⌉) / (10/3) = (t mod 4) · 0.3.
    sched = cyclical(10, n_cycles=3, ratio=0.5)
    tau = [(t % 4) * 0.3 for t in range(10)]
    expect = [x / 0.5 if x <= 0.5 else 1.0 for x in tau]
    np.testing.assert_allclose(sample(sched, 10), expect, atol=1e-12)


def test_linear_and_capacity_closed_forms():
    warm = linear(0.0, 4.0, steps=100, delay=20)
    assert [warm(t) for t in (0, 19, 20, 45, 120, 5000)] == pytest.approx([0, 0, 0, 1, 4, 4])
    down = linear(2.0, 1.0, steps=4)
    assert sample(down, 6).tolist() == pytest.approx([2, 1.75, 1.5, 1.25, 1, 1])
    jump = linear(0.0, 1.0, steps=0, delay=3)
    assert sample(jump, 5).tolist() == [0, 0, 0, 1, 1]
    cap = capacity(25.0, steps=1000, delay=100)
    assert [cap(t) for t in (0, 100, 600, 1100, 9999)] == pytest.approx([0, 0, 12.5, 25, 25])
    assert constant(3.5)(123) == 3.5


finite = st.floats(-100, 100, allow_nan=False)


@st.composite
def any_schedule(draw):
    kind = draw(st.sampled_from(["constant", "linear", "cyclical", "capacity"]))
    if kind == "constant":
        return constant(draw(finite))
    if kind == "linear":
        return linear(
            draw(finite), draw(finite), draw(st.integers(0, 500)), draw(st.integers(0, 50))
        )
    if kind == "capacity":
        return capacity(
            draw(st.floats(0, 100)), draw(st.integers(0, 500)), draw(st.integers(0, 50))
        )
    total = draw(st.integers(1, 2000))
    return cyclical(
        total,
        draw(st.integers(1, min(total, 10))),
        draw(st.floats(0.01, 1.0)),
        draw(finite),
        draw(finite),
        draw(st.sampled_from(SHAPES)),
    )


def _bounds(sched):
    if isinstance(sched, Constant):
        return sched.value, sched.value
    if isinstance(sched, Capacity):
        return 0.0, sched.max_capacity
    a, b = (sched.start, sched.end) if isinstance(sched, Linear) else (sched.start, sched.stop)
    return min(a, b), max(a, b)


@FAST
@given(sched=any_schedule(), steps=st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_values_stay_within_bounds_and_round_trip(sched, steps):
    lo, hi = _bounds(sched)
    values = sample(sched, steps)
    slack = 1e-12 * max(1.0, abs(lo), abs(hi))
    assert np.all(values >= lo - slack) and np.all(values <= hi + slack)
    back = schedule_from_dict(json.loads(json.dumps(sched.to_dict())))
    assert back == sched and type(back) is type(sched)
    assert sample(back, steps).tolist() == values.tolist()


@FAST
@given(
    start=finite,
    end=finite,
    steps=st.integers(0, 300),
    delay=st.integers(0, 30),
    n=st.integers(1, 400),
)
def test_linear_is_monotone(start, end, steps, delay, n):
    diffs = np.diff(sample(linear(start, end, steps, delay), n)) * np.sign(end - start)
    assert np.all(diffs >= -1e-12 * max(1.0, abs(start), abs(end)))


@FAST
@given(
    period=st.integers(1, 60),
    n_cycles=st.integers(1, 8),
    ratio=st.floats(0.01, 1.0),
    shape=st.sampled_from(SHAPES),
    t=st.integers(0, 500),
)
def test_cyclical_is_periodic_and_rises_within_a_cycle(period, n_cycles, ratio, shape, t):
    sched = cyclical(period * n_cycles, n_cycles, ratio, shape=shape)
    t %= sched.total_steps
    if t + period < sched.total_steps:
        assert sched(t + period) == sched(t)
    one_cycle = sample(sched, period)
    assert np.all(np.diff(one_cycle) >= -1e-12)
    if (period - 1) / period >= ratio:  # the cycle's last step is past the ramp
        assert one_cycle[-1] == 1.0


def test_as_schedule_and_dicts():
    assert as_schedule(2) == constant(2.0) and as_schedule(0.5)(7) == 0.5
    sched = cyclical(100)
    assert as_schedule(sched) is sched
    assert as_schedule({"kind": "linear", "start": 0, "end": 1, "steps": 10}) == linear(0, 1, 10)
    assert isinstance(as_schedule(np.float32(1.5)), Constant)
    assert isinstance(cyclical(10), Cyclical)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: linear(0, 1, -1), "steps must be >= 0; got -1"),
        (lambda: linear(0, 1, 10, delay=-5), "delay must be >= 0; got -5"),
        (lambda: linear(0, float("nan"), 10), "end must be finite; got nan"),
        (lambda: linear(0, 1, 2.5), "steps must be an integer; got 2.5"),
        (lambda: constant(float("inf")), "value must be finite; got inf"),
        (lambda: constant("1"), "value must be a real number; got '1'"),
        (lambda: cyclical(100, ratio=0.0), r"ratio must lie in \(0, 1\]; got 0.0"),
        (lambda: cyclical(100, ratio=1.5), r"ratio must lie in \(0, 1\]; got 1.5"),
        (lambda: cyclical(100, n_cycles=0), "n_cycles must be >= 1; got 0"),
        (lambda: cyclical(3, n_cycles=4), r"n_cycles must be <= total_steps \(3\); got 4"),
        (lambda: cyclical(0), "total_steps must be >= 1; got 0"),
        (lambda: cyclical(100, shape="square"), "shape must be one of .*; got 'square'"),
        (lambda: capacity(-1.0, 10), "max_capacity must be >= 0; got -1.0"),
        (lambda: linear(0, 1, 10)(-1), "step must be >= 0; got -1"),
        (lambda: cyclical(10)(1.5), "step must be an integer; got 1.5"),
        (lambda: schedule_from_dict({"kind": "exp"}), "schedule kind must be one of"),
        (lambda: schedule_from_dict({"kind": "constant", "value": 1, "x": 2}), r"unknown .*'x'"),
        (lambda: schedule_from_dict({"kind": "linear", "start": 0}), "bad 'linear' schedule"),
        (lambda: as_schedule("cyclical"), "schedule must be a number, a dict or a Schedule"),
        (lambda: as_schedule(True), "schedule must be a number"),
        (lambda: sample(constant(1), -3), "steps must be >= 0; got -3"),
    ],
)
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(InvalidParameterError, match=match):
        make()
