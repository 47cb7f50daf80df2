"""The ``compute_*`` forms (representation_fn + ground-truth dataset) and ``evaluate_all``."""

from __future__ import annotations

import numpy as np

import ibkit.metrics as metrics


def identity(observations: np.ndarray) -> np.ndarray:
    return observations  # FactorObservations: the observations are the factor rows


def test_compute_forms_equal_array_forms_on_the_same_draws(factor_dataset):
    n, seed = 600, 11
    factors = factor_dataset.sample_factors(n, np.random.default_rng(seed))
    z = factors.astype(np.float64)
    assert metrics.compute_mig(identity, factor_dataset, n, seed=seed) == metrics.mig(z, factors)
    assert metrics.compute_modularity(identity, factor_dataset, n, seed=seed) == (
        metrics.modularity(z, factors)
    )
    # train and test draws come one after the other from the same generator
    rng = np.random.default_rng(seed)
    f_train, f_test = (
        factor_dataset.sample_factors(n, rng),
        factor_dataset.sample_factors(n // 2, rng),
    )
    test = (f_test.astype(np.float64), f_test)
    assert metrics.compute_sap(identity, factor_dataset, n, seed=seed) == metrics.sap(
        f_train.astype(np.float64), f_train, test=test
    )


def test_compute_oracles_and_reproducibility(factor_dataset):
    kw = {"n_samples": 200, "seed": 3}
    bv = metrics.compute_beta_vae_score(identity, factor_dataset, batch_size=16, **kw)
    fv = metrics.compute_factor_vae_score(identity, factor_dataset, batch_size=16, **kw)
    assert bv.eval_accuracy == 1.0 and fv.eval_accuracy == 1.0 and fv.num_active_dims == 5

    def noise(obs):
        return np.random.default_rng(int(obs.sum())).normal(size=(obs.shape[0], 4))

    bv_noise = metrics.compute_beta_vae_score(noise, factor_dataset, batch_size=16, **kw)
    assert bv_noise.eval_accuracy < 0.35  # chance is 1/5
    assert bv_noise == metrics.compute_beta_vae_score(noise, factor_dataset, batch_size=16, **kw)
    d1 = metrics.compute_dci(identity, factor_dataset, 300, seed=1, n_estimators=2)
    d2 = metrics.compute_dci(identity, factor_dataset, 300, seed=1, n_estimators=2, n_jobs=2)
    assert d1.as_dict() == d2.as_dict()  # threads do not change the result
    assert d1.disentanglement > 0.95


def test_evaluate_all_arrays_equal_each_metric(reps, grid_sample):
    z, f = reps["rotated"][:300], grid_sample[:300]
    out = metrics.evaluate_all(z, f, n_samples=150, dci_estimators=2)
    assert out["mig"] == metrics.mig(z, f)
    assert out["sap"] == metrics.sap(z, f)
    assert out["modularity"] == metrics.modularity(z, f)
    assert out["explicitness.test"] == metrics.explicitness(z, f).test
    assert out["dci.completeness"] == metrics.dci(z, f, n_estimators=2).completeness
    assert out["beta_vae.eval_accuracy"] == (
        metrics.beta_vae_score(z, f, n_train=150, n_eval=75).eval_accuracy
    )
    assert out["factor_vae.eval_accuracy"] == (
        metrics.factor_vae_score(z, f, n_train=150, n_eval=75, n_variance=150).eval_accuracy
    )
    assert all(isinstance(v, float) for v in out.values())
    assert len(out) == 14


def _centroid(images: np.ndarray) -> np.ndarray:
    """A hand-made encoder of sprite images: centre of mass (x, y) and area, (m, 3)."""
    mass = images.sum(axis=(1, 2))  # (m,)
    grid = np.arange(images.shape[1]) + 0.5
    x = (images.sum(axis=1) @ grid) / mass  # (m,)
    y = (images.sum(axis=2) @ grid) / mass  # (m,)
    return np.stack([x, y, mass], axis=1)


def test_on_rendered_dsprites_images(dsprites):
    # posX and posY are read off the centre of mass, so they are captured; the mass mixes
    # shape and scale; orientation is lost.
    out = metrics.evaluate_all(_centroid, dsprites, n_samples=240, seed=0, metrics=["mig"])
    assert 0.2 < out["mig"] < 0.6
    assert metrics.compute_mig(_centroid, dsprites, 240, seed=0) == out["mig"]
    fv = metrics.compute_factor_vae_score(_centroid, dsprites, 30, batch_size=8, seed=0)
    assert fv.num_active_dims == 3
