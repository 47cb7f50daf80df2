"""Disentanglement-metrics benchmark: ibkit.metrics vs disent 0.8.0 on the same codes.

Run from the repository root (``PYTHONPATH=src`` pins this checkout's ibkit)::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_metrics.py [--quick]
        [--disent-path DIR] [--dci-estimators 100]

The representation is a fixed "model" of the dSprites factor grid (no images): 10 codes,
the five standardised factors mixed by a near-identity matrix plus five noise codes, plus
per-grid-cell noise (a table over all 737 280 cells), so it is a deterministic function
``encoder(factors)`` that every method can call. MIG, DCI, SAP, modularity and explicitness
get the same 10 000 training and 5 000 test rows; β-VAE and FactorVAE draw their own
fixed-factor batches (10 000 / 5 000 points of 64), as disentanglement_lib does, so those
two agree only statistically (± a few 0.01 at these sizes).

Peers:

* disent 0.8.0 (``_compute_mig``, ``_compute_dci``, ``_compute_sap``,
  ``metric_factor_vae``). ``pip install disent`` is not clean here (it pulls torch 2.14
  with CUDA wheels and lightning), so its pure-Python wheel is unpacked instead
  (``pip install --no-deps --target DIR disent h5py``) and its metric modules are loaded
  from ``DIR`` unchanged, with ``disent.dataset`` stubbed (only used for type hints).
  disent runs sklearn's current defaults (``LinearSVC(dual="auto")``, which picks the
  primal solver here, as ibkit pins) and prunes FactorVAE codes at std 0 instead of 0.05.
  Its ``GradientBoostingClassifier()`` is replaced, for the run, by ibkit's pinned one with
  ``--dci-estimators`` stages and ``random_state=0``, so both DCIs grow identical trees —
  disent's with scikit-learn, ibkit's with its compiled copy (``ibkit[fast]``, numba).
  The default is disentanglement_lib's 100 stages (Σ_k |v_k| = 113 depth-3 trees per stage
  on dSprites, 11 300 trees), which takes scikit-learn several minutes on 10 000 rows.
* disent has no β-VAE score, modularity or explicitness: those rows compare to plain
  transcriptions of disentanglement_lib's code below (``lib_*``: its Python loops,
  ``mutual_info_score``, ``MultiLabelBinarizer``; ``LogisticRegression`` as sklearn 0.20
  ran it, liblinear one-vs-rest).

Prints value, peer value, |difference|, times and the time ratio per metric, then the
whole suite through ``evaluate_all`` (dataset form, lib sizes) and a met / not met line for
the 60 s target. Not a unit test.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import ibkit
import ibkit._jit
import ibkit.metrics as M
from ibkit.datasets import ProceduralDSprites

D_CODES = 10


class GridEncoder:
    """codes = standardised factors @ W (5 → 10) + noise[cell], float64 ``(m, 10)``."""

    def __init__(self, seed: int = 0):
        self.ds = ProceduralDSprites()
        rng = np.random.default_rng(seed)
        sizes = np.array(self.ds.factor_sizes)
        self.mean, self.std = (sizes - 1) / 2, np.sqrt((sizes**2 - 1) / 12)
        w = np.zeros((5, D_CODES))
        w[:, :5] = np.eye(5) + 0.5 * rng.normal(size=(5, 5))  # mixing
        self.w = w
        self.noise = rng.standard_normal((len(self.ds), D_CODES), dtype=np.float32)

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        f = np.asarray(factors).astype(np.int64)
        cell = self.ds.index_from_factors(f)
        return (f - self.mean) / self.std @ self.w + self.noise[cell]


class FactorObservations:
    """Ground-truth protocol whose observations are the factor rows (for ibkit and disent)."""

    def __init__(self) -> None:
        self.ds = ProceduralDSprites()
        self.factor_sizes = self.ds.factor_sizes
        self.num_factors = len(self.factor_sizes)

    def sample_factors(self, n: int, rng: Any = None) -> np.ndarray:
        return self.ds.sample_factors(n, rng)

    def observations_from_factors(self, factors: np.ndarray) -> np.ndarray:
        return np.asarray(factors)

    # -- disent's DisentDataset surface (global np.random, as disent uses it) --
    @property
    def gt_data(self) -> FactorObservations:
        return self

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(np.random.randint(2**31))  # noqa: NPY002 (disent's RNG)

    def dataset_sample_batch(self, n: int, mode: str = "input") -> np.ndarray:
        return self.sample_factors(n, self._rng())

    def dataset_batch_from_factors(self, factors: np.ndarray, mode: str = "input") -> np.ndarray:
        return np.asarray(factors)


def load_disent(path: str | None) -> dict[str, Any] | None:
    """disent's metric modules: from an installed disent, or unpacked at ``path``."""
    names = ("mig", "dci", "sap", "factor_vae")
    try:
        return {n: importlib.import_module(f"disent.metrics._{n}") for n in names}
    except ImportError:
        pass
    if not path or not os.path.isdir(os.path.join(path, "disent", "metrics")):
        return None
    for name in [m for m in sys.modules if m == "disent" or m.startswith("disent.")]:
        del sys.modules[name]
    sys.path.insert(0, path)
    for name, sub in (("disent", "disent"), ("disent.metrics", "disent/metrics")):
        mod = types.ModuleType(name)
        mod.__path__ = [os.path.join(path, sub)]
        sys.modules[name] = mod
    stub = types.ModuleType("disent.dataset")
    stub.DisentDataset = object  # only a type hint in the metric modules
    sys.modules["disent.dataset"] = stub
    return {n: importlib.import_module(f"disent.metrics._{n}") for n in names}


