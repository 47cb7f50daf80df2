"""Variational Information Bottleneck classifier (Alemi et al. 2017)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from ibkit import schedules  # noqa: E402
from ibkit.exceptions import (  # noqa: E402
    DataFormatError,
    IBKitError,
    InvalidParameterError,
    ShapeMismatchError,
)
from ibkit.nn import VIBClassifier  # noqa: E402

D, C = 6, 3


def _data(n: int = 60):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % C
    x = torch.randn(n, D, generator=g) * 0.3
    x[torch.arange(n), y] += 2.0  # class c shifts feature c: linearly separable
    return x, y


def _model(**kw) -> VIBClassifier:
    torch.manual_seed(1)
    return VIBClassifier(D, C, latent_dim=4, hidden=(16,), **kw)


def _deterministic(model: VIBClassifier) -> VIBClassifier:
    """Make q(z|x) a point mass (log-variance −60) so the loss can be checked exactly."""
    last = model.encoder.net[-1]
    with torch.no_grad():
        last.weight[model.latent_dim:].zero_()
        last.bias[model.latent_dim:].fill_(-60.0)
    return model


def test_loss_is_cross_entropy_plus_beta_kl():
    model = _deterministic(_model(beta=0.1))
    x, y = _data()
    t = model((x, y))
    mean, log_var = model.encode(x)
    ce = F.cross_entropy(model.classifier(mean), y)
    kl = (0.5 * (mean**2 + log_var.exp() - 1 - log_var)).sum(1).mean()
    torch.testing.assert_close(t.distortion, ce)
    torch.testing.assert_close(t.rate, kl)
    torch.testing.assert_close(t.loss, ce + 0.1 * kl)
    torch.testing.assert_close(t.rate_per_dim.sum(), t.rate)
    assert t.elbo is None and t.weight == 0.1


def test_izy_lower_bound_uses_batch_frequencies_or_class_prior():
    x, y = _data(60)  # balanced: H(Y) = log 3
    t = _model()((x, y))
    assert float(t.extra["H_Y"]) == pytest.approx(math.log(C))
    torch.testing.assert_close(t.extra["I_ZY_lower_bound"], t.extra["H_Y"] - t.distortion.detach())
    prior = _model(class_prior=[0.5, 0.25, 0.25])((x, y))
    assert float(prior.extra["H_Y"]) == pytest.approx(1.5 * math.log(2))
    bits = t.scalars()
    assert bits["rate_bits"] == pytest.approx(bits["rate"] / math.log(2))


def test_predict_proba_rows_sum_to_one_and_average_samples():
    model = _model()
    x, _ = _data(10)
    for s in (1, 12):
        p = model.predict_proba(x, n_samples=s)
        assert p.shape == (10, C) and bool((p >= 0).all())
        torch.testing.assert_close(p.sum(1), torch.ones(10))
    det = _deterministic(_model())
    torch.testing.assert_close(det.predict_proba(x, 5),
                               det.classifier(det.encode(x)[0]).softmax(1))
    assert det.predict(x).shape == (10,)


def test_training_learns_a_separable_problem_and_beta_schedule_applies():
    model = _model(beta=schedules.linear(0.0, 1e-2, steps=50))
    x, y = _data(90)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for step in range(150):
        opt.zero_grad()
        t = model((x, y), step)
        t.loss.backward()
        opt.step()
    assert t.weight == pytest.approx(1e-2)
    assert float(t.extra["accuracy"]) > 0.95
    assert float((model.predict(x) == y).float().mean()) > 0.95
    assert float(t.extra["I_ZY_lower_bound"]) > 0.8 * math.log(C)


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        (torch.randn(4, D), DataFormatError, "labels"),
        ((torch.randn(4, D), torch.tensor([0, 1, 2, 3])), DataFormatError, r"\[0, 3\)"),
        ((torch.randn(4, D), torch.tensor([0.0, 1, 2, 1])), DataFormatError, "integer"),
        ((torch.randn(4, D), torch.tensor([0, 1])), ShapeMismatchError, r"\(4,\)"),
        ((torch.randn(4, D + 1), torch.tensor([0, 1, 2, 1])), ShapeMismatchError, "shape"),
        ((torch.full((4, D), float("nan")), torch.zeros(4, dtype=torch.long)), DataFormatError,
         "finite"),
    ],
)
def test_bad_batches_are_refused(batch, error, match):
    with pytest.raises(error, match=match):
        _model()(batch)


def test_bad_options_are_refused():
    with pytest.raises(InvalidParameterError, match="beta"):
        _model(beta=-1e-3)
    with pytest.raises(InvalidParameterError, match="n_classes"):
        VIBClassifier(D, 1)
    with pytest.raises(IBKitError, match="class_prior"):
        _model(class_prior=[0.5, 0.5])
    with pytest.raises(IBKitError, match="n_samples"):
        _model().predict_proba(torch.randn(2, D), n_samples=0)
