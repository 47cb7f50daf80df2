"""Every public measure refuses malformed input with an IBKitError naming the argument.

Each case checks the error class and that the message *starts* with the argument's name
(``match=r"^pxy must"``), so a message about the wrong argument fails the test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import ibkit as ib
from ibkit import (
    IBKitError,
    InvalidDistributionError,
    InvalidParameterError,
    ShapeMismatchError,
)


@dataclass(frozen=True)
class Case:
    """One distribution argument of one measure, with a valid value to perturb."""

    fn: Callable[..., Any]
    arg: str  # "p", "q", "pxy" or "pxyz"
    valid: dict[str, np.ndarray]  # every distribution argument, valid

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}-{self.arg}"

    def call(self, value: Any = None, **kwargs: Any) -> Any:
        """Call the measure with ``value`` in place of this case's argument."""
        args = dict(self.valid)
        if value is not None:
            args[self.arg] = value
        return self.fn(*args.values(), **kwargs)

    @property
    def event_ndim(self) -> int:
        return {"p": 1, "q": 1, "pxy": 2, "pxyz": 3}[self.arg]


P = np.array([0.2, 0.3, 0.5])
Q = np.array([0.5, 0.25, 0.25])
PXY = np.array([[0.1, 0.2, 0.0], [0.3, 0.1, 0.3]])
PXYZ = np.full((2, 3, 2), 1 / 12)

ONE_ARG = [ib.entropy]
JOINT = [ib.joint_entropy, ib.conditional_entropy, ib.mutual_information]
PAIR = [ib.kl_divergence, ib.cross_entropy, ib.js_divergence]
MEASURES = [*ONE_ARG, *JOINT, ib.conditional_mutual_information, *PAIR]

CASES = (
    [Case(ib.entropy, "p", {"p": P})]
    + [Case(fn, "pxy", {"pxy": PXY}) for fn in JOINT]
    + [Case(ib.conditional_mutual_information, "pxyz", {"pxyz": PXYZ})]
    + [Case(fn, arg, {"p": P, "q": Q}) for fn in PAIR for arg in ("p", "q")]
)
IDS = [case.id for case in CASES]
# One case per measure (the first argument), for options that do not depend on the argument.
FIRST = [case for case in CASES if case.arg != "q"]
FIRST_IDS = [case.id for case in FIRST]


def _valid(case: Case) -> np.ndarray:
    return case.valid[case.arg].copy()


def _name(case: Case) -> str:
    return rf"^{case.arg} must"


def test_every_public_measure_is_covered():
    assert {case.fn.__name__ for case in CASES} == set(ib.measures.__all__)
    assert issubclass(IBKitError, ValueError)
    for err in (InvalidDistributionError, InvalidParameterError, ShapeMismatchError):
        assert issubclass(err, IBKitError)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_valid_input_is_accepted(case):
    assert np.isfinite(case.call())


# --------------------------------------------------------------------- bad entries


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_negative_entry(case):
    bad = _valid(case)
    flat = bad.reshape(-1)  # a view
    flat[-1] += flat[0] + 0.25
    flat[0] = -0.25  # still sums to 1, so only the sign is wrong
    assert bad.sum() == pytest.approx(1.0)
    message = _name(case) + r" be non-negative; got -0\.25"
    with pytest.raises(InvalidDistributionError, match=message):
        case.call(bad)
    with pytest.raises(InvalidDistributionError, match=_name(case) + " be non-negative"):
        case.call(bad, normalize=True)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_non_finite_entry(case, value):
    bad = _valid(case)
    bad.reshape(-1)[1] = value
    with pytest.raises(InvalidDistributionError, match=_name(case) + " be finite"):
        case.call(bad)
    with pytest.raises(InvalidDistributionError, match=_name(case) + " be finite"):
        case.call(bad, normalize=True)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sum_off_one(case):
    for scale in (1.01, 0.99, 2.0, 1 + 1e-6):
        with pytest.raises(InvalidDistributionError, match=_name(case) + " sum to 1"):
            case.call(_valid(case) * scale)
    # Within the default tolerance (sqrt(eps) ~ 1.5e-8) and within an explicit one.
    assert np.isfinite(case.call(_valid(case) * (1 + 1e-10)))
    assert np.isfinite(case.call(_valid(case) * 1.01, tol=0.02))
    message = _name(case) + r" sum to 1 \(tolerance 0\.001\)"
    with pytest.raises(InvalidDistributionError, match=message):
        case.call(_valid(case) * 1.01, tol=1e-3)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sum_off_one_in_a_batch_names_the_batch_index(case):
    good = _valid(case)
    batch = np.stack([good, good * 1.1, good])  # the other argument broadcasts against it
    with pytest.raises(InvalidDistributionError, match=_name(case) + r" .*batch index \(1,\)"):
        case.call(batch)


# ------------------------------------------------------------------- shapes and types


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_too_few_dimensions(case):
    low = np.ones((1,) * (case.event_ndim - 1)) if case.event_ndim > 1 else np.float64(1.0)
    message = _name(case) + r" have at least \d dimension"
    with pytest.raises(InvalidDistributionError, match=message):
        case.call(low)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_empty_array(case):
    for axis in range(case.event_ndim):
        shape = [2] * case.event_ndim
        shape[axis] = 0
        with pytest.raises(InvalidDistributionError, match=_name(case) + " not be empty"):
            case.call(np.zeros(shape))
    with pytest.raises(InvalidDistributionError, match=_name(case) + " not be empty"):
        case.call(np.zeros((0, *_valid(case).shape)))  # an empty batch
    with pytest.raises(InvalidDistributionError, match=_name(case)):
        case.call([])


