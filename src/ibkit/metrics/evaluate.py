"""All disentanglement metrics at once, from arrays or from a model and a dataset."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._validation import check_choice, check_int
from ._common import as_codes_factors, make_rng
from ._sampling import GroundTruthSource
from .beta_vae import beta_vae_score, compute_beta_vae_score
from .dci import dci
from .factor_vae import compute_factor_vae_score, factor_vae_score
from .mig import mig
from .modularity import explicitness, modularity
from .sap import sap

__all__ = ["METRICS", "evaluate_all"]

#: Metric names accepted by :func:`evaluate_all` (``metrics=``), in report order.
METRICS = ("beta_vae", "factor_vae", "mig", "dci", "sap", "modularity", "explicitness")


def _prefixed(name: str, scores: Any) -> dict[str, float]:
    return {f"{name}.{key}": val for key, val in scores.as_dict().items()}


def _progress(names: tuple[str, ...], show: bool) -> Iterable[str]:
    """``names``, under a tqdm bar naming the metric being computed when ``show``."""
    if not show:
        yield from names
        return
    import sys

    from tqdm.auto import tqdm

    with tqdm(names, desc="metrics", unit="metric", file=sys.stderr) as bar:
        for name in bar:
            bar.set_postfix_str(name)
            yield name


def evaluate_all(
    representation: Any,
    data: Any,
    *,
    n_samples: int = 10_000,
    seed: int = 0,
    metrics: Iterable[str] | None = None,
    dci_estimators: int = 100,
    n_jobs: int = 1,
    progress: bool = False,
) -> dict[str, float]:
    """Every metric in one flat dict (``"mig"``, ``"dci.disentanglement"``, …).

    Two forms:

    * ``evaluate_all(codes, factors)``: arrays ``(n, d)`` and ``(n, K)``. Each value equals
      the array-form function with its defaults and the same ``seed``: ``mig(codes,
      factors)``, ``dci(codes, factors)`` (last third of the rows as test set), …;
      β-VAE and FactorVAE resample the rows (``n_samples`` training points each).
    * ``evaluate_all(representation_fn, dataset)``: ``n_samples`` i.i.d. training draws
      and ``n_samples // 2`` test draws of ``dataset``, encoded once and shared by MIG, DCI,
      SAP, modularity and explicitness; β-VAE and FactorVAE draw their own fixed-factor
      batches (``compute_beta_vae_score`` and ``compute_factor_vae_score``, same seed).

    Parameters
    ----------
    metrics : subset of :data:`METRICS` (default all).
    dci_estimators : boosting stages of DCI (100 in disentanglement_lib; the slowest part).
    n_jobs : threads for DCI's per-factor classifiers (results do not depend on it).
    progress : a progress bar over the metrics on stderr (needs tqdm, ``ibkit[plot]``). With
        a model, β-VAE's and FactorVAE's fixed-factor batches encode about
        ``2 × 1.5 × 64 × n_samples`` observations (about 2 M at 10 000), which dominates.
    """
    names = METRICS if metrics is None else tuple(metrics)
    for name in names:
        check_choice(name, "metrics", METRICS)
    n = check_int(n_samples, "n_samples", minimum=3)
    if callable(representation):
        source, rng = GroundTruthSource(representation, data), make_rng(seed)
        z, v = source.sample(n, rng)
        test = source.sample(max(n // 2, 1), rng)
        all_rows = (z, v)
    else:
        z, v = as_codes_factors(representation, data)
        test, all_rows = None, (z, v)
    out: dict[str, float] = {}
    for name in _progress(names, progress):
        if name == "beta_vae":
            scores = (
                compute_beta_vae_score(representation, data, n, seed=seed)
                if callable(representation)
                else beta_vae_score(z, v, n_train=n, n_eval=n // 2, seed=seed)
            )
            out.update(_prefixed(name, scores))
        elif name == "factor_vae":
            scores = (
                compute_factor_vae_score(representation, data, n, seed=seed)
                if callable(representation)
                else factor_vae_score(z, v, n_train=n, n_eval=n // 2, n_variance=n, seed=seed)
            )
            out.update(_prefixed(name, scores))
        elif name == "mig":
            out["mig"] = mig(*all_rows)
        elif name == "dci":
            res = dci(z, v, test=test, n_estimators=dci_estimators, n_jobs=n_jobs)
            out.update(_prefixed(name, res))
        elif name == "sap":
            out["sap"] = sap(z, v, test=test)
        elif name == "modularity":
            out["modularity"] = modularity(*all_rows)
        else:
            out.update(_prefixed(name, explicitness(z, v, test=test)))
    return out
