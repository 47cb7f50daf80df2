"""Every measure gives the same numbers on NumPy, array_api_strict and torch (CPU, float64),
and returns its result in the caller's array type.

The three backends run the same float64 operations, so they agree to rounding (1e-12).
"""

from __future__ import annotations

import math

import array_api_compat
import numpy as np
import pytest

import ibkit as ib
from ibkit._array import to_numpy

TOL = 1e-12

_rng = np.random.default_rng(7)


def _random(shape: tuple[int, ...], event_ndim: int) -> np.ndarray:
    p = _rng.random(shape)
    p[_rng.random(shape) < 0.2] = 0.0  # exact zeros
    p[(Ellipsis, *([0] * event_ndim))] += 0.05  # never an all-zero distribution
    axes = tuple(range(len(shape) - event_ndim, len(shape)))
    return p / p.sum(axis=axes, keepdims=True)


P, Q = _random((5,), 1), _random((5,), 1)
Q[P > 0] = np.maximum(Q[P > 0], 0.01)  # finite KL for the single pair
Q /= Q.sum()
PXY = _random((4, 3), 2)
PXYZ = _random((3, 2, 4), 3)
# Batched inputs: two batch axes for the joints, one for the pmfs (q broadcasts).
PB, QB = _random((2, 3, 5), 1), _random((3, 5), 1)
PXYB = _random((2, 3, 4, 3), 2)
PXYZB = _random((4, 3, 2, 4), 3)

ONE = {  # name -> (function, inputs)
    "entropy": (ib.entropy, (P,)),
    "joint_entropy": (ib.joint_entropy, (PXY,)),
    "conditional_entropy": (ib.conditional_entropy, (PXY,)),
    "mutual_information": (ib.mutual_information, (PXY,)),
    "conditional_mutual_information": (ib.conditional_mutual_information, (PXYZ,)),
    "kl_divergence": (ib.kl_divergence, (P, Q)),
    "cross_entropy": (ib.cross_entropy, (P, Q)),
    "js_divergence": (ib.js_divergence, (P, Q)),
}
BATCHED = {
    "entropy": (ib.entropy, (PB,)),
    "joint_entropy": (ib.joint_entropy, (PXYB,)),
    "conditional_entropy": (ib.conditional_entropy, (PXYB,)),
    "mutual_information": (ib.mutual_information, (PXYB,)),
    "conditional_mutual_information": (ib.conditional_mutual_information, (PXYZB,)),
    "kl_divergence": (ib.kl_divergence, (PB, QB)),  # contains inf entries: p outside supp q
    "cross_entropy": (ib.cross_entropy, (PB, QB)),
    "js_divergence": (ib.js_divergence, (PB, QB)),
}


def test_every_public_measure_is_covered():
    assert set(ONE) == set(BATCHED) == set(ib.measures.__all__)


def _check(result, backend, want: np.ndarray) -> None:
    assert backend.is_own(result), f"{backend.name}: got {type(result).__name__}"
    got = np.asarray(to_numpy(result), dtype=np.float64)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)  # inf == inf passes, NaN fails


@pytest.mark.parametrize("name", sorted(ONE))
def test_single_input_agrees_across_backends(name, backend):
    fn, inputs = ONE[name]
    want = fn(*inputs)
    assert isinstance(want, np.float64)  # the NumPy contract: 0-d results are numpy.float64
    result = fn(*(backend.asarray(x) for x in inputs))
    _check(result, backend, want)
    if backend.name == "numpy":
        assert isinstance(result, np.float64)
    # Keyword options go through on every backend.
    nats = fn(*(backend.asarray(x) for x in inputs), base=math.e, tol=1e-6)
    _check(nats, backend, want * math.log(2))


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_batched_input_agrees_across_backends(name, backend):
    fn, inputs = BATCHED[name]
    want = fn(*inputs)
    assert isinstance(want, np.ndarray) and want.dtype == np.float64
    assert not np.any(np.isnan(want))
    result = fn(*(backend.asarray(x) for x in inputs))
    _check(result, backend, want)


@pytest.mark.parametrize("name", sorted(ONE))
def test_counts_with_normalize_agree_across_backends(name, backend):
    fn, inputs = ONE[name]
    counts = [np.round(x * 1000) for x in inputs]  # the reference is the same counts in NumPy
    want = fn(*counts, normalize=True)
    _check(fn(*(backend.asarray(c) for c in counts), normalize=True), backend, want)


def test_kl_outside_support_is_inf_on_every_backend(backend):
    p, q = backend.asarray([0.5, 0.5]), backend.asarray([1.0, 0.0])
    for fn in (ib.kl_divergence, ib.cross_entropy):
        _check(fn(p, q), backend, np.float64(math.inf))
    _check(ib.js_divergence(p, q), backend, np.float64(ib.js_divergence([0.5, 0.5], [1.0, 0.0])))