@pytest.mark.parametrize(
    "value",
    ["abc", ["a", "b", "c"], [0.5, None, 0.5], {"a": 1.0}, [[0.5, 0.5], [1.0]], [0.5 + 0j, 0.5]],
)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_not_numbers(case, value):
    with pytest.raises(InvalidDistributionError, match=rf"^{case.arg} must"):
        case.call(value)


@pytest.mark.parametrize("fn", PAIR, ids=lambda f: f.__name__)
def test_mismatched_alphabets(fn):
    with pytest.raises(ShapeMismatchError, match=r"^p and q .*same alphabet.*sizes 3 and 2"):
        fn(P, [0.5, 0.5])
    with pytest.raises(ShapeMismatchError, match=r"^p and q .*same alphabet"):
        fn(np.stack([P, P]), np.full((2, 4), 0.25))


@pytest.mark.parametrize("fn", PAIR, ids=lambda f: f.__name__)
def test_batch_shapes_that_do_not_broadcast(fn):
    with pytest.raises(ShapeMismatchError, match=r"^p and q batch shapes do not broadcast"):
        fn(np.stack([P, P]), np.stack([Q, Q, Q]))


@pytest.mark.parametrize("fn", PAIR, ids=lambda f: f.__name__)
def test_arrays_from_two_libraries(fn):
    torch = pytest.importorskip("torch")
    with pytest.raises(InvalidDistributionError, match=r"^p and q must be arrays of the same"):
        fn(P, torch.tensor(Q))


# ------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("base", "message"),
    [
        (0, r"^base must be > 0"),
        (0.0, r"^base must be > 0"),
        (1, r"^base must not be 1"),
        (1.0, r"^base must not be 1"),
        (-2, r"^base must be > 0"),
        (math.nan, r"^base must be finite"),
        (math.inf, r"^base must be finite"),
        ("2", r"^base must be a real number"),
        (None, r"^base must be a real number"),
        (True, r"^base must be a real number"),
        ([2.0, 3.0], r"^base must be a real number"),
    ],
)
@pytest.mark.parametrize("case", FIRST, ids=FIRST_IDS)
def test_bad_base(case, base, message):
    with pytest.raises(InvalidParameterError, match=message):
        case.call(base=base)


@pytest.mark.parametrize("base", [np.float32(2.0), np.int64(10), 0.5, math.e])
def test_numpy_scalar_bases_are_accepted(base):
    assert ib.entropy([0.5, 0.5], base=base) == pytest.approx(math.log(2) / math.log(float(base)))


@pytest.mark.parametrize(
    ("tol", "message"),
    [
        (0.0, r"^tol must be > 0"),
        (-1e-3, r"^tol must be > 0"),
        (math.nan, r"^tol must be finite"),
        ("big", r"^tol must be a real number"),
    ],
)
@pytest.mark.parametrize("case", FIRST, ids=FIRST_IDS)
def test_bad_tol(case, tol, message):
    with pytest.raises(InvalidParameterError, match=message):
        case.call(tol=tol)
    with pytest.raises(InvalidParameterError, match=message):
        case.call(tol=tol, normalize=True)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        ([0.2, 0.3, 0.5], ShapeMismatchError, r"^weights must hold 2 entries"),
        ([1.0], ShapeMismatchError, r"^weights must hold 2 entries"),
        ([-0.5, 1.5], InvalidDistributionError, r"^weights must be non-negative"),
        ([0.6, 0.6], InvalidDistributionError, r"^weights must sum to 1"),
        ([0.0, 0.0], InvalidDistributionError, r"^weights must sum to 1"),
        ([math.nan, 0.5], InvalidDistributionError, r"^weights must be finite"),
        ([math.inf, 0.0], InvalidDistributionError, r"^weights must be finite"),
        ([[0.5, 0.5]], InvalidDistributionError, r"^weights must have 1 dimension"),
        (0.5, InvalidDistributionError, r"^weights must have 1 dimension"),
        ([], InvalidDistributionError, r"^weights must not be empty"),
        ("ab", InvalidDistributionError, r"^weights must be an array of numbers"),
        (["a", "b"], InvalidDistributionError, r"^weights must be an array of numbers"),
    ],
)
def test_bad_js_weights(weights, error, message):
    with pytest.raises(error, match=message):
        ib.js_divergence(P, Q, weights)


def test_js_weights_follow_normalize():
    want = ib.js_divergence(P, Q, [0.25, 0.75])
    assert ib.js_divergence(P, Q, [1, 3], normalize=True) == pytest.approx(want, abs=1e-15)
    with pytest.raises(InvalidDistributionError, match=r"^weights has an all-zero distribution"):
        ib.js_divergence(P, Q, [0, 0], normalize=True)


# ----------------------------------------------------------------------- normalize


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_normalize_accepts_counts(case):
    counts = np.round(_valid(case) * 120)  # exact multiples of 1/120 here, so exact counts
    assert counts.sum() > 1
    want = case.call()
    assert case.call(counts, normalize=True) == pytest.approx(want, abs=1e-12)
    assert case.call(counts.astype(np.int64), normalize=True) == pytest.approx(want, abs=1e-12)
    huge = counts / counts.max() * 1e308  # finite entries whose sum overflows float64
    assert case.call(huge, normalize=True) == pytest.approx(want, abs=1e-12)
    with pytest.raises(InvalidDistributionError, match=_name(case) + " sum to 1"):
        case.call(counts)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_normalize_rejects_an_all_zero_distribution(case):
    zero = np.zeros_like(_valid(case))
    message = rf"^{case.arg} has an all-zero distribution"
    with pytest.raises(InvalidDistributionError, match=message):
        case.call(zero, normalize=True)
    batch = np.stack([_valid(case) * 7, zero])  # one bad entry in a batch is enough
    with pytest.raises(InvalidDistributionError, match=message):
        case.call(batch, normalize=True)