# -- plain transcriptions of disentanglement_lib (peers where disent has none) ---------


def _lib_logistic() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(solver="liblinear", C=1.0, max_iter=100))


def lib_beta_vae(encoder: Callable, data: FactorObservations, n_train: int, n_eval: int) -> float:
    random_state = np.random.RandomState(0)

    def batch(num_points: int) -> tuple[np.ndarray, np.ndarray]:
        points, labels = np.zeros((num_points, D_CODES)), np.zeros(num_points, dtype=np.int64)
        for i in range(num_points):  # disentanglement_lib's _generate_training_sample
            index = random_state.randint(data.num_factors)
            f1 = data.sample_factors(64, np.random.default_rng(random_state.randint(2**31)))
            f2 = data.sample_factors(64, np.random.default_rng(random_state.randint(2**31)))
            f2[:, index] = f1[:, index]
            points[i] = np.mean(np.abs(encoder(f1) - encoder(f2)), axis=0)
            labels[i] = index
        return points, labels

    x, y = batch(n_train)
    model = _lib_logistic().fit(x, y)
    x_eval, y_eval = batch(n_eval)
    return float(np.mean(model.predict(x_eval) == y_eval))


def lib_modularity(mus: np.ndarray, ys: np.ndarray) -> float:
    from sklearn.metrics import mutual_info_score

    mus, ys = mus.T, ys.T  # the lib's (num_codes, num_points) layout
    disc = np.zeros_like(mus)
    for i in range(mus.shape[0]):
        disc[i, :] = np.digitize(mus[i, :], np.histogram(mus[i, :], 20)[1][:-1])
    mi = np.array([[mutual_info_score(ys[j], disc[i]) for j in range(ys.shape[0])]
                   for i in range(mus.shape[0])])  # fmt: skip
    sq = np.square(mi)
    mx = np.max(sq, axis=1)
    score = 1.0 - (np.sum(sq, axis=1) - mx) / (mx * (sq.shape[1] - 1.0))
    score[mx == 0.0] = 0.0
    return float(np.mean(score))