def test_js_weights_on_every_backend(backend):
    want = ib.js_divergence(P, Q, [0.3, 0.7])
    _check(ib.js_divergence(backend.asarray(P), backend.asarray(Q), [0.3, 0.7]), backend, want)
    got = ib.js_divergence(backend.asarray(P), backend.asarray(Q), backend.asarray([0.3, 0.7]))
    _check(got, backend, want)


def test_lists_are_converted_to_the_array_argument_type(backend):
    # A list beside an array is converted into that array's library.
    got = ib.kl_divergence(backend.asarray(P), Q.tolist())
    _check(got, backend, ib.kl_divergence(P, Q))
    got = ib.js_divergence(P.tolist(), backend.asarray(Q))
    _check(got, backend, ib.js_divergence(P, Q))


def test_errors_are_raised_on_every_backend(backend):
    with pytest.raises(ib.InvalidDistributionError, match=r"^pxy must be non-negative"):
        ib.mutual_information(backend.asarray([[0.75, 0.5], [0.0, -0.25]]))
    with pytest.raises(ib.InvalidDistributionError, match=r"^p must be finite"):
        ib.entropy(backend.asarray([0.5, math.nan, 0.5]))
    with pytest.raises(ib.InvalidDistributionError, match=r"^q must sum to 1.*batch index \(1,\)"):
        ib.kl_divergence(backend.asarray(P), backend.asarray(np.stack([Q, 2 * Q])))
    with pytest.raises(ib.InvalidDistributionError, match=r"^pxyz has an all-zero distribution"):
        ib.conditional_mutual_information(backend.asarray(np.zeros((2, 2, 2))), normalize=True)


# --------------------------------------------------------------------- torch specifics


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", sorted(ONE))
def test_torch_float32_input(name, torch):
    fn, inputs = ONE[name]
    want = fn(*inputs)
    result = fn(*(torch.tensor(x, dtype=torch.float32) for x in inputs))
    assert array_api_compat.is_torch_array(result)
    assert result.dtype == torch.float32  # float32 in, float32 out
    # float32 rounding of the inputs (~6e-8 relative) moves a few-bit result by ~1e-6.
    assert float(result) == pytest.approx(want, abs=1e-5)


def test_default_tolerance_follows_the_dtype(torch):
    # The default tol is sqrt(eps) of the input's dtype: 3.5e-4 for float32, 1.5e-8 for float64.
    values = [0.5, 0.5 + 1e-6]
    assert float(ib.entropy(torch.tensor(values, dtype=torch.float32))) == pytest.approx(1.0)
    with pytest.raises(ib.InvalidDistributionError, match=r"^p must sum to 1"):
        ib.entropy(torch.tensor(values, dtype=torch.float64))
    with pytest.raises(ib.InvalidDistributionError, match=r"^p must sum to 1"):
        ib.entropy(torch.tensor([0.5, 0.501], dtype=torch.float32))


def test_torch_batched_float32_and_integer_counts(torch):
    counts = torch.randint(0, 5, (6, 3, 4), generator=torch.Generator().manual_seed(0))
    counts[:, 0, 0] += 1  # never all zero
    got = ib.mutual_information(counts, normalize=True)
    assert got.dtype == torch.float64  # integers become float64
    want = ib.mutual_information(counts.numpy(), normalize=True)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=TOL)
    got32 = ib.mutual_information(counts.float(), normalize=True)
    assert got32.dtype == torch.float32 and got32.shape == (6,)
    np.testing.assert_allclose(got32.numpy(), want, rtol=0, atol=1e-5)


def test_torch_gradient_flows_and_is_finite(torch):
    # The zero-safe branches must not poison the gradient with NaN (0·log 0 at p = 0).
    logits = torch.tensor(
        [[0.3, -1.0, 2.0], [0.0, 0.0, 0.0]], dtype=torch.float64, requires_grad=True
    )
    p = torch.softmax(logits, dim=-1)
    q = torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64)  # a zero in q
    loss = ib.entropy(p).sum() + ib.js_divergence(p, q).sum() + ib.cross_entropy(q, p).sum()
    loss.backward()
    assert torch.all(torch.isfinite(logits.grad))
    # Exact zeros in a leaf tensor that requires grad: finite gradients for every measure.
    for fn, shape in (
        (ib.entropy, (4,)),
        (ib.joint_entropy, (2, 2)),
        (ib.conditional_entropy, (2, 2)),
        (ib.mutual_information, (2, 2)),
        (ib.conditional_mutual_information, (2, 2, 1)),
    ):
        p = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64).reshape(shape)
        p.requires_grad_()
        fn(p).backward()
        assert torch.all(torch.isfinite(p.grad)), fn.__name__
    for fn in (ib.kl_divergence, ib.cross_entropy, ib.js_divergence):
        p = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
        q = torch.tensor([0.5, 0.25, 0.25, 0.0], dtype=torch.float64, requires_grad=True)
        fn(p, q).backward()
        assert torch.all(torch.isfinite(p.grad)) and torch.all(torch.isfinite(q.grad)), fn
