"""FGSM against the VIB's averaged predictive distribution (:mod:`ibkit.nn.adversarial`)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from ibkit.exceptions import (  # noqa: E402
    DataFormatError,
    InvalidParameterError,
    ShapeMismatchError,
)
from ibkit.nn import VIBClassifier, build_model, fgsm_error, fgsm_perturb  # noqa: E402


@pytest.fixture(scope="module")
def model_and_data():
    torch.manual_seed(0)
    model = VIBClassifier(6, 3, latent_dim=4, hidden=(8,), beta=1e-3, n_samples=5)
    x = torch.rand(20, 6)  # (20, 6) in [0, 1]
    y = torch.randint(0, 3, (20,))
    return model, x, y


def test_perturbation_is_an_eps_sign_step_clipped_to_the_range(model_and_data):
    model, x, y = model_and_data
    eps = 0.05
    x_adv = fgsm_perturb(model, x, y, eps, clip=None)
    assert x_adv.shape == x.shape and not x_adv.requires_grad
    assert torch.allclose((x_adv - x).abs(), torch.full_like(x, eps))  # |sign| = 1 a.s.
    clipped = fgsm_perturb(model, x, y, 0.8)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    assert torch.equal(fgsm_perturb(model, x, y, 0.0), x)


def test_step_follows_the_gradient_of_the_averaged_log_probability(model_and_data):
    model, x, y = model_and_data
    x_in = x.clone().requires_grad_(True)
    torch.manual_seed(0)  # the function seeds the gradient pass with seed=0 too
    log_p = model.predict_proba(x_in).log()
    (-log_p.gather(1, y[:, None]).sum()).backward()
    x_adv = fgsm_perturb(model, x, y, 0.1, clip=None, seed=0)
    assert torch.equal(x_adv, x + 0.1 * x_in.grad.sign())


def test_error_is_seeded_and_restores_the_caller_state(model_and_data):
    model, x, y = model_and_data
    model.train()
    torch.manual_seed(7)
    before = torch.rand(1)
    torch.manual_seed(7)
    e1 = fgsm_error(model, x, y, 0.1)
    after = torch.rand(1)
    assert torch.equal(before, after)  # global RNG untouched
    assert model.training  # mode restored
    assert 0.0 <= e1 <= 1.0 and fgsm_error(model, x, y, 0.1) == e1
    clean = float((model.eval().predict(x) != y).double().mean())
    assert abs(fgsm_error(model, x, y, 0.0) - clean) <= 0.1  # same model, other samples


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eps": -0.1}, InvalidParameterError, "eps"),
        ({"eps": float("nan")}, InvalidParameterError, "eps"),
        ({"x": [[0.0] * 6]}, DataFormatError, "x"),
        ({"y": torch.zeros(3, dtype=torch.long)}, ShapeMismatchError, r"\(20,\)"),
        ({"y": torch.full((20,), 5)}, DataFormatError, "label 5"),
        ({"n_samples": 0}, InvalidParameterError, "n_samples"),
    ],
)
def test_bad_input_is_refused(model_and_data, kwargs, error, match):
    model, x, y = model_and_data
    args = {"x": x, "y": y, "eps": 0.1, **kwargs}
    n = args.pop("n_samples", None)
    with pytest.raises(error, match=match):
        fgsm_error(model, args["x"], args["y"], args["eps"], n_samples=n)


def test_a_model_without_predict_proba_is_refused(model_and_data):
    _, x, y = model_and_data
    vae = build_model("vae", input_shape=6, latent_dim=2, hidden=(4,))
    with pytest.raises(InvalidParameterError, match="predict_proba"):
        fgsm_error(vae, x, y, 0.1)