def lib_explicitness(mus, ys, mus_test, ys_test) -> float:
    from sklearn import metrics, preprocessing

    scaler = preprocessing.StandardScaler().fit(mus)
    x, x_test = scaler.transform(mus), scaler.transform(mus_test)
    out = []
    for k in range(ys.shape[1]):
        clf = _lib_logistic().fit(x, ys[:, k])
        mlb = preprocessing.MultiLabelBinarizer()
        out.append(metrics.roc_auc_score(mlb.fit_transform(ys_test[:, k, None]),
                                          clf.predict_proba(x_test)))  # fmt: skip
    return float(np.mean(out))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 000 samples instead of 10 000")
    parser.add_argument("--disent-path", default=os.environ.get("DISENT_PATH"))
    parser.add_argument("--dci-estimators", type=int, default=100)
    args = parser.parse_args()
    n = 2_000 if args.quick else 10_000
    n_test, est = n // 2, args.dci_estimators
    print(f"ibkit {ibkit.__version__} from {os.path.dirname(ibkit.__file__)}; "
          f"compiled trees (numba): {ibkit._jit.HAVE_NUMBA}")
    disent = load_disent(args.disent_path)
    print("disent:", "loaded" if disent else "not available (pass --disent-path)")
    enc, data = GridEncoder(), FactorObservations()
    rng = np.random.default_rng(1)
    f, f_test = data.sample_factors(n, rng), data.sample_factors(n_test, rng)
    z, z_test = enc(f), enc(f_test)
    rows: list[tuple[str, float, float | None, float, float | None, str]] = []

    def row(name, ours, peer=None, peer_name=""):
        (val, t), (pval, pt) = ours, (peer if peer else (None, None))
        rows.append((name, val, pval, t, pt, peer_name))
        diff = "" if pval is None else f"{abs(val - pval):10.2e}"
        ratio = "" if pt is None else f"{pt / t:8.2f}"
        pv = "" if pval is None else f"{pval:9.5f}"
        ptt = "" if pt is None else f"{pt:8.2f}"
        cols = f"{pv:>9s} {diff:>10s} {t:8.2f} {ptt:>8s} {ratio:>8s}"
        print(f"{name:26s} {val:9.5f} {cols}  {peer_name}")

    print(f"\n{n} train / {n_test} test rows, {D_CODES} codes; DCI with {est} boosting stages")
    print(f"{'metric':26s} {'ibkit':>9s} {'peer':>9s} {'|diff|':>10s} {'ibkit s':>8s} "
          f"{'peer s':>8s} {'peer/ibk':>8s}  peer")  # fmt: skip
    row("mig", timed(lambda: M.mig(z, f)),
        timed(lambda: disent["mig"]._compute_mig(z.T, f.T)["mig.discrete_score"])
        if disent else None, "disent")  # fmt: skip
    dci_ours, t_dci = timed(lambda: M.dci(z, f, test=(z_test, f_test), n_estimators=est))
    dci_peer = None
    if disent:  # disent builds GradientBoostingClassifier() inside; give it the same pinned one
        import sklearn.ensemble

        from ibkit.metrics.dci import _gbt

        original = sklearn.ensemble.GradientBoostingClassifier
        pinned = types.SimpleNamespace(GradientBoostingClassifier=original)
        sklearn.ensemble.GradientBoostingClassifier = lambda: _gbt(pinned, est, 0)
        try:
            dci_peer = timed(lambda: disent["dci"]._compute_dci(z.T, f.T, z_test.T, f_test.T))
        finally:
            sklearn.ensemble.GradientBoostingClassifier = original
    for key, pkey in (("disentanglement", "dci.disentanglement"),
                      ("completeness", "dci.completeness"),
                      ("informativeness_test", "dci.informativeness_test")):  # fmt: skip
        peer = (dci_peer[0][pkey], dci_peer[1]) if dci_peer else None
        row(f"dci.{key}", (getattr(dci_ours, key), t_dci), peer, "disent")
    row("sap", timed(lambda: M.sap(z, f, test=(z_test, f_test))),
        timed(lambda: disent["sap"]._compute_sap(z.T, f.T, z_test.T, f_test.T, False)["sap.score"])
        if disent else None, "disent")  # fmt: skip
    row("modularity", timed(lambda: M.modularity(z, f)), timed(lambda: lib_modularity(z, f)),
        "lib transcription")  # fmt: skip
    row("explicitness.test", timed(lambda: M.explicitness(z, f, test=(z_test, f_test)).test),
        timed(lambda: lib_explicitness(z, f, z_test, f_test)), "lib transcription")  # fmt: skip
    row("beta_vae.eval_accuracy",
        timed(lambda: M.compute_beta_vae_score(enc, data, n, seed=0).eval_accuracy),
        timed(lambda: lib_beta_vae(enc, data, n, n_test)), "lib transcription")  # fmt: skip

    def disent_fvae() -> float:
        np.random.seed(0)  # noqa: NPY002 (disent draws from the global RNG)
        out = disent["factor_vae"].metric_factor_vae(
            data, enc, batch_size=64, num_train=n, num_eval=n_test, num_variance_estimate=n
        )
        return out["factor_vae.eval_accuracy"]

    row("factor_vae.eval_accuracy",
        timed(lambda: M.compute_factor_vae_score(enc, data, n, seed=0).eval_accuracy),
        timed(disent_fvae) if disent else None, "disent")  # fmt: skip

    per_metric = sum(r[3] for r in rows) - 2 * t_dci  # the three DCI rows share one fit
    print(f"\nsum of ibkit's metric times: {per_metric:.1f} s")
    # the whole suite, dataset form, as a user runs it (DCI's per-factor fits on 2 threads)
    out, t = timed(
        lambda: M.evaluate_all(enc, data, n_samples=n, seed=0, dci_estimators=est, n_jobs=2)
    )
    verdict = "met" if t < 60 else "not met"
    print(f"evaluate_all(encoder, dataset, n_samples={n}, dci_estimators={est}, n_jobs=2): "
          f"{t:.1f} s -> 60 s target {verdict}")  # fmt: skip
    print({k: round(v, 4) for k, v in out.items()})


if __name__ == "__main__":
    main()
